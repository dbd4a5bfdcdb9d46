// ftps-conform-load: a bounded load generator for benchmarks (ci/bench-reference). N sessions
// released at once (a burst of simultaneous connects), each: connect, AUTH TLS, log in,
// PBSZ 0, PROT P, EPSV, RETR one small file over a data connection that resumes the control
// session, QUIT. Every session ends in one class: served (the whole session worked),
// refused (421 instead of a banner), failed (answered, then something went wrong) or silent
// (neither a banner nor a 421: the server left the connection unanswered). Prints one line
// of figures and the first errors. Only loopback targets; every session has a deadline, so
// the run always ends.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <latch>
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
    int sessions = 1000;
    int deadline_s = 60;
};

void usage(std::ostream& out) {
    out << "usage: ftps-conform-load --port N --password P --ca FILE [--host 127.0.0.1]\n"
           "                         [--user alice] [--file small.bin] [--sessions 1000]\n"
           "                         [--deadline SECONDS]\n"
           "Starts SESSIONS FTPS sessions at once against a loopback server (each downloads\n"
           "FILE with PROT P) and prints one line:\n"
           "  sessions N served N refused N failed N silent N seconds S p50 S p99 S\n"
           "  answer_p99 S sessions/s R bytes B\n"
           "served: the whole session worked; refused: 421 instead of the banner; failed:\n"
           "answered, then an error; silent: neither a banner nor a 421 before the deadline.\n"
           "p50/p99: session times of served sessions; answer_p99: connect to first reply.\n"
           "Exit 0 when every session was served or refused, 1 otherwise, 2 on bad usage.\n";
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
            o.sessions = std::clamp(std::stoi(value()), 1, 5000);
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

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

enum class Kind { served, refused, failed, silent };

struct Outcome {
    Kind kind = Kind::silent;
    std::string error;        ///< what went wrong (failed, silent)
    double answer_s = -1;     ///< connect started to first reply (220 or 421)
    double session_s = 0;     ///< the whole session (served)
    std::uint64_t bytes = 0;  ///< downloaded (served)
};

// The session after a 220 banner; returns "" on success, else what went wrong, and adds
// the bytes received.
std::string after_banner(fc::ControlChannel& ctrl, const Options& o, fc::Deadline deadline,
                         std::uint64_t* bytes) {
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
    std::string e = command("AUTH TLS", 234);
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

// One session, classified. Silent: no connection, or no first reply before the deadline.
Outcome one_session(const Options& o, fc::Deadline deadline) {
    Clock::time_point t0 = Clock::now();
    Outcome out;
    fc::Transcript transcript;
    fc::ControlChannel ctrl(transcript, fc::CancelToken{});
    if (std::string e = ctrl.connect(o.host, o.port, deadline); !e.empty()) {
        out.error = "connect: " + e;
        return out;
    }
    fc::ReplyResult first = ctrl.read_reply(deadline);
    if (!first.reply) {
        out.error = "banner: " + first.error;
        return out;
    }
    out.answer_s = seconds_since(t0);
    if (first.reply->code == 421) {
        out.kind = Kind::refused;
        return out;
    }
    if (first.reply->code != 220) {
        out.kind = Kind::failed;
        out.error = "banner: " + first.reply->text();
        return out;
    }
    try {
        out.error = after_banner(ctrl, o, deadline, &out.bytes);
    } catch (const std::exception& ex) {
        out.error = ex.what();
    }
    out.kind = out.error.empty() ? Kind::served : Kind::failed;
    out.session_s = seconds_since(t0);
    return out;
}

// The q-quantile (0..1) of `values` (sorted here); 0 when there are none.
double quantile(std::vector<double> values, double q) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    auto i = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(i, values.size() - 1)];
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
    auto n = static_cast<std::size_t>(o.sessions);
    std::vector<Outcome> outcomes(n);
    // Every thread is created first and waits here, so the connects come as one burst.
    std::latch go(o.sessions + 1);
    std::vector<std::thread> threads;
    threads.reserve(n);
    fc::Deadline deadline = fc::Deadline::after(std::chrono::seconds(o.deadline_s));
    for (std::size_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            go.arrive_and_wait();
            try {
                outcomes[i] = one_session(o, deadline);
            } catch (const std::exception& ex) {
                outcomes[i].error = ex.what();
            }
        });
    }
    Clock::time_point start = Clock::now();
    go.arrive_and_wait();
    for (auto& t : threads) {
        t.join();
    }
    double seconds = seconds_since(start);

    int count[4] = {};
    std::uint64_t bytes = 0;
    std::vector<double> session_times, answer_times;
    std::vector<std::string> errors;
    for (const Outcome& out : outcomes) {
        ++count[static_cast<int>(out.kind)];
        bytes += out.bytes;
        if (out.kind == Kind::served) {
            session_times.push_back(out.session_s);
        }
        if (out.answer_s >= 0) {
            answer_times.push_back(out.answer_s);
        }
        if (!out.error.empty()) {
            errors.push_back((out.kind == Kind::silent ? "silent: " : "failed: ") + out.error);
        }
    }
    int served = count[static_cast<int>(Kind::served)];
    std::cout << std::fixed << std::setprecision(3) << "sessions " << o.sessions << " served "
              << served << " refused " << count[static_cast<int>(Kind::refused)] << " failed "
              << count[static_cast<int>(Kind::failed)] << " silent "
              << count[static_cast<int>(Kind::silent)] << " seconds " << seconds << " p50 "
              << quantile(session_times, 0.5) << " p99 " << quantile(session_times, 0.99)
              << " answer_p99 " << quantile(answer_times, 0.99) << " sessions/s "
              << std::setprecision(1) << (served / std::max(seconds, 1e-9)) << " bytes " << bytes
              << "\n";
    std::sort(errors.begin(), errors.end());
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
        std::cout << "  error: " << errors[i] << "\n";
    }
    return errors.empty() ? 0 : 1;
}
