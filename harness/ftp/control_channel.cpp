#include "harness/ftp/control_channel.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace fc {

std::string ControlChannel::peer_ip() const {
    if (!fd_) {
        return "";
    }
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        return "";
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr =
        sa.ss_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&sa)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&sa)->sin_addr);
    if (::inet_ntop(sa.ss_family, addr, text, sizeof text) == nullptr) {
        return "";
    }
    return text;
}

ControlChannel::ControlChannel(Transcript& transcript, CancelToken cancel)
    : transcript_(transcript), cancel_(cancel) {}

ControlChannel::~ControlChannel() {
    // Bounded: a peer that never answers close_notify costs at most this long.
    close(Deadline::after(Millis(500)));
}

std::string ControlChannel::connect(const std::string& host, std::uint16_t port,
                                    Deadline deadline) {
    std::string error;
    fd_ = tcp_connect(host, port, deadline, cancel_, &error);
    transcript_.note(channel(), fd_ ? "connected to " + host + ":" + std::to_string(port)
                                    : "connect failed: " + error);
    return fd_ ? "" : error;
}

IoResult ControlChannel::write(std::string_view bytes, Deadline deadline) {
    if (!fd_) {
        return {IoStatus::failed, 0, "not connected"};
    }
    return tls_ ? tls_->write_all(bytes, deadline, cancel_)
                : send_all(fd_.get(), bytes, deadline, cancel_);
}

IoResult ControlChannel::send_line(std::string_view line, Deadline deadline) {
    transcript_.sent(channel(), is_protected(), line);
    std::string wire(line);
    wire += "\r\n";
    return write(wire, deadline);
}

IoResult ControlChannel::send_raw(std::string_view bytes, Deadline deadline) {
    std::size_t start = 0;
    while (start < bytes.size()) {
        std::size_t lf = bytes.find('\n', start);
        std::size_t end = lf == std::string_view::npos ? bytes.size() : lf + 1;
        std::string_view piece = bytes.substr(start, end - start);
        if (piece.size() >= 2 && piece.substr(piece.size() - 2) == "\r\n") {
            piece.remove_suffix(2);
        }
        transcript_.sent(channel(), is_protected(), piece);
        start = end;
    }
    transcript_.note(channel(), "(the lines above went in one write of " +
                                    std::to_string(bytes.size()) + " bytes)");
    return write(bytes, deadline);
}

ReplyResult ControlChannel::read_reply(Deadline deadline) {
    char buf[4096];
    for (;;) {
        if (auto reply = parser_.next()) {
            for (const auto& line : reply->lines) {
                transcript_.received(channel(), is_protected(), line);
            }
            return ReplyResult{IoStatus::ok, std::move(reply), {}, false};
        }
        if (parser_.failed()) {
            transcript_.note(channel(), "malformed reply: " + parser_.error());
            return ReplyResult{IoStatus::failed, std::nullopt, parser_.error(), true};
        }
        if (!fd_) {
            return ReplyResult{IoStatus::failed, std::nullopt, "not connected", false};
        }
        IoResult r = tls_ ? tls_->read_some(buf, sizeof buf, deadline, cancel_)
                          : recv_some(fd_.get(), buf, sizeof buf, deadline, cancel_);
        if (!r.ok()) {
            std::string what =
                r.status == IoStatus::closed
                    ? "connection closed by the server"
                    : std::string(to_string(r.status)) + (r.error.empty() ? "" : ": " + r.error);
            if (r.status == IoStatus::closed && tls_) {
                what += tls_->facts().close_notify_received ? " (after close_notify)"
                                                            : " (without close_notify)";
            }
            if (parser_.buffered() > 0) {
                what += "; " + std::to_string(parser_.buffered()) +
                        " bytes of an incomplete reply were pending";
            }
            transcript_.note(channel(), what);
            return ReplyResult{r.status, std::nullopt, what, false};
        }
        parser_.feed(std::string_view(buf, r.bytes));
    }
}

IoResult ControlChannel::send_bytes(std::string_view bytes, std::string_view what,
                                    Deadline deadline) {
    transcript_.note(channel(), std::string(what) + " (" + std::to_string(bytes.size()) +
                                    " bytes, sent as they are)");
    return write(bytes, deadline);
}

IoResult ControlChannel::read_bytes(std::string& out, Deadline deadline) {
    if (!fd_ || tls_) {
        return IoResult{IoStatus::failed, 0, fd_ ? "the channel is protected" : "not connected"};
    }
    if (parser_.buffered() > 0) {
        // As for a handshake: clear bytes behind the last reply are the server's fault.
        std::string why =
            std::to_string(parser_.buffered()) + " bytes arrived in clear before the TLS handshake";
        transcript_.note(channel(), why);
        return IoResult{IoStatus::failed, 0, why};
    }
    char buf[4096];
    IoResult r = recv_some(fd_.get(), buf, sizeof buf, deadline, cancel_);
    if (r.ok()) {
        out.append(buf, r.bytes);
    }
    return r;
}

TlsHandshakeResult ControlChannel::start_tls(const TlsClientOptions& options, Deadline deadline) {
    if (!fd_) {
        return TlsHandshakeResult{nullptr, IoStatus::failed, "not connected"};
    }
    if (parser_.buffered() > 0) {
        std::string why =
            std::to_string(parser_.buffered()) + " bytes arrived in clear before the TLS handshake";
        transcript_.note(channel(), why);
        return TlsHandshakeResult{nullptr, IoStatus::failed, why};
    }
    TlsHandshakeResult result = TlsStream::connect(fd_.get(), options, deadline, cancel_);
    if (result.stream) {
        const TlsFacts& facts = result.stream->facts();
        transcript_.note(channel(), "TLS handshake done: " + facts.version + " " + facts.cipher +
                                        (facts.resumed ? " (resumed)" : ""));
        tls_ = std::move(result.stream);
    } else {
        transcript_.note(channel(), "TLS handshake failed: " + result.error);
    }
    return result;
}

IoResult ControlChannel::renegotiate(Deadline deadline) {
    if (!tls_) {
        return {IoStatus::failed, 0, "the control connection is not in TLS"};
    }
    transcript_.note(channel(), "client-initiated TLS renegotiation");
    IoResult r = tls_->renegotiate(deadline, cancel_);
    transcript_.note(channel(), r.ok() ? "renegotiation done: " + tls_->facts().version
                                       : "renegotiation did not complete: " + r.error);
    return r;
}

const TlsFacts* ControlChannel::tls_facts() const {
    return tls_ ? &tls_->facts() : nullptr;
}

SslSessionPtr ControlChannel::tls_session() const {
    return tls_ ? tls_->session() : nullptr;
}

IoResult ControlChannel::end_tls(Deadline deadline, TlsFacts* ended) {
    if (!tls_) {
        return {IoStatus::failed, 0, "the control connection is not protected"};
    }
    IoResult r = tls_->shutdown(deadline, cancel_, true);
    *ended = tls_->facts();
    transcript_.note(
        channel(),
        std::string("TLS shutdown: close_notify sent") +
            (ended->close_notify_received ? ", the server's received" : ", none from the server") +
            (r.ok() ? "" : " (" + std::string(to_string(r.status)) + ": " + r.error + ")") +
            "; the connection continues in clear");
    tls_.reset();
    return r;
}

void ControlChannel::close(Deadline deadline) {
    if (tls_) {
        tls_->shutdown(deadline, cancel_, false);
        tls_.reset();
    }
    if (fd_) {
        fd_.reset();
    }
}

}  // namespace fc
