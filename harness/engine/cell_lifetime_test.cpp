// Nothing of a cell outlives it: after an FXP cell, a client cell, a server-side cell and a
// cell whose server was SIGKILLed mid-cell (vsftpd: its session processes call setsid, so
// a process-group kill misses them), no process the cells started, or any descendant, is
// left, and the harness (this process, a subreaper like ftps-conform) has no children and
// no zombies. Every process of the run is recognised by the test's TMPDIR (server work
// folders, and the environment every child inherits) or by the run folder.
#include <gtest/gtest.h>
#include <signal.h>

#include <unistd.h>
#include <csignal>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "harness/engine/runner.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/proc/proc_table.hpp"
#include "harness/scenario/loader.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/processes.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<std::string> children_of_this_process() {
    std::vector<std::string> found;
    for (const ProcEntry& e : read_proc_table()) {
        if (e.ppid == ::getpid()) {
            found.push_back(std::to_string(e.pid) + " state " + e.state + ": " +
                            testing::read_proc_file("/proc/" + std::to_string(e.pid) + "/comm"));
        }
    }
    return found;
}

// The vsftpd listener of the run (the vsftpd whose parent is not a vsftpd) and its first
// session process; {0, 0} if none yet.
std::pair<int, int> vsftpd_listener_with_session(const fs::path& root) {
    auto table = read_proc_table();
    auto is_vsftpd_of_run = [&](int pid) {
        std::string cmdline = testing::read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
        // Not the relay or init of its PID namespace, which carry vsftpd's line as arguments.
        if (testing::is_namespace_starter(pid)) {
            return false;
        }
        return cmdline.find("vsftpd") != std::string::npos &&
               cmdline.find(root.string()) != std::string::npos;
    };
    for (const ProcEntry& e : table) {
        if (!is_vsftpd_of_run(e.pid) || is_vsftpd_of_run(e.ppid)) {
            continue;
        }
        if (auto sessions = descendants_of(e.pid, table); !sessions.empty()) {
            return {e.pid, sessions.front().pid};
        }
    }
    return {0, 0};
}

class CellLifetimeRealServer : public ::testing::Test {
protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);  // as the CLI does: a killed server's socket may be written
        become_subreaper();
        // Servers' work folders go under the test's folder, and every child inherits it.
        const char* old = std::getenv("TMPDIR");
        old_tmpdir_ = old != nullptr ? old : "";
        had_tmpdir_ = old != nullptr;
        fs::create_directories(tmp());
        // Server sessions run as an unprivileged account: the way down to their homes must
        // be open to it (a TempDir is private).
        fs::permissions(dir_.path(), fs::perms(0755), fs::perm_options::replace);
        fs::permissions(tmp(), fs::perms(0755), fs::perm_options::replace);
        ::setenv("TMPDIR", tmp().c_str(), 1);
        fs::create_directories(dir_.path() / "scenarios");
        std::ofstream(dir_.path() / "scenarios" / "lifetime-waits.xml")
            << "<?xml version=\"1.0\"?>\n<scenario id=\"lifetime-waits\" level=\"info\">\n"
               "  <title>waits for a reply that never comes</title>\n  <tags>test</tags>\n"
               "  <roles server=\"under-test\" client=\"reference\"/>\n  <steps>\n"
               "    <connect/>\n    <expect code=\"220\"/>\n"
               "    <expect code=\"200\" timeout=\"20s\"/>\n  </steps>\n"
               "  <negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
               "</scenario>\n";
    }
    void TearDown() override {
        if (had_tmpdir_) {
            ::setenv("TMPDIR", old_tmpdir_.c_str(), 1);
        } else {
            ::unsetenv("TMPDIR");
        }
    }
    fs::path tmp() const { return dir_.path() / "tmp"; }

    RunResult run(const std::vector<std::string>& clients, const std::vector<std::string>& ids) {
        std::vector<Diagnostic> diags;
        const fs::path source = FTPS_CONFORM_SOURCE_DIR;
        Endpoints eps = load_endpoints({source / "servers", source / "clients"}, diags);
        scenarios_ = load_scenarios({source / "scenarios", dir_.path() / "scenarios"}, diags);
        for (const auto& d : diags) {
            ADD_FAILURE() << d.str();
        }
        servers_ = eps.servers;
        clients_ = eps.clients;
        auto cells = make_plan(scenarios_, servers_, clients_, {{"vsftpd"}, clients, {}, ids});
        RunConfig config;
        config.out_dir = dir_.path() / ("out" + std::to_string(++runs_));
        fs::create_directories(config.out_dir);
        config.prefix = default_prefix();
        config.jobs = 2;
        return run_plan(cells, config);
    }

    static const CellResult& cell(const RunResult& r, const std::string& id) {
        for (const auto& c : r.cells) {
            if (c.scenario_id == id) {
                return c;
            }
        }
        throw std::runtime_error("no cell " + id);
    }

    testing::TempDir dir_{"lifetime"};
    std::string old_tmpdir_;
    bool had_tmpdir_ = false;
    int runs_ = 0;
    std::vector<Scenario> scenarios_;
    std::vector<ServerManifest> servers_;
    std::vector<ClientManifest> clients_;
};

TEST_F(CellLifetimeRealServer, NothingOfACellOutlivesIt) {
    // FXP (two vsftpd instances) and a client cell with lftp; a server-side cell.
    RunResult a = run({"lftp"}, {"fxp-prot-c-allowed", "interop-login"});
    RunResult b = run({"reference"}, {"auth-tls-234"});
    for (const RunResult* r : {&a, &b}) {
        for (const CellResult& c : r->cells) {
            EXPECT_TRUE(c.verdict == Verdict::pass || c.verdict == Verdict::xfail)
                << c.scenario_id << " x " << c.client << ": " << c.reason;
        }
    }
    EXPECT_EQ(a.cells.size(), 2u);
    EXPECT_EQ(b.cells.size(), 1u);

    // The server killed mid-cell: SIGKILL to the vsftpd listener while a session waits.
    std::atomic<int> killed{0};
    std::jthread killer([&](const std::stop_token& stop) {
        Deadline d = Deadline::after(30000ms);
        // The cell's session, not a readiness probe's (those end within moments): the same
        // session process seen for half a second.
        std::pair<int, int> seen{0, 0};
        auto since = Clock::now();
        while (!stop.stop_requested() && !d.expired()) {
            auto now = vsftpd_listener_with_session(tmp());
            if (now != seen) {
                seen = now;
                since = Clock::now();
            } else if (seen.first != 0 && Clock::now() - since > 500ms) {
                ::kill(seen.first, SIGKILL);
                killed = seen.first;
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
    });
    RunResult k = run({"reference"}, {"lifetime-waits"});
    killer.request_stop();
    killer.join();
    ASSERT_NE(killed.load(), 0) << "no vsftpd session seen to kill";
    const CellResult& waits = cell(k, "lifetime-waits");
    EXPECT_EQ(waits.verdict, Verdict::fail) << waits.reason;
    EXPECT_NE(waits.reason.find("server exited on signal 9 (SIGKILL)"), std::string::npos)
        << waits.reason;
    // The session died with its server: the client did not wait out its 20 s.
    EXPECT_LT(waits.duration_s, 10) << waits.reason;

    std::vector<std::string> left = testing::processes_mentioning(dir_.path());
    EXPECT_TRUE(left.empty()) << "left behind:\n" << ::testing::PrintToString(left);
    std::vector<std::string> children = children_of_this_process();
    EXPECT_TRUE(children.empty()) << "children (zombies included):\n"
                                  << ::testing::PrintToString(children);
}

}  // namespace
}  // namespace fc
