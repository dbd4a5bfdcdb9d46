#include "harness/wire/capture.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <optional>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/proc/process.hpp"

namespace fc::wire {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The number before `label` in tcpdump's closing statistics ("12 packets captured").
long long stat_before(const std::string& text, const std::string& label) {
    std::size_t at = text.find(label);
    if (at == std::string::npos || at < 2) {
        return -1;
    }
    std::size_t end = at - 1, begin = end;
    while (begin > 0 && std::isdigit(static_cast<unsigned char>(text[begin - 1]))) {
        --begin;
    }
    return begin == end ? -1 : std::stoll(text.substr(begin, end - begin));
}

std::uintmax_t size_of(const fs::path& p) {
    std::error_code ec;
    auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

// tcpdump's messages on one line, without the "listening on" notice, for a reason.
std::string messages(const std::string& text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t nl = text.find('\n', at);
        std::string line = text.substr(at, nl == std::string::npos ? nl : nl - at);
        at = nl == std::string::npos ? text.size() : nl + 1;
        if (!line.empty() && line.find("listening on") == std::string::npos) {
            out += (out.empty() ? "" : " ") + line;
        }
    }
    return out.size() > 400 ? out.substr(0, 400) + "..." : out;
}

}  // namespace

std::string bpf_filter(const CaptureSpec& spec) {
    std::string filter = "tcp";
    std::string hosts;
    for (const std::string& a : spec.addresses) {
        unsigned char buf[16];
        if (::inet_pton(AF_INET, a.c_str(), buf) != 1 &&
            ::inet_pton(AF_INET6, a.c_str(), buf) != 1) {
            throw std::invalid_argument("not a numeric address: '" + a + "'");
        }
        hosts += (hosts.empty() ? "" : " or ") + std::string("host ") + a;
    }
    if (!hosts.empty()) {
        filter += " and (" + hosts + ")";
    }
    std::string ports;
    for (const PortRange& r : spec.ports) {
        if (r.first == 0 || r.last < r.first) {
            throw std::invalid_argument("bad port range " + std::to_string(r.first) + "-" +
                                        std::to_string(r.last));
        }
        ports += ports.empty() ? "" : " or ";
        ports += r.first == r.last
                     ? "port " + std::to_string(r.first)
                     : "portrange " + std::to_string(r.first) + "-" + std::to_string(r.last);
    }
    if (!ports.empty()) {
        filter += " and (" + ports + ")";
    }
    return filter;
}

WireCapture::WireCapture(CaptureSpec spec) : spec_(std::move(spec)) {
    if (spec_.log.empty()) {
        spec_.log = spec_.file.string() + ".log";
    }
}

WireCapture::~WireCapture() {
    stop();
}

bool WireCapture::running() const {
    return process_ != nullptr && process_->running();
}

CaptureStart WireCapture::start(CancelToken cancel) {
    CaptureStart out;
    auto begun = Clock::now();
    auto done = [&](std::string reason) {
        out.ok = reason.empty();
        out.reason = std::move(reason);
        out.took = std::chrono::duration_cast<Millis>(Clock::now() - begun);
        return out;
    };
    if (process_) {
        return done("the capture was already started");
    }
    std::string filter;
    try {
        filter = bpf_filter(spec_);
    } catch (const std::invalid_argument& e) {
        return done(std::string("bad capture filter: ") + e.what());
    }
    std::error_code ec;
    fs::remove(spec_.log, ec);
    // -U with --immediate-mode: every packet reaches the file as it arrives. As root, -Z root
    // keeps tcpdump from switching to its own user, who may not write the cell's folder.
    ProcessSpec ps;
    ps.argv = {spec_.tcpdump, "-i", spec_.interface, "-n", "-s", "0", "-U", "--immediate-mode"};
    if (::geteuid() == 0) {
        ps.argv.insert(ps.argv.end(), {"-Z", "root"});
    }
    ps.argv.insert(ps.argv.end(), {"-w", spec_.file.string(), filter});
    ps.stderr_path = spec_.log;
    try {
        process_ = Process::start(ps);
    } catch (const HarnessError& e) {
        std::string why = e.what();
        if (why.find("not found") != std::string::npos) {
            why += " (apt-get install tcpdump)";
        }
        return done(why);
    }
    Deadline deadline = Deadline::after(spec_.start_timeout);
    Millis step(1);
    while (true) {
        std::string log = read_text(spec_.log);
        if (log.find("listening on") != std::string::npos) {
            return done("");
        }
        if (!process_->running()) {
            std::string why = "tcpdump exited before capturing: " + messages(log);
            process_.reset();
            return done(why);
        }
        if (deadline.expired() || cancel.cancelled()) {
            process_->stop(Millis(200));
            process_.reset();
            return done(cancel.cancelled()
                            ? "cancelled while tcpdump was starting"
                            : "tcpdump was not listening within " +
                                  std::to_string(spec_.start_timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(step);
        step = std::min(step * 2, Millis(10));
    }
}

CaptureStop WireCapture::stop() {
    CaptureStop out;
    if (!process_ || stopped_) {
        out.reason = process_ ? "already stopped" : "the capture was not running";
        return out;
    }
    stopped_ = true;
    auto begun = Clock::now();
    // Packets sent just before stop() may still be on their way into the file: wait until
    // it has not grown for a short while (bounded).
    Deadline settle = Deadline::after(Millis(300));
    auto size = size_of(spec_.file);
    auto stable_since = Clock::now();
    while (!settle.expired() && Clock::now() - stable_since < Millis(15)) {
        std::this_thread::sleep_for(Millis(3));
        auto now = size_of(spec_.file);
        if (now != size) {
            size = now;
            stable_since = Clock::now();
        }
    }
    process_->stop(Millis(2000));  // SIGTERM: tcpdump flushes its file and prints counts
    std::optional<int> status = process_->exit_status();
    std::string log = read_text(spec_.log);
    out.captured = stat_before(log, "packets captured");
    out.dropped = stat_before(log, "packets dropped by kernel");
    out.took = std::chrono::duration_cast<Millis>(Clock::now() - begun);
    if (out.captured < 0) {
        out.reason = "tcpdump did not finish cleanly (status " +
                     (status ? std::to_string(*status) : std::string("unknown")) +
                     "): " + messages(log);
    } else if (out.dropped > 0) {
        out.reason = std::to_string(out.dropped) + " packets dropped by the kernel";
    }
    out.ok = out.reason.empty();
    return out;
}

}  // namespace fc::wire
