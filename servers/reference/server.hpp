#pragma once
// The reference server: a listener on a non-blocking socket, one thread per control
// connection, a limit on concurrent sessions, and a prompt, orderly stop when the cancel
// token is set (SIGTERM/SIGINT): stop accepting, let every session say 421 and close,
// join them all.
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <mutex>

#include "harness/core/deadline.hpp"
#include "harness/core/socket.hpp"
#include "harness/tls/tls_stream.hpp"
#include "servers/reference/config.hpp"
#include "servers/reference/event_log.hpp"

namespace fc::ref {

/// Hands out ports of the --pasv-range in turn (0 = any free port when there is no range).
class PortPool {
public:
    PortPool(std::uint16_t min, std::uint16_t max) : min_(min), max_(max), next_(min) {}
    /// A listening socket on `host`, on the next port of the range that can be bound.
    UniqueFd listen(const std::string& host, std::string* error);

private:
    std::uint16_t min_, max_;
    std::mutex mutex_;
    std::uint32_t next_;
};

/// What every session shares; all of it is thread-safe or read-only.
struct ServerShared {
    const ServerConfig& config;
    const EventLog& log;
    const TlsServerContext& tls;        ///< control and data: one session cache, one ticket key
    const TlsServerContext& tls_fresh;  ///< same certificate, its own cache: nothing resumes
    const TlsServerContext* tls_other_name;  ///< data-other-cert only
    CancelToken stop;
    PortPool& ports;
};

class Server {
public:
    /// Loads certificates, opens the event log and starts listening. Throws HarnessError.
    explicit Server(ServerConfig config);
    ~Server();
    std::uint16_t port() const { return port_; }
    const ServerConfig& config() const { return config_; }
    /// Accepts and serves until `stop` is set; returns once every session has ended.
    void run(CancelToken stop);

private:
    ServerConfig config_;
    EventLog log_;
    std::unique_ptr<TlsServerContext> tls_, tls_fresh_, tls_other_name_;
    std::unique_ptr<PortPool> ports_;
    UniqueFd listener_;
    std::uint16_t port_ = 0;
    int session_limit_ = 0;  ///< --max-sessions, lowered to what the descriptor limit holds
};

/// The TLS options the configuration asks for (features and misbehaviours), with the
/// certificate `cert` (the configured one unless a misbehaviour swaps it).
TlsServerOptions tls_options(const ServerConfig& config, const std::filesystem::path& cert);
/// Applies what TlsServerOptions cannot say (optional verification, refusing certificates)
/// and installs the session binding.
void finish_context(const ServerConfig& config, TlsServerContext& context);

}  // namespace fc::ref
