#pragma once
// FTP data connections (RFC 959 PASV/PORT, RFC 2428 EPSV/EPRT), in clear or protected by
// TLS (RFC 4217 7: the FTP client is the TLS client whoever opened the TCP connection).
// Every wait has a deadline; transfers are counted and hashed (SHA-256) as they stream.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/data_mode.hpp"
#include "harness/core/deadline.hpp"
#include "harness/core/socket.hpp"
#include "harness/ftp/reply.hpp"
#include "harness/tls/tls_stream.hpp"

namespace fc {

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};

/// The address of a 227 reply, "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)"; the
/// numbers may appear anywhere in the text (RFC 1123 4.1.2.6). nullopt + `*error` if the
/// reply is not 227 or holds no well-formed address.
std::optional<HostPort> parse_pasv_reply(const Reply& reply, std::string* error);
/// The port of a 229 reply, "229 Entering Extended Passive Mode (|||port|)" (RFC 2428 3).
std::optional<std::uint16_t> parse_epsv_reply(const Reply& reply, std::string* error);
/// The argument of PORT for an IPv4 address: "127,0,0,1,p1,p2".
std::string port_argument(const std::string& ipv4, std::uint16_t port);
/// The argument of EPRT: "|1|127.0.0.1|port|" or "|2|::1|port|".
std::string eprt_argument(const std::string& host, std::uint16_t port);

/// What a download saw.
struct ReceiveResult {
    IoStatus status = IoStatus::ok;  ///< ok: the peer closed after sending everything
    std::string error;
    std::uint64_t bytes = 0;
    std::string sha256;         ///< lower-case hex of everything received
    std::string head;           ///< the first bytes (up to 64 KiB), e.g. a listing
    bool close_notify = false;  ///< protected: the peer sent close_notify before EOF
    bool paused = false;        ///< stopped reading at `pause_at` bytes, the peer still sending
};

/// One data connection: a TCP connection, optionally protected by TLS.
class DataConnection {
public:
    /// Passive modes: connects to `to`, binding the source address `source` when given
    /// (127.0.0.2 acts as a foreign host). nullptr + `*error` on failure.
    static std::unique_ptr<DataConnection> connect(const HostPort& to, const std::string& source,
                                                   Deadline deadline, CancelToken cancel,
                                                   std::string* error);
    /// Active modes: wraps a connection accepted from a DataListener.
    DataConnection(UniqueFd fd, std::string peer, CancelToken cancel);
    ~DataConnection();
    DataConnection(const DataConnection&) = delete;
    DataConnection& operator=(const DataConnection&) = delete;

    /// Replaces the token every later wait on this connection honours (a transfer's worker
    /// gives its own, so the session can abandon the data side once a refusal arrives).
    void set_cancel(CancelToken cancel) { cancel_ = cancel; }
    /// TLS client handshake on this connection. On failure the connection stays clear.
    TlsHandshakeResult protect(const TlsClientOptions& options, Deadline deadline);
    bool is_protected() const { return tls_ != nullptr; }
    const TlsFacts* tls_facts() const;
    /// This connection's TLS session (to offer for resumption); null in clear.
    SslSessionPtr tls_session() const;
    /// The peer's numeric address.
    const std::string& peer() const { return peer_; }

    /// Sends bytes (upload).
    IoResult send(std::string_view data, Deadline deadline);
    /// Reads until the peer closes, at most `max_bytes` (more is a failed result). With
    /// `pause_at` > 0, stops reading once that many bytes have arrived (`paused`, status ok).
    ReceiveResult receive_all(Deadline deadline, std::uint64_t max_bytes = 1ULL << 32,
                              std::uint64_t pause_at = 0);
    /// Ends an upload: close_notify when protected and `close_notify` (bounded), then
    /// closes the socket. Without close_notify the peer sees a truncation (RFC 4217 12.6).
    /// With `reset`, the close_notify (if any) is sent without waiting for the peer's and
    /// the socket is closed with SO_LINGER 0: a TCP reset, which drops what the peer sent
    /// unread and what of the upload the kernel had not yet transmitted.
    void finish(Deadline deadline, bool close_notify = true, bool reset = false);

private:
    UniqueFd fd_;
    std::string peer_;
    CancelToken cancel_;
    std::unique_ptr<TlsStream> tls_;
};

/// A listening socket for PORT/EPRT.
class DataListener {
public:
    /// Listens on host:0. nullptr + `*error` on failure.
    static std::unique_ptr<DataListener> open(const std::string& host, std::string* error);
    const std::string& host() const { return host_; }
    std::uint16_t port() const { return port_; }
    /// Waits for the server's connection. With `expected_peer` (a numeric address), a
    /// connection from any other address is closed at once, noted in `*refused`, and the
    /// wait goes on (RFC 2577 4: the client verifies who connected).
    std::unique_ptr<DataConnection> accept(Deadline deadline, CancelToken cancel,
                                           std::string* error,
                                           const std::string& expected_peer = "",
                                           std::vector<std::string>* refused = nullptr);

private:
    DataListener(UniqueFd fd, std::string host, std::uint16_t port)
        : fd_(std::move(fd)), host_(std::move(host)), port_(port) {}
    UniqueFd fd_;
    std::string host_;
    std::uint16_t port_ = 0;
};

/// Deterministic test payload of `size` bytes (a repeating, position-dependent pattern
/// that makes truncation and reordering visible).
std::string make_payload(std::uint64_t size);
/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace fc
