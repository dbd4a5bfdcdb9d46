#pragma once
// Server pooling: a server started for one configuration (manifest, features, address)
// serves, one cell at a time, the later cells that ask for the same configuration, instead
// of each cell starting and stopping its own. Starting a real server is a good part of a
// cell's cost (processes, config, a PID namespace, readiness), and most cells only open
// sessions, which every server here serves in a process or thread of its own.
//
// What a pooled server's cell still has of its own: the server's root (emptied between
// cells), the server's logs from the moment the cell took it (copied into the cell folder
// under the same names, the rendered config whole), its capture (the server's ports, taken
// one cell at a time) and the verdict on a crash. A server goes back to the pool only when
// it is alive and idle again: its processes and threads back at their lowest count, so no
// session of the last cell is still running (or still logging) when the next begins;
// otherwise it is stopped. Cells whose servers misbehave on purpose, FXP cells (two servers)
// and scenarios tagged `fresh-server` always get their own (the runner decides:
// `poolable`); `--no-pool` turns pooling off.
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "harness/engine/server_instance.hpp"

namespace fc {

class ServerPool;

/// A server one cell uses: a pooled one, or one of its own (no pool).
class ServerLease {
public:
    ~ServerLease();  // as finish() with nothing kept, if the cell did not call it
    ServerLease(const ServerLease&) = delete;
    ServerLease& operator=(const ServerLease&) = delete;

    ServerInstance& instance() { return *instance_; }
    ServerInstance* operator->() { return instance_.get(); }
    /// "proftpd#3, its 4th cell" for a pooled server; "" for a cell's own.
    std::string description() const;
    bool pooled() const { return pool_ != nullptr; }
    /// A pooled server's logs since this lease began, copied into the cell folder (same
    /// names; the rendered config whole): the cell reads them there, as from its own server.
    void sync_logs();
    /// The cell is done with the server. `keep_work`: copy its work folder there first
    /// (--keep, a cell that did not pass). A pooled server that is alive and idle goes back
    /// to the pool with an empty root; any other is stopped and reaped.
    void finish(const std::filesystem::path& keep_work = {});

private:
    friend class ServerPool;
    ServerLease() = default;

    ServerPool* pool_ = nullptr;
    std::unique_ptr<ServerInstance> instance_;
    std::string key_, name_;
    int cells_ = 0;                   ///< cells it served, this one included
    int baseline_ = 0;                ///< its lowest activity() seen
    std::filesystem::path cell_dir_;  ///< where sync_logs() copies to
    std::map<std::filesystem::path, std::uintmax_t> offsets_;  ///< log sizes when leased
    bool finished_ = false;
};

class ServerPool {
public:
    /// `dir`: where pooled servers keep their logs (a folder each); `max_idle`: idle servers
    /// kept at most (the least recently used one is stopped beyond that).
    ServerPool(std::filesystem::path dir, std::size_t max_idle);
    ~ServerPool();  // stops every idle server
    ServerPool(const ServerPool&) = delete;
    ServerPool& operator=(const ServerPool&) = delete;

    /// A server for `request` (its log_dir: the cell folder): with `pool` null, one of the
    /// cell's own, started as ServerInstance::start does; else an idle pooled one of the
    /// same configuration, or a new one started for the pool. Throws as
    /// ServerInstance::start (a new pooled server's start-up logs then go to the cell).
    static std::unique_ptr<ServerLease> acquire(ServerPool* pool, const InstanceRequest& request);

    /// Servers started and cells served so far (for the run's figures).
    struct Counts {
        int started = 0;
        int reused = 0;
        int retired = 0;  ///< given back busy or dead, hence stopped
    };
    Counts counts() const;
    /// Stops every idle server now (the run is over).
    void close();

private:
    friend class ServerLease;
    std::unique_ptr<ServerLease> take(const InstanceRequest& request);
    /// Keeps the lease's server (`reusable`: alive, idle, root emptied) or stops it.
    void give_back(ServerLease& lease, bool reusable);

    std::filesystem::path dir_;
    std::size_t max_idle_;
    mutable std::mutex mutex_;
    /// Idle servers, least recently used first; each a lease nobody holds.
    std::list<std::unique_ptr<ServerLease>> idle_;
    std::map<std::string, int> numbers_;  ///< per server name: instances started
    Counts counts_;
};

/// The configuration a pooled server is kept for (manifest, features in any order,
/// address).
std::string pool_key(const InstanceRequest& request);

}  // namespace fc
