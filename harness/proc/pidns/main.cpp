// ftps-conform-pidns: starts one command as the second process of a new PID namespace.
// spawn_in_group (harness/proc/spawn.cpp) runs it, already in the child's process group,
// working directory and standard streams:
//
//   ftps-conform-pidns REPORT_FD EXE ARGV0 [ARG...]
//
// The chain it makes:
//   this process, the relay (the group leader, the pid the harness knows; in the harness's
//   namespace) -> init (pid 1 of the new namespace; reaps whatever is re-parented to it)
//              -> the command (pid 2)
// When the command exits, init hands its wait status to the relay and exits; the kernel
// then kills every process left in the namespace (session processes, whatever they did with
// setsid or double forks). The relay exits the way the command did (same exit code, or the
// same signal), so exit statuses, readiness and crashes look as without it. Without
// permission for a new namespace (not root) it execs the command itself.
//
// REPORT_FD is the write end of the harness's start-report pipe: a start that fails writes
// {stage, errno} there (two ints) and exits 127; a start that succeeds closes it (the
// command gets it close-on-exec), so the harness reads end-of-file.
//
// It is a separate small program, not a fork of the harness, because a fork of the
// harness copies its page tables, and the relay and init, which live as long as their
// command, would keep the harness's whole address space shared copy-on-write: every page
// the harness then wrote cost a copy, and every exit an unmap (about a tenth of a full
// run's CPU time).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

extern char** environ;

namespace {

enum Stage : int { kNamespace = 2, kExec = 3 };  // as harness/proc/spawn.cpp reads them

int report_fd = -1;

[[noreturn]] void report_and_exit(Stage stage) {
    int msg[2] = {stage, errno};
    ssize_t ignored = ::write(report_fd, msg, sizeof msg);
    (void)ignored;
    ::_exit(127);
}

// Closes every descriptor above 2 except `keep`: the relay and init never exec, so they
// must not hold, for their command's whole life, a descriptor the command was given.
void close_from_3_except(int keep) {
    auto close_range_of = [](unsigned first, unsigned last) {
        if (first > last) {
            return;
        }
        if (::syscall(SYS_close_range, first, last, 0U) == 0) {
            return;
        }
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

[[noreturn]] void exec_command(char** argv) {
    ::execve(argv[0], argv + 1, environ);
    report_and_exit(kExec);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        static const char usage[] =
            "ftps-conform-pidns: started by ftps-conform only (REPORT_FD EXE ARGV0 [ARG...])\n";
        ssize_t ignored = ::write(2, usage, sizeof usage - 1);
        (void)ignored;
        return 2;
    }
    report_fd = std::atoi(argv[1]);
    ::fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    char** command_argv = argv + 2;  // EXE, then the command's own argv
    if (::unshare(CLONE_NEWPID) != 0) {
        exec_command(command_argv);  // no permission: run without a namespace
    }
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
        report_and_exit(kNamespace);
    }
    pid_t init = ::fork();
    if (init < 0) {
        report_and_exit(kNamespace);
    }
    if (init == 0) {
        // pid 1 of the namespace. Dies with the relay (SIGKILL to the relay alone must not
        // leave the namespace running); a SIGTERM to the group does not reach it (the kernel
        // drops signals to a namespace's init that has no handler), so it lives until the
        // command has exited and reports how.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::prctl(PR_SET_NAME, "fc-pidns-init");
        ::close(status_pipe[0]);
        pid_t command = ::fork();
        if (command < 0) {
            report_and_exit(kNamespace);
        }
        if (command == 0) {
            ::close(status_pipe[1]);
            exec_command(command_argv);
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
