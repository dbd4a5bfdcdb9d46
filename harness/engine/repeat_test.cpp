#include "harness/engine/repeat.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

CellResult run_of(Verdict v, const std::string& reason, double seconds) {
    CellResult r;
    r.scenario_id = "s";
    r.verdict = v;
    r.reason = reason;
    r.duration_s = seconds;
    return r;
}

TEST(Repeat, OneRunIsReturnedAsItIs) {
    CellResult r = combine_repeats({run_of(Verdict::fail, "step 2: expected 234", 1.0)});
    EXPECT_EQ(r.verdict, Verdict::fail);
    EXPECT_EQ(r.reason, "step 2: expected 234");
    EXPECT_TRUE(r.repeats.empty());
    EXPECT_FALSE(r.flaky());
    EXPECT_EQ(r.repeat_counts(), "");
}

TEST(Repeat, TheWorstRunGivesVerdictAndReasonWithCounts) {
    CellResult r = combine_repeats(
        {run_of(Verdict::pass, "", 0.5), run_of(Verdict::fail, "step 3: no reply within 10 s", 1.0),
         run_of(Verdict::pass, "", 0.5), run_of(Verdict::fail, "step 4: other", 1.0),
         run_of(Verdict::pass, "", 0.5)});
    EXPECT_EQ(r.verdict, Verdict::fail);
    EXPECT_EQ(r.reason, "fail 2/5, pass 3/5: step 3: no reply within 10 s");
    EXPECT_EQ(r.properties.at("repeat.worst_run"), "2");
    EXPECT_EQ(r.repeats.size(), 5U);
    EXPECT_TRUE(r.flaky());
    EXPECT_DOUBLE_EQ(r.duration_s, 3.5);
}

TEST(Repeat, AgreeingRunsAreNotFlaky) {
    CellResult r =
        combine_repeats({run_of(Verdict::xfail, "deviation x (intermittent): did not occur", 1),
                         run_of(Verdict::xfail, "deviation x (intermittent): occurred", 1)});
    EXPECT_EQ(r.verdict, Verdict::xfail);
    EXPECT_FALSE(r.flaky());
    EXPECT_EQ(r.repeat_counts(), "xfail 2/2");
    EXPECT_EQ(r.reason, "xfail 2/2: deviation x (intermittent): did not occur");
}

TEST(Repeat, SeverityOrdersFailAboveErrorAboveXpass) {
    EXPECT_GT(severity(Verdict::fail), severity(Verdict::error));
    EXPECT_GT(severity(Verdict::error), severity(Verdict::xpass));
    EXPECT_GT(severity(Verdict::xpass), severity(Verdict::xfail));
    EXPECT_GT(severity(Verdict::xfail), severity(Verdict::unsupported));
    EXPECT_GT(severity(Verdict::unsupported), severity(Verdict::pass));
    CellResult r = combine_repeats(
        {run_of(Verdict::error, "port busy", 0), run_of(Verdict::xpass, "stale", 0)});
    EXPECT_EQ(r.verdict, Verdict::error);
    EXPECT_EQ(r.reason, "error 1/2, xpass 1/2: port busy");
}

}  // namespace
}  // namespace fc
