#pragma once
// Packet captures of loopback traffic by tcpdump, run as a child process: one capture per
// cell, each with its own filter (its ports and addresses) and file, several at once.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"

namespace fc {
class Process;
}

namespace fc::wire {

/// TCP ports first..last (first == last for one port).
struct PortRange {
    std::uint16_t first = 0, last = 0;
};

/// What to capture and where.
struct CaptureSpec {
    std::filesystem::path file;  ///< the capture (pcap format, as tcpdump writes it)
    /// Numeric addresses whose traffic is kept (either end); empty: any address.
    std::vector<std::string> addresses;
    /// Ports whose traffic is kept (either end): control ports and passive ranges; empty:
    /// every TCP port (needed for active mode, whose data ports the client picks).
    std::vector<PortRange> ports;
    std::string interface = "lo";
    std::string tcpdump = "tcpdump";  ///< a path, or a name looked up in PATH
    std::filesystem::path log;        ///< tcpdump's stderr; empty: `file` + ".log"
    Millis start_timeout{5000};       ///< until tcpdump says it is listening
};

/// The BPF filter for a spec (TCP traffic only; WireCapture adds its marker), e.g.
/// "tcp and (host 127.0.0.1) and (port 2121 or portrange 30000-30009)". Throws
/// std::invalid_argument for an address that is not numeric IPv4/IPv6 or an empty range.
std::string bpf_filter(const CaptureSpec& spec);

/// The count tcpdump gives before `label` in its statistics ("12 packets captured", "1 packet
/// dropped by kernel": label "captured", "dropped by kernel"), at the first occurrence in
/// `text`; -1 when absent.
long long tcpdump_count(const std::string& text, const std::string& label);

/// tcpdump's messages on one line (at most ~400 characters), without its "listening on"
/// notice: for a reason.
std::string tcpdump_messages(const std::string& text);

/// tcpdump's options for a capture on `interface` as WireCapture and CaptureHub run it (the
/// binary first; the caller appends "-w FILE" and the filter).
std::vector<std::string> tcpdump_argv(const std::string& tcpdump, const std::string& interface,
                                      int ring_kib);

/// A UDP socket bound to 127.0.0.1 on a free port, whose datagrams to itself mark a point
/// in a capture; -1 with `error` set when it cannot be made.
int open_marker_socket(std::uint16_t& port, std::string& error);

/// Sends `token` as one datagram to the marker socket's own port; false if it failed.
bool send_marker(int fd, std::uint16_t port, const std::string& token);

/// The outcome of WireCapture::start().
struct CaptureStart {
    bool ok = false;
    /// Why capturing is impossible ("tcpdump: not found in PATH (apt-get install tcpdump)",
    /// "tcpdump: lo: You don't have permission ..."); "" when ok. Wire assertions of the
    /// cell become unsupported with this reason.
    std::string reason;
    Millis took{0};
};

/// A start() outcome: ok when `reason` is empty, timed from `begun`.
CaptureStart capture_started(Clock::time_point begun, std::string reason);

/// The outcome of WireCapture::stop().
struct CaptureStop {
    bool ok = false;                        ///< tcpdump ended cleanly and the file is complete
    std::string reason;                     ///< why not; "" when ok
    long long captured = -1, dropped = -1;  ///< tcpdump's own counts; -1 when not reported
    Millis took{0};
};

/// One running capture. Not copyable; stopping is idempotent and the destructor stops.
class WireCapture {
public:
    explicit WireCapture(CaptureSpec spec);
    ~WireCapture();
    WireCapture(const WireCapture&) = delete;
    WireCapture& operator=(const WireCapture&) = delete;

    /// Starts tcpdump (its own process group) and returns once it is listening, so traffic
    /// sent afterwards is captured. Never throws for an environment problem: the result says.
    CaptureStart start(CancelToken cancel = {});
    /// Makes sure every packet sent before the call is in the file (a marker datagram to
    /// the capture's own UDP port must reach the file first), then SIGTERM (tcpdump flushes
    /// and exits); bounded in time (~4.5 s at worst). Not ok when the marker never arrived
    /// or the kernel dropped packets: the facts of such a capture may miss packets.
    CaptureStop stop();
    bool running() const;
    const CaptureSpec& spec() const { return spec_; }

private:
    CaptureSpec spec_;
    std::unique_ptr<Process> process_;
    bool stopped_ = false;
    int marker_fd_ = -1;  // a UDP socket on 127.0.0.1 that the filter also captures
    std::uint16_t marker_port_ = 0;
};

}  // namespace fc::wire
