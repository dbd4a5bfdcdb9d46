#include "harness/proc/readiness.hpp"

#include <sys/socket.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "harness/core/socket.hpp"
#include "harness/proc/process.hpp"

namespace fc {

namespace {

// Probes back off from 2 ms to 40 ms: most servers listen within 10-30 ms of their start,
// and a fixed 20 ms added half that on average to every cell's setup.
constexpr Millis kPollIntervalMin(2);
constexpr Millis kPollIntervalMax(40);
// A server that accepted should greet at once; the reference server misbehaving with
// replies-slow greets after 2 s.
constexpr Millis banner_wait(4000);

std::string seconds_text(Millis d) {
    std::ostringstream s;
    s << static_cast<double>((d.count() + 5) / 10) / 100.0 << " s";  // 0.299 -> "0.3 s"
    return s.str();
}

// Printable form of a line for error messages.
std::string shown(const std::string& line) {
    std::string out;
    for (char c : line.substr(0, 200)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
}

enum class Probe { ready, refused, wrong_banner, no_banner, cancelled };

// One probe connection: reads the first line, then says QUIT and closes politely.
Probe probe(const std::string& host, std::uint16_t port, const std::string& banner,
            Deadline deadline, CancelToken cancel, std::string* detail) {
    std::string error;
    UniqueFd fd = tcp_connect(
        host, port, Deadline::earliest(deadline, Deadline::after(Millis(500))), cancel, &error);
    if (!fd) {
        *detail = error;
        return cancel.cancelled() ? Probe::cancelled : Probe::refused;
    }
    if (banner.empty()) {
        return Probe::ready;  // implicit TLS: the greeting comes only after a handshake
    }
    Deadline line_deadline = Deadline::earliest(deadline, Deadline::after(banner_wait));
    std::string line;
    char buf[512];
    while (line.find('\n') == std::string::npos && line.size() < 4096) {
        IoResult r = recv_some(fd.get(), buf, sizeof buf, line_deadline, cancel);
        if (!r.ok()) {
            if (r.status == IoStatus::cancelled) {
                return Probe::cancelled;
            }
            *detail =
                r.status == IoStatus::timeout
                    ? "connection accepted but no greeting within " + seconds_text(banner_wait)
                    : "connection accepted, then closed without a greeting (" +
                          std::string(to_string(r.status)) + ")";
            if (!line.empty()) {
                *detail += " after '" + shown(line) + "'";
            }
            return Probe::no_banner;
        }
        line.append(buf, r.bytes);
    }
    line = line.substr(0, line.find('\n'));
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    // Polite close: QUIT, a short wait for the reply or EOF, then close (no RST in logs).
    Deadline bye = Deadline::after(Millis(100));
    send_all(fd.get(), "QUIT\r\n", bye, cancel);
    ::shutdown(fd.get(), SHUT_WR);
    while (recv_some(fd.get(), buf, sizeof buf, bye, cancel).ok()) {
    }
    if (line.compare(0, banner.size(), banner) == 0) {
        return Probe::ready;
    }
    *detail = "banner was '" + shown(line) + "', expected '" + banner + "'";
    return Probe::wrong_banner;
}

}  // namespace

Readiness wait_ready(const std::string& host, std::uint16_t port, const std::string& banner,
                     Deadline deadline, CancelToken cancel, Process* process) {
    auto start = Clock::now();
    Millis budget = deadline.remaining();
    Readiness result;
    auto finish = [&](std::string error) {
        result.error = std::move(error);
        result.ready = result.error.empty();
        result.took = std::chrono::duration_cast<Millis>(Clock::now() - start);
        return result;
    };
    const std::string where = host + ":" + std::to_string(port);
    std::string last;  // the last probe's failure, for the final message
    Millis interval = kPollIntervalMin;
    while (true) {
        if (process != nullptr && !process->running()) {
            std::string how = process->exit_description().value_or("exited");
            std::string tail = process->stderr_tail(1000);
            return finish(how + " before it was ready" + (tail.empty() ? "" : ": " + tail));
        }
        if (cancel.cancelled()) {
            return finish("cancelled while waiting for " + where);
        }
        if (deadline.expired()) {
            if (last.rfind("connection accepted", 0) == 0) {
                return finish(last + " on " + where + " (gave up after " + seconds_text(budget) +
                              ")");
            }
            return finish("no connection accepted on " + where + " within " + seconds_text(budget) +
                          (last.empty() ? "" : " (" + last + ")"));
        }
        auto probe_start = Clock::now();
        std::string detail;
        switch (probe(host, port, banner, deadline, cancel, &detail)) {
            case Probe::ready: return finish("");
            case Probe::wrong_banner: return finish(detail + " on " + where);
            case Probe::cancelled: return finish("cancelled while waiting for " + where);
            case Probe::refused:
            case Probe::no_banner: last = detail; break;
        }
        auto spent = std::chrono::duration_cast<Millis>(Clock::now() - probe_start);
        Millis pause = std::min(interval - std::min(spent, interval), deadline.remaining());
        interval = std::min(interval * 2, kPollIntervalMax);
        // Sleep in small slices so cancellation is noticed quickly.
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace fc
