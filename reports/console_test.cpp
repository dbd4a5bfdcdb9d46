#include "reports/console.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace fc {
namespace {

CellResult cell(std::string server, std::string id, Verdict verdict, double seconds) {
    CellResult c;
    c.server = std::move(server);
    c.client = "reference";
    c.scenario_id = std::move(id);
    c.area = "control";
    c.verdict = verdict;
    c.duration_s = seconds;
    c.cell_dir = c.server + "__reference/" + c.scenario_id;
    c.transcript_path = c.cell_dir + "/transcript.txt";
    return c;
}

RunResult sample_run() {
    RunResult run;
    run.duration_s = 4.2;
    run.endpoints = {{"proftpd", "server", "1.3.8"}, {"reference", "client", "0.1.0"}};
    run.cells.push_back(cell("proftpd", "control/auth-tls-234", Verdict::pass, 0.21));
    CellResult xfail = cell("proftpd", "control/xfail-one", Verdict::xfail, 0.5);
    xfail.reason = "known: proftpd#1";
    run.cells.push_back(xfail);
    CellResult unsupported = cell("proftpd", "control/ccc", Verdict::unsupported, 0.0);
    unsupported.reason = "needs feature ccc";
    run.cells.push_back(unsupported);
    CellResult xpass = cell("proftpd", "control/xpass-one", Verdict::xpass, 0.1);
    xpass.reason = "deviation proftpd-x no longer seen";
    run.cells.push_back(xpass);
    CellResult error = cell("proftpd", "control/err-one", Verdict::error, 10.0);
    error.reason = "server not ready within 10 s";
    run.cells.push_back(error);
    CellResult fail = cell("proftpd", "control/pbsz-0", Verdict::fail, 0.3);
    fail.failure = Failure{4, 12, "expect code=234", "code 234", "code 500"};
    run.cells.push_back(fail);
    return run;
}

std::string summary(const RunResult& run) {
    std::ostringstream out;
    write_summary(run, out, {"/tmp/out/run-1/results.json", "/tmp/out/run-1/junit.xml"});
    return out.str();
}

TEST(Console, PassLine) {
    EXPECT_EQ(format_cell_line(cell("proftpd", "control/auth-tls-234", Verdict::pass, 0.21)),
              "PASS   proftpd x reference  control/auth-tls-234  (0.21 s)");
}

TEST(Console, FailLineAddsIndentedDetail) {
    CellResult c = cell("proftpd", "control/auth-tls-234", Verdict::fail, 1.0);
    c.failure = Failure{4, 0, "expect", "code 234", "code 500 \x1b[2J"};
    EXPECT_EQ(format_cell_line(c),
              "FAIL   proftpd x reference  control/auth-tls-234  (1.00 s)\n"
              "       \xE2\x80\x94 step 4: expected code 234, observed code 500 \\x1b[2J");
}

TEST(Console, ErrorLineShowsReasonAndColorIsOptIn) {
    CellResult c = cell("vsftpd", "data/prot-p", Verdict::error, 0.0);
    c.reason = "binary\nmissing";
    const std::string plain = format_cell_line(c);
    EXPECT_EQ(plain.find('\x1b'), std::string::npos);
    EXPECT_NE(plain.find("\n       \xE2\x80\x94 binary missing"), std::string::npos) << plain;
    EXPECT_NE(format_cell_line(c, true).find("\x1b["), std::string::npos);
}

TEST(Console, SummaryCountsComeLast) {
    const std::string text = summary(sample_run());
    const std::string last =
        "6 cells: 1 pass, 1 fail, 1 error, 1 unsupported, 1 xfail, 1 xpass "
        "in 4.2 s\n";
    ASSERT_GE(text.size(), last.size());
    EXPECT_EQ(text.substr(text.size() - last.size()), last) << text;
    EXPECT_EQ(text.find(last), text.size() - last.size());
}

TEST(Console, FailuresComeFirstThenEndpointsThenReports) {
    const std::string text = summary(sample_run());
    const auto fail = text.find("control/pbsz-0");
    const auto error = text.find("control/err-one");
    const auto xpass = text.find("control/xpass-one");
    const auto unsupported = text.find("control/ccc");
    const auto xfail = text.find("control/xfail-one");
    const auto endpoints = text.find("Endpoints:");
    const auto reports = text.find("Reports:");
    const auto counts = text.find("6 cells:");
    ASSERT_NE(fail, std::string::npos) << text;
    EXPECT_LT(fail, error);
    EXPECT_LT(error, xpass);
    EXPECT_LT(xpass, unsupported);
    EXPECT_LT(unsupported, xfail);
    EXPECT_LT(xfail, endpoints);
    EXPECT_LT(endpoints, reports);
    EXPECT_LT(reports, counts);
    EXPECT_EQ(text.find("control/auth-tls-234"), std::string::npos) << "passes are not listed";
    EXPECT_NE(text.find("server proftpd 1.3.8"), std::string::npos);
    EXPECT_NE(text.find("/tmp/out/run-1/junit.xml"), std::string::npos);
}

TEST(Console, SummaryShowsReasonPathsAndRerunCommand) {
    const std::string text = summary(sample_run());
    EXPECT_NE(text.find("step 4: expected code 234, observed code 500"), std::string::npos);
    EXPECT_NE(text.find("server not ready within 10 s"), std::string::npos);
    EXPECT_NE(text.find("needs feature ccc"), std::string::npos);
    EXPECT_NE(text.find("/tmp/out/run-1/proftpd__reference/control/pbsz-0/transcript.txt"),
              std::string::npos);
    EXPECT_NE(text.find("ftps-conform run --servers proftpd --clients reference "
                        "--scenario control/pbsz-0"),
              std::string::npos)
        << text;
}

TEST(Console, RerunCommandQuotesOddNames) {
    RunResult run;
    run.cells.push_back(cell("my server", "a/it's", Verdict::fail, 0.0));
    const std::string text = summary(run);
    EXPECT_NE(text.find("--servers 'my server' --clients reference --scenario 'a/it'\\''s'"),
              std::string::npos)
        << text;
}

TEST(Console, SlowestCellsShowTheirSplitLongestFirst) {
    RunResult run = sample_run();
    run.cells[5].timing = CellTiming{0.1, 0.15, 0.05};
    std::ostringstream out;
    write_slowest(run, out, 2);
    EXPECT_EQ(out.str(),
              "Slowest cells:\n"
              "  10.00 s  proftpd x reference  control/err-one\n"
              "  0.50 s  proftpd x reference  control/xfail-one\n\n");
    std::ostringstream all;
    write_slowest(run, all, 99);
    EXPECT_NE(all.str().find("0.30 s  proftpd x reference  control/pbsz-0  (setup 0.10, steps "
                             "0.15, teardown 0.05)\n"),
              std::string::npos)
        << all.str();
    std::ostringstream none;
    write_slowest(RunResult{}, none);
    EXPECT_EQ(none.str(), "");
}

TEST(Console, EmptyRunSummary) {
    std::ostringstream out;
    write_summary(RunResult{}, out, {"", ""});
    EXPECT_EQ(out.str(),
              "0 cells: 0 pass, 0 fail, 0 error, 0 unsupported, 0 xfail, 0 xpass "
              "in 0.0 s\n");
}

// The re-run line repeats the run's own arguments (scenario folder, --endpoints, --target and
// its companions), quoted for a shell, so that pasting it reproduces the cell.
TEST(Console, RerunLineRepeatsTheRunsArguments) {
    RunResult run = sample_run();
    run.rerun_args = {"scenarios/", "--endpoints", "/tmp/my endpoints", "--timeout", "20"};
    EXPECT_NE(summary(run).find("re-run:     ftps-conform run scenarios/ --endpoints "
                                "'/tmp/my endpoints' --timeout 20 --servers proftpd --clients "
                                "reference --scenario control/pbsz-0\n"),
              std::string::npos)
        << summary(run);
    run.rerun_args = {"--target", "127.0.0.1:2121", "--user", "u", "--password", "p"};
    EXPECT_NE(summary(run).find("re-run:     ftps-conform run --target 127.0.0.1:2121 --user u "
                                "--password p --clients reference --scenario control/pbsz-0\n"),
              std::string::npos)
        << summary(run);
}

}  // namespace
}  // namespace fc
