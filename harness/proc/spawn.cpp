// spawn_in_group: fork and exec a child as the leader of its own process group, optionally
// as the first process of its own PID namespace (process.hpp says why).
//
// With a namespace the chain is:
//   harness -> relay (the group leader, the pid Process knows; in the harness's namespace)
//           -> init  (pid 1 of the new namespace; reaps whatever is re-parented to it)
//           -> the command (pid 2)
// When the command exits, init hands its wait status to the relay and exits; the kernel
// then kills every process left in the namespace (session processes, whatever they did
// with setsid or double forks). The relay exits the way the command did (same exit code,
// or the same signal), so exit statuses, readiness and crashes look as without it.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

// Everything the child needs, prepared before fork: after a fork in a threaded process
// only async-signal-safe calls are allowed until exec.
struct ChildPlan {
    const char* exe;
    char* const* argv;
    char* const* envp;
    const char* dir;
    int stdin_fd, stdout_fd, stderr_fd;
    int report_fd;  // close-on-exec pipe to the parent: {stage, errno} if the start fails
    bool pid_namespace;
};

enum Stage : int { kSetup = 1, kNamespace = 2, kExec = 3 };

[[noreturn]] void report_and_exit(int report_fd, Stage stage) {
    int msg[2] = {stage, errno};
    ssize_t ignored = ::write(report_fd, msg, sizeof msg);
    (void)ignored;
    ::_exit(127);
}

// Marks every descriptor above 2 close-on-exec, so a server never inherits the harness's
// sockets or another server's files.
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

// Closes every descriptor above 2 except `keep` (-1: none). The relay and init never exec,
// so close-on-exec does nothing for them: without this they would hold, for the whole life
// of their command, every descriptor the harness had open when it forked, among them the
// start-report pipe of a process another thread was starting at that moment, whose
// spawn_in_group then waited for that pipe's end until this command exited (the hang
// under --jobs), and the listening sockets of other cells' servers.
void close_from_3_except(int keep) {
    auto close_range_of = [](unsigned first, unsigned last) {
        if (first > last) {
            return;
        }
#ifdef SYS_close_range
        if (::syscall(SYS_close_range, first, last, 0U) == 0) {
            return;
        }
#endif
        struct rlimit lim {};
        unsigned max_fd = ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY
                              ? static_cast<unsigned>(lim.rlim_cur)
                              : 65536U;
        for (unsigned fd = first; fd <= last && fd < max_fd && fd < 65536U; ++fd) {
            ::close(static_cast<int>(fd));
        }
    };
    if (keep < 3) {
        close_range_of(3U, ~0U);
        return;
    }
    close_range_of(3U, static_cast<unsigned>(keep) - 1U);
    close_range_of(static_cast<unsigned>(keep) + 1U, ~0U);
}

// Ends this process the way `wait_status` says its child ended: the same exit code, or
// the same signal (without a core file; the child's core, if any, is the one that counts).
[[noreturn]] void exit_like(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        struct rlimit no_core {};
        ::setrlimit(RLIMIT_CORE, &no_core);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(sig, &dfl, nullptr);
        sigset_t set;
        ::sigemptyset(&set);
        ::sigaddset(&set, sig);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
        ::kill(::getpid(), sig);
        ::_exit(128 + sig);
    }
    ::_exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 127);
}

// In the forked child: returns in the process that goes on to exec the command; the relay
// and init never return. Without permission for a new namespace (not root) it returns at
// once and the command runs without one.
void enter_pid_namespace(int report_fd) {
    if (::unshare(CLONE_NEWPID) != 0) {
        return;
    }
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
        report_and_exit(report_fd, kNamespace);
    }
    pid_t init = ::_Fork();
    if (init < 0) {
        report_and_exit(report_fd, kNamespace);
    }
    if (init == 0) {
        // pid 1 of the namespace. Dies with the relay (SIGKILL to the relay alone must not
        // leave the namespace running); a SIGTERM to the group does not reach it (the
        // kernel drops signals to a namespace's init that has no handler), so it lives
        // until the command has exited and reports how.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::prctl(PR_SET_NAME, "fc-pidns-init");
        ::close(status_pipe[0]);
        pid_t command = ::_Fork();
        if (command < 0) {
            report_and_exit(report_fd, kNamespace);
        }
        if (command == 0) {
            ::close(status_pipe[1]);
            return;
        }
        ::close(report_fd);
        close_from_3_except(status_pipe[1]);
        while (true) {
            int ws = 0;
            pid_t r = ::waitpid(-1, &ws, 0);
            if (r == command) {
                ssize_t ignored = ::write(status_pipe[1], &ws, sizeof ws);
                (void)ignored;
                ::_exit(0);  // the kernel now kills what is left in the namespace
            }
            if (r < 0 && errno != EINTR) {
                ::_exit(127);
            }
        }
    }
    // The relay. It ignores the polite signals: they reach the command directly (same
    // process group), and the relay must outlive it to report its status.
    ::prctl(PR_SET_NAME, "fc-pidns-relay");
    ::close(status_pipe[1]);
    ::close(report_fd);
    close_from_3_except(status_pipe[0]);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
        ::sigaction(sig, &ign, nullptr);
    }
    int init_status = 0;
    while (::waitpid(init, &init_status, 0) < 0 && errno == EINTR) {
    }
    int command_status = 0;
    ssize_t n = 0;
    while ((n = ::read(status_pipe[0], &command_status, sizeof command_status)) < 0 &&
           errno == EINTR) {
    }
    exit_like(n == static_cast<ssize_t>(sizeof command_status) ? command_status : init_status);
}

[[noreturn]] void child_main(const ChildPlan& p) {
    if (::setpgid(0, 0) != 0 || ::dup2(p.stdin_fd, 0) < 0 || ::dup2(p.stdout_fd, 1) < 0 ||
        ::dup2(p.stderr_fd, 2) < 0 || ::chdir(p.dir) != 0) {
        report_and_exit(p.report_fd, kSetup);
    }
    cloexec_from_3();
    if (p.pid_namespace) {
        enter_pid_namespace(p.report_fd);
    }
    ::execve(p.exe, p.argv, p.envp);
    report_and_exit(p.report_fd, kExec);
}

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

    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
        throw HarnessError("cannot start " + argv0 + ": pipe: " + std::strerror(errno));
    }
    ChildPlan plan{exe_text.c_str(), argv_ptrs.data(), env_ptrs.data(), dir.c_str(),  stdin_fd,
                   stdout_fd,        stderr_fd,        report[1],       pid_namespace};
    // Spawned and registered under one lock: reap_orphans() never takes an owned child. The
    // lock is let go before waiting for the exec (two more forks with a namespace), so other
    // threads' starts do not queue behind this one.
    auto owned = lock_children();
    pid_t pid = ::fork();
    if (pid == 0) {
        child_main(plan);
    }
    int fork_errno = errno;
    if (pid > 0) {
        own_child(pid);
    }
    owned.unlock();
    ::close(report[1]);
    if (pid < 0) {
        ::close(report[0]);
        throw HarnessError("cannot start " + argv0 + ": fork: " + std::strerror(fork_errno));
    }
    // Also set the group from the parent, so a signal sent right after start() reaches the
    // new group even if the child has not run yet (fails harmlessly once it has exec'd).
    ::setpgid(pid, pid);
    int msg[2] = {0, 0};
    ssize_t n = 0;
    while ((n = ::read(report[0], msg, sizeof msg)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    if (n > 0) {
        ::waitpid(pid, nullptr, 0);  // it exits at once after reporting
        disown_child(pid);
        const char* stage = msg[0] == kExec    ? ""
                            : msg[0] == kSetup ? " (child set-up)"
                                               : " (pid namespace)";
        throw HarnessError("cannot start " + argv0 + ": " + std::strerror(msg[1]) + stage);
    }
    return pid;
}

}  // namespace fc
