#include "servers/reference/server.hpp"

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
    return o;
}

void finish_context(const ServerConfig& c, TlsServerContext& context) {
    SSL_CTX* ctx = context.get();
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
    ports_ = std::make_unique<PortPool>(config_.pasv_min, config_.pasv_max);
    std::string error;
    listener_ = tcp_listen(config_.host, config_.port, &error, 128);
    if (!listener_) {
        throw HarnessError("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                           ": " + error);
    }
    port_ = local_port(listener_.get());
    log_.write(log_.event(0, "listen")
                   .str("host", config_.host)
                   .num("port", port_)
                   .flag("implicit", config_.has("implicit")));
}

Server::~Server() = default;

void Server::run(CancelToken stop) {
    ServerShared shared{config_, log_, *tls_, *tls_fresh_, tls_other_name_.get(), stop, *ports_};
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::list<Worker> workers;
    auto reap = [&workers] {
        for (auto it = workers.begin(); it != workers.end();) {
            if (it->done->load()) {
                it->thread.join();
                it = workers.erase(it);
            } else {
                ++it;
            }
        }
    };
    int number = 0;
    while (!stop.cancelled()) {
        std::string error;
        UniqueFd fd = tcp_accept(listener_.get(), Deadline::after(Millis(200)), stop, &error);
        reap();
        if (!fd) {
            continue;
        }
        ++number;
        if (static_cast<int>(workers.size()) >= config_.max_sessions) {
            send_all(fd.get(), "421 Too many sessions, try again later\r\n",
                     Deadline::after(Millis(1000)), stop);
            log_.write(log_.event(number, "disconnect").str("reason", "too many sessions"));
            continue;
        }
        auto done = std::make_shared<std::atomic<bool>>(false);
        auto session = std::make_shared<Session>(shared, number, std::move(fd));
        std::thread t([session, done] {
            try {
                session->run();
            } catch (const std::exception&) {
                // the session closes its sockets as it unwinds; the server goes on
            }
            done->store(true);
        });
        workers.push_back(Worker{std::move(t), done});
    }
    listener_.reset();
    for (auto& w : workers) {
        w.thread.join();
    }
}

}  // namespace fc::ref
