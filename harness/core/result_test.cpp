#include "harness/core/result.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

RunResult run_with(std::initializer_list<Verdict> verdicts) {
    RunResult run;
    for (Verdict v : verdicts) {
        CellResult cell;
        cell.verdict = v;
        run.cells.push_back(cell);
    }
    return run;
}

TEST(ExitCode, AFlakyCellFailsOnlyUnderStrict) {
    RunResult run = run_with({Verdict::pass});
    run.cells[0].repeats = {Verdict::pass, Verdict::unsupported};
    EXPECT_EQ(exit_code_for(run, false), exit_ok);
    EXPECT_EQ(exit_code_for(run, true), exit_failed);
    run.cells[0].repeats = {Verdict::pass, Verdict::pass};
    EXPECT_EQ(exit_code_for(run, true), exit_ok);
}

TEST(ExitCode, NothingFailedIsZero) {
    EXPECT_EQ(exit_code_for(run_with({Verdict::pass, Verdict::xfail, Verdict::unsupported}), false),
              exit_ok);
    EXPECT_EQ(exit_code_for(run_with({}), false), exit_ok);
}

TEST(ExitCode, FailIsOne) {
    EXPECT_EQ(exit_code_for(run_with({Verdict::pass, Verdict::fail}), false), exit_failed);
}

TEST(ExitCode, ErrorWinsOverFailBecauseResultsAreIncomplete) {
    EXPECT_EQ(exit_code_for(run_with({Verdict::fail, Verdict::error}), false), exit_harness);
}

TEST(ExitCode, XpassFailsOnlyWhenStrict) {
    EXPECT_EQ(exit_code_for(run_with({Verdict::xpass}), false), exit_ok);
    EXPECT_EQ(exit_code_for(run_with({Verdict::xpass}), true), exit_failed);
}

TEST(ExitCode, InterruptedRunIsAHarnessError) {
    RunResult run = run_with({Verdict::pass});
    run.interrupted = true;
    EXPECT_EQ(exit_code_for(run, false), exit_harness);
}

TEST(Verdict, NamesRoundTrip) {
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::error, Verdict::unsupported,
                      Verdict::xfail, Verdict::xpass}) {
        EXPECT_EQ(verdict_from_string(to_string(v)), v);
    }
    EXPECT_FALSE(verdict_from_string("passed").has_value());
}

}  // namespace
}  // namespace fc
