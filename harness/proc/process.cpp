#include "harness/proc/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/proc/orphans.hpp"

namespace fc {

namespace fs = std::filesystem;
namespace bp = boost::process;

namespace {

// This process's environment with `overrides` applied in order (a later override of the same
// name wins): an overridden name keeps its place, a new name is appended.
std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<std::string> out;
    auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
    for (char** e = ::environ; e != nullptr && *e != nullptr; ++e) {
        out.emplace_back(*e);
    }
    for (const auto& override_entry : overrides) {
        const std::string& name = override_entry.first;
        std::string entry = name + "=" + override_entry.second;
        auto same = std::find_if(out.begin(), out.end(),
                                 [&](const std::string& s) { return name_of(s) == name; });
        if (same != out.end()) {
            *same = std::move(entry);
        } else {
            out.push_back(std::move(entry));
        }
    }
    return out;
}

// Marks every descriptor above 2 close-on-exec, so a server never inherits the harness's
// sockets or another server's files. Runs in the forked child: async-signal-safe calls only.
void cloexec_from_3() {
#ifdef SYS_close_range
    constexpr unsigned close_range_cloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC, Linux >= 5.11
    if (::syscall(SYS_close_range, 3U, ~0U, close_range_cloexec) == 0) {
        return;
    }
#endif
    struct rlimit lim {};
    long max_fd = ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY
                      ? static_cast<long>(lim.rlim_cur)
                      : 65536;
    for (long fd = 3; fd < max_fd && fd < 65536; ++fd) {
        ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    }
}

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

int spawn_in_group(const std::vector<std::string>& argv, const fs::path& cwd,
                   const std::vector<std::pair<std::string, std::string>>& env, int stdin_fd,
                   int stdout_fd, int stderr_fd) {
    if (argv.empty() || argv.front().empty()) {
        throw HarnessError("cannot start a process: empty command line");
    }
    const std::string& argv0 = argv.front();
    fs::path exe = argv0;
    if (argv0.find('/') == std::string::npos) {
        exe = bp::search_path(argv0).string();
        if (exe.empty()) {
            throw HarnessError("cannot start " + argv0 + ": not found in PATH");
        }
    }
    std::error_code ec;
    if (!fs::exists(exe, ec)) {
        throw HarnessError("cannot start " + argv0 + ": no such file");
    }
    if (fs::is_directory(exe, ec) || ::access(exe.c_str(), X_OK) != 0) {
        throw HarnessError("cannot start " + argv0 + ": not executable");
    }

    // The child's environment is built here rather than with bp::environment: Boost 1.74's
    // environment::find() compares a key against each entry with memcmp over the key's length,
    // reading past the end of any shorter entry (ASan reports it).
    std::vector<std::string> env_strings = merged_environment(env);
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (std::string& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    char** envp_data = envp.data();
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    fs::path dir = cwd.empty() ? fs::current_path() : cwd;

    // In the child, before exec: a new process group, then the three standard descriptors.
    auto setup = [stdin_fd, stdout_fd, stderr_fd, envp_data](auto& exec) {
        exec.env = envp_data;
        if (::setpgid(0, 0) != 0 || ::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 ||
            ::dup2(stderr_fd, 2) < 0) {
            exec.set_error(std::error_code(errno, std::system_category()), "child setup");
            ::_exit(127);
        }
        cloexec_from_3();
    };
    // Spawned and registered under one lock: reap_orphans() never takes an owned child.
    auto owned = lock_children();
    try {
        bp::child child(bp::exe = exe.string(), bp::args = args, bp::start_dir = dir.string(),
                        bp::extend::on_exec_setup = setup);
        int pid = child.id();
        // Also set the group from the parent, so a signal sent right after start() reaches
        // the new group even if the child has not run yet.
        ::setpgid(pid, pid);
        child.detach();  // reaped by waitpid in Process / run_command
        own_child(pid);
        return pid;
    } catch (const bp::process_error& e) {
        throw HarnessError("cannot start " + argv0 + ": " + e.code().message());
    }
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
    Fd in{spec.stdin_to_stderr_log ? open_output(spec.stderr_path, argv0)
                                   : ::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) {
        throw HarnessError("cannot start " + argv0 + ": cannot open /dev/null");
    }
    Fd out{open_output(spec.stdout_path, argv0)};
    Fd err{open_output(spec.stderr_path, argv0)};
    int pid = spawn_in_group(spec.argv, spec.cwd, spec.env, in.fd, out.fd, err.fd);
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
    if (!reap_locked()) {
        ::kill(-pid_, SIGTERM);
        Deadline deadline = Deadline::after(grace);
        Millis step(1);
        while (!reap_locked() && !deadline.expired()) {
            std::this_thread::sleep_for(std::min(step, deadline.remaining()));
            step = std::min(step * 2, Millis(10));
        }
    }
    if (!reap_locked()) {
        ::kill(-pid_, SIGKILL);
        // After SIGKILL the leader dies promptly unless stuck in the kernel: bounded wait.
        Deadline deadline = Deadline::after(Millis(1000));
        while (!reap_locked() && !deadline.expired()) {
            std::this_thread::sleep_for(Millis(2));
        }
    }
    // Session processes left behind (the leader is gone, the group may not be).
    kill_and_reap_group(pid_, Millis(500));
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
