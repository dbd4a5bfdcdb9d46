#include "harness/scenario/values.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

using std::chrono::milliseconds;

TEST(Values, Durations) {
    EXPECT_EQ(parse_duration("5s"), milliseconds(5000));
    EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
    EXPECT_EQ(parse_duration("2.5s"), milliseconds(2500));
    EXPECT_EQ(parse_duration("0.25s"), milliseconds(250));
    for (const char* bad :
         {"", "5", "s", "ms", "0s", "-1s", "5 s", "1.s", ".5s", "5m", "1e3ms", "9999999999s"}) {
        EXPECT_FALSE(parse_duration(bad)) << bad;
    }
}

TEST(Values, CodePatterns) {
    for (const char* good : {"234", "5xx", "53x", "000"}) {
        EXPECT_TRUE(is_valid_code_pattern(good)) << good;
    }
    for (const char* bad : {"", "23", "2345", "x34", "2x4", "xxx", "23X", "abc", " 23"}) {
        EXPECT_FALSE(is_valid_code_pattern(bad)) << bad;
    }
    EXPECT_EQ(split_alternatives("534| 536|"), (std::vector<std::string>{"534", "536", ""}));
}

TEST(Values, SplitFieldsKeepsEmptyFieldsAndDoesNotTrim) {
    EXPECT_EQ(split_fields("http/1.1,ftp", ','), (std::vector<std::string>{"http/1.1", "ftp"}));
    EXPECT_EQ(split_fields("a,,b,", ','), (std::vector<std::string>{"a", "", "b", ""}));
    EXPECT_EQ(split_fields(" a ", ','), (std::vector<std::string>{" a "}));
    EXPECT_EQ(split_fields("", ','), (std::vector<std::string>{""}));
}

TEST(Values, Variables) {
    const std::string_view allowed[] = {"user", "password"};
    EXPECT_TRUE(variable_problems("USER ${user} $x $ {y}", allowed).empty());
    auto problems = variable_problems("${usr} ${nope} ${open", allowed);
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_EQ(problems[0], "undefined variable '${usr}' (did you mean '${user}'?)");
    EXPECT_EQ(problems[1], "undefined variable '${nope}' (known: user, password)");
    EXPECT_NE(problems[2].find("unterminated"), std::string::npos);
}

TEST(Values, ModesBoolsWords) {
    EXPECT_EQ(parse_mode("0600"), 0600u);
    EXPECT_EQ(parse_mode("755"), 0755u);
    EXPECT_FALSE(parse_mode("0999"));
    EXPECT_FALSE(parse_mode("rw"));
    EXPECT_FALSE(parse_mode("077777"));
    EXPECT_EQ(parse_bool("true"), true);
    EXPECT_EQ(parse_bool("0"), false);
    EXPECT_FALSE(parse_bool("yes"));
    EXPECT_EQ(split_words("  a\tb\n c "), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(collapse_whitespace("  a \n  b "), "a b");
    EXPECT_TRUE(regex_error("(["));
    EXPECT_FALSE(regex_error("^2[0-9]{2} "));
}

TEST(Values, Sizes) {
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("64k"), 65536u);
    EXPECT_EQ(parse_size("16M"), 16u << 20);
    EXPECT_EQ(parse_size("1024M"), kMaxSize);
    EXPECT_EQ(parse_size("1073741824"), kMaxSize);
    for (const char* bad : {"", "k", "1025M", "1073741825", "1G", "4K", "-1", "1.5k", " 1", "4kb",
                            "99999999999999999999"}) {
        EXPECT_FALSE(parse_size(bad)) << bad;
    }
}

TEST(Values, Escapes) {
    std::vector<EscapeProblem> problems;
    EXPECT_EQ(decode_escapes(R"( A\r\n\t\\\x41\x0d\xfF)", problems), " A\r\n\t\\A\r\xff");
    EXPECT_TRUE(problems.empty());
    EXPECT_EQ(decode_escapes(R"(a\qb\x4g\)", problems), "ab4g");
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_EQ(problems[0].index, 1u);
    EXPECT_NE(problems[0].message.find("'\\q'"), std::string::npos);
    EXPECT_EQ(problems[1].index, 4u);
    EXPECT_NE(problems[1].message.find("two hex digits"), std::string::npos);
    EXPECT_EQ(problems[2].index, 8u);
}

TEST(Values, LoopbackLiterals) {
    for (const char* good : {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "0::1"}) {
        EXPECT_TRUE(is_loopback_literal(good)) << good;
    }
    for (const char* bad : {"", "localhost", "10.0.0.1", "128.0.0.1", "::", "::2",
                            "::ffff:127.0.0.1", "127.1", "127.0.0.1 ", "fe80::1"}) {
        EXPECT_FALSE(is_loopback_literal(bad)) << bad;
    }
}

}  // namespace
}  // namespace fc
