#pragma once
// TLS over an already connected, non-blocking TCP socket, client or server side. Every
// operation takes a deadline and a cancel token and waits with poll(2) only. The socket
// stays owned by the caller. What the handshake and the connection showed (version,
// cipher, alerts, close_notify) is collected in TlsFacts for the verdicts.
#include <openssl/ssl.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/core/socket.hpp"
#include "harness/tls/ssl_ptr.hpp"

namespace fc {

/// How the client side of a handshake behaves.
struct TlsClientOptions {
    int min_version = TLS1_2_VERSION;  ///< below TLS 1.2 also lowers the security level
    int max_version = 0;               ///< 0 = the library's highest
    std::string sni;                   ///< server name indication; empty = none sent
    bool verify_peer = true;           ///< fail the handshake on an untrusted certificate
    std::filesystem::path ca_file;     ///< trust anchors; empty = the system's default paths
    /// Host name or IP literal checked against the certificate; empty = no name check.
    std::string verify_name;
    std::filesystem::path cert_file, key_file;  ///< client certificate (optional)
    SSL_SESSION* resume = nullptr;              ///< a session to resume; not owned
    std::filesystem::path keylog_file;          ///< NSS key log lines are appended if set
    std::string cipher_list;                    ///< TLS 1.2 and lower; empty = default
    /// ALPN protocol names to offer (RFC 7301), in order; empty = no ALPN extension.
    std::vector<std::string> alpn;
    /// Called once, on the handshaking thread, when the ClientHello has been written and the
    /// handshake first waits for the server (or when it ends without waiting).
    std::function<void()> on_hello_sent;
};

/// How the server side of a handshake behaves.
struct TlsServerOptions {
    std::filesystem::path cert_file, key_file;
    std::filesystem::path ca_file;     ///< trust anchors for client certificates
    bool request_client_cert = false;  ///< ask for one; any certificate (or none) is accepted
    bool require_client_cert = false;  ///< a valid one (signed by ca_file) is required
    int min_version = TLS1_2_VERSION;
    int max_version = 0;  ///< 0 = the library's highest
    std::filesystem::path keylog_file;
};

/// What one TLS connection showed.
struct TlsFacts {
    std::string version;  ///< e.g. "TLSv1.3"
    std::string cipher;   ///< OpenSSL's name of the negotiated cipher suite
    bool resumed = false;
    std::string peer_subject, peer_issuer;  ///< one-line RFC 2253; empty without a certificate
    long verify_result = X509_V_OK;         ///< of the peer's certificate
    std::string verify_error;               ///< text of verify_result; empty when OK
    bool close_notify_received = false, close_notify_sent = false;
    std::vector<std::string> alerts_received;  ///< e.g. "fatal: handshake failure"
    std::string sni_received;                  ///< server side: the client's SNI
};

class TlsStream;

/// Outcome of a handshake: a stream when it succeeded, else a status and why.
struct TlsHandshakeResult {
    std::unique_ptr<TlsStream> stream;
    IoStatus status = IoStatus::ok;              ///< ok, timeout, cancelled or failed
    std::string error;                           ///< OpenSSL's reasons and the verify error, if any
    std::vector<std::string> alerts_received{};  ///< a failed handshake: the peer's alerts
};

/// Server-side state shared by connections: the SSL_CTX holds the session cache and the
/// ticket keys, so a client can resume a session on a later connection (as FTPS data
/// connections do) only when each accept uses the same context.
class TlsServerContext {
public:
    /// Loads certificate, key and trust anchors. Throws HarnessError with OpenSSL's reasons.
    explicit TlsServerContext(const TlsServerOptions& options);
    const TlsServerOptions& options() const { return options_; }
    SSL_CTX* get() const { return ctx_.get(); }

private:
    TlsServerOptions options_;
    SslCtxPtr ctx_;
};

/// A TLS connection over a socket it does not own. Not copyable or movable: OpenSSL's
/// callbacks find the object through the SSL's app data.
class TlsStream {
public:
    /// Client handshake on the connected non-blocking socket `fd`.
    static TlsHandshakeResult connect(int fd, const TlsClientOptions& options, Deadline deadline,
                                      CancelToken cancel);
    /// Server handshake with a context made for this connection alone (no resumption).
    static TlsHandshakeResult accept(int fd, const TlsServerOptions& options, Deadline deadline,
                                     CancelToken cancel);
    /// Server handshake with a shared context (sessions can be resumed across connections).
    static TlsHandshakeResult accept(int fd, const TlsServerContext& context, Deadline deadline,
                                     CancelToken cancel);
    /// The same, with `prepare` called on the new SSL before the handshake starts (per
    /// connection settings, ex_data for the context's callbacks).
    static TlsHandshakeResult accept(int fd, const TlsServerContext& context, Deadline deadline,
                                     CancelToken cancel, const std::function<void(SSL*)>& prepare);

    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    /// Writes all of `data`; `bytes` is what was written. A reset or closed peer is `closed`.
    IoResult write_all(std::string_view data, Deadline deadline, CancelToken cancel);
    /// Reads at most `cap` bytes once some are available. The peer's close_notify gives
    /// `closed` with 0 bytes and facts().close_notify_received; a TCP EOF without it gives
    /// `closed` with error "connection closed without close_notify".
    IoResult read_some(char* buf, std::size_t cap, Deadline deadline, CancelToken cancel);
    /// Sends close_notify (once); with `wait_for_peer` also reads, discarding data, until
    /// the peer's close_notify arrives.
    IoResult shutdown(Deadline deadline, CancelToken cancel, bool wait_for_peer);
    /// Client-initiated renegotiation of a TLS 1.2 (or older) session: a new handshake on the
    /// established connection. Ok when it completed; otherwise why not (the peer's alerts
    /// are in facts().alerts_received). TLS 1.3 has no renegotiation: failed, said so.
    IoResult renegotiate(Deadline deadline, CancelToken cancel);

    const TlsFacts& facts() const { return facts_; }
    /// The current session (SSL_get1_session) for resumption; may be null.
    SslSessionPtr session() const;
    /// The socket, still owned by the caller.
    int fd() const { return fd_; }
    /// The OpenSSL connection, for facts TlsFacts does not carry; owned by the stream.
    SSL* native_handle() const { return ssl_.get(); }

private:
    friend class TlsServerContext;  // installs the callbacks below
    struct Access;  // the OpenSSL callbacks, which reach the object through the app data
    struct Step;
    TlsStream(int fd, SSL_CTX* ctx, const std::filesystem::path& keylog);
    static TlsHandshakeResult handshake(std::unique_ptr<TlsStream> stream, Deadline deadline,
                                        CancelToken cancel,
                                        const std::function<void()>& on_hello_sent = {});
    template <typename Op>
    Step run(Op op, Deadline deadline, CancelToken cancel);
    IoResult failure(const Step& step, const std::string& what);
    void record_handshake_facts();

    int fd_;
    SslPtr ssl_;  // holds a reference to its SSL_CTX
    UniqueFd keylog_fd_;
    IoResult fatal_;  ///< the error that ended the connection; ok while it is usable
    TlsFacts facts_;
};

/// An OpenSSL verify callback that lets the handshake go on whatever the chain's check
/// said: the verdict stays in SSL_get_verify_result() for the caller to judge afterwards.
int accept_any_certificate(int preverify_ok, X509_STORE_CTX* ctx);

}  // namespace fc
