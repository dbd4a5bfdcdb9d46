// End-to-end tests of the ftps-conform binary: exit codes, messages, the run folder.
// Tests named *RealServer* start the real ProFTPD from the project prefix (ctest label
// "scenario"); the others need no real endpoint.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "harness/cli/cli_test_util.hpp"
#include "harness/core/json_util.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/proc/ports.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/eventually.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/tls/pki.hpp"

namespace {

namespace fs = std::filesystem;
using fc::testing::TempDir;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;

using fc::testing::CliResult;
using fc::testing::reap;
using fc::testing::run_cli;
using fc::testing::spawn_cli;
using fc::testing::write;

TEST(Cli, NoArgumentsIsUsageError) {
    CliResult r = run_cli({});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("usage: ftps-conform"), std::string::npos);
}

TEST(Cli, VersionAndHelp) {
    CliResult v = run_cli({"--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_EQ(v.out, std::string("ftps-conform ") + FTPS_CONFORM_VERSION + "\n");
    for (const char* command : {"run", "list", "validate", "explain"}) {
        CliResult h = run_cli({command, "--help"});
        EXPECT_EQ(h.exit_code, 0) << command;
        EXPECT_NE(h.out.find(std::string("usage: ftps-conform ") + command), std::string::npos)
            << h.out;
    }
}

TEST(Cli, UnknownCommandAndOptionAreUsageErrors) {
    CliResult c = run_cli({"runn"});
    EXPECT_EQ(c.exit_code, 2);
    EXPECT_NE(c.err.find("unknown command 'runn'"), std::string::npos) << c.err;
    CliResult o = run_cli({"run", "--server", "proftpd"});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.err.find("--servers"), std::string::npos) << "no did-you-mean: " << o.err;
}

TEST(Cli, ValidateShippedFilesIsClean) {
    CliResult r = run_cli({"validate", (kSource / "scenarios").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("ok: "), std::string::npos) << r.out;
}

TEST(Cli, ValidateBrokenScenarioNamesFileLineColumn) {
    TempDir dir("cli-validate");
    fs::path file = dir.path() / "auth" / "broken.xml";
    write(file,
          "<?xml version=\"1.0\"?>\n"
          "<scenario id=\"broken\" level=\"must\">\n"
          "  <title>t</title>\n"
          "  <tags>x</tags>\n"
          "  <roles server=\"under-test\" client=\"reference\"/>\n"
          "  <steps>\n"
          "    <connect/>\n"
          "    <expect cod=\"220\"/>\n"
          "  </steps>\n"
          "  <negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
          "</scenario>\n");
    CliResult r = run_cli({"validate", dir.path().string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(file.string() + ":8:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'code'"), std::string::npos) << "no did-you-mean: " << r.err;
}

TEST(Cli, ListScenariosAndServers) {
    CliResult s = run_cli({"list", "scenarios"});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_NE(s.out.find("auth-tls-234"), std::string::npos) << s.out;
    CliResult v = run_cli({"list", "servers"});
    EXPECT_EQ(v.exit_code, 0) << v.err;
    EXPECT_NE(v.out.find("proftpd"), std::string::npos) << v.out;
    // Each line carries the version the manifest's version command reports.
    auto line_of = [](const std::string& out, const std::string& name) {
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind(name + " ", 0) == 0) {
                return line;
            }
        }
        return std::string();
    };
    EXPECT_NE(line_of(v.out, "reference").find(FTPS_CONFORM_VERSION), std::string::npos) << v.out;
    CliResult c = run_cli({"list", "clients"});
    EXPECT_EQ(c.exit_code, 0) << c.err;
    EXPECT_NE(line_of(c.out, "reference").find(FTPS_CONFORM_VERSION), std::string::npos) << c.out;
    CliResult bad = run_cli({"list", "scenario"});
    EXPECT_EQ(bad.exit_code, 2);
}

TEST(Cli, RunRefusesNonEmptyOutDir) {
    TempDir dir("cli-out");
    write(dir.path() / "earlier.txt", "from an earlier run");
    CliResult r = run_cli({"run", "--out", dir.path().string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("not an empty folder"), std::string::npos) << r.err;
    EXPECT_EQ(fc::testing::read_file(dir.path() / "earlier.txt"), "from an earlier run");
}

TEST(Cli, SelectionMatchingNothingIsUsageError) {
    TempDir dir("cli-sel");
    CliResult s = run_cli({"run", "--scenario", "no-such-*", "--out", (dir.path() / "a").string()});
    EXPECT_EQ(s.exit_code, 2);
    EXPECT_NE(s.err.find("no-such-*"), std::string::npos) << s.err;
    CliResult v = run_cli({"run", "--servers", "proftpdd", "--out", (dir.path() / "b").string()});
    EXPECT_EQ(v.exit_code, 2);
    EXPECT_NE(v.err.find("proftpd"), std::string::npos) << "no did-you-mean: " << v.err;
    EXPECT_FALSE(fs::exists(dir.path() / "b" / "results.json"));
}

TEST(Cli, MissingServerBinaryIsErrorNotFail) {
    TempDir dir("cli-missing");
    fs::path out = dir.path() / "run";
    CliResult r = run_cli({"run", "--servers", "proftpd", "--out", out.string()},
                          {"FTPS_CONFORM_PREFIX=" + (dir.path() / "empty-prefix").string()});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.out.find("binary not found"), std::string::npos) << r.out;
    pugi::xml_document junit;
    ASSERT_TRUE(junit.load_file((out / "junit.xml").c_str()));
    pugi::xml_node suites = junit.child("testsuites");
    EXPECT_GE(suites.attribute("tests").as_int(), 3);
    EXPECT_EQ(suites.attribute("errors").as_int(), suites.attribute("tests").as_int());
    EXPECT_EQ(junit.child("testsuites").attribute("failures").as_int(), 0);
}

// The main job: every shipped scenario against every real server. Green means every
// deviation is declared (xfail) and nothing errors.
TEST(CliRealServer, EveryServerRunsTheShippedScenariosGreen) {
    TempDir dir("cli-all");
    fs::path out = dir.path() / "run";
    // The whole default matrix (~1,500 cells, about 5 minutes on 2 cores). --jobs 4: under
    // ctest -j2 the `controls` test runs beside it with --jobs 4 too, so together they load
    // the machine as one default run does (two runs of 8 starved the JVM clients: a
    // commons-net login took over 5 s).
    CliResult r =
        run_cli({"run", (kSource / "scenarios").string(), "--out", out.string(), "--jobs", "4"}, {},
                std::chrono::seconds(720));
    EXPECT_EQ(r.exit_code, 0) << fc::testing::console_problems(r.out) << r.err;
    pugi::xml_document junit;
    ASSERT_TRUE(junit.load_file((out / "junit.xml").c_str()));
    pugi::xml_node suites = junit.child("testsuites");
    EXPECT_GE(suites.attribute("tests").as_int(), 3 * 40);
    EXPECT_EQ(suites.attribute("failures").as_int(), 0);
    EXPECT_EQ(suites.attribute("errors").as_int(), 0);
    for (const char* server : {"proftpd", "vsftpd", "pureftpd", "reference"}) {
        pugi::xml_node suite = suites.find_child_by_attribute(
            "testsuite", "name", (std::string(server) + "__reference").c_str());
        ASSERT_TRUE(suite) << "no " << server << "__reference testsuite";
        EXPECT_TRUE(suite.find_child_by_attribute("testcase", "name", "auth-tls-234"));
        for (const char* client : {"lftp", "curl"}) {
            // Interop: every client against every server.
            pugi::xml_node interop = suites.find_child_by_attribute(
                "testsuite", "name", (std::string(server) + "__" + client).c_str());
            ASSERT_TRUE(interop) << "no " << server << "__" << client << " testsuite";
            EXPECT_TRUE(
                interop.find_child_by_attribute("testcase", "name", "interop-put-get-prot-p"));
        }
    }
    // Client-side: every client against the reference server.
    for (const char* client : {"lftp", "curl", "reference"}) {
        pugi::xml_node suite = suites.find_child_by_attribute(
            "testsuite", "name", (std::string("reference__") + client).c_str());
        ASSERT_TRUE(suite) << "no reference__" << client << " testsuite";
        EXPECT_TRUE(suite.find_child_by_attribute("testcase", "name", "client-pbsz-before-prot"));
    }
    EXPECT_TRUE(fs::exists(out / "results.json"));
    fs::path cell = out / "proftpd__reference" / "auth-tls-234";
    std::string transcript = fc::testing::read_file(cell / "transcript.txt");
    EXPECT_NE(transcript.find("AUTH TLS"), std::string::npos) << transcript;
    EXPECT_NE(transcript.find("234"), std::string::npos) << transcript;
    // A passing cell keeps one file, its transcript, with its wire facts folded in: not its
    // key log, capture or rendered config (cell_files.hpp, prune_settled_cell). Its wire
    // facts say the key log was read.
    EXPECT_NE(transcript.find("key log loaded (TLS records decrypted)"), std::string::npos)
        << transcript;
    EXPECT_NE(transcript.find("clear 'AUTH TLS' then 234, then TLS"), std::string::npos)
        << transcript;
    EXPECT_FALSE(fs::exists(cell / "wire.json"));
    EXPECT_FALSE(fs::exists(cell / "tls-keys.log"));
    EXPECT_FALSE(fs::exists(cell / "config"));
}

// --target: a ProFTPD started here, outside the CLI, configured with tls-required only.
// Scenarios that need more are unsupported (the user did not declare it), the rest pass.
TEST(CliRealServer, TargetRunsAgainstAServerStartedElsewhere) {
    TempDir dir("cli-target");
    std::vector<fc::Diagnostic> diags;
    auto manifest =
        fc::load_server_manifest(kSource / "servers" / "proftpd" / "manifest.xml", diags);
    ASSERT_TRUE(manifest) << (diags.empty() ? "" : diags[0].str());
    fc::PkiFiles pki = fc::make_test_pki(dir.path() / "pki");
    fc::Credentials credentials = fc::make_credentials();
    fc::PortAllocator ports;
    std::vector<std::string> missing;
    std::vector<std::string> features{"tls-required"};
    auto text = fc::realise_features(*manifest, features, &missing);
    ASSERT_TRUE(text);
    fs::create_directories(dir.path() / "server");
    fc::InstanceRequest request{&*manifest,
                                features,
                                *text,
                                &pki,
                                &credentials,
                                fc::default_prefix(),
                                dir.path() / "server",
                                &ports,
                                {}};
    auto server = fc::ServerInstance::start(request);
    fs::path out = dir.path() / "run";
    CliResult r = run_cli(
        {"run", (kSource / "scenarios").string(), "--target",
         "127.0.0.1:" + std::to_string(server->target().port), "--user", credentials.user,
         "--password", credentials.password, "--ca", pki.ca_cert.string(), "--features",
         "tls-required", "--scenario",
         "auth-tls-234,user-before-auth-refused,data-stor-retr-roundtrip,clear-list-refused",
         "--out", out.string()});
    EXPECT_EQ(r.exit_code, 0) << fc::testing::console_problems(r.out) << r.err;
    EXPECT_NE(r.out.find("not started or configured by ftps-conform"), std::string::npos) << r.out;
    pugi::xml_document junit;
    ASSERT_TRUE(junit.load_file((out / "junit.xml").c_str()));
    pugi::xml_node suites = junit.child("testsuites");
    EXPECT_EQ(suites.attribute("tests").as_int(), 4);
    EXPECT_EQ(suites.attribute("failures").as_int(), 0);
    EXPECT_EQ(suites.attribute("errors").as_int(), 0);
    EXPECT_EQ(suites.attribute("skipped").as_int(), 1);
    pugi::xml_node skipped = suites.find_node([](pugi::xml_node n) {
        return std::string(n.name()) == "testcase" &&
               std::string(n.attribute("name").value()) == "clear-list-refused";
    });
    ASSERT_TRUE(skipped);
    EXPECT_NE(std::string(skipped.child("skipped").attribute("message").value())
                  .find("not declared with --features: data-tls-required"),
              std::string::npos);
    EXPECT_TRUE(server->exited() == std::nullopt) << "the harness must not touch the server";
}

// --endpoints: a server project's own manifest from outside the repository, naming its
// own binary (here a copy of the prefix's ProFTPD standing in for a fresh build).
TEST(CliRealServer, EndpointsAddAServerWithItsOwnBinary) {
    TempDir dir("cli-endpoints");
    fs::path mine = dir.path() / "endpoints" / "myproftpd";
    fs::create_directories(mine);
    for (const auto& entry : fs::directory_iterator(kSource / "servers" / "proftpd")) {
        fs::copy_file(entry.path(), mine / entry.path().filename());
    }
    fs::create_directories(dir.path() / "build");
    fs::path binary = dir.path() / "build" / "proftpd";
    fs::copy_file(fc::default_prefix() / "usr" / "sbin" / "proftpd", binary);
    std::string manifest = fc::testing::read_file(mine / "manifest.xml");
    manifest = std::regex_replace(manifest, std::regex(R"(name="proftpd")"), R"(name="myproftpd")");
    manifest =
        std::regex_replace(manifest, std::regex(R"(default="\$\{prefix\}/usr/sbin/proftpd")"),
                           "default=\"" + binary.string() + "\"");
    ASSERT_NE(manifest.find(binary.string()), std::string::npos);
    write(mine / "manifest.xml", manifest);

    fs::path out = dir.path() / "run";
    CliResult r =
        run_cli({"run", (kSource / "scenarios").string(), "--endpoints",
                 (dir.path() / "endpoints").string(), "--servers", "myproftpd", "--scenario",
                 "auth-tls-234,data-stor-retr-roundtrip", "--out", out.string(), "--keep"});
    EXPECT_EQ(r.exit_code, 0) << fc::testing::console_problems(r.out) << r.err;
    // The console header names the manifest that was loaded, and results.json records it.
    const fs::path manifest_file = fs::absolute(mine / "manifest.xml").lexically_normal();
    EXPECT_NE(r.out.find("server myproftpd 1.3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(": manifest " + manifest_file.string() + " (sha256 "), std::string::npos)
        << r.out;
    const std::string results = fc::testing::read_file(out / "results.json");
    EXPECT_NE(results.find("\"manifest\": \"" + manifest_file.string() + "\""), std::string::npos)
        << results;
    pugi::xml_document junit;
    ASSERT_TRUE(junit.load_file((out / "junit.xml").c_str()));
    pugi::xml_node suite =
        junit.child("testsuites")
            .find_child_by_attribute("testsuite", "name", "myproftpd__reference");
    ASSERT_TRUE(suite);
    EXPECT_EQ(suite.attribute("tests").as_int(), 2);
    EXPECT_EQ(suite.attribute("failures").as_int() + suite.attribute("errors").as_int(), 0);
    EXPECT_NE(fc::testing::read_file(out / "myproftpd__reference" / "auth-tls-234" / "config" /
                                     "proftpd.conf")
                  .find("ModulePath"),
              std::string::npos);
}

// Two shards run separately and merged by `report` give the cells and verdicts of one
// unsharded run (the reference server and client: the fastest column, about 190 cells).
TEST(CliRealServer, ShardsMergeIntoTheUnshardedResult) {
    TempDir dir("cli-shards");
    auto verdicts = [](const fs::path& junit_file) {
        pugi::xml_document junit;
        EXPECT_TRUE(junit.load_file(junit_file.c_str())) << junit_file;
        std::vector<std::string> cells;
        for (pugi::xpath_node n : junit.select_nodes("//testcase")) {
            pugi::xml_node tc = n.node();
            std::string verdict = tc.child("failure")   ? "fail"
                                  : tc.child("error")   ? "error"
                                  : tc.child("skipped") ? "skipped"
                                                        : "pass";
            cells.push_back(std::string(tc.parent().attribute("name").value()) + "/" +
                            tc.attribute("name").value() + "=" + verdict);
        }
        std::sort(cells.begin(), cells.end());
        return cells;
    };
    std::string scenarios = (kSource / "scenarios").string();
    for (const char* shard : {"1/2", "2/2"}) {
        std::string name = std::string("shard") + shard[0];
        CliResult r = run_cli({"run", scenarios, "--servers", "reference", "--clients", "reference",
                               "--shard", shard, "--out", (dir.path() / name).string()});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    CliResult whole = run_cli({"run", scenarios, "--servers", "reference", "--clients", "reference",
                               "--out", (dir.path() / "whole").string()});
    ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;
    CliResult merged =
        run_cli({"report", (dir.path() / "shard1").string(), (dir.path() / "shard2").string(),
                 "--out", (dir.path() / "merged").string()});
    ASSERT_EQ(merged.exit_code, 0) << merged.out << merged.err;
    EXPECT_TRUE(fs::exists(dir.path() / "merged" / "matrix.html"));
    EXPECT_TRUE(fs::exists(dir.path() / "merged" / "matrix.md"));
    std::vector<std::string> a = verdicts(dir.path() / "merged" / "junit.xml");
    std::vector<std::string> b = verdicts(dir.path() / "whole" / "junit.xml");
    EXPECT_GE(a.size(), 100u);
    EXPECT_EQ(a, b);
}

TEST(Cli, TargetOptionsAreChecked) {
    EXPECT_EQ(run_cli({"run", "--user", "alice"}).exit_code, 2);
    CliResult port =
        run_cli({"run", "--target", "127.0.0.1:99999", "--user", "a", "--password", "b"});
    EXPECT_EQ(port.exit_code, 2);
    EXPECT_NE(port.err.find("1-65535"), std::string::npos) << port.err;
    CliResult feature = run_cli({"run", "--target", "127.0.0.1:2121", "--user", "a", "--password",
                                 "b", "--features", "tls-requird"});
    EXPECT_EQ(feature.exit_code, 2);
    EXPECT_NE(feature.err.find("did you mean 'tls-required'"), std::string::npos) << feature.err;
    CliResult both = run_cli({"run", "--target", "127.0.0.1:2121", "--user", "a", "--password", "b",
                              "--servers", "proftpd"});
    EXPECT_EQ(both.exit_code, 2);
}

// Ctrl-C in the middle of a cell: the run stops within a second or two, exits 3, writes
// its reports, and leaves no server process behind.
namespace {

// A scenario whose cell waits 60 s for a reply that never comes (to be interrupted).
void write_waiting_scenario(const fs::path& file) {
    write(file,
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
          "</scenario>\n");
}

// SIGINT to a running CLI: it exits 3 within 5 s and has written its reports.
void interrupt_and_expect_exit3(pid_t pid, const fs::path& dir, const fs::path& out) {
    auto sent = std::chrono::steady_clock::now();
    ::kill(pid, SIGINT);
    int code = reap(pid, std::chrono::seconds(15));
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    EXPECT_EQ(code, 3) << fc::testing::read_file(dir / "stdout")
                       << fc::testing::read_file(dir / "stderr");
    EXPECT_LT(took, 5.0);
    EXPECT_TRUE(fs::exists(out / "junit.xml"));
}

}  // namespace

TEST(CliRealServer, InterruptStopsServersAndExits3) {
    TempDir dir("cli-sigint");
    write_waiting_scenario(dir.path() / "slow" / "waits.xml");
    fs::path out = dir.path() / "run";
    pid_t pid = spawn_cli(
        {"run", (dir.path() / "slow").string(), "--servers", "proftpd", "--out", out.string()},
        dir.path());
    const fs::path conf_file = out / "proftpd__reference" / "waits" / "config" / "proftpd.conf";
    ASSERT_TRUE(fc::testing::eventually([&] { return !fc::testing::read_file(conf_file).empty(); },
                                        std::chrono::seconds(20)));
    // No file marks "the cell now waits for the 200" (the transcript is written at the cell's
    // end), so this pause stands for it: the server starts in well under 0.7 s, and the wait
    // it interrupts lasts 60 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    interrupt_and_expect_exit3(pid, dir.path(), out);
    // No server of this run is left: nothing accepts on the port its config named.
    std::string conf =
        fc::testing::read_file(out / "proftpd__reference" / "waits" / "config" / "proftpd.conf");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(conf, m, std::regex(R"(\nPort\s+([0-9]+))"))) << conf;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(m[1].str())));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    EXPECT_NE(rc, 0) << "the server still accepts connections on port " << m[1].str();
}

// `run --repeat`: a server that misbehaves on every second start (a copied reference
// manifest whose argv is a script adding a misbehaviour when a counter is even) makes the
// cell flaky: its verdict is the worst run, with the counts, and --strict fails the run.
namespace {

// Processes whose command line mentions `needle` (a run folder: every server's config,
// root or run directory is inside it), other than this test process and `except`.
std::vector<std::string> processes_mentioning(const std::string& needle, pid_t except = 0) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(),
                                         [](unsigned char c) { return std::isdigit(c) != 0; })) {
            continue;
        }
        pid_t p = static_cast<pid_t>(std::stol(name));
        if (p == ::getpid() || p == except) {
            continue;
        }
        const fs::path entry_path = it->path();
        std::string cmdline = fc::testing::read_file(entry_path / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(needle) != std::string::npos) {
            found.push_back(name + ": " + cmdline);
        }
    }
    return found;
}

}  // namespace

// SIGINT while several cells run at once: every server of every running cell is gone when
// the CLI exits (3, within 5 s), and the run's reports are written.
TEST(CliRealServer, InterruptDuringParallelCellsLeavesNoProcess) {
    TempDir dir("cli-sigint-jobs");
    write_waiting_scenario(dir.path() / "slow" / "waits.xml");
    fs::path out = dir.path() / "run";
    pid_t pid =
        spawn_cli({"run", (dir.path() / "slow").string(), "--servers",
                   "proftpd,vsftpd,pureftpd,reference", "--jobs", "4", "--out", out.string()},
                  dir.path());
    // All four servers are up once four processes name the run folder.
    ASSERT_TRUE(
        fc::testing::eventually([&] { return processes_mentioning(out.string(), pid).size() >= 4; },
                                std::chrono::seconds(30)))
        << fc::testing::read_file(dir.path() / "stdout");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the cells reach their wait
    interrupt_and_expect_exit3(pid, dir.path(), out);
    std::vector<std::string> left = processes_mentioning(out.string());
    EXPECT_TRUE(left.empty()) << left.size() << " process(es) outlived the run, e.g. "
                              << (left.empty() ? "" : left.front());
}

// Pooled servers (the default) and a server of each cell's own (--no-pool) give every cell
// the same verdict and reason; only the pooled run has cells that a server served after
// another cell (results.json: server.instance "..., its 2nd cell").
TEST(CliRealServer, PooledAndUnpooledRunsGiveTheSameVerdicts) {
    TempDir dir("cli-pool");
    std::map<std::string, std::string> verdicts[2];
    int later_cells[2] = {0, 0};
    for (int pooled = 0; pooled < 2; ++pooled) {
        const fs::path out = dir.path() / (pooled ? "pooled" : "own");
        std::vector<std::string> args = {
            "run",        (kSource / "scenarios").string(),
            "--servers",  "proftpd,vsftpd,pureftpd,reference",
            "--clients",  "reference,curl",
            "--scenario", "prot-*,auth-tls-*,interop-list,interop-put-get-prot-p,data-close-*",
            "--out",      out.string()};
        if (!pooled) {
            args.push_back("--no-pool");
        }
        CliResult r = run_cli(args);
        ASSERT_EQ(r.exit_code, 0) << fc::testing::console_problems(r.out) << r.err;
        fc::json::Value doc = fc::json::parse(fc::testing::read_file(out / "results.json"));
        for (const auto& cell : doc["cells"]) {
            const std::string key = cell["server"].get<std::string>() + " x " +
                                    cell["client"].get<std::string>() + " " +
                                    cell["scenario_id"].get<std::string>();
            verdicts[pooled][key] =
                cell["verdict"].get<std::string>() + ": " + cell["reason"].get<std::string>();
            if (cell.contains("properties") && cell["properties"].contains("server.instance") &&
                cell["properties"]["server.instance"].get<std::string>().find("its 1st cell") ==
                    std::string::npos) {
                ++later_cells[pooled];
            }
        }
    }
    ASSERT_GT(verdicts[0].size(), 40u);
    EXPECT_EQ(verdicts[0], verdicts[1]);
    EXPECT_EQ(later_cells[0], 0);
    EXPECT_GT(later_cells[1], 10);
}

TEST(CliRealServer, RepeatMarksACellWhoseRunsDisagreeFlaky) {
    TempDir dir("cli-repeat");
    const fs::path counter = dir.path() / "starts";
    const fs::path script = dir.path() / "endpoints" / "flakyref" / "start.sh";
    write(script,
          "#!/bin/sh\n"
          "n=$(cat '" +
              counter.string() +
              "' 2>/dev/null || echo 0)\n"
              "n=$((n + 1)); echo $n > '" +
              counter.string() +
              "'\n"
              "if [ $((n % 2)) -eq 0 ]; then exec \"$@\" --misbehave auth-tls-334; fi\n"
              "exec \"$@\"\n");
    fs::permissions(script, fs::perms::owner_all, fs::perm_options::add);
    std::string manifest = fc::testing::read_file(kSource / "servers/reference/manifest.xml");
    manifest =
        std::regex_replace(manifest, std::regex(R"(name="reference")"), R"(name="flakyref")");
    manifest = std::regex_replace(manifest, std::regex(R"(<argv>\$\{binary\})"),
                                  "<argv>" + script.string() + " ${binary}");
    ASSERT_NE(manifest.find(script.string()), std::string::npos);
    write(script.parent_path() / "manifest.xml", manifest);

    const fs::path out = dir.path() / "run";
    const std::vector<std::string> args = {"run",         (kSource / "scenarios").string(),
                                           "--endpoints", (dir.path() / "endpoints").string(),
                                           "--servers",   "flakyref",
                                           "--clients",   "reference",
                                           "--scenario",  "auth-tls-234",
                                           "--repeat",    "4",
                                           "--jobs",      "1",
                                           "--out",       out.string()};
    CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("each run 4 times"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Flaky cells"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 flaky"), std::string::npos) << r.out;
    const std::string results = fc::testing::read_file(out / "results.json");
    EXPECT_NE(results.find(R"("repeats": [
        "pass",
        "fail",
        "pass",
        "fail"
      ])"),
              std::string::npos)
        << results;
    EXPECT_NE(results.find(R"("repeat_counts": "fail 2/4, pass 2/4")"), std::string::npos);
    EXPECT_NE(results.find(R"("flaky": true)"), std::string::npos);
    // Each run has its own folder; the cell points at the worst (first failing) one.
    EXPECT_TRUE(fs::exists(out / "flakyref__reference/auth-tls-234/run-4"));
    EXPECT_NE(results.find(R"("cell_dir": "flakyref__reference/auth-tls-234/run-2")"),
              std::string::npos);
    pugi::xml_document junit;
    ASSERT_TRUE(junit.load_file((out / "junit.xml").c_str()));
    const std::string message = junit.select_node("//failure").node().attribute("message").value();
    EXPECT_NE(message.find(": fail 2/4, pass 2/4: step 4 "), std::string::npos) << message;
    EXPECT_NE(fc::testing::read_file(out / "matrix.md").find("| F\\* |"), std::string::npos);

    // A cell that passes every run is not flaky, and --strict passes.
    const fs::path out2 = dir.path() / "run2";
    CliResult ok = run_cli({"run", (kSource / "scenarios").string(), "--servers", "reference",
                            "--clients", "reference", "--scenario", "auth-tls-234", "--repeat", "3",
                            "--strict", "--out", out2.string()});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_EQ(ok.out.find("flaky"), std::string::npos) << ok.out;
}

}  // namespace

// The resident drivers of commons-net (one JVM) and basic-ftp (one Node.js) give the verdicts
// and reasons a process per action gives: on passing interop actions, on a refusal the
// client must report (untrusted certificate) and on a hang it must end by itself (234 with
// no handshake: the resident's own deadline closes the action).
TEST(CliRealServer, ResidentDriversGiveTheVerdictsOfAProcessPerAction) {
    TempDir dir("cli-resident");
    const std::vector<std::string> slice = {
        "run",
        (kSource / "scenarios").string(),
        "--servers",
        "reference",
        "--clients",
        "commons-net,basic-ftp",
        "--scenario",
        "interop-list,interop-put-get-prot-p,client-refuses-untrusted-cert,"
        "client-auth-no-handshake",
        "--no-capture"};
    std::map<std::string, std::pair<std::string, std::string>> verdicts[2];
    for (int resident = 0; resident < 2; ++resident) {
        std::vector<std::string> args = slice;
        fs::path out = dir.path() / (resident ? "resident" : "processes");
        args.insert(args.end(), {"--out", out.string()});
        if (!resident) {
            args.push_back("--no-resident");
        }
        CliResult r = run_cli(args);
        EXPECT_EQ(r.exit_code, 0) << fc::testing::console_problems(r.out) << r.err;
        pugi::xml_document junit;
        ASSERT_TRUE(junit.load_file((out / "junit.xml").c_str()));
        for (pugi::xml_node suite : junit.child("testsuites").children("testsuite")) {
            for (pugi::xml_node tc : suite.children("testcase")) {
                std::string key = std::string(suite.attribute("name").value()) + "/" +
                                  tc.attribute("name").value();
                pugi::xml_node why = tc.first_child();
                // digits vary (ports, times): the words must not
                verdicts[resident][key] = {
                    why ? why.name() : "passed",
                    std::regex_replace(std::string(why.attribute("message").value()),
                                       std::regex("[0-9]+"), "N")};
            }
        }
        EXPECT_EQ(fs::exists(out / "residents" / "commons-net" / "resident.log"), resident == 1);
    }
    EXPECT_EQ(verdicts[0].size(), 8U);
    EXPECT_EQ(verdicts[0], verdicts[1]);
}
