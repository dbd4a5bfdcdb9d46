// Tests of Process, run_command and the subreaper (harness/proc).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/proc/proc_table.hpp"
#include "harness/proc/process.hpp"
#include "harness/testing/eventually.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

ProcessSpec shell(const std::string& script, const testing::TempDir& dir) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.cwd = dir.path();
    spec.stdout_path = dir.path() / "out.log";
    spec.stderr_path = dir.path() / "err.log";
    return spec;
}

Millis since(Clock::time_point t) {
    return std::chrono::duration_cast<Millis>(Clock::now() - t);
}

bool group_alive(int pgid) {
    return ::kill(-pgid, 0) == 0;
}

TEST(Process, StopsSleepQuickly) {
    testing::TempDir dir("proc");
    ProcessSpec spec;
    spec.argv = {"sleep", "30"};
    auto p = Process::start(spec);
    EXPECT_TRUE(p->running());
    auto t = Clock::now();
    p->stop();
    EXPECT_LT(since(t), 500ms);
    EXPECT_FALSE(p->running());
    EXPECT_EQ(p->exit_status(), 128 + SIGTERM);
    p->stop();  // idempotent
}

TEST(Process, KillsChildIgnoringTerm) {
    become_subreaper();  // the orphaned `sleep` must be reaped by us, not by pid 1
    testing::TempDir dir("proc");
    auto p = Process::start(shell("trap '' TERM; sleep 30 & echo > trapped; wait; sleep 30", dir));
    ASSERT_TRUE(testing::eventually([&] { return fs::exists(dir.path() / "trapped"); }, 5000ms));
    auto t = Clock::now();
    p->stop(Millis(300));
    EXPECT_GE(since(t), 290ms);
    EXPECT_LT(since(t), 2000ms);
    EXPECT_EQ(p->exit_status(), 128 + SIGKILL);
    EXPECT_FALSE(group_alive(p->pid()));
}

TEST(Process, GrandchildrenAreGoneAfterStop) {
    become_subreaper();
    testing::TempDir dir("proc");
    // Without a PID namespace: the pid the shell writes is then one kill() understands.
    ProcessSpec spec =
        shell("sleep 30 & sleep 30 & echo $! > pids.tmp; mv pids.tmp pids; wait", dir);
    spec.pid_namespace = false;
    auto p = Process::start(spec);
    ASSERT_TRUE(testing::eventually([&] { return fs::exists(dir.path() / "pids"); }, 5000ms));
    int pgid = p->pid();
    EXPECT_TRUE(group_alive(pgid));
    p->stop();
    EXPECT_FALSE(group_alive(pgid));
    int grandchild = 0;
    std::ifstream(dir.path() / "pids") >> grandchild;
    ASSERT_GT(grandchild, 0);
    EXPECT_NE(::kill(grandchild, 0), 0);
}

std::set<int> pids_of(const std::vector<ProcEntry>& entries) {
    std::set<int> out;
    for (const ProcEntry& e : entries) {
        out.insert(e.pid);
    }
    return out;
}

// Following children files finds what a scan of the whole table finds: children,
// grandchildren, with their thread counts; nothing for a process that is gone.
TEST(ProcTable, DescendantsFromChildrenFilesMatchTheWholeTable) {
    testing::TempDir dir("proc");
    ProcessSpec spec = shell(
        "sh -c 'sleep 30 & sleep 30 & wait' & sleep 30 & echo ok > ready.tmp; "
        "mv ready.tmp ready; wait",
        dir);
    spec.pid_namespace = false;
    auto p = Process::start(spec);
    ASSERT_TRUE(testing::eventually(
        [&] { return fs::exists(dir.path() / "ready") && read_descendants(p->pid()).size() == 4; },
        5000ms));
    const std::vector<ProcEntry> read = read_descendants(p->pid());
    const std::vector<ProcEntry> scanned = descendants_of(p->pid(), read_proc_table());
    EXPECT_EQ(pids_of(read), pids_of(scanned));
    const std::vector<ProcEntry> tree = read_tree(p->pid());  // the leader first, then the same
    ASSERT_EQ(tree.size(), read.size() + 1);
    EXPECT_EQ(tree.front().pid, p->pid());
    EXPECT_EQ(pids_of({tree.begin() + 1, tree.end()}), pids_of(read));
    for (const ProcEntry& e : read) {
        EXPECT_EQ(e.threads, 1) << e.pid;
        EXPECT_NE(e.start_time, 0u) << e.pid;
    }
    // This test process has several threads (gtest, the harness's own): its children are
    // found through every thread's file.
    std::set<int> mine;
    for (int pid : read_children(static_cast<int>(::getpid()))) {
        mine.insert(pid);
    }
    EXPECT_EQ(mine.count(p->pid()), 1u);
    const int leader = p->pid();
    p->stop();
    EXPECT_TRUE(read_descendants(leader).empty());
    EXPECT_TRUE(read_tree(leader).empty());
    EXPECT_TRUE(read_children(leader).empty());
}

TEST(Process, OrphansOfADeadLeaderAreReaped) {
    become_subreaper();
    testing::TempDir dir("proc");
    // Without a PID namespace the leader exits at once and its child (same group) lives
    // on, reparented to us, until stop().
    ProcessSpec spec = shell("sleep 30 & exit 0", dir);
    spec.pid_namespace = false;
    auto p = Process::start(spec);
    ASSERT_TRUE(p->wait(Deadline::after(2000ms), {}));
    EXPECT_TRUE(group_alive(p->pid()));
    p->stop();
    EXPECT_FALSE(group_alive(p->pid()));
    // In its own PID namespace (root), the child ends with the leader, before any stop().
    if (::geteuid() == 0) {
        auto q = Process::start(shell("sleep 30 & exit 0", dir));
        ASSERT_TRUE(q->wait(Deadline::after(2000ms), {}));
        Deadline gone = Deadline::after(1000ms);
        while (group_alive(q->pid()) && !gone.expired()) {
            std::this_thread::sleep_for(5ms);
        }
        EXPECT_FALSE(group_alive(q->pid()));
    }
}

TEST(Process, MissingBinaryThrowsClearly) {
    ProcessSpec spec;
    spec.argv = {"/nonexistent/bin/ftpd", "-n"};
    try {
        Process::start(spec);
        FAIL() << "no exception";
    } catch (const HarnessError& e) {
        EXPECT_EQ(std::string(e.what()), "cannot start /nonexistent/bin/ftpd: no such file");
    }
    spec.argv = {"/etc/hostname"};
    EXPECT_THROW(Process::start(spec), HarnessError);
    spec.argv = {"no-such-command-fc"};
    EXPECT_THROW(Process::start(spec), HarnessError);
}

TEST(Process, ExitStatus) {
    testing::TempDir dir("proc");
    auto p = Process::start(shell("exit 7", dir));
    EXPECT_TRUE(p->wait(Deadline::after(2000ms), {}));
    EXPECT_EQ(p->exit_status(), 7);
    EXPECT_FALSE(p->running());
}

TEST(Process, CapturesOutputAndEnvironment) {
    testing::TempDir dir("proc");
    ProcessSpec spec = shell("echo out-$FC_X; pwd; echo line1 >&2; echo line2 >&2", dir);
    spec.env = {{"FC_X", "42"}};
    {
        auto p = Process::start(spec);
        ASSERT_TRUE(p->wait(Deadline::after(2000ms), {}));
        EXPECT_EQ(p->stderr_tail(), "line1\nline2");
        EXPECT_EQ(p->stderr_tail(7), "line2");
    }
    auto again = Process::start(spec);  // appends
    ASSERT_TRUE(again->wait(Deadline::after(2000ms), {}));
    std::ifstream in(dir.path() / "out.log");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::string expected = "out-42\n" + dir.path().string() + "\n";
    EXPECT_EQ(text, expected + expected);
}

TEST(Process, WaitHonoursDeadlineAndCancel) {
    ProcessSpec spec;
    spec.argv = {"sleep", "30"};
    auto p = Process::start(spec);
    auto t = Clock::now();
    EXPECT_FALSE(p->wait(Deadline::after(100ms), {}));
    EXPECT_LT(since(t), 200ms);
    std::atomic<bool> flag{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(50ms);  // the cancel must arrive during the wait
        flag = true;
    });
    t = Clock::now();
    EXPECT_FALSE(p->wait(Deadline::after(10000ms), CancelToken(&flag)));
    EXPECT_LT(since(t), 200ms);
    canceller.join();
}

TEST(Process, DoesNotInheritDescriptors) {
    testing::TempDir dir("proc");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);  // deliberately not close-on-exec
    auto p = Process::start(shell("ls /proc/self/fd | wc -l >&2", dir));
    ASSERT_TRUE(p->wait(Deadline::after(2000ms), {}));
    ::close(fds[0]);
    ::close(fds[1]);
    // 0, 1, 2 and the directory ls opens itself.
    EXPECT_EQ(p->stderr_tail(), "4");
}

TEST(RunCommand, CollectsOutputAndStatus) {
    CommandOutput out =
        run_command({"sh", "-c", "echo hello; echo oops >&2; exit 3"}, Deadline::after(2000ms), {});
    EXPECT_EQ(out.exit_code, 3);
    EXPECT_EQ(out.output, "hello\noops\n");
    EXPECT_FALSE(out.timed_out);
    EXPECT_EQ(out.error, "");
}

TEST(RunCommand, StdinFromStdout) {
    CommandOutput out =
        run_command({"sh", "-c", "echo on-fd-0 >&0"}, Deadline::after(2000ms), {}, true);
    EXPECT_EQ(out.output, "on-fd-0\n");
    CommandOutput plain =
        run_command({"sh", "-c", "echo on-fd-0 >&0"}, Deadline::after(2000ms), {});
    EXPECT_EQ(plain.output.find("on-fd-0"), std::string::npos);
}

TEST(RunCommand, TimeoutKills) {
    auto t = Clock::now();
    CommandOutput out =
        run_command({"sh", "-c", "echo started; sleep 30"}, Deadline::after(300ms), {});
    EXPECT_LT(since(t), 1000ms);
    EXPECT_TRUE(out.timed_out);
    EXPECT_EQ(out.output, "started\n");
    EXPECT_EQ(out.exit_code, 128 + SIGKILL);
}

TEST(RunCommand, CancelStopsPromptly) {
    std::atomic<bool> flag{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(50ms);  // the cancel must arrive during the wait
        flag = true;
    });
    auto t = Clock::now();
    CommandOutput out = run_command({"sleep", "30"}, Deadline::after(10000ms), CancelToken(&flag));
    EXPECT_LT(since(t), 250ms);
    EXPECT_TRUE(out.timed_out);
    EXPECT_EQ(out.error, "cancelled");
    canceller.join();
}

TEST(RunCommand, MissingBinary) {
    CommandOutput out = run_command({"/nonexistent/vsftpd", "-v"}, Deadline::after(1000ms), {});
    EXPECT_FALSE(out.exit_code);
    EXPECT_EQ(out.error, "cannot start /nonexistent/vsftpd: no such file");
}

}  // namespace
}  // namespace fc
