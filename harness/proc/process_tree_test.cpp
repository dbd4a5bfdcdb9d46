// Nothing a child starts outlives Process::stop(): session processes that left the process
// group (setsid), with and without a PID namespace; statuses and signals through the relay.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <thread>

#include "harness/proc/proc_table.hpp"
#include "harness/proc/process.hpp"
#include "harness/testing/processes.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

using namespace std::chrono_literals;

ProcessSpec shell(const std::string& script, const testing::TempDir& dir, bool pid_namespace) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.cwd = dir.path();
    spec.stdout_path = dir.path() / "out.log";
    spec.stderr_path = dir.path() / "err.log";
    spec.pid_namespace = pid_namespace;
    return spec;
}

// How many live processes have `marker` in their command line (the shell that starts the
// session process and the session process itself).
int count_of(const std::string& marker) {
    int n = 0;
    for (const ProcEntry& e : read_proc_table()) {
        std::ifstream in("/proc/" + std::to_string(e.pid) + "/cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(in)), {});
        // Only the command's own processes count, not its namespace's relay and init.
        n += cmdline.find(marker) != std::string::npos && e.state != 'Z' &&
                     !testing::is_namespace_starter(e.pid)
                 ? 1
                 : 0;
    }
    return n;
}

bool eventually(const std::function<bool()>& predicate, Millis limit) {
    Deadline d = Deadline::after(limit);
    while (!predicate()) {
        if (d.expired()) {
            return false;
        }
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

int zombie_children() {
    int n = 0;
    for (const ProcEntry& e : read_proc_table()) {
        n += e.ppid == ::getpid() && e.state == 'Z' ? 1 : 0;
    }
    return n;
}

class ProcessTree : public ::testing::TestWithParam<bool> {};

// A session process that called setsid (as vsftpd's do) is in another group: the group
// kill misses it. It must still be gone after stop(), and nothing left as a zombie.
TEST_P(ProcessTree, SetsidDescendantIsGoneAfterStop) {
    become_subreaper();
    testing::TempDir dir("proc-tree");
    std::string marker =
        "fc-setsid-" + std::to_string(::getpid()) + "-" + std::to_string(GetParam());
    auto p =
        Process::start(shell("setsid sh -c 'sleep 30; : " + marker + "' & wait", dir, GetParam()));
    ASSERT_TRUE(eventually([&] { return count_of(marker) == 2; }, 3000ms));
    p->stop(Millis(300));
    EXPECT_TRUE(eventually([&] { return count_of(marker) == 0; }, 1000ms))
        << "the setsid'd session process survived stop()";
    EXPECT_EQ(zombie_children(), 0);
}

INSTANTIATE_TEST_SUITE_P(NamespaceOrProcTable, ProcessTree, ::testing::Values(true, false),
                         [](const auto& info) {
                             return std::string(info.param ? "PidNamespace" : "ProcSnapshot");
                         });

TEST(ProcessRelay, ExitCodeSignalAndStderrComeThroughTheNamespace) {
    testing::TempDir dir("proc-relay");
    auto code = Process::start(shell("echo said >&2; exit 7", dir, true));
    ASSERT_TRUE(code->wait(Deadline::after(2000ms), {}));
    EXPECT_EQ(code->exit_status(), 7);
    EXPECT_EQ(code->exit_description(), "exited with status 7");
    EXPECT_EQ(code->stderr_tail(), "said");

    auto crash = Process::start(shell("kill -SEGV $$", dir, true));
    ASSERT_TRUE(crash->wait(Deadline::after(2000ms), {}));
    EXPECT_EQ(crash->exit_status(), 128 + SIGSEGV);
    EXPECT_EQ(crash->exit_description(), "exited on signal 11 (SIGSEGV)");

    // SIGTERM to the group reaches the command, not only the relay.
    auto term = Process::start(shell("trap 'exit 42' TERM; sleep 30 & wait", dir, true));
    std::this_thread::sleep_for(100ms);
    term->stop(Millis(2000));
    EXPECT_EQ(term->exit_status(), 42);
}

// The relay (the pid the harness knows) killed alone: the namespace goes with it.
TEST(ProcessRelay, KillingTheLeaderEndsTheNamespace) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "PID namespaces need root";
    }
    become_subreaper();
    testing::TempDir dir("proc-relay");
    std::string marker = "fc-relay-" + std::to_string(::getpid());
    auto p = Process::start(shell("setsid sh -c 'sleep 30; : " + marker + "' & wait", dir, true));
    ASSERT_TRUE(eventually([&] { return count_of(marker) == 2; }, 3000ms));
    ::kill(p->pid(), SIGKILL);
    EXPECT_TRUE(eventually([&] { return count_of(marker) == 0; }, 1000ms));
    ASSERT_TRUE(p->wait(Deadline::after(1000ms), {}));
    EXPECT_EQ(p->exit_status(), 128 + SIGKILL);
}

}  // namespace
}  // namespace fc

namespace fc {
namespace {

// A process that is gone reads as an empty entry, never an exception: the ESRCH of a read
// from /proc/<pid>/stat of a process exiting meanwhile once escaped an ifstream as
// "basic_filebuf::underflow error reading the file: No such process".
TEST(ProcTable, AGoneProcessIsAnEmptyEntry) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(read_proc_stat_line(child), "");
    EXPECT_EQ(read_proc_entry(child).pid, 0);
    const ProcEntry self = read_proc_entry(static_cast<int>(::getpid()));
    EXPECT_EQ(self.pid, static_cast<int>(::getpid()));
    EXPECT_EQ(self.ppid, static_cast<int>(::getppid()));
    // Processes that come and go while the table is read are left out, not thrown.
    for (int i = 0; i < 20; ++i) {
        pid_t p = ::fork();
        ASSERT_GE(p, 0);
        if (p == 0) {
            ::_exit(0);
        }
        EXPECT_NO_THROW(read_proc_table());
        ::waitpid(p, nullptr, 0);
    }
}

}  // namespace
}  // namespace fc
