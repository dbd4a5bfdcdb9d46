// spawn_in_group: start a child as the leader of its own process group, optionally as the
// first process of its own PID namespace (process.hpp says why).
//
// The child is made with posix_spawn, which glibc implements with a vfork-like clone: the
// harness's page tables are not copied (a fork of a harness running many cells copied
// tens of megabytes of them per start and left them shared copy-on-write). With a
// namespace the program started is ftps-conform-pidns (pidns/main.cpp: relay, init, then
// the command), found beside the harness's binary or in the build folder.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/search_path.hpp>
#include <cerrno>
#include <cstring>

#include "harness/core/error.hpp"
#include "harness/proc/orphans.hpp"
#include "harness/proc/process.hpp"

extern char** environ;

namespace fc {

namespace fs = std::filesystem;

namespace {

// The start-report pipe's write end in ftps-conform-pidns; pidns/main.cpp writes {stage,
// errno} there when the start fails.
constexpr int kReportFd = 3;
enum Stage : int { kNamespace = 2, kExec = 3 };

// ftps-conform-pidns: beside the running binary (an installed tool, the build folder),
// else where this build put it.
const std::string& pidns_helper() {
    static const std::string path = [] {
        std::error_code ec;
        fs::path exe = fs::read_symlink("/proc/self/exe", ec);
        if (!ec) {
            fs::path beside = exe.parent_path() / "ftps-conform-pidns";
            if (::access(beside.c_str(), X_OK) == 0) {
                return beside.string();
            }
        }
        return std::string(FTPS_CONFORM_PIDNS_BUILD_PATH);
    }();
    return path;
}

// posix_spawn's attributes and file actions, released however the start ends.
struct SpawnSetup {
    posix_spawnattr_t attr{};
    posix_spawn_file_actions_t actions{};
    SpawnSetup() {
        ::posix_spawnattr_init(&attr);
        ::posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// "NAME=value" strings: the harness's environment with `env` added or replaced.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& env) {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string entry = *e;
        std::string name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& [n, v] : env) {
            replaced = replaced || n == name;
        }
        if (!replaced) {
            out.push_back(std::move(entry));
        }
    }
    for (const auto& [n, v] : env) {
        out.push_back(n + "=" + v);
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

}  // namespace

int spawn_in_group(const std::vector<std::string>& argv, const fs::path& cwd,
                   const std::vector<std::pair<std::string, std::string>>& env, int stdin_fd,
                   int stdout_fd, int stderr_fd, bool pid_namespace) {
    if (argv.empty() || argv.front().empty()) {
        throw HarnessError("cannot start a process: empty command line");
    }
    const std::string& argv0 = argv.front();
    fs::path exe = argv0;
    if (argv0.find('/') == std::string::npos) {
        exe = boost::process::search_path(argv0).string();
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
    std::vector<std::string> args = argv;
    std::vector<std::string> envs = child_environment(env);
    std::vector<char*> argv_ptrs = pointers(args);
    std::vector<char*> env_ptrs = pointers(envs);
    const std::string exe_text = exe.string();
    const std::string dir = cwd.empty() ? fs::current_path().string() : cwd.string();

    if (!fs::is_directory(dir, ec)) {
        throw HarnessError("cannot start " + argv0 + ": no such working directory " + dir);
    }
    std::string helper;
    if (pid_namespace) {
        helper = pidns_helper();
        if (::access(helper.c_str(), X_OK) != 0) {
            throw HarnessError("cannot start " + argv0 + ": " + helper +
                               " (the PID-namespace starter, built with ftps-conform) is missing");
        }
    }

    int report[2] = {-1, -1};
    if (pid_namespace && ::pipe2(report, O_CLOEXEC) != 0) {
        throw HarnessError("cannot start " + argv0 + ": pipe: " + std::strerror(errno));
    }
    std::vector<std::string> spawn_args;
    if (pid_namespace) {
        spawn_args = {helper, std::to_string(kReportFd), exe_text};
        spawn_args.insert(spawn_args.end(), args.begin(), args.end());
    }
    std::vector<char*> spawn_ptrs = pointers(spawn_args);
    SpawnSetup setup;
    // Own process group; the harness's handlers are reset by the exec, its ignored SIGPIPE
    // stays ignored (as it always has for the endpoints), no signal is blocked.
    sigset_t none;
    ::sigemptyset(&none);
    ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    ::posix_spawnattr_setpgroup(&setup.attr, 0);
    ::posix_spawnattr_setsigmask(&setup.attr, &none);
    // A server never inherits the harness's sockets or another server's files: everything
    // above 2 is closed, but the report pipe, which becomes descriptor 3 of the starter.
    ::posix_spawn_file_actions_adddup2(&setup.actions, stdin_fd, 0);
    ::posix_spawn_file_actions_adddup2(&setup.actions, stdout_fd, 1);
    ::posix_spawn_file_actions_adddup2(&setup.actions, stderr_fd, 2);
    if (pid_namespace) {
        ::posix_spawn_file_actions_adddup2(&setup.actions, report[1], kReportFd);
    }
    ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, pid_namespace ? kReportFd + 1 : 3);
    ::posix_spawn_file_actions_addchdir_np(&setup.actions, dir.c_str());

    // Spawned and registered under one lock: reap_orphans() never takes an owned child. The
    // lock is let go before waiting for the starter's report, so other threads' starts do
    // not queue behind this one.
    auto owned = lock_children();
    pid_t pid = -1;
    int spawn_errno = pid_namespace ? ::posix_spawn(&pid, helper.c_str(), &setup.actions,
                                                    &setup.attr, spawn_ptrs.data(), env_ptrs.data())
                                    : ::posix_spawn(&pid, exe_text.c_str(), &setup.actions,
                                                    &setup.attr, argv_ptrs.data(), env_ptrs.data());
    if (spawn_errno == 0) {
        own_child(pid);
    }
    owned.unlock();
    if (pid_namespace) {
        ::close(report[1]);
    }
    if (spawn_errno != 0) {
        if (pid_namespace) {
            ::close(report[0]);
        }
        throw HarnessError("cannot start " + argv0 + ": " + std::strerror(spawn_errno) +
                           (pid_namespace ? " (starting " + helper + ")" : std::string()));
    }
    if (!pid_namespace) {
        return pid;
    }
    int msg[2] = {0, 0};
    ssize_t n = 0;
    while ((n = ::read(report[0], msg, sizeof msg)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    if (n > 0) {
        ::waitpid(pid, nullptr, 0);  // it exits at once after reporting
        disown_child(pid);
        const char* stage = msg[0] == kExec ? "" : " (pid namespace)";
        throw HarnessError("cannot start " + argv0 + ": " + std::strerror(msg[1]) + stage);
    }
    return pid;
}

}  // namespace fc
