#include "servers/reference/session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <thread>

#include "harness/core/text.hpp"

namespace fc::ref {

namespace {

/// RFC 2577 5: failed logins before the session is closed (the RFC suggests 3 to 5).
constexpr int kMaxFailedLogins = 3;

/// "ip:port" of the socket's remote end.
std::string remote_of(int fd, std::string* ip) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        return "?";
    }
    char text[INET6_ADDRSTRLEN] = {};
    unsigned port = 0;
    if (sa.ss_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&sa);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        port = ntohs(in->sin_port);
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        port = ntohs(in6->sin6_port);
    }
    if (ip != nullptr) {
        *ip = text;
    }
    return std::string(text) + ":" + std::to_string(port);
}

template <typename T>
const VfsError* error_of(const std::variant<T, VfsError>& v) {
    return std::get_if<VfsError>(&v);
}

// crash-after-login: dies as a server with a memory error does (SIGSEGV), without leaving
// a core file in the run folder.
[[noreturn]] void crash() {
    struct rlimit no_core {};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
    std::abort();
}

const std::set<std::string> kBeforeAuth = {"AUTH", "FEAT", "QUIT", "HOST"};
const std::set<std::string> kNeedLogin = {
    "PWD",  "XPWD", "CWD",  "XCWD", "CDUP", "XCUP", "TYPE", "MODE", "STRU", "PASV", "EPSV",
    "PORT", "EPRT", "LIST", "NLST", "MLSD", "MLST", "RETR", "STOR", "APPE", "STOU", "REST",
    "SIZE", "MDTM", "DELE", "MKD",  "XMKD", "RMD",  "XRMD", "RNFR", "RNTO", "ABOR", "ALLO"};

}  // namespace

std::string remote_address(int fd, std::string* ip) {
    return remote_of(fd, ip);
}

Session::Session(const ServerShared& shared, int number, UniqueFd fd)
    : shared_(shared),
      config_(shared.config),
      log_(shared.log),
      stop_(shared.stop),
      id_(number),
      fd_(std::move(fd)) {
    peer_ = remote_of(fd_.get(), &peer_ip_);
    control_binding_.owner = id_;
    data_binding_.owner = id_;
}

Session::~Session() = default;

bool Session::pause(Millis how_long) {
    Deadline d = Deadline::after(how_long);
    while (!d.expired()) {
        if (stop_.cancelled()) {
            return false;
        }
        std::this_thread::sleep_for(std::min(d.remaining(), Millis(50)));
    }
    return !stop_.cancelled();
}

bool Session::write_control(std::string_view text, bool clear) {
    // Once the server stops, the last words (421) still go out, briefly.
    bool stopping = stop_.cancelled();
    Deadline d = Deadline::after(Millis(stopping ? 1000 : 30000));
    CancelToken cancel = stopping ? CancelToken{} : stop_;
    auto write = [&](std::string_view part) {
        return (tls_ && !clear ? tls_->write_all(part, d, cancel)
                               : send_all(fd_.get(), part, d, cancel))
            .ok();
    };
    if (bad("replies-split")) {
        for (std::size_t i = 0; i < text.size(); i += 3) {
            if (!write(text.substr(i, 3)) || !pause(Millis(2))) {
                return false;
            }
        }
        return true;
    }
    return write(text);
}

void Session::reply(int code, const std::vector<std::string>& lines, bool clear, bool greeting) {
    // replies-slow spares the greeting: readiness probes wait for it only briefly
    if (bad("replies-slow") && !greeting && !pause(Millis(250))) {
        return;
    }
    std::string c = std::to_string(code);
    std::string wire, joined;
    if (lines.size() <= 1) {
        std::string text = lines.empty() ? "" : lines.front();
        wire = c + " " + text + "\r\n";
        joined = c + " " + text;
    } else {
        std::vector<std::string> all;
        all.push_back(c + "-" + lines.front());
        if (bad("multiline-tricky")) {
            all.push_back(c + "-a continuation line with the same code and a dash");
            all.push_back(c + "0 four digits are not the final line");
            all.push_back(" " + c + " an indented code is not the final line");
            all.push_back((code == 200 ? "201" : "200") + std::string(" another code is not it"));
        }
        for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
            all.push_back(lines[i]);
        }
        all.push_back(c + " " + lines.back());
        for (std::size_t i = 0; i < all.size(); ++i) {
            wire += all[i] + "\r\n";
            joined += (i == 0 ? "" : "\n") + all[i];
        }
    }
    log_.write(log_.event(id_, "reply")
                   .num("code", code)
                   .str("text", joined)
                   .flag("protected", tls_ != nullptr && !clear));
    if (!write_control(wire, clear)) {
        end(stop_.cancelled() ? "server stopped" : "error: cannot write a reply");
    }
}

Session::Read Session::read_line(std::string* line, std::optional<Deadline> until) {
    if (!queued_lines_.empty()) {
        *line = std::move(queued_lines_.front());
        queued_lines_.pop_front();
        return Read::line;
    }
    Deadline idle =
        until ? *until : Deadline::after(std::chrono::seconds(config_.idle_timeout_seconds));
    for (;;) {
        switch (lines_.next(line)) {
            case LineBuffer::Status::line: return Read::line;
            case LineBuffer::Status::too_long: return Read::too_long;
            case LineBuffer::Status::none: break;
        }
        char buf[4096];
        IoResult r = tls_ ? tls_->read_some(buf, sizeof buf, idle, stop_)
                          : recv_some(fd_.get(), buf, sizeof buf, idle, stop_);
        switch (r.status) {
            case IoStatus::ok: lines_.feed(std::string_view(buf, r.bytes)); break;
            case IoStatus::timeout: return Read::timeout;
            case IoStatus::cancelled: return Read::cancelled;
            case IoStatus::closed: return Read::closed;
            case IoStatus::failed: return Read::failed;
        }
    }
}

void Session::end(const std::string& reason) {
    closing_ = true;
    if (ended_) {
        return;
    }
    ended_ = true;
    close_control_tls();
    log_.write(log_.event(id_, "disconnect").str("reason", reason));
}

void Session::run() {
    log_.write(log_.event(id_, "connect").str("peer", peer_));
    try {
        vfs_ = std::make_unique<Vfs>(config_.root);
    } catch (const std::exception& e) {
        reply(421, "Service not available: the root cannot be used");
        end(std::string("error: ") + e.what());
        return;
    }
    if (has("implicit")) {
        prot_ = 'P';
        if (!start_control_tls()) {
            end("error: TLS handshake failed");
            return;
        }
    }
    if (bad("never-greet")) {
        pause(Millis(24 * 3600 * 1000));  // until the server stops
        end("never greeted (misbehaviour)");
        return;
    }
    reply(220, {"ftps-conform reference server ready"}, false, true);
    while (!closing_) {
        std::string line;
        Read r = read_line(&line);
        if (r == Read::closed) {
            end("peer closed");
            return;
        }
        if (r == Read::timeout) {
            reply(421, "Idle timeout, closing the control connection");
            end("idle timeout");
            return;
        }
        if (r == Read::cancelled) {
            reply(421, "Server shutting down");
            end("server stopped");
            return;
        }
        if (r == Read::failed) {
            end("error: control connection failed");
            return;
        }
        if (r == Read::too_long) {
            reply(500, "Command line too long");
            continue;
        }
        ParseResult p = parse_command(line);
        if (!p.command) {
            log_.write(log_.event(id_, "command")
                           .str("verb", "")
                           .str("arg", line)
                           .flag("protected", tls_ != nullptr));
            reply(p.code, p.message);
            continue;
        }
        const Command& cmd = *p.command;
        log_.write(log_.event(id_, "command")
                       .str("verb", cmd.verb)
                       .str("arg", cmd.verb == "PASS" ? "****" : cmd.arg)
                       .flag("protected", tls_ != nullptr));
        dispatch(cmd);
    }
    end("quit");
}

std::vector<std::string> Session::feat_lines() const {
    std::vector<std::string> f{"Features:"};
    if (!bad("feat-hides-auth-tls")) {
        f.push_back(has("auth-ssl") ? " AUTH TLS SSL" : " AUTH TLS");
    }
    if (!bad("feat-hides-pbsz-prot")) {
        f.push_back(" PBSZ");
        f.push_back(" PROT");
    }
    if (has("ccc")) {
        f.push_back(" CCC");
    }
    for (const char* line : {" EPRT", " EPSV", " HOST", " MDTM", " MLST type*;size*;modify*;",
                             " REST STREAM", " SIZE", " TVFS", " UTF8"}) {
        f.push_back(line);
    }
    f.push_back("End");
    return f;
}

void Session::dispatch(const Command& cmd) {
    const std::string& v = cmd.verb;
    bool tls_required = has("tls-required") && !tls_ && !ccc_done_;
    if (tls_required && v == "FEAT" && bad("feat-refused-before-auth")) {
        reply(550, "FEAT refused before AUTH");
        return;
    }
    if (tls_required && v == "QUIT" && bad("quit-refused-before-auth")) {
        reply(550, "QUIT refused before AUTH");
        return;
    }
    if (tls_required && kBeforeAuth.count(v) == 0) {
        reply(530, v == "USER" || v == "PASS" ? "TLS required: use AUTH TLS before logging in"
                                              : "TLS required: use AUTH TLS first");
        if (bad("policy-close-without-421")) {
            end("closed by policy without a 421");  // RFC 4217 10.1 asks for a 421 first
        }
        return;
    }
    if (!logged_in_ && kNeedLogin.count(v) != 0) {
        reply(530, "Please log in with USER and PASS first");
        return;
    }
    if (v == "USER") {
        logged_in_ = false;
        data_tls_count_ = 0;
        if (cmd.arg.empty()) {
            reply(501, "USER needs a user name");
            return;
        }
        bool anon = has("anonymous") && (cmd.arg == "anonymous" || cmd.arg == "ftp");
        if (!anon && cmd.arg != config_.user && bad("user-unknown-530")) {
            reply(530, "Unknown user " + cmd.arg);
            return;
        }
        if (!anon && cmd.arg == config_.user && bad("user-logged-in-without-pass")) {
            logged_in_ = true;  // as RFC 2228's 232 would, but without any certificate
            reply(230, "User logged in, no password needed");
            return;
        }
        pending_user_ = cmd.arg;
        user_given_ = true;
        reply(331,
              anon ? "Anonymous login ok, send any password" : "Password required for " + cmd.arg);
    } else if (v == "PASS") {
        if (!user_given_) {
            reply(503, "Login with USER first");
            return;
        }
        bool anon = has("anonymous") && (pending_user_ == "anonymous" || pending_user_ == "ftp");
        bool ok = anon || (pending_user_ == config_.user && cmd.arg == config_.password);
        user_given_ = false;
        if (ok) {
            logged_in_ = true;
            data_tls_count_ = 0;
            reply(230, "User logged in");
            if (bad("crash-after-login")) {
                crash();
            }
        } else {
            pending_user_.clear();
            // RFC 2577 5: after a small number of attempts (3-5) the server should close the
            // control connection, with a 421 before closing.
            if (++failed_logins_ >= kMaxFailedLogins && !bad("login-attempts-unlimited")) {
                if (bad("login-close-without-421")) {
                    reply(530, "Login incorrect");
                } else {
                    reply(421, "Too many failed logins, closing control connection");
                }
                end("too many failed logins");
                return;
            }
            reply(530, "Login incorrect");
        }
    } else if (v == "QUIT") {
        reply(221, "Goodbye");
        end("quit");
    } else if (v == "NOOP") {
        reply(200, "NOOP ok");
    } else if (v == "SYST") {
        reply(215, "UNIX Type: L8");
    } else if (v == "FEAT") {
        reply(211, feat_lines());
    } else if (v == "OPTS") {
        if (upper(cmd.arg) == "UTF8 ON") {
            reply(200, "UTF8 is always on");
        } else {
            reply(501, "Option not understood");
        }
    } else if (v == "HELP") {
        reply(214, std::vector<std::string>{
                       "The following commands are recognized:",
                       " USER PASS SYST FEAT OPTS PWD CWD CDUP TYPE MODE STRU PASV EPSV PORT EPRT",
                       " LIST NLST MLSD MLST RETR STOR APPE REST SIZE MDTM DELE MKD RMD RNFR RNTO",
                       " NOOP QUIT ABOR HELP STAT HOST REIN AUTH PBSZ PROT CCC ADAT MIC CONF ENC",
                       "Help OK"});
    } else if (v == "STAT") {
        if (!cmd.arg.empty() && logged_in_) {
            auto r = vfs_->list(cmd.arg);
            if (auto* e = error_of(r)) {
                reply(e->code, e->message);
                return;
            }
            std::vector<std::string> lines{"Status of " + cmd.arg + ":"};
            const std::string& text = std::get<std::string>(r);
            std::size_t start = 0;
            while (start < text.size()) {
                std::size_t end = text.find("\r\n", start);
                if (end == std::string::npos) {
                    end = text.size();
                }
                lines.push_back(" " + text.substr(start, end - start));
                start = end + 2;
            }
            lines.push_back("End of status");
            reply(213, lines, bad("stat-reply-in-clear"));
            return;
        }
        std::vector<std::string> lines{
            "ftps-conform reference server status:",
            std::string(" Connected from ") + peer_,
            std::string(" Logged in: ") + (logged_in_ ? "yes" : "no"),
            std::string(" Control connection: ") + (tls_ ? "TLS " + control_version_ : "clear"),
            std::string(" Data protection: ") + (data_protected() ? "private" : "clear"),
            "End of status"};
        reply(211, lines, bad("stat-reply-in-clear"));
    } else if (v == "AUTH") {
        cmd_auth(cmd);
    } else if (v == "PBSZ") {
        cmd_pbsz(cmd);
    } else if (v == "PROT") {
        cmd_prot(cmd);
    } else if (v == "CCC") {
        cmd_ccc();
    } else if (v == "HOST") {
        cmd_host(cmd);
    } else if (v == "ADAT") {
        if (tls_ && bad("adat-accepted")) {
            reply(235, "ADAT accepted");
        } else {
            reply(503, "ADAT is not used with TLS");
        }
    } else if (v == "MIC" || v == "CONF" || v == "ENC") {
        if (tls_ && bad("mic-conf-enc-accepted")) {
            reply(200, v + " accepted");
        } else if (tls_) {
            reply(537, v + ": command protection is provided by TLS, not by " + v);
        } else {
            reply(503, v + " needs a security mechanism (AUTH) first");
        }
    } else if (v == "REIN") {
        if (bad("rein-ignored")) {
            reply(200, "REIN ok");
        } else {
            reply(502, "REIN not implemented");
        }
    } else if (v == "ABOR") {
        reset_data();
        reply(225, "No transfer to abort");
    } else if (v == "PASV" || v == "EPSV") {
        cmd_pasv(cmd);
    } else if (v == "PORT" || v == "EPRT") {
        cmd_port(cmd);
    } else if (v == "LIST" || v == "NLST" || v == "MLSD" || v == "RETR" || v == "STOR" ||
               v == "APPE") {
        cmd_transfer(cmd);
    } else {
        cmd_files(cmd);
    }
}

void Session::cmd_files(const Command& cmd) {
    const std::string& v = cmd.verb;
    const std::string& a = cmd.arg;
    auto fail = [this](const VfsError& e) { reply(e.code, e.message); };
    if (v == "PWD" || v == "XPWD") {
        std::string quoted;
        for (char c : vfs_->pwd()) {
            quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        }
        reply(257, "\"" + quoted + "\" is the current directory");
    } else if (v == "CWD" || v == "XCWD") {
        auto r = vfs_->cwd(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(250, "Directory changed to " + vfs_->pwd());
        }
    } else if (v == "CDUP" || v == "XCUP") {
        auto r = vfs_->cdup();
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(250, "Directory changed to " + vfs_->pwd());
        }
    } else if (v == "TYPE") {
        std::string t = upper(a);
        if (t == "I" || t == "L 8" || t == "A" || t == "A N") {
            reply(200, "Type set to " + t);
        } else {
            reply(504, "Type not supported");
        }
    } else if (v == "MODE") {
        upper(a) == "S" ? reply(200, "Mode set to S") : reply(504, "Only stream mode (S)");
    } else if (v == "STRU") {
        upper(a) == "F" ? reply(200, "Structure set to F") : reply(504, "Only file structure (F)");
    } else if (v == "ALLO") {
        reply(202, "ALLO not needed");
    } else if (v == "REST") {
        if (bad("rest-refused")) {
            reply(502, "REST not implemented");
            return;
        }
        if (a.empty() || a.size() > 19 ||
            !std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            reply(501, "REST needs a byte offset");
            return;
        }
        rest_ = std::stoull(a);
        reply(350, "Restarting at " + a + ", send the transfer command");
    } else if (v == "SIZE") {
        auto r = vfs_->size(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(213, std::to_string(std::get<std::uint64_t>(r)));
        }
    } else if (v == "MDTM") {
        auto r = vfs_->mdtm(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(213, std::get<std::string>(r));
        }
    } else if (v == "MLST") {
        auto r = vfs_->mlst(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(250, std::vector<std::string>{"Listing " + (a.empty() ? vfs_->pwd() : a),
                                                " " + std::get<std::string>(r), "End"});
        }
    } else if (v == "DELE") {
        auto r = vfs_->dele(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(250, "File deleted");
        }
    } else if (v == "MKD" || v == "XMKD") {
        auto r = vfs_->mkd(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            std::string quoted;
            for (char c : std::get<std::string>(r)) {
                quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
            }
            reply(257, "\"" + quoted + "\" created");
        }
    } else if (v == "RMD" || v == "XRMD") {
        auto r = vfs_->rmd(a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(250, "Directory removed");
        }
    } else if (v == "RNFR") {
        auto r = vfs_->rename_from(a);
        if (auto* e = error_of(r)) {
            rename_from_.reset();
            fail(*e);
        } else {
            rename_from_ = std::get<std::string>(r);
            reply(350, "Ready for RNTO");
        }
    } else if (v == "RNTO") {
        if (!rename_from_) {
            reply(503, "RNFR first");
            return;
        }
        std::string from = *rename_from_;
        rename_from_.reset();
        auto r = vfs_->rename_to(from, a);
        if (auto* e = error_of(r)) {
            fail(*e);
        } else {
            reply(250, "Renamed");
        }
    } else {
        reply(502, "Command not implemented");
    }
}

}  // namespace fc::ref
