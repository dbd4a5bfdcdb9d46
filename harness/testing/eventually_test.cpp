#include "harness/testing/eventually.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace fc::testing {
namespace {

using namespace std::chrono_literals;

TEST(Eventually, ReturnsAtOnceWhenTheConditionHolds) {
    int calls = 0;
    auto t = Clock::now();
    EXPECT_TRUE(eventually([&] { return ++calls > 0; }, 5000ms));
    EXPECT_EQ(calls, 1);
    EXPECT_LT(Clock::now() - t, 1000ms);
}

TEST(Eventually, WaitsForAnotherThreadsEvent) {
    std::atomic<bool> done{false};
    std::thread setter([&] {
        std::this_thread::sleep_for(30ms);  // the event under test comes later
        done = true;
    });
    EXPECT_TRUE(eventually([&] { return done.load(); }, Deadline::after(5000ms)));
    setter.join();
}

TEST(Eventually, GivesUpAtTheDeadlineAfterALastTry) {
    int calls = 0;
    auto t = Clock::now();
    EXPECT_FALSE(eventually([&] { return ++calls < 0; }, 100ms));
    // The bound is the requirement: no earlier than the deadline, and not long after it.
    EXPECT_GE(Clock::now() - t, 100ms);
    EXPECT_LT(Clock::now() - t, 2000ms);
    EXPECT_GE(calls, 3);
}

}  // namespace
}  // namespace fc::testing
