// Client cells against a real server: a throwaway curl manifest (written here, so the
// test does not depend on clients/curl/manifest.xml) gets and puts files on ProFTPD from
// the project prefix. Named *RealServer* so ctest labels it "scenario".
#include "harness/engine/client_cell.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/engine/runner.hpp"
#include "harness/scenario/loader.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

// `extra` goes into the get action: a way to make a client that corrupts downloads.
std::string curl_manifest(const std::string& name, const std::string& extra) {
    std::string prologue = R"m(
    silent
    show-error
    connect-timeout = 10
    max-time = 15
    ssl-reqd
    cacert = "${ca_cert}"
    trace-ascii = "${debug_log}"
    user = "${user}:${password}"
    ${settings})m";
    return R"m(<?xml version="1.0" encoding="UTF-8"?>
<client name=")m" +
           name + R"m(" package="curl">
  <binary default="/usr/bin/curl"/>
  <version command="${binary} --version" regex="^curl ([0-9][^ ]*)"/>
  <vars scheme="ftp"/>
  <action name="get" argv="${binary} --config ${script}">)m" +
           prologue + "\n    " + extra + R"m(
    @each
    url = "${scheme}://${host}:${port}/${remote}"
    output = "${local}"
    @end
  </action>
  <action name="put" argv="${binary} --config ${script}">)m" +
           prologue + R"m(
    @each
    upload-file = "${local}"
    url = "${scheme}://${host}:${port}/${remote}"
    @end
  </action>
  <setting names="explicit" scheme="ftp"/>
  <setting names="verify"># curl verifies by default</setting>
  <setting names="passive">ftp-pasv</setting>
  <setting names="prot-p"># ssl-reqd</setting>
</client>
)m";
}

std::string scenario(const std::string& id, const std::string& get_expect) {
    return R"m(<?xml version="1.0" encoding="UTF-8"?>
<scenario id=")m" +
           id + R"m(" level="interop">
  <title>get two seeded files on one login, put one</title>
  <roles server="under-test" client="under-test"/>
  <requires server="tls-required data-tls-required"/>
  <settings>verify prot-p passive</settings>
  <steps>
    <seed remote="a.bin" size="100k"/>
    <seed remote="d/b.bin" size="3000"/>
    <client action="get" remote="a.bin d/b.bin" local="a.bin b.bin" expect=")m" +
           get_expect + R"m(" timeout="15s"/>
    <client action="put" remote="up.bin" size="70k" timeout="15s"/>
  </steps>
  <negative-control server="reference" misbehave="upload-tail-lost"/>
</scenario>
)m";
}

class ClientCellRealServer : public ::testing::Test {
protected:
    // With `relative_out`, the run's folder is given relative to the working folder (as
    // the CLI's default results/<UTC> is).
    RunResult run(const std::string& client, bool relative_out = false, bool keep = false) {
        std::vector<Diagnostic> diags;
        Endpoints eps = load_endpoints(
            {fs::path(FTPS_CONFORM_SOURCE_DIR) / "servers", dir_.path() / "ep"}, diags);
        scenarios_ = load_scenarios({dir_.path() / "scenarios"}, diags);
        for (const auto& d : diags) {
            ADD_FAILURE() << d.str();
        }
        servers_ = eps.servers;
        clients_ = eps.clients;
        auto cells = make_plan(scenarios_, servers_, clients_, {{"proftpd"}, {client}, {}, {}});
        RunConfig config;
        config.out_dir = dir_.path() / ("out-" + client);
        fs::create_directories(config.out_dir);
        config.prefix = default_prefix();
        config.keep = keep;
        if (!relative_out) {
            return run_plan(cells, config);
        }
        fs::path cwd = fs::current_path();
        fs::current_path(dir_.path());
        config.out_dir = "out-" + client;
        RunResult r = run_plan(cells, config);
        fs::current_path(cwd);
        return r;
    }

    const CellResult& cell(const RunResult& r, const std::string& id) {
        for (const auto& c : r.cells) {
            if (c.scenario_id == id) {
                return c;
            }
        }
        throw std::runtime_error("no cell " + id);
    }

    testing::TempDir dir_{"client-cell"};
    std::vector<Scenario> scenarios_;
    std::vector<ServerManifest> servers_;
    std::vector<ClientManifest> clients_;
};

TEST_F(ClientCellRealServer, CurlGetsAndPutsAgainstProftpd) {
    write(dir_.path() / "ep/curl/manifest.xml", curl_manifest("curl", ""));
    write(dir_.path() / "scenarios/interop/get-put.xml", scenario("get-put", "success"));
    RunResult r = run("curl");
    ASSERT_EQ(r.cells.size(), 1u);
    const CellResult& c = r.cells[0];
    EXPECT_EQ(c.verdict, Verdict::pass) << c.reason << "\n" << c.transcript_excerpt;
    EXPECT_EQ(c.server, "proftpd");
    EXPECT_EQ(c.client, "curl");
    fs::path cell_dir = dir_.path() / "out-curl" / c.cell_dir;
    // A passing cell keeps its transcript with its wire facts folded in, not its payload,
    // logs or scripts (--keep keeps them: below).
    EXPECT_NE(fc::testing::read_file(cell_dir / "transcript.txt").find("\n== wire facts"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(cell_dir / "wire.json"));
    EXPECT_FALSE(fs::exists(cell_dir / "local"));
    EXPECT_FALSE(fs::exists(cell_dir / "client-3-get.script"));
    EXPECT_FALSE(fs::exists(cell_dir / "client-3-get.debug.log"));
    EXPECT_EQ(r.endpoints.back().version.substr(0, 1), "7") << r.endpoints.back().version;
    // Where its time went: every phase measured, and together the cell's time.
    ASSERT_TRUE(c.timing);
    EXPECT_GT(c.timing->setup_s, 0.0);
    EXPECT_GT(c.timing->steps_s, 0.0);
    EXPECT_GT(c.timing->teardown_s, 0.0);
    EXPECT_NEAR(c.timing->setup_s + c.timing->steps_s + c.timing->teardown_s, c.duration_s, 0.05);
}

TEST_F(ClientCellRealServer, KeepKeepsThePayloadOfAPassingCell) {
    write(dir_.path() / "ep/curl/manifest.xml", curl_manifest("curl", ""));
    write(dir_.path() / "scenarios/interop/get-put.xml", scenario("get-put", "success"));
    RunResult r = run("curl", false, true);
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].verdict, Verdict::pass) << r.cells[0].reason;
    fs::path cell_dir = dir_.path() / "out-curl" / r.cells[0].cell_dir;
    EXPECT_EQ(fs::file_size(cell_dir / "local/b.bin"), 3000u);
    EXPECT_TRUE(fs::exists(cell_dir / "work/home"));
    EXPECT_TRUE(fs::exists(cell_dir / "client-3-get.script"));
    EXPECT_TRUE(fs::exists(cell_dir / "client-3-get.debug.log"));
}

// The client runs in its own folder: the script and file paths it gets must not be
// relative to the harness's working folder (the CLI's default --out is relative).
TEST_F(ClientCellRealServer, RelativeRunFolderStillGivesTheClientUsablePaths) {
    write(dir_.path() / "ep/curl/manifest.xml", curl_manifest("curl", ""));
    write(dir_.path() / "scenarios/interop/get-put.xml", scenario("get-put", "success"));
    RunResult r = run("curl", true);
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].verdict, Verdict::pass) << r.cells[0].reason;
}

TEST_F(ClientCellRealServer, WrongExpectationsAndCorruptDownloadsFail) {
    // A curl that downloads only the first 100 bytes, and a scenario that expects a get
    // which works to fail.
    write(dir_.path() / "ep/curl/manifest.xml", curl_manifest("curl", "range = \"0-99\""));
    write(dir_.path() / "scenarios/interop/short.xml", scenario("short", "success"));
    write(dir_.path() / "scenarios/interop/inverted.xml", scenario("inverted", "failure"));
    RunResult r = run("curl");
    ASSERT_EQ(r.cells.size(), 2u);
    const CellResult& shortened = cell(r, "short");
    EXPECT_EQ(shortened.verdict, Verdict::fail) << shortened.reason;
    ASSERT_TRUE(shortened.failure);
    EXPECT_EQ(shortened.failure->step_index, 3);
    EXPECT_EQ(shortened.failure->line, 10);
    EXPECT_NE(shortened.failure->expected.find("the downloaded a.bin with SHA-256"),
              std::string::npos);
    const CellResult& inverted = cell(r, "inverted");
    EXPECT_EQ(inverted.verdict, Verdict::fail) << inverted.reason;
    ASSERT_TRUE(inverted.failure);
    EXPECT_EQ(inverted.failure->expected, "a non-zero exit status");
    EXPECT_EQ(inverted.failure->observed, "exit status 0");
    // Failing cells keep their payload for a person to judge.
    fs::path short_dir = dir_.path() / "out-curl" / shortened.cell_dir;
    EXPECT_EQ(fs::file_size(short_dir / "local/a.bin"), 100u);
    EXPECT_TRUE(fs::exists(short_dir / "work/home"));
}

TEST_F(ClientCellRealServer, MissingClientBinaryIsAnErrorOfItsCells) {
    std::string m = curl_manifest("curl", "");
    m.replace(m.find("/usr/bin/curl"), 13, "/nonexistent/curl");
    write(dir_.path() / "ep/curl/manifest.xml", m);
    write(dir_.path() / "scenarios/interop/get-put.xml", scenario("get-put", "success"));
    RunResult r = run("curl");
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].verdict, Verdict::error);
    EXPECT_NE(r.cells[0].reason.find("binary not found"), std::string::npos) << r.cells[0].reason;
}

}  // namespace
}  // namespace fc
