#include "harness/core/text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <limits>
#include <list>
#include <set>
#include <vector>

#include "harness/core/error.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

TEST(Text, JoinPutsTheSeparatorBetweenItemsOnly) {
    EXPECT_EQ(join(std::vector<std::string>{}, ", "), "");
    EXPECT_EQ(join(std::vector<std::string>{"a"}, ", "), "a");
    EXPECT_EQ(join(std::vector<std::string>{"a", "", "c"}, ","), "a,,c");
    EXPECT_EQ(join(std::set<std::string>{"b", "a"}, " "), "a b");
    constexpr std::array<std::string_view, 2> kViews{"x", "y"};
    EXPECT_EQ(join(kViews, "|"), "x|y");
    // (No std::views here: clang 14, which builds build-asan/, cannot compile libstdc++ 12's.)
    const std::list<int> numbers{1, 3};
    EXPECT_EQ(join(numbers, "+", [](int n) { return std::to_string(n); }), "1+3");
}

TEST(Text, UpperTouchesAsciiLettersOnly) {
    EXPECT_EQ(upper("auth tls-c"), "AUTH TLS-C");
    EXPECT_EQ(upper("caf\xC3\xA9"), "CAF\xC3\xA9");
    EXPECT_EQ(upper(""), "");
}

TEST(Text, TrimDropsSurroundingWhitespace) {
    EXPECT_EQ(trim("  a b \t\r\n"), "a b");
    EXPECT_EQ(trim("\v\fx"), "x");
    EXPECT_EQ(trim(" \t "), "");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim("x"), "x");
}

TEST(Text, ReadFileReadsBytesAndNamesTheFileOnError) {
    testing::TempDir dir("text_test");
    const auto path = dir.path() / "f.bin";
    const std::string bytes("a\0b\r\n", 5);
    std::ofstream(path, std::ios::binary) << bytes;
    EXPECT_EQ(read_file(path), bytes);
    std::ofstream(dir.path() / "empty");
    EXPECT_EQ(read_file(dir.path() / "empty"), "");
    try {
        read_file(dir.path() / "missing");
        ADD_FAILURE() << "no HarnessError";
    } catch (const HarnessError& e) {
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
    }
}

TEST(Text, SecondsHaveOneDecimal) {
    EXPECT_EQ(seconds(2.46), "2.5");
    EXPECT_EQ(seconds(0), "0.0");
    EXPECT_EQ(seconds(-1), "0.0");
    EXPECT_EQ(seconds(std::numeric_limits<double>::quiet_NaN()), "0.0");
}

TEST(Text, HexValue) {
    EXPECT_EQ(hex_value('0'), 0);
    EXPECT_EQ(hex_value('9'), 9);
    EXPECT_EQ(hex_value('a'), 10);
    EXPECT_EQ(hex_value('F'), 15);
    EXPECT_EQ(hex_value('g'), -1);
    EXPECT_EQ(hex_value(' '), -1);
}

TEST(Text, ClosestMatchFindsPlausibleTypos) {
    constexpr std::array<std::string_view, 3> kNames{"tls-required", "reuse-required", "ccc"};
    EXPECT_EQ(closest_match("tls-requried", kNames), "tls-required");
    EXPECT_EQ(closest_match("cc", kNames), "ccc");
    EXPECT_EQ(closest_match("something-else", kNames), "");
    EXPECT_EQ(closest_match("x", std::span<const std::string_view>{}), "");
}

}  // namespace
}  // namespace fc
