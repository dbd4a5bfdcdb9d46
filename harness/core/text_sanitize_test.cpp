#include "harness/core/text_sanitize.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(TextSanitize, ValidUtf8FollowsTable37) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
    EXPECT_EQ(valid_utf8_prefix("ab\xC3\xA9\xFF"
                                "c"),
              4u);
    EXPECT_EQ(valid_utf8_prefix("abc"), 3u);
}

TEST(TextSanitize, OneReplacementPerMaximalSubpart) {
    EXPECT_EQ(to_valid_utf8("ok \xC3\xA9"), "ok \xC3\xA9");
    EXPECT_EQ(to_valid_utf8("a\xFF"
                            "b"),
              "a" + kFffd + "b");
    // A truncated sequence is one subpart; the lead byte that cuts it starts a new one.
    EXPECT_EQ(to_valid_utf8("\xE2\x82\xE2\x82\xAC"), kFffd + "\xE2\x82\xAC");
    EXPECT_EQ(to_valid_utf8("\xE2\x82"), kFffd);
    // Bytes that can never start or continue a sequence here are one replacement each.
    EXPECT_EQ(to_valid_utf8("\xC0\xAF"), kFffd + kFffd);
    EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);
    EXPECT_EQ(to_valid_utf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
    EXPECT_EQ(to_valid_utf8("\x80\x80x"), kFffd + kFffd + "x");
}

TEST(TextSanitize, AppendUtf8ReplacesWhatIsNotAScalarValue) {
    std::string out;
    append_utf8(out, U'A');
    append_utf8(out, 0xE9);
    append_utf8(out, 0x20AC);
    append_utf8(out, 0x1F600);
    EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    out.clear();
    append_utf8(out, 0xD800);
    append_utf8(out, 0x110000);
    EXPECT_EQ(out, kFffd + kFffd);
}

TEST(TextSanitize, VisibleControlsShowsEscapesOnly) {
    EXPECT_EQ(visible_controls("a\tb\x1b[2J\x7f", LineBreaks::keep), "a\tb\\x1b[2J\\x7f");
    EXPECT_EQ(visible_controls("l1\r\nl2\nl3\rx", LineBreaks::keep), "l1\nl2\nl3\\rx");
    EXPECT_EQ(visible_controls("l1\r\nl2", LineBreaks::escape), "l1\\r\\nl2");
    // C1 controls (CSI) and the XML non-characters; a backslash stays as it is.
    EXPECT_EQ(visible_controls("\xC2\x9B"
                               "1m \xEF\xBF\xBE \\x",
                               LineBreaks::keep),
              "\\u009b1m \\ufffe \\x");
    EXPECT_EQ(visible_controls("\xFF", LineBreaks::keep), kFffd);
}

TEST(TextSanitize, OneLineCollapsesWhitespace) {
    EXPECT_EQ(one_line("  a \r\n\t b  \x01 "), "a b \\x01");
    EXPECT_EQ(one_line(""), "");
}

TEST(TextSanitize, XmlEscapesKeepWellFormedness) {
    EXPECT_EQ(xml_text("a<b>&]]>\x01\n"), "a&lt;b&gt;&amp;]]&gt;\\x01\n");
    EXPECT_EQ(xml_attribute("\"a\"\t\n<&>"), "&quot;a&quot;&#9;&#10;&lt;&amp;&gt;");
}

}  // namespace
}  // namespace fc
