#include "harness/testing/scripted_peer.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "harness/core/error.hpp"
#include "harness/core/text.hpp"
#include "harness/tls/tls_stream.hpp"

namespace fc::testing {

ScriptedPeer::ScriptedPeer(Config config) : config_(std::move(config)) {
    std::string error;
    listener_ = tcp_listen("127.0.0.1", 0, &error);
    if (!listener_) {
        throw HarnessError("scripted peer: " + error);
    }
    port_ = local_port(listener_.get());
    thread_ = std::thread([this] { serve(); });
}

ScriptedPeer::~ScriptedPeer() {
    stop_ = true;
    thread_.join();
}

std::vector<std::string> ScriptedPeer::commands() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commands_;
}

void ScriptedPeer::serve() {
    CancelToken cancel(&stop_);
    while (!stop_) {
        std::string error;
        UniqueFd fd = tcp_accept(listener_.get(), Deadline::after(Millis(200)), cancel, &error);
        if (fd) {
            session(std::move(fd));
        }
    }
}

namespace {

// Reads and writes lines over plain TCP or TLS, whichever is current.
class LineIo {
public:
    LineIo(int fd, CancelToken cancel) : fd_(fd), cancel_(cancel) {}

    bool write(const std::string& text) {
        Deadline d = Deadline::after(Millis(5000));
        return (tls_ ? tls_->write_all(text, d, cancel_) : send_all(fd_, text, d, cancel_)).ok();
    }
    bool read_line(std::string& line) {
        for (;;) {
            if (auto lf = buffer_.find('\n'); lf != std::string::npos) {
                line = buffer_.substr(0, lf);
                if (!line.empty() && line.back() == '\r') {
                    line.pop_back();
                }
                buffer_.erase(0, lf + 1);
                return true;
            }
            char buf[1024];
            Deadline d = Deadline::after(Millis(5000));
            IoResult r = tls_ ? tls_->read_some(buf, sizeof buf, d, cancel_)
                              : recv_some(fd_, buf, sizeof buf, d, cancel_);
            if (!r.ok()) {
                return false;
            }
            buffer_.append(buf, r.bytes);
        }
    }
    bool start_tls(const PkiFiles& pki) {
        TlsServerOptions options;
        options.cert_file = pki.server_cert;
        options.key_file = pki.server_key;
        auto result = TlsStream::accept(fd_, options, Deadline::after(Millis(5000)), cancel_);
        tls_ = std::move(result.stream);
        return tls_ != nullptr;
    }
    void close() {
        if (tls_) {
            tls_->shutdown(Deadline::after(Millis(200)), cancel_, false);
        }
    }

private:
    int fd_;
    CancelToken cancel_;
    std::unique_ptr<TlsStream> tls_;
    std::string buffer_;
};

}  // namespace

bool ScriptedPeer::can_misbehave(const std::string& name) {
    static const std::set<std::string> kActed{
        "auth-tls-334",    "feat-hides-auth-tls",   "feat-hides-pbsz-prot", "prot-without-pbsz",
        "prot-s-accepted", "prot-unknown-accepted", "prot-c-refused"};
    return kActed.count(name) != 0;
}

void ScriptedPeer::session(UniqueFd fd) {
    CancelToken cancel(&stop_);
    LineIo io(fd.get(), cancel);
    auto bad = [&](const char* name) { return config_.misbehaviours.count(name) != 0; };
    bool pbsz = false;
    io.write("220 scripted peer ready\r\n");
    std::string line;
    while (!stop_ && io.read_line(line)) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            commands_.push_back(line);
        }
        std::string verb = upper(line.substr(0, line.find(' ')));
        std::string arg =
            line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
        if (verb == "AUTH" && upper(arg) == "TLS") {
            if (bad("auth-tls-334")) {
                io.write("334 ADAT needed\r\n");
                continue;
            }
            io.write("234 go ahead\r\n");
            if (!io.start_tls(*config_.pki)) {
                return;
            }
        } else if (verb == "FEAT") {
            std::string reply = "211-Features:\r\n";
            if (!bad("feat-hides-auth-tls")) {
                reply += " AUTH TLS\r\n";
            }
            if (!bad("feat-hides-pbsz-prot")) {
                reply += " PBSZ\r\n PROT\r\n";
            }
            io.write(reply + " UTF8\r\n211 End\r\n");
        } else if (verb == "USER") {
            io.write(arg == config_.user ? "331 password please\r\n" : "530 no such user\r\n");
        } else if (verb == "PASS") {
            io.write(arg == config_.password ? "230 logged in\r\n" : "530 wrong password\r\n");
        } else if (verb == "PBSZ") {
            pbsz = true;
            io.write("200 PBSZ=0\r\n");
        } else if (verb == "PROT") {
            std::string level = upper(arg);
            if (!pbsz && !bad("prot-without-pbsz")) {
                io.write("503 PBSZ first\r\n");
            } else if (level == "P") {
                io.write("200 protection private\r\n");
            } else if (level == "C") {
                bool refuse = bad("prot-c-refused") || config_.features.count("data-tls-required");
                io.write(refuse ? "534 protected data required\r\n" : "200 protection clear\r\n");
            } else if (level == "S" || level == "E") {
                io.write(bad("prot-s-accepted") ? "200 fine\r\n" : "536 not with TLS\r\n");
            } else {
                io.write(bad("prot-unknown-accepted") ? "200 fine\r\n" : "504 unknown level\r\n");
            }
        } else if (verb == "NOOP") {
            io.write("200 ok\r\n");
        } else if (verb == "QUIT") {
            io.write("221 bye\r\n");
            io.close();
            return;
        } else {
            io.write("500 unknown command\r\n");
        }
    }
}

}  // namespace fc::testing
