#pragma once
// One running instance of a real server, made from its manifest: config rendered from
// templates with this instance's port, directories, certificates and features, the
// process started in its own group and stopped (and reaped) on destruction.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clients/reference/reference_session.hpp"
#include "harness/core/deadline.hpp"
#include "harness/core/variables.hpp"
#include "harness/engine/start_breaker.hpp"
#include "harness/proc/ports.hpp"
#include "harness/proc/process.hpp"
#include "harness/scenario/manifest.hpp"
#include "harness/tls/pki.hpp"

namespace fc {

/// Test credentials of a run: made once, shared by every instance.
struct Credentials {
    std::string user = "alice";  // matches the client certificates' CN
    std::string password;
    std::string password_crypt;  // sha512-crypt of password, for passwd-style files
};
/// A random password and its crypt hash.
Credentials make_credentials();

/// Fills the manifest's config fragments for `features`: the largest fragments first,
/// each used only when all its features are asked for. Returns nullopt and sets
/// `*missing` when some feature has no fragment (the cell is then `unsupported`).
std::optional<std::string> realise_features(const ServerManifest& manifest,
                                            const std::vector<std::string>& features,
                                            std::vector<std::string>* missing);

/// Where the server binaries live: $FTPS_CONFORM_PREFIX, else <source>/.prefix, else (an
/// installed binary) default_prefix_for()'s per-user or /var/lib folder.
std::filesystem::path default_prefix();

/// The ftps-conform executable (the reference server runs as `${self} serve`):
/// $FTPS_CONFORM_SELF, else this process's executable when it is ftps-conform, else the
/// one in the build tree (tests link the engine into another binary).
std::filesystem::path self_binary();
/// The placeholders a server manifest may use that do not depend on one instance.
Variables manifest_variables(const ServerManifest& manifest, const std::filesystem::path& prefix);

struct InstanceRequest {
    const ServerManifest* manifest = nullptr;
    std::vector<std::string> features;
    std::string features_text;  ///< from realise_features
    const PkiFiles* pki = nullptr;
    const Credentials* credentials = nullptr;
    std::filesystem::path prefix;
    std::filesystem::path log_dir;  ///< the cell dir: logs and rendered config land here
    PortAllocator* ports = nullptr;
    CancelToken cancel;
    /// Deliberate misbehaviours to switch on (the manifest's <misbehave> per name).
    std::vector<std::string> misbehaviours = {};
    /// The loopback address it listens on (FXP cells put their two servers on two).
    std::string host = "127.0.0.1";
    /// The run's circuit breaker (start_breaker.hpp); null: every start is tried.
    StartBreaker* breaker = nullptr;
    /// The run's cache folder; `${run_cache}` is its server-<name> subfolder. Empty: a
    /// folder of this instance's own (nothing is shared).
    std::filesystem::path run_cache = {};
};

class ServerInstance {
public:
    /// Renders, starts and waits until ready. Throws HarnessError with one clear cause
    /// (binary missing, exited at start with its stderr, not ready in time), or at once
    /// when the request's breaker says this server failed to start twice already.
    static std::unique_ptr<ServerInstance> start(const InstanceRequest& request);
    ~ServerInstance();

    /// Where the reference client reaches it.
    Target target() const;
    /// Exit status if the server process has died (a crash during a cell is a fail).
    std::optional<int> exited();
    /// How it died, for reports ("exited on signal 11 (SIGSEGV)"); nullopt while it runs.
    /// `grace`: how long to wait for a dying server's status (a crash reaches the harness
    /// a moment after the client saw the connection close).
    std::optional<std::string> exit_description(Millis grace = Millis(0));
    /// Stops the process group and reaps it. Idempotent.
    void stop();
    /// The test user's home: the root the server serves. Files the harness puts there
    /// must belong to home_owner() (the server's sessions run as that account).
    const std::filesystem::path& home() const { return home_; }
    /// uid and gid of the account that owns home().
    std::pair<unsigned, unsigned> home_owner() const { return owner_; }
    /// Copies the private work dir into `dest` (for --keep and failed cells).
    void keep_work_dir(const std::filesystem::path& dest) const;
    /// Threads of the server's processes (its process and every descendant; zombies do not
    /// count): every session a server serves adds a process or a thread, so a pooled server
    /// is idle again when this is back at its lowest (server_pool.hpp).
    int activity() const;
    /// Empties the root (home()) for the next cell of a pooled server.
    void reset_home();
    /// Where its logs and rendered config go (`${logdir}`): the cell folder, or a pooled
    /// server's own folder.
    const std::filesystem::path& log_dir() const { return request_.log_dir; }
    /// The passive port range handed to the manifest (${pasv_min}-${pasv_max}); nullopt
    /// when the manifest uses neither, i.e. the server picks its passive ports itself.
    std::optional<std::pair<std::uint16_t, std::uint16_t>> passive_range() const {
        return passive_range_;
    }

private:
    ServerInstance() = default;
    static std::unique_ptr<ServerInstance> start_unguarded(const InstanceRequest& request);

    InstanceRequest request_;
    /// Ports leased from request_.ports (passive range, control ports tried), given back
    /// once the server has stopped.
    std::vector<std::pair<std::uint16_t, std::uint16_t>> leases_;
    std::filesystem::path work_dir_;  // private, under the system temp dir
    std::filesystem::path home_;
    std::pair<unsigned, unsigned> owner_{0, 0};
    std::uint16_t port_ = 0;
    std::optional<std::pair<std::uint16_t, std::uint16_t>> passive_range_;
    std::unique_ptr<Process> process_;
};

}  // namespace fc
