#pragma once
// A resident driver: one process of a client that is a library (a JVM, a Node.js) kept for
// the whole run, which runs each action as if started by the action's argv, so a run pays
// that runtime's start-up once instead of once per action (clients/README.md "A resident
// driver", where the protocol is). The manifest asks for it with <resident argv="...">.
//
// What a cell still has of its own: the action's stdout and stderr files, its exit status,
// its deadline (on expiry the harness cancels the action; a resident that does not answer
// the cancel is restarted) and Ctrl-C. What it shares: the resident's process, its
// environment (HOME, LC_ALL; no per-action SSLKEYLOGFILE) and whatever state the library
// keeps across actions, which is why a driver makes its TLS context per action.
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/core/deadline.hpp"

namespace fc {

class Process;

/// How one action sent to a resident ended.
struct ResidentRun {
    std::optional<int> exit_status;  ///< the driver's status for the action
    bool timed_out = false;          ///< the deadline passed first (the action was cancelled)
    bool cancelled = false;          ///< the run was interrupted
    std::string error;               ///< the resident could not run it (would not start, died)
    double seconds = 0.0;
};

class Resident {
public:
    /// `argv`: the resident's command line, rendered; `dir`: its working folder, HOME and
    /// log (resident.log: its stderr, and what the harness did with it).
    Resident(std::string name, std::vector<std::string> argv, std::filesystem::path dir);
    ~Resident();
    Resident(const Resident&) = delete;
    Resident& operator=(const Resident&) = delete;

    /// Runs one action, whose argv is `words`, appending its output to `stdout_path` and
    /// `stderr_path`. Starts the resident first if it is not running (or has died). Thread
    /// safe: concurrent cells' actions run at once. A resident that fails to start twice before
    /// it has ever said ready is not started again: later actions get that error at once.
    ResidentRun run(const std::vector<std::string>& words, const std::filesystem::path& stdout_path,
                    const std::filesystem::path& stderr_path, Millis timeout, CancelToken cancel);

    /// How many times the process was started (1 in a run where nothing went wrong).
    int starts() const;

private:
    // One start of the process: its pipes, its reader thread and the answers it read.
    struct Instance;

    // The running instance, started (and awaited until it says ready, the run's cancel
    // heard) when there is none; null with `error` when it cannot be had.
    std::shared_ptr<Instance> running(CancelToken cancel, std::string& error);
    void restart(const std::shared_ptr<Instance>& instance, const std::string& why);
    void log(const std::string& line);

    const std::string name_;
    const std::vector<std::string> argv_;
    const std::filesystem::path dir_;
    mutable std::mutex mutex_;
    std::shared_ptr<Instance> instance_;
    std::uint64_t next_id_ = 1;
    int starts_ = 0;
    int failed_starts_ = 0;      // starts that never said ready (not counting interrupted ones)
    bool ever_ready_ = false;    // once it has worked, a failed start is that action's own
    std::string first_failure_;  // why the first failed start failed
};

}  // namespace fc
