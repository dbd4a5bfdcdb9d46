#include "harness/wire/capture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
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

// The last `n` bytes of a file ("" if it cannot be read).
std::string tail_of(const fs::path& p, std::size_t n) {
    std::ifstream in(p, std::ios::binary | std::ios::ate);
    if (!in) {
        return "";
    }
    auto size = static_cast<std::size_t>(in.tellg());
    std::size_t from = size > n ? size - n : 0;
    in.seekg(static_cast<std::streamoff>(from));
    std::string text(size - from, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    return text;
}

}  // namespace

// The number before `label` in tcpdump's closing statistics ("12 packets captured").
long long tcpdump_count(const std::string& text, const std::string& label) {
    std::size_t at = text.find(label);
    if (at == std::string::npos) {
        return -1;
    }
    // back over " packets " or " packet " (tcpdump writes "1 packet dropped by kernel")
    std::size_t end = at;
    while (end > 0 && text[end - 1] == ' ') {
        --end;
    }
    for (std::string_view word : {"packets", "packet"}) {
        if (end >= word.size() && text.compare(end - word.size(), word.size(), word) == 0) {
            end -= word.size();
            break;
        }
    }
    while (end > 0 && text[end - 1] == ' ') {
        --end;
    }
    std::size_t begin = end;
    while (begin > 0 && std::isdigit(static_cast<unsigned char>(text[begin - 1]))) {
        --begin;
    }
    return begin == end ? -1 : std::stoll(text.substr(begin, end - begin));
}

// tcpdump's messages on one line, without the "listening on" notice, for a reason.
std::string tcpdump_messages(const std::string& text) {
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

CaptureStart capture_started(Clock::time_point begun, std::string reason) {
    CaptureStart out;
    out.ok = reason.empty();
    out.reason = std::move(reason);
    out.took = std::chrono::duration_cast<Millis>(Clock::now() - begun);
    return out;
}

std::vector<std::string> tcpdump_argv(const std::string& tcpdump, const std::string& interface,
                                      int ring_kib) {
    // -B: the kernel buffer (ring) in KiB; the default 2 MiB holds only a few 64 KiB loopback
    // packets and the kernel drops packets when tcpdump falls behind on a busy machine.
    // -U with --immediate-mode: every packet is written as it arrives. As root, -Z root
    // keeps tcpdump from switching to its own user, who may not write the cell's folder.
    std::vector<std::string> argv = {
        tcpdump,           "-i", interface, "-n", "-s", "0", "-B", std::to_string(ring_kib), "-U",
        "--immediate-mode"};
    if (::geteuid() == 0) {
        argv.insert(argv.end(), {"-Z", "root"});
    }
    return argv;
}

int open_marker_socket(std::uint16_t& port, std::string& error) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t self_len = sizeof self;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof self) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &self_len) != 0) {
        error = std::string("cannot open the capture's marker socket: ") + std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        return -1;
    }
    port = ntohs(self.sin_port);
    return fd;
}

bool send_marker(int fd, std::uint16_t port, const std::string& token) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::sendto(fd, token.data(), token.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                    sizeof to) >= 0;
}

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
    const auto begun = Clock::now();
    auto done = [&](std::string reason) { return capture_started(begun, std::move(reason)); };
    if (process_) {
        return done("the capture was already started");
    }
    std::string filter;
    try {
        filter = bpf_filter(spec_);
    } catch (const std::invalid_argument& e) {
        return done(std::string("bad capture filter: ") + e.what());
    }
    std::string marker_error;
    marker_fd_ = open_marker_socket(marker_port_, marker_error);
    if (marker_fd_ < 0) {
        return done(marker_error);
    }
    filter = "(" + filter + ") or (udp and dst host 127.0.0.1 and dst port " +
             std::to_string(marker_port_) + ")";
    std::error_code ec;
    fs::remove(spec_.log, ec);
    ProcessSpec ps;
    // 64 MiB for one cell: 16 MiB was not enough when each cell had its own tcpdump (a full
    // run at 8 cells at once on 2 cores once lost 45 of the 840 packets of a 16 MiB upload).
    ps.argv = tcpdump_argv(spec_.tcpdump, spec_.interface, 64 * 1024);
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
            std::string why = "tcpdump exited before capturing: " + tcpdump_messages(log);
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
    // tcpdump reads packets in order: once the marker is in the file, so is everything sent
    // before it. SIGTERM alone would drop what tcpdump had not read yet.
    std::string token =
        "fc-wire-marker-" + std::to_string(::getpid()) + "-" + std::to_string(marker_port_);
    bool seen = false;
    Deadline deadline = Deadline::after(Millis(2000));
    Deadline resend = Deadline::after(Millis(0));
    while (!seen && !deadline.expired() && process_->running()) {
        if (resend.expired()) {  // again now and then, in case the kernel dropped it
            send_marker(marker_fd_, marker_port_, token);
            resend = Deadline::after(Millis(250));
        }
        std::this_thread::sleep_for(Millis(2));
        seen = tail_of(spec_.file, 65536 + 4096).find(token) != std::string::npos;
    }
    process_->stop(Millis(2000));  // SIGTERM: tcpdump flushes its file and prints counts
    std::optional<int> status = process_->exit_status();
    std::string log = read_text(spec_.log);
    out.captured = tcpdump_count(log, "captured");
    out.dropped = tcpdump_count(log, "dropped by kernel");
    out.took = std::chrono::duration_cast<Millis>(Clock::now() - begun);
    if (!seen) {
        out.reason = "tcpdump had not written all packets within 2 s; ";
    }
    if (out.captured < 0) {
        out.reason += "tcpdump did not finish cleanly (status " +
                      (status ? std::to_string(*status) : std::string("unknown")) +
                      "): " + tcpdump_messages(log);
    } else if (out.dropped > 0) {
        out.reason += std::to_string(out.dropped) + " packets dropped by the kernel";
    }
    out.ok = out.reason.empty();
    return out;
}

}  // namespace fc::wire
