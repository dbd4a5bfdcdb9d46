#pragma once
// The reference client's FTP control connection: plain TCP, then TLS after AUTH (or
// from the first byte for implicit FTPS). Every operation has a deadline; everything
// sent and received goes into the transcript.
#include <memory>
#include <optional>
#include <string>

#include "harness/core/deadline.hpp"
#include "harness/core/socket.hpp"
#include "harness/ftp/reply.hpp"
#include "harness/ftp/transcript.hpp"
#include "harness/tls/tls_stream.hpp"

namespace fc {

/// Outcome of waiting for one reply.
struct ReplyResult {
    IoStatus status = IoStatus::ok;  ///< ok with `reply`; closed; timeout; failed (malformed)
    std::optional<Reply> reply;
    std::string error;       ///< for everything but ok
    bool malformed = false;  ///< the peer sent something that is not a reply
};

class ControlChannel {
public:
    /// `transcript` must outlive the channel.
    ControlChannel(Transcript& transcript, CancelToken cancel);
    ~ControlChannel();
    ControlChannel(const ControlChannel&) = delete;
    ControlChannel& operator=(const ControlChannel&) = delete;

    /// TCP connect. Returns an error text, "" on success.
    std::string connect(const std::string& host, std::uint16_t port, Deadline deadline);
    /// Sends `line` + CRLF (over TLS once protected).
    IoResult send_line(std::string_view line, Deadline deadline);
    /// Sends bytes exactly as given (injection tests); recorded line by line.
    IoResult send_raw(std::string_view bytes, Deadline deadline);
    /// Waits for the next complete reply.
    ReplyResult read_reply(Deadline deadline);
    /// TLS handshake as client on this connection. Fails if plaintext reply bytes are
    /// still buffered (the server spoke in clear after its 234: a protocol violation).
    TlsHandshakeResult start_tls(const TlsClientOptions& options, Deadline deadline);
    /// Renegotiates the control connection's TLS 1.2 session (TlsStream::renegotiate),
    /// noting the outcome in the transcript. Not protected: failed.
    IoResult renegotiate(Deadline deadline);

    bool connected() const { return static_cast<bool>(fd_); }
    /// The server's numeric address on this connection ("" when not connected).
    std::string peer_ip() const;
    bool is_protected() const { return tls_ != nullptr; }
    /// Facts of the control connection's TLS session; nullptr before a handshake.
    const TlsFacts* tls_facts() const;
    /// The control connection's TLS session (for resumption on data connections).
    SslSessionPtr tls_session() const;
    /// Bytes received after the last complete reply.
    std::size_t unread_bytes() const { return parser_.buffered(); }
    /// Ends TLS but keeps the connection (after CCC, RFC 4217 5): sends close_notify and
    /// waits for the server's; afterwards the channel is in clear. `*ended` receives the
    /// facts of the session that ended. Fails if the channel is not protected.
    IoResult end_tls(Deadline deadline, TlsFacts* ended);
    /// Bytes that are not FTP on a clear channel (a hand-made TLS record): written as they
    /// are, noted in the transcript by `what` instead of as lines.
    IoResult send_bytes(std::string_view bytes, std::string_view what, Deadline deadline);
    /// What one read of a clear channel returns, appended to `out`. Fails on a protected
    /// channel, and when clear bytes are left over behind the last reply (as start_tls).
    IoResult read_bytes(std::string& out, Deadline deadline);
    /// Sends close_notify when protected (bounded), then closes the socket.
    void close(Deadline deadline);

private:
    IoResult write(std::string_view bytes, Deadline deadline);
    std::string_view channel() const { return "ctrl"; }

    Transcript& transcript_;
    CancelToken cancel_;
    UniqueFd fd_;
    std::unique_ptr<TlsStream> tls_;
    ReplyParser parser_;
};

}  // namespace fc
