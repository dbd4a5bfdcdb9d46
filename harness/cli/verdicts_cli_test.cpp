// The verdict rules of a run, each proven against real processes through the built binary:
// --endpoints in both layouts names the manifest it loaded, --target at a running reference
// server with a policy makes conflicting scenarios unsupported, a deviation at another step
// fails, FXP without an fxp action is unsupported, a silent live server fails; and report
// files are written whole or not at all (exit 3 with the file and the OS error).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/cli/cli_test_util.hpp"
#include "harness/core/socket.hpp"
#include "harness/ftp/data_channel.hpp"
#include "harness/proc/ports.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"
#include "reports/results_json.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::run_cli;
using testing::TempDir;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;
const fs::path kReferenceManifest = kSource / "servers" / "reference" / "manifest.xml";

RunResult read_results(const fs::path& run_dir) {
    std::ifstream in(run_dir / "results.json", std::ios::binary);
    return read_results_json(in, (run_dir / "results.json").string());
}

// Points into `run`: keep the RunResult alive while the pointer is used.
const CellResult* find_cell(const RunResult& run, const std::string& id) {
    for (const CellResult& c : run.cells) {
        if (c.scenario_id == id) {
            return &c;
        }
    }
    return nullptr;
}

const CellResult* find_cell(RunResult&& run, const std::string& id) = delete;

const EndpointInfo* find_endpoint(const RunResult& run, const std::string& kind,
                                  const std::string& name) {
    for (const EndpointInfo& e : run.endpoints) {
        if (e.kind == kind && e.name == name) {
            return &e;
        }
    }
    return nullptr;
}

// The shipped reference server manifest with `edit` applied, written to `file`.
void write_changed_reference(const fs::path& file,
                             const std::function<std::string(std::string)>& edit) {
    const std::string shipped = testing::read_file(kReferenceManifest);
    const std::string changed = edit(shipped);
    ASSERT_NE(changed, shipped) << "the edit changed nothing";
    testing::write(file, changed);
}

// The reference server argv with one misbehaviour always on.
std::string with_misbehaviour(std::string manifest, const std::string& name) {
    const std::string from = "${misbehaviours}</argv>";
    const auto at = manifest.find(from);
    EXPECT_NE(at, std::string::npos);
    return at == std::string::npos
               ? manifest
               : manifest.replace(at, from.size(),
                                  "${misbehaviours} --misbehave " + name + "</argv>");
}

// `ftps-conform serve` in the background on a free loopback port, stopped (SIGTERM, then
// reaped) when the object goes.
class ServeProcess {
public:
    ServeProcess(const std::vector<std::string>& extra, const fs::path& dir,
                 std::string host = "127.0.0.1")
        : dir_(dir), host_(std::move(host)) {
        PortAllocator ports;
        port_ = ports.port();
        std::vector<std::string> args{"serve", "--port", std::to_string(port_), "--password",
                                      kPassword};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_ = testing::spawn_cli(args, dir_);
        // Ready when it accepts a connection; a deadline, not a sleep.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < until) {
            std::string error;
            if (tcp_connect(host_, port_, Deadline::after(Millis(500)), CancelToken{}, &error)) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ADD_FAILURE() << "ftps-conform serve not listening within 20 s: "
                      << testing::read_file(dir_ / "stderr");
    }
    ~ServeProcess() {
        ::kill(pid_, SIGTERM);
        testing::reap(pid_, std::chrono::seconds(10));
    }
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    std::vector<std::string> target_args() const {
        const bool v6 = host_.find(':') != std::string::npos;
        return {"--target",   (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_),
                "--user",     "alice",
                "--password", kPassword};
    }

private:
    static constexpr const char* kPassword = "verdicts-test-pw";
    fs::path dir_;
    std::string host_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

// --endpoints in both layouts: the copied (and changed) manifest is the one tested, and
// results.json and the console header name its path and SHA-256.
TEST(VerdictsRealServer, EndpointsInEitherLayoutNameTheManifestTested) {
    for (const char* layout : {"reference", "servers/reference"}) {
        SCOPED_TRACE(layout);
        TempDir dir("verdicts-endpoints");
        const fs::path manifest = dir.path() / "mine" / layout / "manifest.xml";
        write_changed_reference(manifest, [](std::string text) {
            return text.replace(text.find("<server "), 0, "<!-- my build -->\n");
        });
        const fs::path out = dir.path() / "run";
        CliResult r = run_cli({"run", (kSource / "scenarios").string(), "--endpoints",
                               (dir.path() / "mine").string(), "--servers", "reference",
                               "--clients", "reference", "--scenario", "auth-tls-234", "--jobs",
                               "1", "--out", out.string()});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        const RunResult run = read_results(out);
        const EndpointInfo* server = find_endpoint(run, "server", "reference");
        ASSERT_NE(server, nullptr);
        const std::string path = fs::absolute(manifest).lexically_normal().string();
        const std::string sha = sha256_hex(testing::read_file(manifest));
        EXPECT_EQ(server->manifest, path);
        EXPECT_EQ(server->manifest_sha256, sha);
        EXPECT_NE(sha, sha256_hex(testing::read_file(kReferenceManifest)));
        EXPECT_NE(r.out.find(": manifest " + path + " (sha256 " + sha.substr(0, 12) + ")"),
                  std::string::npos)
            << r.out;
        // The client was not replaced: it names the shipped manifest.
        const EndpointInfo* client = find_endpoint(run, "client", "reference");
        ASSERT_NE(client, nullptr);
        EXPECT_EQ(client->manifest,
                  (kSource / "clients" / "reference" / "manifest.xml").lexically_normal().string());
        ASSERT_NE(find_cell(run, "auth-tls-234"), nullptr);
        EXPECT_EQ(find_cell(run, "auth-tls-234")->verdict, Verdict::pass);
    }
}

TEST(VerdictsRealServer, EndpointsFolderWithoutAManifestIsRefused) {
    TempDir dir("verdicts-empty");
    // A manifest one level too deep is not found: nothing to load, so exit 2.
    testing::write(dir.path() / "mine" / "deep" / "vsftpd" / "manifest.xml",
                   testing::read_file(kSource / "servers" / "vsftpd" / "manifest.xml"));
    const std::string mine = (dir.path() / "mine").string();
    CliResult r = run_cli({"run", "--endpoints", mine, "--scenario", "auth-tls-234", "--out",
                           (dir.path() / "run").string()});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    for (const std::string& searched :
         {mine + "/<name>/manifest.xml", mine + "/servers/<name>/manifest.xml",
          mine + "/clients/<name>/manifest.xml"}) {
        EXPECT_NE(r.err.find(searched), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(dir.path() / "run" / "results.json"));
}

// A deviation excuses the failure it names, at its step, and nothing else.
TEST(VerdictsRealServer, ADeviationAtAnotherStepIsAFail) {
    for (const auto& [step, want] :
         {std::pair{"4", Verdict::xfail}, std::pair{"6", Verdict::fail}}) {
        SCOPED_TRACE(std::string("deviation at step ") + step);
        TempDir dir("verdicts-deviation");
        const fs::path manifest = dir.path() / "mine" / "reference" / "manifest.xml";
        const std::string deviation = std::string(
                                          "  <deviation scenario=\"auth-tls-234\" expect=\"fail\" "
                                          "step=\"") +
                                      step +
                                      "\" observed=\"^334\" source=\"test\">AUTH TLS answered "
                                      "334</deviation>\n</server>";
        write_changed_reference(manifest, [&](std::string text) {
            text = with_misbehaviour(std::move(text), "auth-tls-334");
            return text.replace(text.find("</server>"), 9, deviation);
        });
        const fs::path out = dir.path() / "run";
        CliResult r = run_cli({"run", (kSource / "scenarios").string(), "--endpoints",
                               (dir.path() / "mine").string(), "--servers", "reference",
                               "--clients", "reference", "--scenario", "auth-tls-234", "--jobs",
                               "1", "--out", out.string()});
        EXPECT_EQ(r.exit_code, want == Verdict::fail ? 1 : 0) << r.out << r.err;
        const RunResult run = read_results(out);
        const CellResult* cell = find_cell(run, "auth-tls-234");
        ASSERT_NE(cell, nullptr);
        EXPECT_EQ(cell->verdict, want) << cell->reason;
        ASSERT_TRUE(cell->failure);
        EXPECT_EQ(cell->failure->step_index, 4);
        EXPECT_NE(cell->failure->observed.find("334"), std::string::npos);
    }
}

// --target at a reference server with tls-required: a scenario that needs a server without
// it is unsupported with the conflict named; one without that need still runs and passes.
TEST(VerdictsRealServer, TargetWithAConflictingPolicyIsUnsupported) {
    TempDir dir("verdicts-policy");
    ServeProcess serve({"--feature", "tls-required"}, dir.path());
    std::vector<std::string> args{"run",        (kSource / "scenarios").string(),
                                  "--scenario", "auth-after-clear-login,auth-tls-234",
                                  "--features", "tls-required",
                                  "--jobs",     "1",
                                  "--out",      (dir.path() / "run").string()};
    const auto target = serve.target_args();
    args.insert(args.end(), target.begin(), target.end());
    CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("external target 127.0.0.1:"), std::string::npos) << r.out;
    const RunResult run = read_results(dir.path() / "run");
    const CellResult* conflict = find_cell(run, "auth-after-clear-login");
    ASSERT_NE(conflict, nullptr);
    EXPECT_EQ(conflict->verdict, Verdict::unsupported);
    EXPECT_EQ(conflict->reason, "needs a server without tls-required (it has it)");
    const CellResult* plain = find_cell(run, "auth-tls-234");
    ASSERT_NE(plain, nullptr);
    EXPECT_EQ(plain->verdict, Verdict::pass) << plain->reason;
    const EndpointInfo* server = find_endpoint(run, "server", "target");
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(server->manifest, "");
    EXPECT_NE(server->target.find("127.0.0.1:"), std::string::npos);
}

// The feature ipv6: a server the harness starts listens on ::1 and the whole session runs
// there; a --target on ::1 declared with ipv6 gets the IPv4-only scenarios (PASV)
// unsupported, not failed.
TEST(VerdictsRealServer, Ipv6CellsRunOverLoopbackSix) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "this machine cannot listen on ::1";
    }
    TempDir dir("verdicts-ipv6");
    CliResult r = run_cli({"run", (kSource / "scenarios").string(), "--servers", "reference",
                           "--clients", "reference", "--scenario", "ipv6-eprt-list-protected",
                           "--keep", "--jobs", "1", "--out", (dir.path() / "run").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const RunResult run = read_results(dir.path() / "run");
    const CellResult* cell = find_cell(run, "ipv6-eprt-list-protected");
    ASSERT_NE(cell, nullptr);
    EXPECT_EQ(cell->verdict, Verdict::pass) << cell->reason;
    const std::string transcript =
        testing::read_file(dir.path() / "run" / "reference__reference" /
                           "ipv6-eprt-list-protected" / "transcript.txt");
    EXPECT_TRUE(std::regex_search(transcript, std::regex("server reference ready on ::1:[0-9]+")))
        << transcript;
    EXPECT_TRUE(std::regex_search(transcript, std::regex("=> EPRT \\|2\\|::1\\|[0-9]+\\|")))
        << transcript;

    ServeProcess serve({"--feature", "ipv6"}, dir.path(), "::1");
    std::vector<std::string> args{"run",        (kSource / "scenarios").string(),
                                  "--scenario", "ipv6-eprt-list-protected,data-pasv-nlst-protected",
                                  "--features", "ipv6",
                                  "--jobs",     "1",
                                  "--out",      (dir.path() / "target").string()};
    const auto target = serve.target_args();
    args.insert(args.end(), target.begin(), target.end());
    r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const RunResult on_target = read_results(dir.path() / "target");
    const CellResult* v6 = find_cell(on_target, "ipv6-eprt-list-protected");
    ASSERT_NE(v6, nullptr);
    EXPECT_EQ(v6->verdict, Verdict::pass) << v6->reason;
    const CellResult* pasv = find_cell(on_target, "data-pasv-nlst-protected");
    ASSERT_NE(pasv, nullptr);
    EXPECT_EQ(pasv->verdict, Verdict::unsupported);
    EXPECT_EQ(pasv->reason, "needs a server without ipv6 (it has it)");
}

// ${run_cache}: vsftpd's user database is built once per run and shared by its cells; the
// folder is removed when the run ends, kept with --keep.
TEST(VerdictsRealServer, RunCacheLastsTheRunAndGoesUnlessKept) {
    TempDir dir("verdicts-cache");
    for (bool keep : {true, false}) {
        const fs::path out = dir.path() / (keep ? "kept" : "plain");
        std::vector<std::string> args{"run",        (kSource / "scenarios").string(),
                                      "--servers",  "vsftpd",
                                      "--clients",  "reference",
                                      "--scenario", "auth-tls-234,feat-lists-tls",
                                      "--out",      out.string()};
        if (keep) {
            args.push_back("--keep");
        }
        CliResult r = run_cli(args);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        const RunResult run = read_results(out);
        ASSERT_EQ(run.cells.size(), 2u);
        for (const CellResult& c : run.cells) {
            EXPECT_EQ(c.verdict, Verdict::pass) << c.scenario_id << ": " << c.reason;
        }
        EXPECT_EQ(fs::exists(out / "cache" / "server-vsftpd" / "vsftpd-users.db"), keep);
        EXPECT_EQ(fs::exists(out / "cache"), keep);
    }
}

// An FXP cell with a client that has no fxp action is planned and `unsupported`, never
// left out; nothing is started for it.
TEST(VerdictsRealServer, FxpWithoutAnFxpActionIsUnsupported) {
    TempDir dir("verdicts-fxp");
    CliResult r = run_cli({"run", (kSource / "scenarios").string(), "--servers", "reference",
                           "--clients", "curl", "--scenario", "fxp-prot-c-allowed", "--jobs", "1",
                           "--out", (dir.path() / "run").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const RunResult run = read_results(dir.path() / "run");
    const CellResult* cell = find_cell(run, "fxp-prot-c-allowed");
    ASSERT_NE(cell, nullptr);
    EXPECT_EQ(cell->verdict, Verdict::unsupported);
    EXPECT_EQ(cell->reason, "curl has no action: fxp");
}

// A live server that does not answer a command within the step's deadline has failed the
// step, "no reply within N s", within that deadline: not `error`. The reference server
// with replies-slow holds every reply but the greeting for 0.25 s; under --timeout 0.1 the
// reply to AUTH TLS is not there in time.
TEST(VerdictsRealServer, ASilentLiveServerFailsTheStep) {
    TempDir dir("verdicts-silent");
    ServeProcess serve({"--misbehave", "replies-slow"}, dir.path());
    std::vector<std::string> args{"run",        (kSource / "scenarios").string(),
                                  "--scenario", "auth-tls-234",
                                  "--timeout",  "0.1",
                                  "--jobs",     "1",
                                  "--out",      (dir.path() / "run").string()};
    const auto target = serve.target_args();
    args.insert(args.end(), target.begin(), target.end());
    CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const RunResult run = read_results(dir.path() / "run");
    const CellResult* cell = find_cell(run, "auth-tls-234");
    ASSERT_NE(cell, nullptr);
    EXPECT_EQ(cell->verdict, Verdict::fail) << cell->reason;
    ASSERT_TRUE(cell->failure);
    EXPECT_EQ(cell->failure->step_index, 4);
    EXPECT_EQ(cell->failure->observed, "no reply within 0.1 s");
    EXPECT_LT(cell->duration_s, 5.0);
}

// An --out that cannot be written stops the run before any cell, with the folder and the OS
// error, exit 3; `report` the same. Nothing half-written is left.
TEST(ReportsCli, UnwritableOutExits3BeforeAnyCell) {
    TempDir dir("verdicts-out");
    testing::write(dir.path() / "plain", "a file, not a folder");
    const fs::path out = dir.path() / "plain" / "run";
    CliResult r =
        run_cli({"run", (kSource / "scenarios").string(), "--servers", "reference", "--clients",
                 "reference", "--scenario", "auth-tls-234", "--out", out.string()});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("cannot create the output folder " + out.string() + ": Not a directory"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("PASS"), std::string::npos) << "a cell ran: " << r.out;
    EXPECT_EQ(r.out.find("making the test PKI"), std::string::npos) << r.out;
}

TEST(ReportsCli, ReportToAnUnwritableOutExits3) {
    TempDir dir("verdicts-report-out");
    RunResult run;
    run.run_id = "r1";
    run.endpoints = {{"reference", "server", "0.1.0"}};
    {
        std::ofstream file(dir.path() / "results.json", std::ios::binary);
        write_results_json(run, file);
    }
    testing::write(dir.path() / "plain", "a file, not a folder");
    const fs::path out = dir.path() / "plain" / "merged";
    CliResult r =
        run_cli({"report", (dir.path() / "results.json").string(), "--out", out.string()});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("cannot create the output folder " + out.string() + ": Not a directory"),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace fc
