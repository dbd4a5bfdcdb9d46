#include "harness/core/variables.hpp"

#include <gtest/gtest.h>

#include "harness/core/error.hpp"

namespace fc {
namespace {

TEST(Substitute, ReplacesKnownVariables) {
    Variables vars{{"user", "alice"}, {"port", "2121"}};
    EXPECT_EQ(substitute("USER ${user} on ${port}${port}", vars, "t"), "USER alice on 21212121");
    EXPECT_EQ(substitute("no vars $ { }", vars, "t"), "no vars $ { }");
}

TEST(Substitute, UndefinedVariableNamesIt) {
    try {
        substitute("x ${nope} y", Variables{}, "proftpd.conf.in");
        FAIL() << "expected a HarnessError";
    } catch (const HarnessError& e) {
        EXPECT_STREQ(e.what(), "proftpd.conf.in: undefined variable ${nope}");
    }
}

TEST(Substitute, UnterminatedIsAnError) {
    EXPECT_THROW(substitute("x ${user", Variables{{"user", "a"}}, "t"), HarnessError);
}

}  // namespace
}  // namespace fc
