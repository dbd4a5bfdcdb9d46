#include "harness/core/event_record.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

TEST(EventRecord, WritesOneLineWithTheFixedFieldsFirst) {
    const EventRecord r = EventRecord::start(1.23456, 7, "reply")
                              .num("code", 230)
                              .str("text", "ok\nmore \"quoted\" caf\xC3\xA9 \x01\xFF")
                              .flag("protected", true);
    EXPECT_EQ(to_event_line(r),
              "{\"t\":1.235,\"session\":7,\"event\":\"reply\",\"code\":230,"
              "\"text\":\"ok\\nmore \\\"quoted\\\" caf\xC3\xA9 \\u0001\xEF\xBF\xBD\","
              "\"protected\":true}\n");
    EXPECT_EQ(to_event_line(EventRecord::start(2.0, 0, "listen")),
              "{\"t\":2.0,\"session\":0,\"event\":\"listen\"}\n");
}

TEST(EventRecord, ReadsBackWhatItWrites) {
    const EventRecord r =
        EventRecord::start(0.01, 1, "tls").str("channel", "data").num("data", 2).flag("ok", false);
    const auto back = parse_event_line(to_event_line(r));
    ASSERT_TRUE(back);
    ASSERT_EQ(back->fields.size(), 6u);
    EXPECT_EQ(back->fields[0].name, kEventTimeField);
    EXPECT_EQ(event_value_text(back->fields[0].value), "0.01");
    EXPECT_EQ(event_value_text(*back->find(kEventSessionField)), "1");
    EXPECT_EQ(event_value_text(*back->find(kEventNameField)), "tls");
    EXPECT_EQ(event_value_text(*back->find("channel")), "data");
    EXPECT_EQ(event_value_text(*back->find("data")), "2");
    EXPECT_EQ(event_value_text(*back->find("ok")), "false");
    EXPECT_EQ(back->find("missing"), nullptr);
}

TEST(EventRecord, KeepsOtherValuesAsJsonText) {
    const auto r = parse_event_line(R"({"n":null,"o":{"a":[1,"}"]},"big":18446744073709551615})");
    ASSERT_TRUE(r);
    EXPECT_EQ(event_value_text(*r->find("n")), "null");
    EXPECT_EQ(event_value_text(*r->find("o")), R"({"a":[1,"}"]})");
    EXPECT_EQ(event_value_text(*r->find("big")), "1.8446744073709552e+19");
}

TEST(EventRecord, RejectsWhatIsNotOneObject) {
    EXPECT_FALSE(parse_event_line(R"({"a":1} x)"));
    EXPECT_FALSE(parse_event_line(R"({"a":})"));
    EXPECT_FALSE(parse_event_line(R"({"t":0.1,"session":1,"event":"disconn)"));
    EXPECT_FALSE(parse_event_line("[1]"));
    EXPECT_FALSE(parse_event_line(R"({"a":1,"a":2})"));
    EXPECT_FALSE(parse_event_line(""));
    const auto empty = parse_event_line("{}");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->fields.empty());
}

}  // namespace
}  // namespace fc
