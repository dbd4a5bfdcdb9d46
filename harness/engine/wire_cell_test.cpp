// Captures in real cells (issue 18): a curl whose "prot-p" quietly sends PROT C passes on
// exit status and checksums, and must fail the interop scenarios from the wire against
// every server, naming the clear data connection; the shipped curl stays green; a kept
// capture opens decrypted in tshark with the cell's key log. Named *RealServer* so ctest
// labels it "scenario".
#include <gtest/gtest.h>

#include <fstream>

#include "harness/core/text.hpp"
#include "harness/engine/runner.hpp"
#include "harness/proc/process.hpp"
#include "harness/scenario/loader.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;

bool have(const char* tool) {
    return run_command({tool, "--version"}, Deadline::after(Millis(20000)), {}).exit_code == 0;
}

class WireCellRealServer : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have("tcpdump")) {
            GTEST_SKIP() << "tcpdump is not installed (apt-get install tcpdump)";
        }
        // The shipped curl manifest with "prot-p" realised as --ftp-ssl-control (PROT C).
        std::string m = read_file(kSource / "clients/curl/manifest.xml");
        std::string from = "<client name=\"curl\"", to = "<client name=\"curl-protc\"";
        m.replace(m.find(from), from.size(), to);
        from = "<setting names=\"prot-p\" ssl=\"ssl-reqd\"/>";
        to = "<setting names=\"prot-p\" ssl=\"ftp-ssl-control\"/>";
        ASSERT_NE(m.find(from), std::string::npos);
        m.replace(m.find(from), from.size(), to);
        fs::create_directories(dir_.path() / "ep/curl-protc");
        std::ofstream(dir_.path() / "ep/curl-protc/manifest.xml") << m;
    }

    RunResult run(const std::vector<std::string>& servers, const std::string& client,
                  bool capture = true, bool keep = false) {
        std::vector<Diagnostic> diags;
        Endpoints eps =
            load_endpoints({kSource / "servers", kSource / "clients", dir_.path() / "ep"}, diags);
        scenarios_ = load_scenarios({kSource / "scenarios/interop/interop-put-get-prot-p.xml",
                                     kSource / "scenarios/interop/interop-list.xml"},
                                    diags);
        for (const auto& d : diags) {
            ADD_FAILURE() << d.str();
        }
        servers_ = eps.servers;
        clients_ = eps.clients;
        auto cells = make_plan(scenarios_, servers_, clients_, {servers, {client}, {}, {}});
        RunConfig config;
        config.out_dir = dir_.path() / ("out-" + std::to_string(++runs_));
        fs::create_directories(config.out_dir);
        config.prefix = default_prefix();
        config.jobs = 3;
        config.capture = capture;
        config.keep = keep;
        out_ = config.out_dir;
        return run_plan(cells, config);
    }

    testing::TempDir dir_{"wire-cell"};
    std::vector<Scenario> scenarios_;
    std::vector<ServerManifest> servers_;
    std::vector<ClientManifest> clients_;
    fs::path out_;
    int runs_ = 0;
};

TEST_F(WireCellRealServer, CurlSendingProtCFailsFromTheWireAgainstEveryServer) {
    RunResult r = run({"reference", "proftpd", "vsftpd"}, "curl-protc");
    ASSERT_EQ(r.cells.size(), 6u);
    for (const CellResult& c : r.cells) {
        SCOPED_TRACE(c.server + " x " + c.scenario_id);
        EXPECT_EQ(c.verdict, Verdict::fail) << c.reason;
        ASSERT_TRUE(c.failure);
        EXPECT_EQ(c.failure->step, "wire-expect data-protected");
        EXPECT_NE(c.failure->observed.find("data connection #"), std::string::npos)
            << c.failure->observed;
        EXPECT_NE(c.failure->observed.find("began in clear"), std::string::npos)
            << c.failure->observed;
        // A failed cell keeps its capture and says what crossed the wire.
        EXPECT_TRUE(fs::exists(out_ / c.cell_dir / "capture.pcap"));
        std::string wire = read_file(out_ / c.cell_dir / "wire.json");
        EXPECT_NE(wire.find("\"began\": \"clear\""), std::string::npos) << wire;
    }
}

TEST_F(WireCellRealServer, ShippedCurlStaysGreenAndItsCaptureOpensDecryptedInTshark) {
    RunResult r = run({"proftpd"}, "curl", true, true);
    ASSERT_EQ(r.cells.size(), 2u);
    const CellResult* list = nullptr;
    for (const CellResult& c : r.cells) {
        EXPECT_TRUE(c.verdict == Verdict::pass || c.verdict == Verdict::xfail)
            << c.scenario_id << ": " << c.reason;
        if (c.scenario_id == "interop-list") {
            list = &c;
        }
    }
    ASSERT_NE(list, nullptr);
    ASSERT_EQ(list->verdict, Verdict::pass) << list->reason;
    fs::path cell = out_ / list->cell_dir;
    ASSERT_TRUE(fs::exists(cell / "capture.pcap")) << "--keep keeps a passing cell's capture";
    ASSERT_TRUE(fs::exists(cell / "tls-keys.log")) << "curl writes SSLKEYLOGFILE";
    std::string raw = read_file(cell / "capture.pcap");
    // The seeded file's name is in the listing, which crossed protected.
    std::string listing = read_file(cell / "client-2-list.stdout");
    ASSERT_NE(listing.find("listed.bin"), std::string::npos) << listing;
    EXPECT_EQ(raw.find("listed.bin"), std::string::npos) << "the listing crossed in clear";
    if (!have("tshark")) {
        GTEST_SKIP() << "tshark is not installed (apt-get install tshark)";
    }
    // README.md's command; the data connection is tcp.stream 1 (the control one is 0).
    CommandOutput follow = run_command(
        {"tshark", "-r", (cell / "capture.pcap").string(), "-o",
         "tls.keylog_file:" + (cell / "tls-keys.log").string(), "-q", "-z", "follow,tls,ascii,1"},
        Deadline::after(Millis(60000)), {});
    ASSERT_EQ(follow.exit_code, 0) << follow.output;
    EXPECT_NE(follow.output.find("listed.bin"), std::string::npos) << follow.output;
}

TEST_F(WireCellRealServer, WithoutCaptureWireAssertionsAreUnsupportedNeverPassed) {
    RunResult r = run({"reference"}, "curl", false);
    ASSERT_EQ(r.cells.size(), 2u);
    for (const CellResult& c : r.cells) {
        if (c.verdict == Verdict::xfail) {
            continue;  // a declared intermittent upload race happened: no wire verdict then
        }
        EXPECT_EQ(c.verdict, Verdict::unsupported) << c.scenario_id << ": " << c.reason;
        EXPECT_NE(c.reason.find("capture unavailable: switched off"), std::string::npos)
            << c.reason;
        EXPECT_FALSE(fs::exists(out_ / c.cell_dir / "capture.pcap"));
    }
}

}  // namespace
}  // namespace fc
