#include "reports/compare.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace fc {
namespace {

CellResult cell(const std::string& server, const std::string& id, Verdict v) {
    CellResult c;
    c.server = server;
    c.client = "reference";
    c.scenario_id = id;
    c.verdict = v;
    return c;
}

TEST(CompareRuns, SameVerdictsDoNotDiffer) {
    RunResult a, b;
    a.cells = {cell("vsftpd", "auth-tls", Verdict::pass)};
    b.cells = a.cells;
    RunDifferences diff = compare_runs({a, b});
    EXPECT_EQ(diff.cells, 1U);
    EXPECT_TRUE(diff.differing.empty());
}

TEST(CompareRuns, AMovedVerdictAndAMissingCellAreListed) {
    RunResult a, b, c;
    a.cells = {cell("vsftpd", "x", Verdict::xfail), cell("proftpd", "y", Verdict::pass)};
    b.cells = {cell("vsftpd", "x", Verdict::xpass), cell("proftpd", "y", Verdict::pass)};
    c.cells = {cell("vsftpd", "x", Verdict::xfail)};
    RunDifferences diff = compare_runs({a, b, c});
    ASSERT_EQ(diff.differing.size(), 2U);
    EXPECT_EQ(diff.differing[0].server, "proftpd");  // sorted by server
    EXPECT_FALSE(diff.differing[0].verdicts[2].has_value());
    std::ostringstream text;
    write_differences(diff, 3, text);
    EXPECT_NE(text.str().find("vsftpd x reference  x: run 1 xfail, run 2 xpass, run 3 xfail"),
              std::string::npos)
        << text.str();
    EXPECT_NE(text.str().find("proftpd x reference  y: run 1 pass, run 2 pass, run 3 missing"),
              std::string::npos);
    EXPECT_NE(text.str().find("2 cells over 3 runs: 2 differed (undeclared)"), std::string::npos);
}

TEST(CompareRuns, IntermittentDeviationsAreCountedNotDiffering) {
    RunResult a, b;
    a.cells = {cell("vsftpd", "up", Verdict::xfail)};
    a.cells[0].properties["deviation.intermittent"] = "occurred";
    b.cells = {cell("vsftpd", "up", Verdict::xfail)};
    b.cells[0].properties["deviation.intermittent"] = "did not occur";
    RunDifferences diff = compare_runs({a, b});
    EXPECT_TRUE(diff.differing.empty());
    ASSERT_EQ(diff.intermittent.size(), 1U);
    EXPECT_EQ(diff.intermittent[0].intermittent_occurred, 1);
    EXPECT_EQ(diff.intermittent[0].intermittent_runs, 2);
}

}  // namespace
}  // namespace fc
