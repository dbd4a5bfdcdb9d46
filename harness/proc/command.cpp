#include "harness/proc/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/core/error.hpp"
#include "harness/proc/orphans.hpp"
#include "harness/proc/process.hpp"

namespace fc {

namespace {

struct PipeEnd {
    int fd = -1;
    ~PipeEnd() { reset(); }
    void reset() {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
};

// Reaps `pid` if it has exited; sets *status.
bool try_reap(int pid, std::optional<int>* status) {
    int ws = 0;
    if (::waitpid(pid, &ws, WNOHANG) == pid) {
        *status = shell_status(ws);
        disown_child(pid);
        return true;
    }
    return false;
}

}  // namespace

CommandOutput run_command(const std::vector<std::string>& argv, Deadline deadline,
                          CancelToken cancel, bool stdin_from_stdout) {
    CommandOutput out;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        out.error = std::string("pipe: ") + std::strerror(errno);
        return out;
    }
    PipeEnd read_end{fds[0]};
    PipeEnd write_end{fds[1]};
    PipeEnd null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    int stdin_fd = stdin_from_stdout ? write_end.fd : null_in.fd;

    int pid = -1;
    try {
        pid = spawn_in_group(argv, {}, {}, stdin_fd, write_end.fd, write_end.fd);
    } catch (const HarnessError& e) {
        out.error = e.what();
        return out;
    }
    write_end.reset();  // EOF on read_end once the child (and its group) close theirs

    char buf[4096];
    bool eof = false;
    while (!eof) {
        if (cancel.cancelled() || deadline.expired()) {
            out.timed_out = true;
            out.error = cancel.cancelled() ? "cancelled" : "timed out";
            break;
        }
        pollfd p{read_end.fd, POLLIN, 0};
        int r = ::poll(&p, 1, deadline.poll_ms(Millis(50)));
        if (r < 0 && errno != EINTR) {
            out.error = std::string("poll: ") + std::strerror(errno);
            break;
        }
        if (r > 0) {
            ssize_t n = ::read(read_end.fd, buf, sizeof buf);
            if (n > 0) {
                out.output.append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                eof = true;
            }
        }
    }

    if (!out.timed_out) {
        // Output is complete; the command itself gets until the deadline to exit.
        while (!try_reap(pid, &out.exit_code)) {
            if (cancel.cancelled() || deadline.expired()) {
                out.timed_out = true;
                out.error = cancel.cancelled() ? "cancelled" : "timed out";
                break;
            }
            ::usleep(2000);
        }
    }
    if (out.timed_out) {
        ::kill(-pid, SIGKILL);
        for (int i = 0; i < 500 && !try_reap(pid, &out.exit_code); ++i) {
            ::usleep(2000);
        }
    }
    kill_and_reap_group(pid, Millis(200));
    disown_child(pid);  // reaped above, or never will be by us
    return out;
}

}  // namespace fc
