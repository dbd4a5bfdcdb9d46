#include "harness/ftp/reply.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

std::vector<Reply> parse_all(ReplyParser& parser, std::string_view bytes) {
    parser.feed(bytes);
    std::vector<Reply> out;
    while (auto reply = parser.next()) {
        out.push_back(*reply);
    }
    return out;
}

TEST(ReplyParser, SingleLine) {
    ReplyParser parser;
    auto replies = parse_all(parser, "220 Welcome\r\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].code, 220);
    EXPECT_EQ(replies[0].text(), "220 Welcome");
    EXPECT_FALSE(replies[0].multiline());
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(ReplyParser, CodeOnlyLine) {
    ReplyParser parser;
    auto replies = parse_all(parser, "200\r\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].code, 200);
}

TEST(ReplyParser, MultiLineWithTrickyContinuationLines) {
    ReplyParser parser;
    // Inner lines may start with digits, even another code or the same code with '-'.
    auto replies = parse_all(parser,
                             "211-Features:\r\n AUTH TLS\r\n211-still going\r\n123 not the end\r\n"
                             " PBSZ\r\n211 End\r\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].code, 211);
    ASSERT_EQ(replies[0].lines.size(), 6u);
    EXPECT_EQ(replies[0].lines[1], " AUTH TLS");
    EXPECT_EQ(replies[0].lines.back(), "211 End");
}

TEST(ReplyParser, BytesSplitAcrossFeeds) {
    ReplyParser parser;
    const std::string wire = "230-Hello\r\n there\r\n230 Logged in\r\n331 Next\r\n";
    std::vector<Reply> replies;
    for (char c : wire) {
        parser.feed(std::string_view(&c, 1));
        while (auto reply = parser.next()) {
            replies.push_back(*reply);
        }
    }
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].code, 230);
    EXPECT_EQ(replies[0].lines.size(), 3u);
    EXPECT_EQ(replies[1].code, 331);
}

TEST(ReplyParser, SeveralRepliesInOneSegment) {
    ReplyParser parser;
    auto replies = parse_all(parser, "200 a\r\n200 b\r\n500 c\r\n");
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[2].code, 500);
}

TEST(ReplyParser, BareLfToleratedAndRecorded) {
    ReplyParser parser;
    auto replies = parse_all(parser, "220 hi\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_TRUE(parser.saw_bare_lf());
}

TEST(ReplyParser, IncompleteReplyStaysBuffered) {
    ReplyParser parser;
    auto replies = parse_all(parser, "211-Features\r\n AUTH TLS\r\n");
    EXPECT_TRUE(replies.empty());
    EXPECT_GT(parser.buffered(), 0u);
    EXPECT_FALSE(parser.failed());
}

TEST(ReplyParser, GarbageIsAnErrorNotACrash) {
    ReplyParser parser;
    parse_all(parser, "hello world\r\n");
    ASSERT_TRUE(parser.failed());
    EXPECT_NE(parser.error().find("3-digit code"), std::string::npos);
    EXPECT_NE(parser.error().find("hello world"), std::string::npos);
}

TEST(ReplyParser, CodeFollowedByJunk) {
    ReplyParser parser;
    parse_all(parser, "220xWelcome\r\n");
    ASSERT_TRUE(parser.failed());
    EXPECT_NE(parser.error().find("space or '-'"), std::string::npos);
}

TEST(ReplyParser, FirstDigitOutOfRange) {
    ReplyParser parser;
    parse_all(parser, "720 what\r\n");
    EXPECT_TRUE(parser.failed());
}

TEST(ReplyParser, OverlongLineIsBounded) {
    ReplyParser parser(ReplyParser::Limits{64, 10, 1024});
    parse_all(parser, "220 " + std::string(100, 'a'));
    ASSERT_TRUE(parser.failed());
    EXPECT_NE(parser.error().find("longer than 64"), std::string::npos);
}

TEST(ReplyParser, EndlessMultiLineReplyIsBounded) {
    ReplyParser parser(ReplyParser::Limits{64, 10, 1024});
    std::string wire = "211-start\r\n";
    for (int i = 0; i < 20; ++i) {
        wire += " line\r\n";
    }
    parse_all(parser, wire);
    ASSERT_TRUE(parser.failed());
    EXPECT_NE(parser.error().find("exceeds"), std::string::npos);
}

TEST(ReplyParser, FailedParserIgnoresFurtherInput) {
    ReplyParser parser;
    parse_all(parser, "xx\r\n");
    auto replies = parse_all(parser, "200 ok\r\n");
    EXPECT_TRUE(replies.empty());
}

TEST(Printable, EscapesControlBytesAndInvalidUtf8) {
    EXPECT_EQ(printable("a\x01z"), "a\\x01z");
    EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(printable(std::string(10, 'a'), 4), "aaaa...");
}

}  // namespace
}  // namespace fc
