#pragma once
// One tcpdump for a whole run, its packets split into one capture file per cell.
//
// A tcpdump per cell costs about 100 ms of CPU before it sees a packet (its 64 MiB kernel
// ring is allocated and zeroed for every process): a third of a full run's CPU on 2 cores.
// The hub starts tcpdump once, writing pcap to a pipe; a reader thread routes each TCP
// packet to the open sessions whose addresses and ports it matches (the same rule as
// bpf_filter(): either end), appending it to that session's file, a pcap file of its own.
//
// Completeness: opening and closing a session each send a marker datagram through the
// capture; the session takes the packets the reader sees between its two markers, which
// are exactly those sent between the two calls. Then tcpdump is
// asked for its counts (SIGUSR1): if the kernel dropped packets while the session was
// open, the close says so (the file may miss packets; its facts must not pass a claim).
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "harness/core/deadline.hpp"
#include "harness/wire/capture.hpp"

namespace fc {
class Process;
}

namespace fc::wire {

/// How the run's capture is taken.
struct HubSpec {
    std::string interface = "lo";
    std::string tcpdump = "tcpdump";  ///< a path, or a name looked up in PATH
    std::filesystem::path log;        ///< tcpdump's stderr (its notices and counts)
    /// The TCP ports the run uses (its port allocator's slice): tcpdump keeps only these,
    /// so the pipe carries no other loopback traffic. {0, 0}: every TCP port.
    PortRange ports{};
    Millis start_timeout{5000};
};

/// The run's capture. Thread-safe: cells open and close sessions concurrently.
class CaptureHub {
public:
    explicit CaptureHub(HubSpec spec);
    /// Stops tcpdump and the reader; open sessions' files are closed as they are.
    ~CaptureHub();
    CaptureHub(const CaptureHub&) = delete;
    CaptureHub& operator=(const CaptureHub&) = delete;

    /// Starts tcpdump and returns once a marker sent through it has reached the reader, so
    /// that traffic sent afterwards is routed. Never throws for an environment problem.
    CaptureStart start(CancelToken cancel = {});

    /// What opening a session gave: its id (>= 0), or why there is none.
    struct Opened {
        int id = -1;
        std::string reason;
    };
    /// Creates spec.file with a pcap header, sends a marker through the capture and returns
    /// once it has come through (at most ~2 s): from then on, packets matching
    /// spec.addresses and spec.ports (bpf_filter(spec)'s rule) are appended to the file,
    /// and none sent before the call (still in the ring or the pipe) are. spec.ports must
    /// lie in the hub's port range.
    Opened open(const CaptureSpec& spec);
    /// Makes sure every packet sent before the call is in the session's file (the marker),
    /// closes it and checks tcpdump's drop count; bounded in time (~3 s at worst). `captured`
    /// is the number of packets routed to this session. Closing an id again is not ok
    /// ("no such capture session").
    CaptureStop close(int id);

    /// tcpdump's filter for the run, e.g. "(tcp portrange 20000-20999) or (udp and dst host
    /// 127.0.0.1 and dst port 41234)" (the second part lets the markers through).
    std::string filter() const;

private:
    struct Session;
    void read_loop(int fd);
    void route(std::string_view record, std::string_view frame);  // holds mutex_
    /// tcpdump's cumulative count of packets the kernel dropped (SIGUSR1), -1 if unknown.
    long long dropped_now();
    /// Sends `token` through the capture (again every 250 ms) until the reader sets `seen`,
    /// the reader ends, or 2 s pass; returns `seen`. `lock` holds mutex_.
    bool await_marker(const std::string& token, const bool& seen,
                      std::unique_lock<std::mutex>& lock);

    HubSpec spec_;
    std::unique_ptr<Process> process_;
    std::thread reader_;
    int marker_fd_ = -1;
    std::uint16_t marker_port_ = 0;

    mutable std::mutex mutex_;  // everything below
    std::condition_variable seen_;
    std::map<int, std::unique_ptr<Session>> sessions_;
    int next_id_ = 0;
    std::string header_;  // the stream's pcap header, written at the top of each file
    std::uint32_t link_ = 0;
    bool little_ = true;
    bool reader_done_ = false;
    std::string reader_error_;
    bool start_marker_seen_ = false;
    long long last_dropped_ = 0;

    std::mutex stats_mutex_;  // one SIGUSR1 question at a time
};

}  // namespace fc::wire
