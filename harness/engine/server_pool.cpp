#include "harness/engine/server_pool.hpp"

#include <algorithm>
#include <fstream>
#include <thread>
#include <vector>

#include "harness/core/text.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

// How long a server given back may take to end the last cell's sessions before it is
// stopped instead (sessions end within milliseconds of their client; a server slower than
// this is not worth keeping).
constexpr Millis kIdleWithin{500};
// How long a new server's readiness probe session may take to go away, so that the lowest
// count is known from the start.
constexpr Millis kSettleWithin{30};

std::string ordinal(int n) {
    const char* suffix = "th";
    if (n % 100 < 11 || n % 100 > 13) {
        suffix = n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
    }
    return std::to_string(n) + suffix;
}

// Bytes [from, end) of `src` into `dest` (replaced).
void copy_tail(const fs::path& src, const fs::path& dest, std::uintmax_t from) {
    std::ifstream in(src, std::ios::binary);
    if (!in) {
        return;
    }
    in.seekg(static_cast<std::streamoff>(from));
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
}

// The sizes of the regular files under `dir`, by path relative to it.
std::map<fs::path, std::uintmax_t> file_sizes(const fs::path& dir) {
    std::map<fs::path, std::uintmax_t> sizes;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code size_ec;
        if (it->is_regular_file(size_ec)) {
            auto size = it->file_size(size_ec);
            if (!size_ec) {
                sizes[fs::relative(it->path(), dir, size_ec)] = size;
            }
        }
    }
    return sizes;
}

// Polls `instance.activity()` until it is at most `*lowest` (updating it) or `within`
// passes; true when it got there.
bool wait_idle(ServerInstance& instance, int* lowest, Millis within) {
    Deadline until = Deadline::after(within);
    Millis pause(1);
    for (;;) {
        int now = instance.activity();
        if (now <= *lowest) {
            *lowest = now;
            return true;
        }
        if (until.expired() || instance.exited()) {
            return false;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, Millis(20));
    }
}

}  // namespace

std::string pool_key(const InstanceRequest& r) {
    std::vector<std::string> features = r.features;
    std::sort(features.begin(), features.end());
    return r.manifest->file.string() + "|" + r.manifest->name + "|" + join(features, ",") + "|" +
           r.host + "|" + join(r.misbehaviours, " ");
}

// ---- ServerLease ------------------------------------------------------------------------

ServerLease::~ServerLease() {
    if (!finished_ && instance_) {
        // The cell ended by an exception: nothing is known of the server's state.
        instance_->stop();
        sync_logs();
    }
}

std::string ServerLease::description() const {
    return pool_ == nullptr ? std::string() : name_ + ", its " + ordinal(cells_) + " cell";
}

void ServerLease::sync_logs() {
    if (pool_ == nullptr || !instance_) {
        return;
    }
    const fs::path& src = instance_->log_dir();
    for (const auto& [rel, size] : file_sizes(src)) {
        std::uintmax_t from = 0;
        const bool config = !rel.empty() && *rel.begin() == "config";
        if (auto it = offsets_.find(rel); it != offsets_.end() && !config && it->second <= size) {
            from = it->second;
        }
        // Every log the server keeps is in the cell folder (empty when it logged nothing
        // during the cell), as with a server of the cell's own.
        std::error_code ec;
        if (size > from || !fs::exists(cell_dir_ / rel, ec)) {
            copy_tail(src / rel, cell_dir_ / rel, from);
        }
    }
}

void ServerLease::finish(const fs::path& keep_work) {
    if (finished_ || !instance_) {
        return;
    }
    finished_ = true;
    if (pool_ == nullptr) {
        instance_->stop();
        if (!keep_work.empty()) {
            instance_->keep_work_dir(keep_work);
        }
        return;
    }
    const bool alive = !instance_->exited();
    const bool idle = alive && wait_idle(*instance_, &baseline_, kIdleWithin);
    if (!idle) {
        instance_->stop();  // complete logs, then the cell gets them
    }
    sync_logs();
    if (!keep_work.empty()) {
        instance_->keep_work_dir(keep_work);
    }
    if (idle) {
        instance_->reset_home();
    }
    pool_->give_back(*this, idle);
}

// ---- ServerPool -------------------------------------------------------------------------

ServerPool::ServerPool(fs::path dir, std::size_t max_idle)
    : dir_(std::move(dir)), max_idle_(std::max<std::size_t>(1, max_idle)) {}

ServerPool::~ServerPool() {
    close();
}

void ServerPool::close() {
    std::list<std::unique_ptr<ServerLease>> idle;
    {
        std::lock_guard lock(mutex_);
        idle.swap(idle_);
    }
    // Stopped side by side: each stop waits for its server to exit.
    std::vector<std::jthread> stoppers;
    for (auto& lease : idle) {
        stoppers.emplace_back([&lease] {
            lease->instance_->stop();
            lease->instance_.reset();  // ports back, work folder removed
        });
    }
}

ServerPool::Counts ServerPool::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

std::unique_ptr<ServerLease> ServerPool::acquire(ServerPool* pool, const InstanceRequest& request) {
    if (pool != nullptr) {
        return pool->take(request);
    }
    std::unique_ptr<ServerLease> lease(new ServerLease());
    lease->instance_ = ServerInstance::start(request);
    lease->cell_dir_ = request.log_dir;
    return lease;
}

std::unique_ptr<ServerLease> ServerPool::take(const InstanceRequest& request) {
    const std::string key = pool_key(request);
    std::unique_ptr<ServerLease> lease;
    int number = 0;
    {
        std::lock_guard lock(mutex_);
        // The most recently used one: its files are the warmest.
        for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
            if ((*it)->key_ == key) {
                lease = std::move(*it);
                idle_.erase(std::next(it).base());
                ++counts_.reused;
                break;
            }
        }
        if (!lease) {
            number = ++numbers_[request.manifest->name];
        }
    }
    if (lease) {
        lease->finished_ = false;
        ++lease->cells_;
        lease->cell_dir_ = request.log_dir;
        lease->offsets_ = file_sizes(lease->instance_->log_dir());
        lease->sync_logs();  // the config (and empty logs) in the cell folder from the start
        return lease;
    }

    lease.reset(new ServerLease());
    lease->pool_ = this;
    lease->key_ = key;
    lease->name_ = request.manifest->name + "#" + std::to_string(number);
    lease->cells_ = 1;
    lease->cell_dir_ = request.log_dir;
    InstanceRequest pooled = request;
    pooled.log_dir = dir_ / (request.manifest->name + "-" + std::to_string(number));
    try {
        lease->instance_ = ServerInstance::start(pooled);
    } catch (...) {
        // What the start left (prepare.log, the server's stderr, config) is this cell's.
        std::error_code ec;
        fs::create_directories(request.log_dir, ec);
        fs::copy(pooled.log_dir, request.log_dir,
                 fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
        fs::remove_all(pooled.log_dir, ec);
        throw;
    }
    // The readiness probe's session may still be ending: the lowest count is the idle one.
    lease->baseline_ = lease->instance_->activity();
    int first = lease->baseline_;
    Deadline settle = Deadline::after(kSettleWithin);
    while (!settle.expired() && lease->baseline_ >= first) {
        std::this_thread::sleep_for(Millis(2));
        lease->baseline_ = std::min(lease->baseline_, lease->instance_->activity());
    }
    {
        std::lock_guard lock(mutex_);
        ++counts_.started;
    }
    lease->sync_logs();  // the config and start-up logs in the cell folder from the start
    return lease;
}

void ServerPool::give_back(ServerLease& lease, bool reusable) {
    // `lease` is the cell's; what goes back is a lease of the pool's own.
    std::unique_ptr<ServerLease> kept;
    std::unique_ptr<ServerLease> evicted;
    if (reusable) {
        kept.reset(new ServerLease());
        kept->pool_ = this;
        kept->instance_ = std::move(lease.instance_);
        kept->key_ = lease.key_;
        kept->name_ = lease.name_;
        kept->cells_ = lease.cells_;
        kept->baseline_ = lease.baseline_;
        kept->finished_ = true;
    }
    {
        std::lock_guard lock(mutex_);
        if (!kept) {
            ++counts_.retired;
        } else {
            idle_.push_back(std::move(kept));
            if (idle_.size() > max_idle_) {
                evicted = std::move(idle_.front());
                idle_.pop_front();
            }
        }
    }
    if (!reusable && lease.instance_) {
        lease.instance_->stop();
        lease.instance_.reset();
    }
    if (evicted) {
        evicted->instance_->stop();
        evicted->instance_.reset();
    }
}

}  // namespace fc
