#include "servers/reference/server.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <list>
#include <thread>

#include "harness/core/error.hpp"
#include "servers/reference/session.hpp"
#include "servers/reference/tls_binding.hpp"

namespace fc::ref {

namespace {

int refuse_every_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
    return 0;
}

std::filesystem::path beside(const std::filesystem::path& cert, const char* name) {
    return cert.parent_path() / name;
}

// The control listener's backlog bounds two kernel queues: connections still in the
// handshake (SYN_RECV) and connections waiting for accept(). With 128, a burst of a few
// hundred connects filled the first, so the kernel answered with SYN cookies; a cookie
// connection whose final ACK then met a full accept queue was dropped with no state left
// and no retransmission, while the client, already "connected", waited for a banner that
// could never come. Ask for 4,096; Linux caps it at net.core.somaxconn.
constexpr int kListenBacklog = 4096;

// At most this many accepts in a row before the loop reaps finished sessions and checks
// the stop token again.
constexpr int kAcceptBatch = 256;

// Session threads get 512 KiB stacks, not glibc's 8 MiB default (the deepest frames are
// the 64 KiB transfer buffers and OpenSSL's handshake; every scenario against this server
// also passed with 128 KiB). Profiled under a 1,000-connect
// burst, the accept thread spent most of its CPU creating threads and unmapping the
// stacks of reaped ones (each munmap a TLB shootdown on every CPU); glibc keeps up to
// 40 MiB of freed stacks for reuse: 5 stacks of 8 MiB, 80 of 512 KiB.
constexpr std::size_t kSessionStack = 512 * 1024;

/// One session's thread: a pthread with a small stack, joined by the accept loop once it
/// has marked itself done. It must not move while its thread runs (workers live in a list).
class Worker {
public:
    /// Starts `session->run()` on a new thread; false (nothing started) when that fails.
    bool start(std::shared_ptr<Session> session) {
        session_ = std::move(session);
        pthread_attr_t attr;
        ::pthread_attr_init(&attr);
        ::pthread_attr_setstacksize(&attr, kSessionStack);
        started_ = ::pthread_create(&thread_, &attr, &Worker::main, this) == 0;
        ::pthread_attr_destroy(&attr);
        return started_;
    }
    bool done() const { return done_.load(); }
    void join() {
        if (started_) {
            ::pthread_join(thread_, nullptr);
            started_ = false;
        }
    }

private:
    static void* main(void* self) {
        auto* w = static_cast<Worker*>(self);
        try {
            w->session_->run();
        } catch (const std::exception&) {
            // the session closes its sockets as it unwinds; the server goes on
        }
        w->session_.reset();
        w->done_.store(true);
        return nullptr;
    }
    std::shared_ptr<Session> session_;
    pthread_t thread_{};
    bool started_ = false;
    std::atomic<bool> done_{false};
};

// Descriptors one session may hold at once: control connection, its root, a passive
// listener, a data connection and the file or folder it transfers.
constexpr long kDescriptorsPerSession = 5;
// Kept for the process: stdio, event log, listener, the spare, certificate files.
constexpr long kDescriptorsReserved = 16;

// Raises the soft descriptor limit to the hard one, then returns how many sessions fit in
// it. Sessions beyond that would take the descriptors the listener needs to accept and
// refuse: with every descriptor held by a live session, accept() fails with EMFILE and
// the queued connections wait unanswered.
int sessions_descriptors_allow() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) {
        return std::numeric_limits<int>::max();
    }
    if (r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &r) != 0) {
            ::getrlimit(RLIMIT_NOFILE, &r);
        }
    }
    if (r.rlim_cur == RLIM_INFINITY) {
        return std::numeric_limits<int>::max();
    }
    long fit = (static_cast<long>(r.rlim_cur) - kDescriptorsReserved) / kDescriptorsPerSession;
    return static_cast<int>(std::clamp(fit, 1L, long{std::numeric_limits<int>::max()}));
}

// The backlog the kernel grants: ours, capped at net.core.somaxconn when that can be read.
int effective_backlog() {
    std::ifstream in("/proc/sys/net/core/somaxconn");
    int cap = 0;
    if (in >> cap && cap > 0 && cap < kListenBacklog) {
        return cap;
    }
    return kListenBacklog;
}

}  // namespace

UniqueFd PortPool::listen(const std::string& host, std::string* error) {
    if (min_ == 0 || max_ < min_) {
        return tcp_listen(host, 0, error, 4);
    }
    std::uint32_t count = static_cast<std::uint32_t>(max_ - min_) + 1;
    for (std::uint32_t tries = 0; tries < count; ++tries) {
        std::uint16_t port = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (next_ < min_ || next_ > max_) {
                next_ = min_;
            }
            port = static_cast<std::uint16_t>(next_++);
        }
        UniqueFd fd = tcp_listen(host, port, error, 4);
        if (fd) {
            return fd;
        }
    }
    *error =
        "no free port in the passive range " + std::to_string(min_) + "-" + std::to_string(max_);
    return {};
}

TlsServerOptions tls_options(const ServerConfig& c, const std::filesystem::path& cert) {
    TlsServerOptions o;
    o.cert_file = cert;
    o.key_file = c.key;
    o.ca_file = c.ca;
    o.require_client_cert = c.has("verify-client");
    o.min_version = TLS1_2_VERSION;
    if (c.has("tls13-only")) {
        o.min_version = TLS1_3_VERSION;
    }
    if (c.bad("tls11-accepted")) {
        o.min_version = TLS1_1_VERSION;
    }
    if (c.bad("tls10-accepted")) {
        o.min_version = TLS1_VERSION;
    }
    if (c.bad("tls13-disabled")) {
        o.max_version = TLS1_2_VERSION;
    }
    if (c.bad("tls11-only")) {
        o.min_version = TLS1_VERSION;
        o.max_version = TLS1_1_VERSION;
    }
    return o;
}

namespace {

// session-lifetime-short, in seconds (reuse/reuse-after-session-lifetime pauses 3 s).
constexpr long kShortSessionLifetime = 2;

// ALPN (RFC 7301 3.2): a client that names protocols must name "ftp", which is chosen;
// any other list ends the handshake with no_application_protocol. This keeps an HTTPS
// client that was redirected here (the ALPACA cross-protocol attack) from talking to FTP.
int select_ftp_protocol(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned int inlen, void* /*arg*/) {
    static const unsigned char kFtp[] = {'f', 't', 'p'};
    for (unsigned int i = 0; i < inlen;) {
        unsigned int len = in[i];
        if (i + 1 + len > inlen) {
            break;
        }
        if (len == sizeof kFtp && std::memcmp(in + i + 1, kFtp, sizeof kFtp) == 0) {
            *out = in + i + 1;
            *outlen = static_cast<unsigned char>(len);
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

void finish_context(const ServerConfig& c, TlsServerContext& context) {
    SSL_CTX* ctx = context.get();
    if (c.has("session-lifetime-short")) {
        // Sessions and TLS 1.3 tickets (their lifetime hint is this too) expire after
        // kShortSessionLifetime: a data connection later than that cannot resume.
        SSL_CTX_set_timeout(ctx, kShortSessionLifetime);
    }
    if (!c.bad("alpn-ignored")) {
        SSL_CTX_set_alpn_select_cb(ctx, select_ftp_protocol, nullptr);
    }
    // OpenSSL 3 refuses client-initiated renegotiation unless told otherwise (a warning
    // alert no_renegotiation): the misbehaviour allows it.
    if (c.bad("renegotiation-allowed")) {
        SSL_CTX_set_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    }
    if (c.bad("early-data-offered")) {
        // TLS 1.3 tickets that invite 0-RTT (RFC 8446 4.6.1 early_data), for which FTP has
        // no profile (RFC 8446 E.5).
        SSL_CTX_set_max_early_data(ctx, 16384);
    }
    if (c.bad("weak-suites-accepted")) {
        // As a server configured with the cipher list "ALL:eNULL": every suite the library
        // has, NULL encryption and anonymous ones included (TLS 1.2 and lower), for a
        // client that offers only those. (Not "DEFAULT:eNULL": DEFAULT's own !eNULL and
        // !aNULL remove them for good.)
        SSL_CTX_set_cipher_list(ctx, "ALL:eNULL:@SECLEVEL=0");
        SSL_CTX_set_dh_auto(ctx, 1);
    }
    if (c.bad("client-cert-valid-refused")) {
        int mode = SSL_VERIFY_PEER;
        if (c.has("verify-client")) {
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        SSL_CTX_set_verify(ctx, mode, refuse_every_certificate);
    } else if (c.has("verify-client-optional") && !c.has("verify-client")) {
        // Asked for; none is fine, but one that does not verify fails the handshake.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    }
    install_session_binding(ctx);
}

Server::Server(ServerConfig config) : config_(std::move(config)) {
    if (!config_.event_log.empty()) {
        log_ = EventLog(config_.event_log);
    }
    std::filesystem::path cert = config_.cert;
    if (config_.bad("cert-untrusted")) {
        cert = beside(config_.cert, "server-untrusted.pem");
    } else if (config_.bad("cert-expired")) {
        cert = beside(config_.cert, "server-expired.pem");
    } else if (config_.bad("cert-wrong-host")) {
        cert = beside(config_.cert, "server-other-name.pem");
    }
    tls_ = std::make_unique<TlsServerContext>(tls_options(config_, cert));
    finish_context(config_, *tls_);
    tls_fresh_ = std::make_unique<TlsServerContext>(tls_options(config_, cert));
    finish_context(config_, *tls_fresh_);
    if (config_.bad("data-other-cert")) {
        tls_other_name_ = std::make_unique<TlsServerContext>(
            tls_options(config_, beside(config_.cert, "server-other-name.pem")));
        finish_context(config_, *tls_other_name_);
    }
    session_limit_ = std::min(config_.max_sessions, sessions_descriptors_allow());
    ports_ = std::make_unique<PortPool>(config_.pasv_min, config_.pasv_max);
    std::string error;
    listener_ = tcp_listen(config_.host, config_.port, &error, kListenBacklog);
    if (!listener_) {
        throw HarnessError("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                           ": " + error);
    }
    port_ = local_port(listener_.get());
    log_.write(log_.event(0, "listen")
                   .str("host", config_.host)
                   .num("port", port_)
                   .num("backlog", effective_backlog())
                   .num("max_sessions", session_limit_)
                   .flag("implicit", config_.has("implicit")));
}

Server::~Server() = default;

void Server::run(CancelToken stop) {
    ServerShared shared{config_, log_, *tls_, *tls_fresh_, tls_other_name_.get(), stop, *ports_};
    std::list<Worker> workers;  // a list: a running thread holds its Worker's address
    auto reap = [&workers] {
        for (auto it = workers.begin(); it != workers.end();) {
            if (it->done()) {
                it->join();
                it = workers.erase(it);
            } else {
                ++it;
            }
        }
    };
    auto refuse = [this](int fd, int number, const char* reason) {
        // A fresh socket's send buffer is empty: this write does not wait.
        send_all(fd, "421 Too many sessions, try again later\r\n", Deadline::after(Millis(1000)),
                 CancelToken{});
        log_.write(log_.event(number, "disconnect").str("reason", reason));
    };
    // Kept open so that, out of descriptors, one can be freed to accept and refuse.
    UniqueFd spare(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int number = 0;
    while (!stop.cancelled()) {
        if (!spare) {  // taken by a session while it was free: try again
            spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        }
        IoResult ready = wait_readable(listener_.get(), Deadline::after(Millis(200)), stop);
        reap();
        if (!ready.ok()) {
            continue;
        }
        // Take every queued connection before waiting again, so that each one is
        // answered (220 from its session, or 421 here) within moments of its connect.
        for (int taken = 0; taken < kAcceptBatch && !stop.cancelled(); ++taken) {
            UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd && (errno == EMFILE || errno == ENFILE) && spare) {
                spare.reset();
                fd.reset(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (fd) {
                    refuse(fd.get(), ++number, "out of file descriptors");
                }
                spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
                continue;
            }
            if (!fd) {
                if (errno == EINTR || errno == ECONNABORTED) {
                    continue;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    // e.g. out of descriptors with no spare: do not spin on a ready listener
                    std::this_thread::sleep_for(Millis(20));
                }
                break;
            }
            ++number;
            if (static_cast<int>(workers.size()) >= session_limit_) {
                reap();
            }
            if (static_cast<int>(workers.size()) >= session_limit_) {
                refuse(fd.get(), number, "too many sessions");
                continue;
            }
            int raw = fd.get();
            Worker& w = workers.emplace_back();
            if (!w.start(std::make_shared<Session>(shared, number, std::move(fd)))) {
                refuse(raw, number, "cannot start a session thread");  // the Worker holds it
                workers.pop_back();
            }
        }
    }
    listener_.reset();
    for (auto& w : workers) {
        w.join();
    }
}

}  // namespace fc::ref
