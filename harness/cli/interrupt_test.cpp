// SIGINT/SIGTERM in the middle of a parallel run (--jobs 4, four servers running at once):
// the run stops within seconds, exits 3, writes its reports with the cells that were cut
// short marked "interrupted", and leaves no process behind. (The --jobs 1 case is
// CliRealServer.InterruptStopsServersAndExits3 in cli_test.cpp.)
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/testing/processes.hpp"
#include "harness/testing/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char kWaits[] =
    "<?xml version=\"1.0\"?>\n"
    "<scenario id=\"waits\" level=\"info\">\n"
    "  <title>waits for a reply that never comes</title>\n"
    "  <tags>test</tags>\n"
    "  <roles server=\"under-test\" client=\"reference\"/>\n"
    "  <steps>\n"
    "    <connect/>\n"
    "    <expect code=\"220\"/>\n"
    "    <expect code=\"200\" timeout=\"60s\"/>\n"
    "  </steps>\n"
    "  <negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
    "</scenario>\n";

// ftps-conform with `args`, its output into files under `dir`, and TMPDIR=`tmp`.
pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& dir, const fs::path& tmp) {
    std::string tmpdir = "TMPDIR=" + tmp.string();
    std::string binary = FTPS_CONFORM_BINARY;
    std::vector<char*> argv{binary.data()};
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::string out = (dir / "stdout").string();
    std::string err = (dir / "stderr").string();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
        ::putenv(tmpdir.data());
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

std::string read(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// True once every name has a process of the run (under `tmp`) whose command line has it.
bool all_running(const fs::path& tmp, const std::vector<std::string>& names) {
    std::vector<std::string> procs = fc::testing::processes_mentioning(tmp);
    for (const auto& name : names) {
        bool found = false;
        for (const auto& p : procs) {
            found = found || p.find(name) != std::string::npos;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

class InterruptRealServer : public ::testing::TestWithParam<int> {};

TEST_P(InterruptRealServer, ParallelRunStopsWritesAndLeavesNothing) {
    fc::testing::TempDir dir("cli-interrupt");
    fs::path tmp = dir.path() / "tmp";
    fs::create_directories(tmp);
    // Server sessions run as an unprivileged account: the way down to their homes must be
    // open to it (a TempDir is private).
    fs::permissions(dir.path(), fs::perms(0755), fs::perm_options::replace);
    fs::permissions(tmp, fs::perms(0755), fs::perm_options::replace);
    fs::create_directories(dir.path() / "slow");
    std::ofstream(dir.path() / "slow" / "waits.xml") << kWaits;
    fs::path out = dir.path() / "run";
    pid_t pid =
        spawn_cli({"run", (dir.path() / "slow").string(), "--servers",
                   "proftpd,vsftpd,pureftpd,reference", "--jobs", "4", "--out", out.string()},
                  dir.path(), tmp);
    // All four servers up (each cell waits 60 s for a reply that never comes).
    const std::vector<std::string> servers = {"proftpd.conf", "vsftpd.conf", "pure-ftpd",
                                              " serve "};
    auto until = Clock::now() + std::chrono::seconds(30);
    while (!all_running(tmp, servers) && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(all_running(tmp, servers))
        << ::testing::PrintToString(fc::testing::processes_mentioning(tmp));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // into the 60 s waits

    auto sent = Clock::now();
    ::kill(pid, GetParam());
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0 &&
           Clock::now() - sent < std::chrono::seconds(20)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    double took = std::chrono::duration<double>(Clock::now() - sent).count();
    if (::waitpid(pid, &status, WNOHANG) == 0 && !WIFEXITED(status)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    ASSERT_TRUE(WIFEXITED(status)) << "ftps-conform did not exit by itself";
    EXPECT_EQ(WEXITSTATUS(status), 3) << read(dir.path() / "stdout") << read(dir.path() / "stderr");
    EXPECT_LT(took, 5.0);

    // What it has is written, the cut-short cells marked as such.
    EXPECT_TRUE(fs::exists(out / "junit.xml"));
    nlohmann::json results = nlohmann::json::parse(read(out / "results.json"));
    EXPECT_EQ(results["interrupted"], true);
    ASSERT_EQ(results["cells"].size(), 4u) << results.dump(2);
    for (const auto& cell : results["cells"]) {
        EXPECT_EQ(cell["verdict"], "error") << cell.dump(2);
        EXPECT_EQ(cell["reason"].get<std::string>().rfind("interrupted", 0), 0u) << cell.dump(2);
    }
    // Nothing of the run is left: no server, session, relay or zombie.
    std::vector<std::string> left = fc::testing::processes_mentioning(dir.path());
    EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptRealServer, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                             return std::string(info.param == SIGINT ? "Sigint" : "Sigterm");
                         });

}  // namespace
