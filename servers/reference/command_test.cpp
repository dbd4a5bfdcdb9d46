#include "servers/reference/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fc::ref {
namespace {

Command parsed(std::string_view line) {
    ParseResult r = parse_command(line);
    EXPECT_TRUE(r.command.has_value()) << "refused: " << r.code << " " << r.message;
    return r.command.value_or(Command{});
}

int refused_code(std::string_view line, std::size_t max_arg = 1024) {
    ParseResult r = parse_command(line, max_arg);
    EXPECT_FALSE(r.command.has_value()) << "accepted: " << line;
    EXPECT_FALSE(r.message.empty());
    return r.code;
}

TEST(RefCommand, VerbIsUpperCasedWhateverItsCase) {
    EXPECT_EQ(parsed("user alice").verb, "USER");
    EXPECT_EQ(parsed("UsEr alice").verb, "USER");
    EXPECT_EQ(parsed("PASV").verb, "PASV");
    EXPECT_EQ(parsed("cwd /x").verb, "CWD");
}

TEST(RefCommand, ArgumentIsVerbatimAfterTheFirstSpace) {
    Command c = parsed("STOR My File.TXT ");
    EXPECT_EQ(c.verb, "STOR");
    EXPECT_EQ(c.arg, "My File.TXT ");
    EXPECT_EQ(c.line, "STOR My File.TXT ");
    EXPECT_EQ(parsed("USER  alice").arg, " alice");
    EXPECT_EQ(parsed("NOOP").arg, "");
    EXPECT_EQ(parsed("NOOP ").arg, "");
    EXPECT_EQ(parsed("RETR caf\xc3\xa9").arg, "caf\xc3\xa9");  // UTF-8 (RFC 2640) is fine
}

TEST(RefCommand, EmptyLineIs500) {
    EXPECT_EQ(refused_code(""), 500);
    EXPECT_EQ(refused_code("\r"), 500);
}

TEST(RefCommand, VerbMustBeThreeOrFourLetters) {
    EXPECT_EQ(refused_code("AB"), 500);
    EXPECT_EQ(refused_code("ABCDE"), 500);
    EXPECT_EQ(refused_code("US3R x"), 500);
    EXPECT_EQ(refused_code(" USER x"), 500);
    EXPECT_EQ(refused_code("USER\tx"), 500);
    EXPECT_EQ(refused_code("\xc3\xa9TAT"), 500);
}

TEST(RefCommand, ControlCharactersAre500) {
    EXPECT_EQ(refused_code(std::string("USER a\0b", 8)), 500);
    EXPECT_EQ(refused_code("USER a\rb"), 500);
    EXPECT_EQ(refused_code("USER a\nb"), 500);
    EXPECT_EQ(refused_code("USER a\x1b[0m"), 500);
    EXPECT_EQ(refused_code("USER a\x7f"), 500);
}

TEST(RefCommand, TrailingLoneCrIsTolerated) {
    Command c = parsed("QUIT\r");
    EXPECT_EQ(c.verb, "QUIT");
    EXPECT_EQ(c.line, "QUIT");
    EXPECT_EQ(parsed("TYPE I\r").arg, "I");
}

TEST(RefCommand, TooLongArgumentIs501) {
    EXPECT_EQ(refused_code("STOR " + std::string(11, 'x'), 10), 501);
    EXPECT_EQ(parse_command("STOR " + std::string(10, 'x'), 10).command->arg, std::string(10, 'x'));
}

TEST(RefCommand, TelnetSequencesAreRemoved) {
    // IAC IP IAC DM ABOR, as clients send before ABOR (RFC 959 3.4, 4.1.3).
    EXPECT_EQ(parsed("\xff\xf4\xff\xf2"
                     "ABOR")
                  .verb,
              "ABOR");
    EXPECT_EQ(parsed("\xff\xf4\xff\xf2"
                     "ABOR")
                  .line,
              "ABOR");
    // Negotiation (IAC WILL/WONT/DO/DONT option) is dropped with its option byte.
    EXPECT_EQ(parsed("\xff\xfb\x01NOOP").verb, "NOOP");
    // IAC IAC is one literal 0xFF byte.
    EXPECT_EQ(parsed("RETR a\xff\xff"
                     "b")
                  .arg,
              "a\xff"
              "b");
    // A lone IAC at the end is dropped; a line made only of Telnet commands is empty.
    EXPECT_EQ(parsed("NOOP\xff").verb, "NOOP");
    EXPECT_EQ(refused_code("\xff\xf4\xff\xf2"), 500);
}

TEST(RefCommand, NeverThrowsOnArbitraryBytes) {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_NO_THROW(parse_command(all.substr(i)));
        EXPECT_NO_THROW(parse_command(all.substr(0, i)));
    }
}

std::vector<std::string> drain(LineBuffer& buffer, std::vector<LineBuffer::Status>* statuses) {
    std::vector<std::string> lines;
    std::string line;
    for (;;) {
        LineBuffer::Status s = buffer.next(&line);
        if (s == LineBuffer::Status::none) {
            return lines;
        }
        if (statuses != nullptr) {
            statuses->push_back(s);
        }
        lines.push_back(line);
    }
}

TEST(RefLineBuffer, CrLfAndBareLfBothEndALine) {
    LineBuffer buffer;
    buffer.feed("USER alice\r\nPASS x\nQUIT\r\n");
    std::vector<LineBuffer::Status> statuses;
    EXPECT_EQ(drain(buffer, &statuses), (std::vector<std::string>{"USER alice", "PASS x", "QUIT"}));
    EXPECT_EQ(statuses, std::vector<LineBuffer::Status>(3, LineBuffer::Status::line));
    EXPECT_FALSE(buffer.has_pending());
}

TEST(RefLineBuffer, EmptyLinesAreLines) {
    LineBuffer buffer;
    buffer.feed("\r\n\n");
    EXPECT_EQ(drain(buffer, nullptr), (std::vector<std::string>{"", ""}));
}

TEST(RefLineBuffer, NoLineUntilLf) {
    LineBuffer buffer;
    std::string line;
    buffer.feed("NOOP\r");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::none);
    EXPECT_TRUE(buffer.has_pending());
    buffer.feed("\n");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::line);
    EXPECT_EQ(line, "NOOP");
    EXPECT_FALSE(buffer.has_pending());
}

TEST(RefLineBuffer, BytesSplitAcrossFeeds) {
    const std::string stream = "AUTH TLS\r\nPBSZ 0\r\nPROT P\r\n";
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        LineBuffer buffer;
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < stream.size(); i += chunk) {
            buffer.feed(std::string_view(stream).substr(i, chunk));
            for (std::string& l : drain(buffer, nullptr)) {
                lines.push_back(l);
            }
        }
        EXPECT_EQ(lines, (std::vector<std::string>{"AUTH TLS", "PBSZ 0", "PROT P"}))
            << "chunk " << chunk;
    }
}

TEST(RefLineBuffer, PipelinedBytesAfterALineStayPending) {
    LineBuffer buffer;
    std::string line;
    buffer.feed("AUTH TLS\r\nUSER alice\r\nPA");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::line);
    EXPECT_EQ(line, "AUTH TLS");
    EXPECT_TRUE(buffer.has_pending());  // RFC 4217 4: must not be executed after AUTH
    buffer.clear();
    EXPECT_FALSE(buffer.has_pending());
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::none);
}

TEST(RefLineBuffer, LineOfExactlyMaxIsALine) {
    LineBuffer buffer(8);
    std::string line;
    buffer.feed("12345678\r");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::none);
    buffer.feed("\n");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::line);
    EXPECT_EQ(line, "12345678");
}

TEST(RefLineBuffer, OverlongLineReportedOnceAndDiscardedUpToLf) {
    LineBuffer buffer(8);
    std::vector<LineBuffer::Status> statuses;
    buffer.feed("123456789abcdef\r\nNOOP\r\n");
    EXPECT_EQ(drain(buffer, &statuses), (std::vector<std::string>{"12345678", "NOOP"}));
    EXPECT_EQ(statuses, (std::vector<LineBuffer::Status>{LineBuffer::Status::too_long,
                                                         LineBuffer::Status::line}));
}

TEST(RefLineBuffer, OverlongLineWithoutLfIsReportedEarlyAndRestDropped) {
    LineBuffer buffer(8);
    std::string line;
    buffer.feed("0123456789");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::too_long);
    EXPECT_EQ(line, "01234567");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::none);
    EXPECT_TRUE(buffer.has_pending());  // still inside the overlong line
    for (int i = 0; i < 1000; ++i) {
        buffer.feed(std::string(1000, 'x'));  // a hostile peer: memory must not grow
        EXPECT_EQ(buffer.next(&line), LineBuffer::Status::none);
    }
    buffer.feed("yyy\r\nQUIT\r\n");
    EXPECT_EQ(buffer.next(&line), LineBuffer::Status::line);
    EXPECT_EQ(line, "QUIT");
    EXPECT_FALSE(buffer.has_pending());
}

TEST(RefLineBuffer, OverlongLineInOneHugeFeedIsTruncated) {
    LineBuffer buffer(16);
    std::vector<LineBuffer::Status> statuses;
    buffer.feed(std::string(100000, 'a') + "\nSYST\n");
    EXPECT_EQ(drain(buffer, &statuses), (std::vector<std::string>{std::string(16, 'a'), "SYST"}));
    EXPECT_EQ(statuses.front(), LineBuffer::Status::too_long);
}

}  // namespace
}  // namespace fc::ref
