// Faults the harness survives, each acted out by a real process: a server that never
// greets, one that stalls mid-transfer, one that crashes after login, one that never
// becomes ready, a missing binary, a port already taken; and the circuit breaker that
// stops starting a server that failed twice. Each cell gets the verdict due within its
// deadline (+3 s), and the run goes on. The faulty servers are copies of the reference
// server's manifest with a misbehaviour switched on, or `sleep`, loaded as --endpoints are.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <fstream>
#include <regex>

#include "harness/engine/runner.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/scenario/loader.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string read(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A server-side scenario: TLS login, then `more` steps.
std::string scenario(const std::string& id, const std::string& more) {
    return "<?xml version=\"1.0\"?>\n<scenario id=\"" + id +
           "\" level=\"info\">\n"
           "  <title>fault test " +
           id +
           "</title>\n"
           "  <tags>test</tags>\n"
           "  <roles server=\"under-test\" client=\"reference\"/>\n"
           "  <steps>\n"
           "    <connect/>\n"
           "    <expect code=\"220\"/>\n"
           "    <send>AUTH TLS</send>\n"
           "    <expect code=\"234\"/>\n"
           "    <tls-handshake/>\n"
           "    <login/>\n" +
           more +
           "  </steps>\n"
           "  <negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
           "</scenario>\n";
}

const std::string kLoginSteps =
    "    <send>PWD</send>\n"
    "    <expect code=\"257\" timeout=\"3s\"/>\n";
const std::string kRetrSteps =
    "    <send>TYPE I</send>\n    <expect code=\"200\"/>\n"
    "    <send>PBSZ 0</send>\n    <expect code=\"200\"/>\n"
    "    <send>PROT P</send>\n    <expect code=\"200\"/>\n"
    "    <data-open mode=\"epsv\"/>\n"
    "    <transfer command=\"STOR big.bin\" size=\"262144\"/>\n"
    "    <data-open mode=\"epsv\"/>\n"
    "    <transfer command=\"RETR big.bin\" verify=\"true\" timeout=\"3s\"/>\n";

// The reference server's manifest under another name, with `argv_extra` added to its argv
// (a misbehaviour) or its argv's ${port} replaced.
std::string reference_copy(const std::string& name, const std::string& argv_extra,
                           const std::string& port = "${port}") {
    std::string m =
        read(fs::path(FTPS_CONFORM_SOURCE_DIR) / "servers" / "reference" / "manifest.xml");
    m = std::regex_replace(m, std::regex(R"(name="reference")"), "name=\"" + name + "\"");
    m = std::regex_replace(m, std::regex(R"(\$\{misbehaviours\}</argv>)"),
                           "${misbehaviours} " + argv_extra + "</argv>");
    m = std::regex_replace(m, std::regex(R"(--port \$\{port\})"), "--port " + port);
    return m;
}

// A manifest with the given binary, argv and readiness deadline, nothing else.
std::string bare(const std::string& name, const std::string& binary, const std::string& argv,
                 const std::string& within = "2s") {
    return "<?xml version=\"1.0\"?>\n<server name=\"" + name + "\" title=\"" + name +
           "\">\n  <binary default=\"" + binary + "\"/>\n  <argv>" + argv +
           "</argv>\n  <ready banner=\"220\" within=\"" + within + "\"/>\n</server>\n";
}

class FaultRealServer : public ::testing::Test {
protected:
    // The CLI ignores SIGPIPE (harness/cli/signals.cpp); run_plan called from a test must
    // too: writing to a server that just crashed would otherwise kill the test process.
    void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }
    void add_server(const std::string& name, const std::string& manifest) {
        write(dir_.path() / "ep" / name / "manifest.xml", manifest);
    }
    void add_scenario(const std::string& id, const std::string& more) {
        write(dir_.path() / "scenarios" / "fault" / (id + ".xml"), scenario(id, more));
    }

    RunResult run(const std::vector<std::string>& servers, unsigned jobs) {
        std::vector<Diagnostic> diags;
        Endpoints eps =
            load_endpoints({fs::path(FTPS_CONFORM_SOURCE_DIR) / "servers",
                            fs::path(FTPS_CONFORM_SOURCE_DIR) / "clients", dir_.path() / "ep"},
                           diags);
        scenarios_ = load_scenarios({dir_.path() / "scenarios"}, diags);
        for (const auto& d : diags) {
            ADD_FAILURE() << d.str();
        }
        servers_ = eps.servers;
        clients_ = eps.clients;
        cells_ = make_plan(scenarios_, servers_, clients_, {servers, {"reference"}, {}, {}});
        RunConfig config;
        config.out_dir = dir_.path() / ("out" + std::to_string(++runs_));
        fs::create_directories(config.out_dir);
        config.prefix = default_prefix();
        config.jobs = jobs;
        return run_plan(cells_, config);
    }

    static const CellResult& cell(const RunResult& r, const std::string& server,
                                  const std::string& id) {
        for (const auto& c : r.cells) {
            if (c.server == server && c.scenario_id == id) {
                return c;
            }
        }
        throw std::runtime_error("no cell " + server + " x " + id);
    }

    testing::TempDir dir_{"fault"};
    int runs_ = 0;
    std::vector<Scenario> scenarios_;
    std::vector<ServerManifest> servers_;
    std::vector<ClientManifest> clients_;
    std::vector<PlannedCell> cells_;
};

// A socket listening on 127.0.0.1 at a free port, held while the object lives.
struct TakenPort {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    std::uint16_t port = 0;
    TakenPort() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd, 4) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
            port = ntohs(a.sin_port);
        }
    }
    ~TakenPort() { ::close(fd); }
};

TEST_F(FaultRealServer, EachFaultGetsItsVerdictInTimeAndTheRunGoesOn) {
    become_subreaper();
    TakenPort taken;
    ASSERT_NE(taken.port, 0);
    add_scenario("fault-login", kLoginSteps);
    add_scenario("fault-retr", kRetrSteps);
    add_server("silent", reference_copy("silent", "--misbehave never-greet"));
    add_server("crashy", reference_copy("crashy", "--misbehave crash-after-login"));
    add_server("stalls", reference_copy("stalls", "--misbehave transfer-stalls"));
    add_server("taken", reference_copy("taken", "", std::to_string(taken.port)));
    add_server("sleeper", bare("sleeper", "/bin/sleep", "/bin/sleep 60"));
    add_server("noargv", bare("noargv", "/bin/sleep", "/nonexistent/fc-ftpd -n"));
    add_server("nobinary", bare("nobinary", "/nonexistent/fc-ftpd", "${binary} -n"));

    RunResult r = run(
        {"reference", "silent", "crashy", "stalls", "taken", "sleeper", "noargv", "nobinary"}, 2);
    ASSERT_EQ(r.cells.size(), 16u) << "every cell ran: the run went on after each fault";
    EXPECT_FALSE(r.interrupted);

    struct Expect {
        std::string server, scenario;
        Verdict verdict;
        std::string reason;  // a regex the reason must match
        double limit_s;      // the fault's deadline + 3 s
    };
    const std::vector<Expect> expected = {
        // the healthy server passes both, before and after the faults
        {"reference", "fault-login", Verdict::pass, "", 5},
        {"reference", "fault-retr", Verdict::pass, "", 5},
        // accepts, never greets: not ready within its 5 s
        {"silent", "fault-login", Verdict::error, "silent did not become ready .*no greeting",
         5 + 3},
        // SIGSEGV right after 230: the cell fails and says how the server died
        {"crashy", "fault-login", Verdict::fail, "server exited on signal 11 \\(SIGSEGV\\)", 3 + 3},
        {"crashy", "fault-retr", Verdict::fail, "server exited on signal 11 \\(SIGSEGV\\)", 3 + 3},
        // stops sending after 64 KiB: the RETR step's 3 s run out
        {"stalls", "fault-retr", Verdict::fail, "RETR|transfer|within", 3 + 3},
        {"stalls", "fault-login", Verdict::pass, "", 5},
        // the port it insists on is taken
        {"taken", "fault-login", Verdict::error, "in use", 5 + 3},
        // never listens: not ready within its 2 s
        {"sleeper", "fault-login", Verdict::error,
         "sleeper did not become ready .*no connection accepted.* within 2 s", 2 + 3},
        // the program its argv names does not exist
        {"noargv", "fault-login", Verdict::error, "cannot start /nonexistent/fc-ftpd: no such file",
         3},
        // the binary itself is missing: the pre-flight check says so at once
        {"nobinary", "fault-login", Verdict::error, "binary not found", 1},
        {"nobinary", "fault-retr", Verdict::error, "binary not found", 1},
    };
    for (const Expect& e : expected) {
        SCOPED_TRACE(e.server + " x " + e.scenario);
        const CellResult& c = cell(r, e.server, e.scenario);
        EXPECT_EQ(c.verdict, e.verdict) << c.reason;
        EXPECT_TRUE(std::regex_search(c.reason, std::regex(e.reason))) << c.reason;
        EXPECT_LT(c.duration_s, e.limit_s) << c.reason;
    }
    // The second start of an endpoint that failed twice is not tried: the breaker.
    for (const char* server : {"sleeper", "noargv"}) {
        const CellResult& second = cell(r, server, "fault-retr");
        EXPECT_EQ(second.verdict, Verdict::error);
        EXPECT_LT(second.duration_s, 3) << second.reason;
    }
}

// Ten cells of a server that never becomes ready (2 s each): two starts are tried, one at a
// time even with --jobs 4, and the other eight are errors at once with the one cause.
TEST_F(FaultRealServer, ServerThatFailsToStartTwiceIsNotStartedAgain) {
    become_subreaper();
    for (int i = 0; i < 10; ++i) {
        add_scenario("breaker-" + std::to_string(i), kLoginSteps);
    }
    add_server("sleeper", bare("sleeper", "/bin/sleep", "/bin/sleep 60"));
    for (unsigned jobs : {4U, 1U}) {
        SCOPED_TRACE("--jobs " + std::to_string(jobs));
        auto started = Clock::now();
        RunResult r = run({"sleeper"}, jobs);
        double wall = std::chrono::duration<double>(Clock::now() - started).count();
        ASSERT_EQ(r.cells.size(), 10u);
        double sum = 0;
        double longest = 0;
        for (const CellResult& c : r.cells) {
            sum += c.duration_s;
            longest = std::max(longest, c.duration_s);
        }
        int tried = 0;
        int refused = 0;
        for (const CellResult& c : r.cells) {
            EXPECT_EQ(c.verdict, Verdict::error) << c.reason;
            if (std::regex_search(c.reason, std::regex("^sleeper did not become ready"))) {
                ++tried;
            } else if (std::regex_search(
                           c.reason, std::regex("^sleeper failed to start twice: sleeper did not "
                                                "become ready .*; not started again$"))) {
                ++refused;
            } else {
                ADD_FAILURE() << "unexpected reason: " << c.reason;
            }
        }
        EXPECT_EQ(tried, 2);
        EXPECT_EQ(refused, 8);
        // Two start deadlines (2 s each), not ten; the run's wall time also has the test
        // PKI's making (a second or two under load).
        EXPECT_GE(longest, 2.0 - 0.1);
        EXPECT_LT(longest, 2 * 2.0 + 3);
        if (jobs == 1) {
            EXPECT_LT(sum, 2 * 2.0 + 3) << "ten cells must not each wait out the 2 s deadline";
        }
        EXPECT_LT(wall, 2 * 2.0 + 6);
    }
}

}  // namespace
}  // namespace fc
