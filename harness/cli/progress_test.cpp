#include "harness/cli/progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace fc {
namespace {

CellResult cell(const char* id, Verdict v) {
    CellResult c;
    c.scenario_id = id;
    c.area = "control";
    c.server = "proftpd";
    c.client = "reference";
    c.verdict = v;
    c.transcript_excerpt = "ctrl -> AUTH TLS\nctrl <- 334 no";
    return c;
}

TEST(Progress, PlainLinesForLogs) {
    std::ostringstream out;
    Progress p(out, false, Verbosity::normal);
    p.note("server proftpd: version 1.3.8");
    p.cell(cell("a", Verdict::pass), 1, 2);
    p.cell(cell("b", Verdict::fail), 2, 2);
    p.finish();
    std::string text = out.str();
    EXPECT_NE(text.find("  .. server proftpd: version 1.3.8\n"), std::string::npos);
    EXPECT_NE(text.find("[1/2] PASS"), std::string::npos) << text;
    EXPECT_NE(text.find("[2/2] FAIL"), std::string::npos) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos) << "no terminal control in a log";
    EXPECT_EQ(text.find('\033'), std::string::npos);
}

TEST(Progress, LiveShowsAStatusLineAndOnlyNotableCells) {
    std::ostringstream out;
    Progress p(out, true, Verbosity::normal);
    p.cell(cell("a", Verdict::pass), 1, 3);
    p.cell(cell("b", Verdict::error), 2, 3);
    p.finish();
    std::string text = out.str();
    EXPECT_EQ(text.find("PASS"), std::string::npos) << text;
    EXPECT_NE(text.find("ERROR"), std::string::npos) << text;
    EXPECT_NE(text.find("[2/3] 1 pass, 0 fail, 1 error"), std::string::npos) << text;
    EXPECT_NE(text.find("left"), std::string::npos) << text;
}

TEST(Progress, QuietPrintsNothingAndVerboseAddsTranscripts) {
    std::ostringstream quiet;
    Progress q(quiet, false, Verbosity::quiet);
    q.note("x");
    q.cell(cell("b", Verdict::fail), 1, 1);
    q.finish();
    EXPECT_EQ(quiet.str(), "");

    std::ostringstream verbose;
    Progress v(verbose, false, Verbosity::verbose);
    v.cell(cell("b", Verdict::fail), 1, 1);
    EXPECT_NE(verbose.str().find("| ctrl <- 334 no"), std::string::npos) << verbose.str();
}

TEST(Progress, StatusCountsAndEstimate) {
    std::ostringstream out;
    Progress p(out, false, Verbosity::quiet);
    p.cell(cell("a", Verdict::pass), 1, 4);
    p.cell(cell("b", Verdict::xfail), 2, 4);
    std::string s = p.status(2, 4);
    EXPECT_EQ(s.rfind("[2/4] 1 pass, 0 fail, 0 error, 1 other; ", 0), 0u) << s;
    EXPECT_NE(s.find("elapsed, ~"), std::string::npos) << s;
    EXPECT_EQ(p.status(4, 4).find("left"), std::string::npos);
}

}  // namespace
}  // namespace fc
