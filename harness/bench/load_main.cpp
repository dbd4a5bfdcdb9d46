// ftps-conform-load: a bounded load generator for benchmarks (ci/bench). N sessions at
// once, each: connect, AUTH TLS, log in, PBSZ 0, PROT P, EPSV, RETR one small file over a
// data connection that resumes the control session, QUIT. Prints one line of figures.
// Only loopback targets; every session has a deadline, so the run always ends.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/ftp/control_channel.hpp"
#include "harness/ftp/data_channel.hpp"
#include "harness/ftp/transcript.hpp"

namespace {

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string user = "alice";
    std::string password;
    std::string ca_file;
    std::string file = "small.bin";
    int sessions = 200;
    int deadline_s = 60;
};

void usage(std::ostream& out) {
    out << "usage: ftps-conform-load --port N --password P --ca FILE [--host 127.0.0.1]\n"
           "                         [--user alice] [--file small.bin] [--sessions 200]\n"
           "                         [--deadline SECONDS]\n"
           "Runs SESSIONS FTPS sessions at once against a loopback server (each downloads\n"
           "FILE with PROT P) and prints: sessions, ok, failed, seconds, sessions/s, bytes.\n";
}

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                throw std::invalid_argument(a + " needs a value");
            }
            return argv[++i];
        };
        if (a == "--host") {
            o.host = value();
        } else if (a == "--port") {
            int port = std::stoi(value());
            if (port < 1 || port > 65535) {
                throw std::invalid_argument("--port needs 1 to 65535");
            }
            o.port = static_cast<std::uint16_t>(port);
        } else if (a == "--user") {
            o.user = value();
        } else if (a == "--password") {
            o.password = value();
        } else if (a == "--ca") {
            o.ca_file = value();
        } else if (a == "--file") {
            o.file = value();
        } else if (a == "--sessions") {
            o.sessions = std::clamp(std::stoi(value()), 1, 2000);
        } else if (a == "--deadline") {
            o.deadline_s = std::clamp(std::stoi(value()), 1, 600);
        } else {
            throw std::invalid_argument("unknown option " + a);
        }
    }
    if (o.port == 0 || o.ca_file.empty()) {
        throw std::invalid_argument("--port and --ca are required");
    }
    if (o.host.rfind("127.", 0) != 0 && o.host != "::1") {
        throw std::invalid_argument("only loopback targets: " + o.host);
    }
    return true;
}

// One session; returns "" on success, else what went wrong, and adds the bytes received.
std::string one_session(const Options& o, fc::Deadline deadline, std::uint64_t* bytes) {
    fc::Transcript transcript;
    fc::ControlChannel ctrl(transcript, fc::CancelToken{});
    auto expect = [&](int code, const char* what) -> std::string {
        fc::ReplyResult r = ctrl.read_reply(deadline);
        if (!r.reply) {
            return std::string(what) + ": " + r.error;
        }
        if (r.reply->code != code) {
            return std::string(what) + ": " + r.reply->text();
        }
        return "";
    };
    auto command = [&](const std::string& line, int code) -> std::string {
        if (!ctrl.send_line(line, deadline).ok()) {
            return "cannot send " + line;
        }
        return expect(code, line.c_str());
    };
    if (std::string e = ctrl.connect(o.host, o.port, deadline); !e.empty()) {
        return "connect: " + e;
    }
    std::string e = expect(220, "banner");
    if (e.empty())
        e = command("AUTH TLS", 234);
    if (!e.empty()) {
        return e;
    }
    fc::TlsClientOptions tls;
    tls.ca_file = o.ca_file;
    tls.verify_name = o.host;
    if (fc::TlsHandshakeResult h = ctrl.start_tls(tls, deadline); !ctrl.is_protected()) {
        return "control handshake: " + h.error;
    }
    e = command("USER " + o.user, 331);
    if (e.empty())
        e = command("PASS " + o.password, 230);
    if (e.empty())
        e = command("PBSZ 0", 200);
    if (e.empty())
        e = command("PROT P", 200);
    if (e.empty())
        e = command("TYPE I", 200);
    if (!e.empty()) {
        return e;
    }
    if (!ctrl.send_line("EPSV", deadline).ok()) {
        return "cannot send EPSV";
    }
    fc::ReplyResult epsv = ctrl.read_reply(deadline);
    std::string why;
    auto port = epsv.reply ? fc::parse_epsv_reply(*epsv.reply, &why) : std::nullopt;
    if (!port) {
        return "EPSV: " + (epsv.reply ? why : epsv.error);
    }
    auto data = fc::DataConnection::connect({o.host, *port}, "", deadline, fc::CancelToken{}, &why);
    if (!data) {
        return "data connect: " + why;
    }
    if (!ctrl.send_line("RETR " + o.file, deadline).ok()) {
        return "cannot send RETR";
    }
    if (e = expect(150, "RETR"); !e.empty()) {
        return e;
    }
    fc::SslSessionPtr session = ctrl.tls_session();
    fc::TlsClientOptions data_tls = tls;
    data_tls.resume = session.get();
    if (fc::TlsHandshakeResult h = data->protect(data_tls, deadline); !data->is_protected()) {
        return "data handshake: " + h.error;
    }
    fc::ReceiveResult got = data->receive_all(deadline);
    if (got.status != fc::IoStatus::ok) {
        return "data: " + got.error;
    }
    if (!got.close_notify) {  // RFC 4217 12.6: without it the download may be truncated
        return "data: closed without TLS close_notify";
    }
    data->finish(deadline);
    *bytes += got.bytes;
    if (e = expect(226, "transfer"); !e.empty()) {
        return e;
    }
    command("QUIT", 221);
    ctrl.close(deadline);
    return "";
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        parse(argc, argv, o);
    } catch (const std::exception& ex) {
        std::cerr << "ftps-conform-load: " << ex.what() << "\n";
        usage(std::cerr);
        return 2;
    }
    fc::Deadline deadline = fc::Deadline::after(std::chrono::seconds(o.deadline_s));
    std::atomic<int> ok{0};
    std::atomic<std::uint64_t> bytes{0};
    std::mutex mutex;
    std::vector<std::string> errors;
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(o.sessions));
    for (int i = 0; i < o.sessions; ++i) {
        threads.emplace_back([&] {
            std::uint64_t got = 0;
            std::string e;
            try {
                e = one_session(o, deadline, &got);
            } catch (const std::exception& ex) {
                e = ex.what();
            }
            if (e.empty()) {
                ++ok;
                bytes += got;
            } else {
                std::lock_guard<std::mutex> lock(mutex);
                errors.push_back(e);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "sessions " << o.sessions << " ok " << ok << " failed " << errors.size()
              << " seconds " << seconds << " sessions/s " << (ok / std::max(seconds, 1e-9))
              << " bytes " << bytes << "\n";
    std::sort(errors.begin(), errors.end());
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
        std::cout << "  error: " << errors[i] << "\n";
    }
    return errors.empty() ? 0 : 1;
}
