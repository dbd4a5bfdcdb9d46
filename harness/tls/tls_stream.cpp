#include "harness/tls/tls_stream.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/core/error.hpp"

namespace fc {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw HarnessError(with_openssl_errors(what));
}

bool is_ip_literal(const std::string& name) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, name.c_str(), buf) == 1 ||
           ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

std::string name_line(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
        return {};
    }
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

void set_versions(SSL_CTX* ctx, int min_version, int max_version) {
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, max_version) != 1) {
        fail("cannot set the TLS protocol versions");
    }
}

void load_cert_and_key(SSL_CTX* ctx, const std::filesystem::path& cert,
                       const std::filesystem::path& key) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
        fail("cannot load certificate " + cert.string());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        fail("cannot load key " + key.string());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        fail("key " + key.string() + " does not match " + cert.string());
    }
}

/// OpenSSL 3.0's SSL_alert_desc_string_long does not know the TLS 1.3 alerts.
std::string alert_description(int code) {
    switch (code) {
        case 109: return "missing extension";
        case 116: return "certificate required";
        case 120: return "no application protocol";
    }
    std::string text = SSL_alert_desc_string_long(code);
    return text == "unknown" ? "alert " + std::to_string(code) : text;
}

}  // namespace

int accept_any_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
    return 1;
}

/// The OpenSSL callbacks. They find the stream through the SSL's app data, which is set
/// before the handshake starts and lives as long as the stream.
struct TlsStream::Access {
    static TlsStream* of(const SSL* ssl) { return static_cast<TlsStream*>(SSL_get_app_data(ssl)); }

    static void keylog(const SSL* ssl, const char* line) {
        TlsStream* self = of(ssl);
        if (self == nullptr || !self->keylog_fd_) {
            return;
        }
        std::string text = std::string(line) + "\n";  // one write: O_APPEND keeps lines whole
        ssize_t n = ::write(self->keylog_fd_.get(), text.data(), text.size());
        (void)n;  // a key log is a debugging aid; losing a line must not fail the connection
    }

    static void info(const SSL* ssl, int where, int ret) {
        TlsStream* self = of(ssl);
        if (self == nullptr || (where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT) {
            return;  // SSL_CB_WRITE_ALERT shares the SSL_CB_ALERT bit
        }
        self->facts_.alerts_received.push_back(std::string(SSL_alert_type_string_long(ret)) + ": " +
                                               alert_description(ret & 0xff));
        if ((ret & 0xff) == SSL_AD_CLOSE_NOTIFY) {
            self->facts_.close_notify_received = true;
        }
    }

    static int servername(SSL* ssl, int* /*alert*/, void* /*arg*/) {
        TlsStream* self = of(ssl);
        const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        if (self != nullptr && name != nullptr) {
            self->facts_.sni_received = name;
        }
        return SSL_TLSEXT_ERR_OK;
    }
};

/// Where one OpenSSL call ended: done, a failed wait (timeout, cancelled) or an SSL error.
struct TlsStream::Step {
    IoResult wait;                   ///< not ok when waiting for the socket ended the call
    int ssl_error = SSL_ERROR_NONE;  ///< SSL_get_error when OpenSSL gave up
    int sys_errno = 0;               ///< errno right after that call
    bool done() const { return wait.ok() && ssl_error == SSL_ERROR_NONE; }
};

TlsServerContext::TlsServerContext(const TlsServerOptions& options) : options_(options) {
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    if (!ctx_) {
        fail("cannot create a TLS server context");
    }
    SSL_CTX* ctx = ctx_.get();
    set_versions(ctx, options.min_version, options.max_version);
    if (options.min_version != 0 && options.min_version < TLS1_2_VERSION) {
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    load_cert_and_key(ctx, options.cert_file, options.key_file);
    static const unsigned char kSessionContext[] = "ftps-conform";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    if (!options.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
            fail("cannot load CA file " + options.ca_file.string());
        }
        SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(options.ca_file.c_str()));
    }
    if (options.require_client_cert) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    } else if (options.request_client_cert) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_certificate);
    }
    SSL_CTX_set_keylog_callback(ctx, &TlsStream::Access::keylog);
    SSL_CTX_set_tlsext_servername_callback(ctx, &TlsStream::Access::servername);
}

TlsStream::TlsStream(int fd, SSL_CTX* ctx, const std::filesystem::path& keylog)
    : fd_(fd), ssl_(SSL_new(ctx)) {
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd) != 1) {
        fail("cannot create a TLS connection");
    }
    SSL_set_app_data(ssl_.get(), this);
    SSL_set_info_callback(ssl_.get(), &Access::info);
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!keylog.empty()) {
        keylog_fd_.reset(::open(keylog.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        if (!keylog_fd_) {
            throw HarnessError("cannot open key log " + keylog.string() + ": " +
                               std::strerror(errno));
        }
    }
}

TlsStream::~TlsStream() = default;

TlsHandshakeResult TlsStream::connect(int fd, const TlsClientOptions& options, Deadline deadline,
                                      CancelToken cancel) {
    std::unique_ptr<TlsStream> stream;
    try {
        SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
        if (!ctx) {
            fail("cannot create a TLS client context");
        }
        set_versions(ctx.get(), options.min_version, options.max_version);
        bool legacy = options.min_version != 0 && options.min_version < TLS1_2_VERSION;
        std::string ciphers = options.cipher_list;
        if (legacy) {  // OpenSSL 3 refuses TLS 1.0 and 1.1 at the default security level
            ciphers = (ciphers.empty() ? "DEFAULT" : ciphers) + ":@SECLEVEL=0";
        }
        if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) != 1) {
            fail("bad cipher list \"" + ciphers + "\"");
        }
        if (options.verify_peer) {
            SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        }
        if (!options.ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
                fail("cannot load CA file " + options.ca_file.string());
            }
        } else if (options.verify_peer) {
            SSL_CTX_set_default_verify_paths(ctx.get());
        }
        if (!options.cert_file.empty()) {
            load_cert_and_key(ctx.get(), options.cert_file,
                              options.key_file.empty() ? options.cert_file : options.key_file);
        }
        SSL_CTX_set_keylog_callback(ctx.get(), &Access::keylog);
        stream.reset(new TlsStream(fd, ctx.get(), options.keylog_file));
        SSL* ssl = stream->ssl_.get();
        if (!options.sni.empty() && SSL_set_tlsext_host_name(ssl, options.sni.c_str()) != 1) {
            fail("cannot set SNI " + options.sni);
        }
        const std::string& name = options.verify_name;
        if (!name.empty()) {
            bool set = is_ip_literal(name)
                           ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                           : SSL_set1_host(ssl, name.c_str()) == 1;
            if (!set) {
                fail("cannot check the certificate for name " + name);
            }
        }
        if (!options.alpn.empty()) {
            std::string wire;  // RFC 7301 3.1: each name prefixed by its length
            for (const std::string& name : options.alpn) {
                wire += static_cast<char>(name.size());
                wire += name;
            }
            if (SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                                    static_cast<unsigned int>(wire.size())) != 0) {
                fail("cannot offer ALPN");
            }
        }
        if (options.resume != nullptr && SSL_set_session(ssl, options.resume) != 1) {
            fail("cannot offer the session to resume");
        }
        SSL_set_connect_state(ssl);
    } catch (const HarnessError& e) {
        return TlsHandshakeResult{nullptr, IoStatus::failed, e.what()};
    }
    return handshake(std::move(stream), deadline, cancel, options.on_hello_sent);
}

TlsHandshakeResult TlsStream::accept(int fd, const TlsServerOptions& options, Deadline deadline,
                                     CancelToken cancel) {
    try {
        TlsServerContext context(options);
        return accept(fd, context, deadline, cancel);  // the SSL keeps the context alive
    } catch (const HarnessError& e) {
        return TlsHandshakeResult{nullptr, IoStatus::failed, e.what()};
    }
}

TlsHandshakeResult TlsStream::accept(int fd, const TlsServerContext& context, Deadline deadline,
                                     CancelToken cancel) {
    return accept(fd, context, deadline, cancel, {});
}

TlsHandshakeResult TlsStream::accept(int fd, const TlsServerContext& context, Deadline deadline,
                                     CancelToken cancel, const std::function<void(SSL*)>& prepare) {
    std::unique_ptr<TlsStream> stream;
    try {
        stream.reset(new TlsStream(fd, context.get(), context.options().keylog_file));
        SSL_set_accept_state(stream->ssl_.get());
        if (prepare) {
            prepare(stream->ssl_.get());
        }
    } catch (const HarnessError& e) {
        return TlsHandshakeResult{nullptr, IoStatus::failed, e.what()};
    }
    return handshake(std::move(stream), deadline, cancel);
}

template <typename Op>
TlsStream::Step TlsStream::run(Op op, Deadline deadline, CancelToken cancel) {
    for (;;) {
        if (cancel.cancelled()) {
            return Step{{IoStatus::cancelled, 0, "interrupted"}};
        }
        ERR_clear_error();
        errno = 0;
        int ret = op();
        int saved_errno = errno;
        if (ret > 0) {
            return Step{};
        }
        int err = SSL_get_error(ssl_.get(), ret);
        IoResult wait;
        if (err == SSL_ERROR_WANT_READ) {
            wait = wait_readable(fd_, deadline, cancel);
        } else if (err == SSL_ERROR_WANT_WRITE) {
            wait = wait_writable(fd_, deadline, cancel);
        } else {
            return Step{{}, err, saved_errno};
        }
        if (!wait.ok()) {
            return Step{wait};
        }
    }
}

IoResult TlsStream::failure(const Step& step, const std::string& what) {
    if (step.ssl_error == SSL_ERROR_NONE) {
        return step.wait;
    }
    if (step.ssl_error == SSL_ERROR_ZERO_RETURN) {
        facts_.close_notify_received = true;
        return {IoStatus::closed, 0, "closed by the peer with close_notify"};
    }
    const IoResult eof{IoStatus::closed, 0, "connection closed without close_notify"};
    IoResult& r = fatal_;  // remembered: OpenSSL allows no further I/O after these errors
    if (step.ssl_error == SSL_ERROR_SYSCALL) {
        std::string queue = openssl_errors();
        bool reset = step.sys_errno == ECONNRESET || step.sys_errno == EPIPE;
        if (step.sys_errno == 0) {
            r = queue.empty() ? eof : IoResult{IoStatus::failed, 0, what + ": " + queue};
        } else {
            r = {reset ? IoStatus::closed : IoStatus::failed, 0,
                 what + ": " + std::strerror(step.sys_errno)};
        }
        return r;
    }
    unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_SSL &&
        ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        r = eof;
    } else {
        r = {IoStatus::failed, 0, with_openssl_errors(what)};
    }
    return r;
}

TlsHandshakeResult TlsStream::handshake(std::unique_ptr<TlsStream> stream, Deadline deadline,
                                        CancelToken cancel,
                                        const std::function<void()>& on_hello_sent) {
    SSL* ssl = stream->ssl_.get();
    bool hello_sent = false;
    auto signal_hello = [&] {
        if (on_hello_sent && !hello_sent) {
            hello_sent = true;
            on_hello_sent();
        }
    };
    Step step = stream->run(
        [ssl, &signal_hello] {
            int ret = SSL_do_handshake(ssl);
            // A socket BIO writes the whole first flight before the handshake wants to read.
            if (ret <= 0 && SSL_want_read(ssl)) {
                signal_hello();
            }
            return ret;
        },
        deadline, cancel);
    signal_hello();
    if (step.done()) {
        stream->record_handshake_facts();
        return TlsHandshakeResult{std::move(stream), IoStatus::ok, {}};
    }
    IoResult r = stream->failure(step, "TLS handshake failed");
    if (r.status == IoStatus::timeout || r.status == IoStatus::cancelled) {
        return TlsHandshakeResult{nullptr, r.status, "TLS handshake: " + r.error};
    }
    std::string why = r.error;
    if (r.status == IoStatus::closed) {
        why = "TLS handshake failed: " + why;
    }
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
        why += "; certificate verification: " + std::string(X509_verify_cert_error_string(verify));
    }
    const auto& alerts = stream->facts_.alerts_received;
    for (std::size_t i = 0; i < alerts.size(); ++i) {
        why += (i == 0 ? "; alerts received: " : ", ") + alerts[i];
    }
    return TlsHandshakeResult{nullptr, IoStatus::failed, why, alerts};
}

void TlsStream::record_handshake_facts() {
    SSL* ssl = ssl_.get();
    facts_.version = SSL_get_version(ssl);
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    facts_.cipher = cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
    facts_.resumed = SSL_session_reused(ssl) == 1;
    X509Ptr peer(SSL_get1_peer_certificate(ssl));
    if (peer) {
        facts_.peer_subject = name_line(X509_get_subject_name(peer.get()));
        facts_.peer_issuer = name_line(X509_get_issuer_name(peer.get()));
    }
    facts_.verify_result = SSL_get_verify_result(ssl);
    facts_.verify_error = facts_.verify_result == X509_V_OK
                              ? ""
                              : X509_verify_cert_error_string(facts_.verify_result);
}

IoResult TlsStream::write_all(std::string_view data, Deadline deadline, CancelToken cancel) {
    if (!fatal_.ok()) {
        return fatal_;
    }
    std::size_t done = 0;
    while (done < data.size()) {
        std::size_t n = 0;
        Step step = run(
            [&] { return SSL_write_ex(ssl_.get(), data.data() + done, data.size() - done, &n); },
            deadline, cancel);
        if (!step.done()) {
            IoResult r = failure(step, "TLS write failed");
            r.bytes = done;
            return r;
        }
        done += n;
    }
    return {IoStatus::ok, done, {}};
}

IoResult TlsStream::read_some(char* buf, std::size_t cap, Deadline deadline, CancelToken cancel) {
    if (!fatal_.ok()) {
        return fatal_;
    }
    if (facts_.close_notify_received && (SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN)) {
        return {IoStatus::closed, 0, "closed by the peer with close_notify"};
    }
    std::size_t n = 0;
    Step step = run([&] { return SSL_read_ex(ssl_.get(), buf, cap, &n); }, deadline, cancel);
    if (!step.done()) {
        return failure(step, "TLS read failed");
    }
    return {IoStatus::ok, n, {}};
}

IoResult TlsStream::shutdown(Deadline deadline, CancelToken cancel, bool wait_for_peer) {
    if (!fatal_.ok()) {
        return {fatal_.status, 0, fatal_.error + "; no close_notify sent"};
    }
    if (!facts_.close_notify_sent) {
        SSL* ssl = ssl_.get();
        // SSL_shutdown returns 0 once ours is sent but the peer's is still to come.
        Step step = run([ssl] { return SSL_shutdown(ssl) >= 0 ? 1 : -1; }, deadline, cancel);
        if (!step.done()) {
            return failure(step, "sending close_notify failed");
        }
        facts_.close_notify_sent = true;
    }
    char scratch[4096];
    while (wait_for_peer && !facts_.close_notify_received) {
        IoResult r = read_some(scratch, sizeof scratch, deadline, cancel);
        if (r.status == IoStatus::closed && facts_.close_notify_received) {
            break;
        }
        if (!r.ok()) {
            return r;
        }
    }
    return {};
}

IoResult TlsStream::renegotiate(Deadline deadline, CancelToken cancel) {
    if (!fatal_.ok()) {
        return fatal_;
    }
    SSL* ssl = ssl_.get();
    if (SSL_version(ssl) >= TLS1_3_VERSION) {
        return {IoStatus::failed, 0, "TLS 1.3 has no renegotiation"};
    }
    ERR_clear_error();
    if (SSL_renegotiate(ssl) != 1) {
        return {IoStatus::failed, 0, with_openssl_errors("cannot start a renegotiation")};
    }
    Step step = run([ssl] { return SSL_do_handshake(ssl); }, deadline, cancel);
    if (!step.done()) {
        return failure(step, "renegotiation failed");
    }
    return {};
}

SslSessionPtr TlsStream::session() const {
    return SslSessionPtr(SSL_get1_session(ssl_.get()));
}

}  // namespace fc
