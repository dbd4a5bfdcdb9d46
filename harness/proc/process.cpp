#include "harness/proc/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/proc/orphans.hpp"
#include "harness/proc/proc_table.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

// A descriptor owned by this scope.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

int open_output(const fs::path& path, const std::string& argv0) {
    int fd = path.empty() ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                          : ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw HarnessError("cannot start " + argv0 + ": cannot open " +
                           (path.empty() ? std::string("/dev/null") : path.string()) + ": " +
                           std::strerror(errno));
    }
    return fd;
}

}  // namespace

int shell_status(int wait_status) {
    if (WIFEXITED(wait_status)) {
        return WEXITSTATUS(wait_status);
    }
    if (WIFSIGNALED(wait_status)) {
        return 128 + WTERMSIG(wait_status);
    }
    return -1;
}

std::string describe_wait_status(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        const char* abbrev = ::sigabbrev_np(sig);
        return "exited on signal " + std::to_string(sig) +
               (abbrev != nullptr ? " (SIG" + std::string(abbrev) + ")" : std::string());
    }
    if (WIFEXITED(wait_status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
    }
    return "ended (wait status " + std::to_string(wait_status) + ")";
}

void kill_and_reap_group(int pgid, Millis limit) {
    Deadline deadline = Deadline::after(limit);
    while (true) {
        // Reap whatever members of the group are our children (reparented orphans).
        while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
        }
        if (::kill(-pgid, SIGKILL) != 0 && errno == ESRCH) {
            return;
        }
        if (deadline.expired()) {
            return;
        }
        std::this_thread::sleep_for(Millis(2));
    }
}

std::unique_ptr<Process> Process::start(const ProcessSpec& spec) {
    const std::string argv0 = spec.argv.empty() ? std::string("<nothing>") : spec.argv.front();
    Fd in{spec.stdin_fd >= 0         ? ::fcntl(spec.stdin_fd, F_DUPFD_CLOEXEC, 0)
          : spec.stdin_to_stderr_log ? open_output(spec.stderr_path, argv0)
                                     : ::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) {
        throw HarnessError("cannot start " + argv0 + ": cannot open /dev/null");
    }
    Fd out{spec.stdout_fd >= 0 ? ::fcntl(spec.stdout_fd, F_DUPFD_CLOEXEC, 0)
                               : open_output(spec.stdout_path, argv0)};
    if (out.fd < 0) {
        throw HarnessError("cannot start " + argv0 + ": " + std::strerror(errno));
    }
    Fd err{open_output(spec.stderr_path, argv0)};
    int pid =
        spawn_in_group(spec.argv, spec.cwd, spec.env, in.fd, out.fd, err.fd, spec.pid_namespace);
    return std::unique_ptr<Process>(new Process(pid, spec.stderr_path));
}

Process::~Process() {
    stop();
}

bool Process::reap_locked() {
    if (status_) {
        return true;
    }
    int ws = 0;
    pid_t r = ::waitpid(pid_, &ws, WNOHANG);
    if (r == pid_) {
        status_ = shell_status(ws);
        wait_status_ = ws;
        disown_child(pid_);
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        status_ = -1;  // reaped elsewhere; the status is lost
        disown_child(pid_);
        return true;
    }
    return false;
}

bool Process::running() {
    std::lock_guard lock(mutex_);
    return !reap_locked();
}

std::optional<int> Process::exit_status() {
    std::lock_guard lock(mutex_);
    reap_locked();
    return status_;
}

std::optional<std::string> Process::exit_description() {
    std::lock_guard lock(mutex_);
    if (!reap_locked()) {
        return std::nullopt;
    }
    return wait_status_ ? describe_wait_status(*wait_status_) : "ended (status unknown)";
}

bool Process::wait(Deadline deadline, CancelToken cancel) {
    Millis step(1);
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (reap_locked()) {
                return true;
            }
        }
        if (cancel.cancelled() || deadline.expired()) {
            return false;
        }
        std::this_thread::sleep_for(std::min(step, deadline.remaining()));
        step = std::min(step * 2, Millis(10));
    }
}

void Process::stop(Millis grace) {
    std::lock_guard lock(mutex_);
    if (group_cleaned_) {
        return;
    }
    // What descends from the leader now (the group kill misses those that left the group).
    std::vector<ProcEntry> tree;
    if (!reap_locked()) {
        tree = read_descendants(pid_);
        ::kill(-pid_, SIGTERM);
        Deadline deadline = Deadline::after(grace);
        Millis step(1);
        while (!reap_locked() && !deadline.expired()) {
            std::this_thread::sleep_for(std::min(step, deadline.remaining()));
            step = std::min(step * 2, Millis(10));
        }
    }
    if (!reap_locked()) {
        for (const ProcEntry& e : read_descendants(pid_)) {
            tree.push_back(e);  // forked during the grace period
        }
        ::kill(-pid_, SIGKILL);
        // After SIGKILL the leader dies promptly unless stuck in the kernel: bounded wait.
        Deadline deadline = Deadline::after(Millis(1000));
        while (!reap_locked() && !deadline.expired()) {
            std::this_thread::sleep_for(Millis(2));
        }
    }
    // Session processes left behind (the leader is gone, the group may not be).
    kill_and_reap_group(pid_, Millis(500));
    kill_tree(tree, Millis(500));
    group_cleaned_ = true;
}

std::string Process::stderr_tail(std::size_t max_bytes) const {
    std::ifstream in(stderr_path_, std::ios::binary);
    if (!in || max_bytes == 0) {
        return "";
    }
    in.seekg(0, std::ios::end);
    auto size = static_cast<std::size_t>(in.tellg());
    std::size_t from = size > max_bytes ? size - max_bytes : 0;
    in.seekg(static_cast<std::streamoff>(from));
    std::string text(size - from, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (from > 0) {
        auto nl = text.find('\n');
        if (nl != std::string::npos && nl + 1 < text.size()) {
            text.erase(0, nl + 1);
        }
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

}  // namespace fc
