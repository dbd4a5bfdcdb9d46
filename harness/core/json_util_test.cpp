#include "harness/core/json_util.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/core/text_sanitize.hpp"

namespace fc::json {
namespace {

std::string parse_error(std::string_view text, int max_depth = 64) {
    try {
        parse(text, max_depth);
    } catch (const ParseError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no ParseError for: " << text;
    return "";
}

TEST(JsonUtil, ParsesAndKeepsMemberOrder) {
    const Value v = parse("\xEF\xBB\xBF{\"b\": 1, \"a\": [true, null, \"x\"], \"c\": 2.5}");
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(dump(v), R"({"b":1,"a":[true,null,"x"],"c":2.5})");
    EXPECT_EQ(dump(v, 2),
              "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ],\n"
              "  \"c\": 2.5\n}");
}

TEST(JsonUtil, ErrorsCarryLineAndColumnInCharacters) {
    // The 'x' is on line 2; the two-byte "é" before it counts as one column.
    const std::string message = parse_error("{\"a\":\n \"\xC3\xA9\", x}");
    EXPECT_EQ(message.rfind("2:7: ", 0), 0u) << message;
    EXPECT_EQ(parse_error("[1,]").rfind("1:4: ", 0), 0u) << parse_error("[1,]");
    EXPECT_EQ(parse_error("{} {}").rfind("1:4: ", 0), 0u) << parse_error("{} {}");
    EXPECT_NE(parse_error("\"a\x01\"").find("control character"), std::string::npos);
    EXPECT_NE(parse_error("\"a\xFF\"").find("ill-formed UTF-8"), std::string::npos);
    EXPECT_EQ(parse_error("\"a\xFF\"").find('\xFF'), std::string::npos) << "raw byte echoed";
    EXPECT_NE(parse_error("\"\\ud800\"").find("surrogate"), std::string::npos);
    EXPECT_NE(parse_error("// c\n{}").find("1:1"), std::string::npos);
    // A number beyond a double's range is a ParseError at the number, not another exception
    // (found by results_json_fuzz and event_log_fuzz: 3.9756e25192, 0.36e897).
    EXPECT_EQ(
        parse_error("{\"a\": 3.9756e25192}").rfind("1:7: number out of range: 3.9756e25192", 0), 0u)
        << parse_error("{\"a\": 3.9756e25192}");
    EXPECT_NE(parse_error("[0.36e897]").find("number out of range"), std::string::npos);
}

TEST(JsonUtil, RejectsDuplicateKeysAtAnyDepth) {
    EXPECT_NE(parse_error(R"({"a":1,"a":2})").find("duplicate key \"a\""), std::string::npos);
    EXPECT_NE(parse_error(R"([{"x":{"k":1,"k":1}}])").find("duplicate key \"k\""),
              std::string::npos);
    EXPECT_NO_THROW(parse(R"({"a":{"a":1},"b":{"a":2}})"));
}

TEST(JsonUtil, BoundsNesting) {
    EXPECT_NO_THROW(parse(std::string(3, '[') + std::string(3, ']'), 3));
    EXPECT_NE(parse_error(std::string(4, '[') + std::string(4, ']'), 3).find("deeper than 3"),
              std::string::npos);
    EXPECT_NE(parse_error(std::string(100000, '[')).find("deeper than 64"), std::string::npos);
}

TEST(JsonUtil, DumpReplacesIllFormedUtf8AsToValidUtf8Does) {
    // Truncated, overlong, surrogate, above U+10FFFF, stray continuation, and a lead byte
    // whose sequence is cut by another lead byte: one U+FFFD per maximal subpart.
    for (std::string raw :
         {std::string("a\xFF"
                      "b"),
          std::string("\xE2\x82"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
          std::string("\xF4\x90\x80\x80"), std::string("\x80\x80x"),
          std::string("\xE2\x82\xE2\x82\xAC"), std::string("ok \xC3\xA9")}) {
        EXPECT_EQ(dump(Value(raw)), dump(Value(to_valid_utf8(raw))));
        EXPECT_EQ(parse(dump(Value(raw))).get<std::string>(), to_valid_utf8(raw));
    }
    EXPECT_EQ(dump(Value("q\"\\\n\t\x01")), R"("q\"\\\n\t\u0001")");
}

TEST(JsonUtil, NumbersForFiles) {
    EXPECT_EQ(dump(number(1.0)), "1");
    EXPECT_EQ(dump(number(-3.0)), "-3");
    EXPECT_EQ(dump(number(0.21)), "0.21");
    EXPECT_EQ(dump(number(1e-9)), "1e-09");
    EXPECT_EQ(dump(number(1e300)), "1e+300");
    EXPECT_EQ(dump(number(std::numeric_limits<double>::quiet_NaN())), "null");
    EXPECT_EQ(dump(number(std::numeric_limits<double>::infinity())), "null");
    EXPECT_EQ(parse(dump(number(0.1 + 0.2))).get<double>(), 0.1 + 0.2);
}

TEST(JsonUtil, TypeNamesAndPositions) {
    EXPECT_EQ(type_name(parse("{}")), "an object");
    EXPECT_EQ(type_name(parse("[]")), "an array");
    EXPECT_EQ(type_name(parse("1")), "a number");
    EXPECT_EQ(type_name(parse("-1.5")), "a number");
    EXPECT_EQ(type_name(parse("\"\"")), "a string");
    EXPECT_EQ(type_name(parse("false")), "a boolean");
    EXPECT_EQ(type_name(parse("null")), "null");
    const Position p = position_of("ab\ncd\n\xC3\xA9x", 9);
    EXPECT_EQ(p.line, 3);
    EXPECT_EQ(p.column, 3);
}

}  // namespace
}  // namespace fc::json
