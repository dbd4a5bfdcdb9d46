#pragma once
// Child processes of the harness: servers and clients under test, each in its own process
// group and, when the harness may (root), in its own PID namespace, so that stopping one
// also stops everything it forked, including session processes that left the group with
// setsid (the kernel kills a namespace's processes when its first one ends). Without a
// namespace, stop() also kills what /proc showed descending from the child.
//
// This header is the entry point of the proc layer: it also brings in run_command
// (command.hpp), wait_ready (readiness.hpp) and become_subreaper (subreaper.hpp).
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/core/deadline.hpp"

namespace fc {

/// What to start and where its output goes.
struct ProcessSpec {
    std::vector<std::string> argv;  ///< argv[0] is a path, or a name looked up in PATH
    std::filesystem::path cwd;      ///< working directory; empty = the harness's own
    std::filesystem::path stdout_path, stderr_path;  ///< appended to; empty = /dev/null
    /// A descriptor the child gets as stdout instead of stdout_path (a pipe's write end);
    /// the caller keeps its own and closes it. -1: stdout_path.
    int stdout_fd = -1;
    /// Likewise a descriptor the child gets as stdin (a pipe's read end); -1: /dev/null, or
    /// the stderr log with stdin_to_stderr_log.
    int stdin_fd = -1;
    std::vector<std::pair<std::string, std::string>> env;  ///< added to the inherited env
    /// stdin opened for writing on the stderr log instead of /dev/null: vsftpd reports
    /// start-up errors on file descriptor 0.
    bool stdin_to_stderr_log = false;
    /// Run in a new PID namespace (when permitted: root; else silently without). Nothing
    /// the child starts can outlive it then. The pid the harness sees is a relay that
    /// exits as the child does (same status or signal); see spawn.cpp.
    bool pid_namespace = true;
};

/// A running child, leader of its own process group. stdin is /dev/null unless the spec
/// says otherwise.
class Process {
public:
    /// Starts the child. Throws HarnessError "cannot start <argv0>: <reason>" when the
    /// binary is missing or not executable, or the output files cannot be opened.
    static std::unique_ptr<Process> start(const ProcessSpec& spec);

    /// Stops the child and its group (see stop()).
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    /// The leader's pid, which is also the process group id.
    int pid() const { return pid_; }
    /// True until the leader has exited (it is reaped as a side effect).
    bool running();
    /// Shell-style status once the leader has exited: the exit code, or 128+signal.
    std::optional<int> exit_status();
    /// How the leader ended, for reports: "exited with status 3", "exited on signal 11
    /// (SIGSEGV)"; nullopt while it runs, "ended (status unknown)" if reaped elsewhere.
    std::optional<std::string> exit_description();
    /// Waits for the leader to exit. True if it did; false on deadline or cancellation
    /// (cancellation is noticed within ~10 ms).
    bool wait(Deadline deadline, CancelToken cancel);
    /// SIGTERM to the group, up to `grace` for the leader to exit, then SIGKILL to the
    /// group; reaps the leader and any group members reparented to us; then SIGKILLs (and
    /// reaps) every process that descended from the leader when stop() began, if still the
    /// same process (start time). Idempotent and bounded in time (at most grace + ~2 s).
    void stop(Millis grace = Millis(2000));
    /// The last `max_bytes` of the stderr file (whole lines where possible).
    std::string stderr_tail(std::size_t max_bytes = 2000) const;

private:
    Process(int pid, std::filesystem::path stderr_path)
        : pid_(pid), stderr_path_(std::move(stderr_path)) {}
    /// Non-blocking reap of the leader; records the status. Caller holds mutex_.
    bool reap_locked();

    int pid_;
    std::filesystem::path stderr_path_;
    std::mutex mutex_;
    std::optional<int> status_;
    std::optional<int> wait_status_;  // raw waitpid(2) status, when we reaped it
    bool group_cleaned_ = false;
};

/// Shell-style status from a waitpid(2) status word: exit code, or 128+signal.
int shell_status(int wait_status);

/// "exited with status 3" or "exited on signal 11 (SIGSEGV)" from a waitpid(2) status.
std::string describe_wait_status(int wait_status);

/// Low level: forks and execs `argv` as the leader of a new process group, with the given
/// descriptors as its stdin, stdout and stderr (every other descriptor is closed on exec),
/// optionally in a new PID namespace (ProcessSpec::pid_namespace). Returns the pid. Throws
/// HarnessError "cannot start <argv0>: <reason>" (spawn.cpp).
int spawn_in_group(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                   const std::vector<std::pair<std::string, std::string>>& env, int stdin_fd,
                   int stdout_fd, int stderr_fd, bool pid_namespace = false);

/// Kills process group `pgid` with SIGKILL and reaps members that are our children, until
/// the group is empty or `limit` has passed.
void kill_and_reap_group(int pgid, Millis limit);

}  // namespace fc

#include "harness/proc/command.hpp"
#include "harness/proc/readiness.hpp"
#include "harness/proc/subreaper.hpp"
