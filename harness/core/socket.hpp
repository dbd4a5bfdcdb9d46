#pragma once
// Non-blocking TCP sockets where every wait has a deadline and honours cancellation.
// Numeric addresses only (IPv4 or IPv6 literals): the harness never resolves names.
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/core/deadline.hpp"

namespace fc {

/// Owns a file descriptor; closes it on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    int release();
    void reset(int fd = -1);
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

enum class IoStatus {
    ok,
    timeout,    ///< the deadline passed
    closed,     ///< orderly EOF from the peer (for reads), or connection reset
    cancelled,  ///< the cancel token was set
    failed,     ///< any other error; see IoResult::error
};
std::string_view to_string(IoStatus status);

struct IoResult {
    IoStatus status = IoStatus::ok;
    std::size_t bytes = 0;  ///< bytes moved (reads: this call; writes: all written)
    std::string error;      ///< strerror text or similar for failed/closed
    bool ok() const { return status == IoStatus::ok; }
};

/// Waits until `fd` is readable (or writable). ok, timeout, cancelled, failed.
IoResult wait_readable(int fd, Deadline deadline, CancelToken cancel);
IoResult wait_writable(int fd, Deadline deadline, CancelToken cancel);

/// Connects a non-blocking TCP socket to host:port; binds the source address first
/// when `source` is not empty. On failure returns an empty fd and sets `*error`.
UniqueFd tcp_connect(const std::string& host, std::uint16_t port, Deadline deadline,
                     CancelToken cancel, std::string* error, const std::string& source = "");

/// A listening non-blocking socket on host:port (port 0 = any free port).
UniqueFd tcp_listen(const std::string& host, std::uint16_t port, std::string* error,
                    int backlog = 64);
/// Accepts one connection; sets `*peer_address` (numeric) when given.
UniqueFd tcp_accept(int listen_fd, Deadline deadline, CancelToken cancel, std::string* error,
                    std::string* peer_address = nullptr);
/// The local port of a bound socket (0 on error).
std::uint16_t local_port(int fd);

/// Writes all of `data` before the deadline.
IoResult send_all(int fd, std::string_view data, Deadline deadline, CancelToken cancel);
/// Reads at most `cap` bytes once some are available. EOF is `closed` with 0 bytes.
IoResult recv_some(int fd, char* buf, std::size_t cap, Deadline deadline, CancelToken cancel);

/// True if `host:port` can be bound right now (used to pick free ports).
bool port_is_free(const std::string& host, std::uint16_t port);
/// Whether this machine can listen on ::1 (checked once; false where IPv6 is off).
bool ipv6_loopback_available();

}  // namespace fc
