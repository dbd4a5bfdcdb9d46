#include "harness/wire/capture_hub.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "harness/core/error.hpp"
#include "harness/proc/process.hpp"
#include "harness/wire/packet.hpp"

namespace fc::wire {

namespace fs = std::filesystem;

namespace {

// The scheduling priority (nice) of tcpdump and the reader thread: -10 weighs about nine
// times a nice-0 process, so the capture drains while every core runs endpoints.
constexpr int kCapturePriority = -10;
constexpr std::string_view kStartToken = "fc-hub-start";
constexpr std::string_view kOpenToken = "fc-hub-open-";
constexpr std::string_view kCloseToken = "fc-hub-close-";

// The bytes of `path` from `offset` on ("" when it cannot be read).
std::string read_from(const fs::path& path, std::uintmax_t offset) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return "";
    }
    in.seekg(static_cast<std::streamoff>(offset));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::uintmax_t size_of(const fs::path& path) {
    std::error_code ec;
    auto n = fs::file_size(path, ec);
    return ec ? 0 : n;
}

// An address as inet_ntop writes it, so that it compares equal to decode_ends()'s text;
// "" when `text` is not a numeric address.
std::string canonical_address(const std::string& text) {
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN] = {};
    if (::inet_pton(AF_INET, text.c_str(), buf) == 1) {
        return ::inet_ntop(AF_INET, buf, out, sizeof out);
    }
    if (::inet_pton(AF_INET6, text.c_str(), buf) == 1) {
        return ::inet_ntop(AF_INET6, buf, out, sizeof out);
    }
    return "";
}

bool in_ranges(std::uint16_t port, const std::vector<PortRange>& ranges) {
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const PortRange& r) { return port >= r.first && port <= r.last; });
}

}  // namespace

struct CaptureHub::Session {
    std::FILE* file = nullptr;
    std::vector<std::string> addresses;  // canonical; empty: any
    std::vector<PortRange> ports;        // empty: any
    long long packets = 0;
    long long dropped_before = 0;
    bool active = false;       // its open marker has come through: packets are routed to it
    bool marker_seen = false;  // its close marker has come through: the file is complete
    std::string error;         // a write error

    bool wants(const PacketEnds& e) const {
        bool host = addresses.empty() ||
                    std::find(addresses.begin(), addresses.end(), e.src) != addresses.end() ||
                    std::find(addresses.begin(), addresses.end(), e.dst) != addresses.end();
        return host && (ports.empty() || in_ranges(e.sport, ports) || in_ranges(e.dport, ports));
    }
    void close_file() {
        if (file != nullptr) {
            if (std::fclose(file) != 0 && error.empty()) {
                error = std::string("cannot write the capture file: ") + std::strerror(errno);
            }
            file = nullptr;
        }
    }
};

CaptureHub::CaptureHub(HubSpec spec) : spec_(std::move(spec)) {}

CaptureHub::~CaptureHub() {
    if (process_) {
        process_->stop(Millis(2000));  // the pipe's write end closes: the reader sees EOF
    }
    if (reader_.joinable()) {
        reader_.join();
    }
    for (auto& [id, s] : sessions_) {
        s->close_file();
    }
    if (marker_fd_ >= 0) {
        ::close(marker_fd_);
    }
}

std::string CaptureHub::filter() const {
    std::string tcp = "tcp";
    if (spec_.ports.first != 0) {
        tcp += spec_.ports.first == spec_.ports.last
                   ? " port " + std::to_string(spec_.ports.first)
                   : " portrange " + std::to_string(spec_.ports.first) + "-" +
                         std::to_string(spec_.ports.last);
    }
    return "(" + tcp + ") or (udp and dst host 127.0.0.1 and dst port " +
           std::to_string(marker_port_) + ")";
}

bool CaptureHub::await_marker(const std::string& token, const bool& seen,
                              std::unique_lock<std::mutex>& lock) {
    Deadline deadline = Deadline::after(Millis(2000));
    while (!seen && !reader_done_ && !deadline.expired()) {
        lock.unlock();
        send_marker(marker_fd_, marker_port_, token);  // again now and then, if dropped
        lock.lock();
        seen_.wait_for(lock, Millis(250), [&] { return seen || reader_done_; });
    }
    return seen;
}

CaptureStart CaptureHub::start(CancelToken cancel) {
    const auto begun = Clock::now();
    auto done = [&](std::string reason) { return capture_started(begun, std::move(reason)); };
    if (process_) {
        return done("the capture was already started");
    }
    if (spec_.ports.first > spec_.ports.last) {
        return done("bad port range for the capture");
    }
    std::string marker_error;
    marker_fd_ = open_marker_socket(marker_port_, marker_error);
    if (marker_fd_ < 0) {
        return done(marker_error);
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return done(std::string("cannot make a pipe for tcpdump: ") + std::strerror(errno));
    }
    // A large pipe: a 64 KiB loopback packet would otherwise fill it at once.
    ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    std::error_code ec;
    fs::remove(spec_.log, ec);
    ProcessSpec ps;
    // The ring is allocated (and zeroed) once for the run, so it can be large: 256 MiB holds
    // a few hundred milliseconds of several 16 MiB transfers at once. 64 MiB, at nice 0, lost
    // 2011 packets in a full run on 2 cores; 64 MiB at kCapturePriority still lost 317.
    ps.argv = tcpdump_argv(spec_.tcpdump, spec_.interface, 256 * 1024);
    ps.argv.insert(ps.argv.end(), {"-w", "-", filter()});
    ps.stdout_fd = fds[1];
    ps.stderr_path = spec_.log;
    ps.pid_namespace = false;  // tcpdump starts nothing
    try {
        process_ = Process::start(ps);
    } catch (const HarnessError& e) {
        ::close(fds[0]);
        ::close(fds[1]);
        std::string why = e.what();
        if (why.find("not found") != std::string::npos) {
            why += " (apt-get install tcpdump)";
        }
        return done(why);
    }
    ::close(fds[1]);
    // tcpdump and the reader ahead of the cells: when they fall behind, tcpdump blocks on a
    // full pipe, the kernel ring fills and packets are dropped, which leaves some cell's wire
    // assertions unjudged. At nice 0 a full run on 2 cores (a dozen busy endpoints) dropped
    // 2011 packets; see kCapturePriority. Without the privilege (not root) both stay as
    // they are.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(process_->pid()), kCapturePriority);
    reader_ = std::thread([this, fd = fds[0]] {
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kCapturePriority);
        read_loop(fd);
    });

    // Traffic is routed once a marker has come through: tcpdump listens, its pcap header
    // has arrived and the reader follows.
    Deadline deadline = Deadline::after(spec_.start_timeout);
    const std::string token(kStartToken);
    while (true) {
        send_marker(marker_fd_, marker_port_, token);
        std::unique_lock lock(mutex_);
        if (seen_.wait_for(lock, Millis(100), [&] { return start_marker_seen_ || reader_done_; }) &&
            start_marker_seen_) {
            return done("");
        }
        if (reader_done_ || !process_->running()) {
            std::string why = reader_error_.empty() ? "tcpdump exited before capturing: " +
                                                          tcpdump_messages(read_from(spec_.log, 0))
                                                    : reader_error_;
            lock.unlock();
            process_->stop(Millis(200));
            return done(why);
        }
        if (deadline.expired() || cancel.cancelled()) {
            lock.unlock();
            process_->stop(Millis(200));
            return done(cancel.cancelled()
                            ? "cancelled while tcpdump was starting"
                            : "tcpdump passed on no packet within " +
                                  std::to_string(spec_.start_timeout.count()) +
                                  " ms: " + tcpdump_messages(read_from(spec_.log, 0)));
        }
    }
}

void CaptureHub::read_loop(int fd) {
    std::string buf;
    std::size_t at = 0;
    std::vector<char> chunk(1 << 20);
    std::string error;
    while (error.empty()) {
        ssize_t n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        buf.append(chunk.data(), static_cast<std::size_t>(n));
        std::lock_guard lock(mutex_);
        if (header_.empty()) {
            if (buf.size() < 24) {
                continue;
            }
            std::uint32_t magic;
            std::memcpy(&magic, buf.data(), 4);
            if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
                little_ = std::endian::native == std::endian::little;
            } else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
                little_ = std::endian::native != std::endian::little;
            } else {
                error = "tcpdump's output is not a pcap stream";
                break;
            }
            header_ = buf.substr(0, 24);
            auto byte = [&](std::size_t i) {
                return static_cast<std::uint32_t>(std::uint8_t(buf[i]));
            };
            link_ = (little_ ? byte(20) | byte(21) << 8 | byte(22) << 16 | byte(23) << 24
                             : byte(20) << 24 | byte(21) << 16 | byte(22) << 8 | byte(23)) &
                    0x0fffffff;
            at = 24;
        }
        while (buf.size() - at >= 16) {
            auto byte = [&](std::size_t i) {
                return static_cast<std::uint32_t>(std::uint8_t(buf[at + i]));
            };
            std::uint32_t caplen = little_
                                       ? byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24
                                       : byte(8) << 24 | byte(9) << 16 | byte(10) << 8 | byte(11);
            if (caplen > 0x4000000) {
                error = "tcpdump's output has a record of bad length";
                break;
            }
            if (buf.size() - at - 16 < caplen) {
                break;
            }
            std::string_view record(buf.data() + at, 16 + caplen);
            route(record, record.substr(16));
            at += 16 + caplen;
        }
        if (at > (1U << 20) || at == buf.size()) {
            buf.erase(0, at);
            at = 0;
        }
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    reader_done_ = true;
    reader_error_ = error;
    seen_.notify_all();
}

void CaptureHub::route(std::string_view record, std::string_view frame) {
    PacketEnds ends;
    if (!decode_ends(frame, link_, ends)) {
        return;
    }
    if (ends.protocol == 17) {
        if (ends.dport != marker_port_) {
            return;
        }
        if (ends.payload == kStartToken) {
            start_marker_seen_ = true;
            seen_.notify_all();
        } else {
            bool opening = ends.payload.substr(0, kOpenToken.size()) == kOpenToken;
            bool closing = ends.payload.substr(0, kCloseToken.size()) == kCloseToken;
            if (!opening && !closing) {
                return;
            }
            std::string_view rest =
                ends.payload.substr(opening ? kOpenToken.size() : kCloseToken.size());
            std::string self = std::to_string(::getpid()) + "-";
            if (rest.substr(0, self.size()) != self) {
                return;
            }
            int id = -1;
            try {
                id = std::stoi(std::string(rest.substr(self.size())));
            } catch (const std::exception&) {
                return;
            }
            auto it = sessions_.find(id);
            if (it == sessions_.end()) {
                return;
            }
            Session& session = *it->second;
            if (opening) {
                session.active = true;
            } else if (session.active && !session.marker_seen) {
                session.marker_seen = true;
                session.close_file();
            }
            seen_.notify_all();
        }
        return;
    }
    for (auto& [id, s] : sessions_) {
        if (!s->active || s->file == nullptr || !s->wants(ends)) {
            continue;
        }
        if (std::fwrite(record.data(), 1, record.size(), s->file) != record.size() &&
            s->error.empty()) {
            s->error = std::string("cannot write the capture file: ") + std::strerror(errno);
        }
        ++s->packets;
    }
}

CaptureHub::Opened CaptureHub::open(const CaptureSpec& spec) {
    Opened out;
    auto s = std::make_unique<Session>();
    for (const std::string& a : spec.addresses) {
        std::string c = canonical_address(a);
        if (c.empty()) {
            out.reason = "bad capture address '" + a + "'";
            return out;
        }
        s->addresses.push_back(c);
    }
    for (const PortRange& r : spec.ports) {
        if (r.first == 0 || r.last < r.first ||
            (spec_.ports.first != 0 &&
             (r.first < spec_.ports.first || r.last > spec_.ports.last))) {
            out.reason = "ports " + std::to_string(r.first) + "-" + std::to_string(r.last) +
                         " are outside the run's capture";
            return out;
        }
    }
    s->ports = spec.ports;
    std::unique_lock lock(mutex_);
    if (!process_ || reader_done_) {
        out.reason = process_
                         ? "the run's tcpdump has ended: " +
                               (reader_error_.empty() ? tcpdump_messages(read_from(spec_.log, 0))
                                                      : reader_error_)
                         : "the run's capture was not started";
        return out;
    }
    s->file = std::fopen(spec.file.c_str(), "wbe");
    if (s->file == nullptr) {
        out.reason = "cannot create " + spec.file.string() + ": " + std::strerror(errno);
        return out;
    }
    std::setvbuf(s->file, nullptr, _IOFBF, 1 << 16);
    std::fwrite(header_.data(), 1, header_.size(), s->file);
    s->dropped_before = last_dropped_;
    const int id = next_id_++;
    Session* session = s.get();
    sessions_.emplace(id, std::move(s));
    lock.unlock();
    // Packets still on their way through the ring and the pipe were sent before this call:
    // the session takes packets from its marker on, not from whatever the reader reads next.
    const std::string token =
        std::string(kOpenToken) + std::to_string(::getpid()) + "-" + std::to_string(id);
    std::unique_lock wait(mutex_);
    if (!await_marker(token, session->active, wait)) {
        session->close_file();
        sessions_.erase(id);
        out.reason = reader_done_ ? "the run's tcpdump has ended"
                                  : "the capture did not pass on its start marker within 2 s";
        return out;
    }
    out.id = id;
    return out;
}

CaptureStop CaptureHub::close(int id) {
    CaptureStop out;
    auto begun = Clock::now();
    Session* s = nullptr;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(id);
        if (it == sessions_.end()) {
            out.reason = "no such capture session (closed already?)";
            return out;
        }
        s = it->second.get();
    }
    const std::string token =
        std::string(kCloseToken) + std::to_string(::getpid()) + "-" + std::to_string(id);
    std::unique_lock lock(mutex_);
    bool seen = await_marker(token, s->marker_seen, lock);
    s->close_file();
    out.captured = s->packets;
    std::string write_error = s->error;
    long long before = s->dropped_before;
    bool ended = reader_done_;
    sessions_.erase(id);
    lock.unlock();

    if (!seen) {
        out.reason = ended ? "the run's tcpdump ended before all packets were written: " +
                                 tcpdump_messages(read_from(spec_.log, 0))
                           : "tcpdump had not passed on all packets within 2 s";
    } else if (!write_error.empty()) {
        out.reason = write_error;
    } else {
        long long dropped = dropped_now();
        if (dropped < 0) {
            out.reason = "tcpdump did not report its drop count";
        } else {
            out.dropped = dropped - before;
            if (out.dropped > 0) {
                out.reason = std::to_string(out.dropped) +
                             " packets dropped by the kernel while the capture was open";
            }
        }
    }
    out.took = std::chrono::duration_cast<Millis>(Clock::now() - begun);
    out.ok = out.reason.empty();
    return out;
}

long long CaptureHub::dropped_now() {
    std::lock_guard stats(stats_mutex_);
    if (!process_ || !process_->running()) {
        return -1;
    }
    // SIGUSR1: tcpdump prints its counts so far ("N packets dropped by kernel") to stderr.
    const std::uintmax_t offset = size_of(spec_.log);
    ::kill(process_->pid(), SIGUSR1);
    Deadline deadline = Deadline::after(Millis(1000));
    Millis step(1);
    while (!deadline.expired()) {
        std::string text = read_from(spec_.log, offset);
        long long dropped = tcpdump_count(text, "dropped by kernel");
        if (dropped >= 0) {
            std::lock_guard lock(mutex_);
            last_dropped_ = std::max(last_dropped_, dropped);
            return dropped;
        }
        std::this_thread::sleep_for(step);
        step = std::min(step * 2, Millis(10));
    }
    return -1;
}

}  // namespace fc::wire
