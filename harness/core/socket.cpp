#include "harness/core/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fc {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset(other.release());
    }
    return *this;
}

int UniqueFd::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

std::string_view to_string(IoStatus status) {
    switch (status) {
        case IoStatus::ok: return "ok";
        case IoStatus::timeout: return "timeout";
        case IoStatus::closed: return "closed";
        case IoStatus::cancelled: return "cancelled";
        case IoStatus::failed: return "failed";
    }
    return "failed";
}

namespace {

// A socket address built from a numeric host, IPv4 or IPv6.
struct SockAddr {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;
};

bool make_addr(const std::string& host, std::uint16_t port, SockAddr& out) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        out.length = sizeof(sockaddr_in);
        out.family = AF_INET;
        return true;
    }
    std::string bare = host;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
        bare = bare.substr(1, bare.size() - 2);
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (::inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        out.length = sizeof(sockaddr_in6);
        out.family = AF_INET6;
        return true;
    }
    return false;
}

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

IoResult wait_events(int fd, short events, Deadline deadline, CancelToken cancel) {
    for (;;) {
        if (cancel.cancelled()) {
            return {IoStatus::cancelled, 0, "interrupted"};
        }
        pollfd p{fd, events, 0};
        int rc = ::poll(&p, 1, deadline.poll_ms());
        if (rc > 0) {
            if ((p.revents & POLLNVAL) != 0) {
                return {IoStatus::failed, 0, "poll: invalid descriptor"};
            }
            return {};  // readable/writable, or error/hangup that the next call reports
        }
        if (rc < 0 && errno != EINTR) {
            return {IoStatus::failed, 0, errno_text("poll")};
        }
        if (deadline.expired()) {
            return {IoStatus::timeout, 0, "deadline passed"};
        }
    }
}

}  // namespace

IoResult wait_readable(int fd, Deadline deadline, CancelToken cancel) {
    return wait_events(fd, POLLIN, deadline, cancel);
}

IoResult wait_writable(int fd, Deadline deadline, CancelToken cancel) {
    return wait_events(fd, POLLOUT, deadline, cancel);
}

UniqueFd tcp_connect(const std::string& host, std::uint16_t port, Deadline deadline,
                     CancelToken cancel, std::string* error, const std::string& source) {
    SockAddr addr;
    if (!make_addr(host, port, addr)) {
        *error = "not a numeric address: " + host;
        return {};
    }
    UniqueFd fd(::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        *error = errno_text("socket");
        return {};
    }
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!source.empty()) {
        SockAddr src;
        if (!make_addr(source, 0, src) || src.family != addr.family) {
            *error = "bad source address: " + source;
            return {};
        }
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&src.storage), src.length) != 0) {
            *error = errno_text(("bind " + source).c_str());
            return {};
        }
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr.storage), addr.length) != 0 &&
        errno != EINPROGRESS) {
        *error = errno_text(("connect " + host + ":" + std::to_string(port)).c_str());
        return {};
    }
    IoResult w = wait_writable(fd.get(), deadline, cancel);
    if (!w.ok()) {
        *error = "connect " + host + ":" + std::to_string(port) + ": " +
                 std::string(to_string(w.status));
        return {};
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
        *error = "connect " + host + ":" + std::to_string(port) + ": " + std::strerror(so_error);
        return {};
    }
    return fd;
}

UniqueFd tcp_listen(const std::string& host, std::uint16_t port, std::string* error, int backlog) {
    SockAddr addr;
    if (!make_addr(host, port, addr)) {
        *error = "not a numeric address: " + host;
        return {};
    }
    UniqueFd fd(::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        *error = errno_text("socket");
        return {};
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Accepted connections inherit it: a reply written after a small segment still
    // unacknowledged (a TLS 1.3 session ticket) must not wait for the peer's delayed ACK,
    // 40 ms on Linux, once per session.
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr.storage), addr.length) != 0) {
        *error = errno_text(("bind " + host + ":" + std::to_string(port)).c_str());
        return {};
    }
    if (::listen(fd.get(), backlog) != 0) {
        *error = errno_text("listen");
        return {};
    }
    return fd;
}

UniqueFd tcp_accept(int listen_fd, Deadline deadline, CancelToken cancel, std::string* error,
                    std::string* peer_address) {
    for (;;) {
        IoResult w = wait_readable(listen_fd, deadline, cancel);
        if (!w.ok()) {
            *error = "accept: " + std::string(to_string(w.status));
            return {};
        }
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED) {
                continue;
            }
            *error = errno_text("accept");
            return {};
        }
        if (peer_address != nullptr) {
            char text[INET6_ADDRSTRLEN] = {};
            if (peer.ss_family == AF_INET) {
                ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text,
                            sizeof text);
            } else {
                ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, text,
                            sizeof text);
            }
            *peer_address = text;
        }
        return UniqueFd(fd);
    }
}

std::uint16_t local_port(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return 0;
    }
    if (addr.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    }
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

IoResult send_all(int fd, std::string_view data, Deadline deadline, CancelToken cancel) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            IoResult w = wait_writable(fd, deadline, cancel);
            if (!w.ok()) {
                w.bytes = done;
                return w;
            }
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return {IoStatus::closed, done, errno_text("send")};
        }
        return {IoStatus::failed, done, errno_text("send")};
    }
    return {IoStatus::ok, done, {}};
}

IoResult recv_some(int fd, char* buf, std::size_t cap, Deadline deadline, CancelToken cancel) {
    for (;;) {
        ssize_t n = ::recv(fd, buf, cap, 0);
        if (n > 0) {
            return {IoStatus::ok, static_cast<std::size_t>(n), {}};
        }
        if (n == 0) {
            return {IoStatus::closed, 0, "end of stream"};
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            IoResult w = wait_readable(fd, deadline, cancel);
            if (!w.ok()) {
                return w;
            }
            continue;
        }
        if (errno == ECONNRESET) {
            return {IoStatus::closed, 0, errno_text("recv")};
        }
        return {IoStatus::failed, 0, errno_text("recv")};
    }
}

bool port_is_free(const std::string& host, std::uint16_t port) {
    std::string error;
    UniqueFd fd = tcp_listen(host, port, &error, 1);
    return static_cast<bool>(fd);
}

bool ipv6_loopback_available() {
    static const bool available = [] {
        std::string error;
        return static_cast<bool>(tcp_listen("::1", 0, &error, 1));
    }();
    return available;
}

}  // namespace fc
