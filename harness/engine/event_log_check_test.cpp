#include "harness/engine/event_log_check.hpp"

#include <gtest/gtest.h>

namespace fc {
namespace {

// Lines shaped like the reference server's (servers/reference/README.md "Event log").
const char* kLog =
    R"({"t":0.001,"session":0,"event":"listen","host":"127.0.0.1","port":2121,"implicit":false}
{"t":0.010,"session":1,"event":"connect","peer":"127.0.0.1:40312"}
{"t":0.011,"session":1,"event":"command","verb":"AUTH","arg":"TLS","protected":false}
{"t":0.020,"session":1,"event":"tls","channel":"control","ok":true,"version":"TLSv1.3","resumed":false}
{"t":0.030,"session":1,"event":"command","verb":"PASS","arg":"****","protected":true}
{"t":0.031,"session":1,"event":"reply","code":230,"text":"ok\nmore \"quoted\" \u00e9","protected":true}
{"t":0.040,"session":1,"event":"command","verb":"PBSZ","arg":"0","protected":true}
{"t":0.041,"session":1,"event":"command","verb":"PROT","arg":"P","protected":true}
{"t":0.050,"session":1,"event":"tls","channel":"data","data":1,"ok":true,"resumed":true,"extra":{"a":[1,"}"]}}
{"t":0.060,"session":1,"event":"tls","channel":"data","data":2,"ok":true,"resumed":false}
{"t":0.070,"session":1,"event":"disconn)";

std::vector<Event> events() {
    std::size_t bad = 0;
    auto out = parse_event_log(kLog, &bad);
    EXPECT_EQ(bad, 1u);  // the cut last line
    return out;
}

EventPattern pattern(std::string event, std::vector<EventField> where = {}) {
    return EventPattern{std::move(event), std::move(where)};
}

TEST(EventLog, ParsesScalarsAsTextAndKeepsNestedValues) {
    auto e = events();
    ASSERT_EQ(e.size(), 10u);
    EXPECT_EQ(e[0].name(), "listen");
    EXPECT_EQ(e[0].fields.at("port"), "2121");
    EXPECT_EQ(e[0].fields.at("implicit"), "false");
    EXPECT_EQ(e[0].fields.at("t"), "0.001");
    EXPECT_EQ(e[5].fields.at("code"), "230");
    EXPECT_EQ(e[5].fields.at("text"), "ok\nmore \"quoted\" \xC3\xA9");
    EXPECT_EQ(e[8].fields.at("extra"), R"({"a":[1,"}"]})");
    EXPECT_EQ(e[8].line, 9u);
}

TEST(EventLog, SkipsLinesThatAreNotOneObject) {
    std::size_t bad = 0;
    const auto e = parse_event_log("{\"a\":1} x\n{\"a\":}\n[1]\n{\"a\":1,\"a\":2}\n\n{}\n", &bad);
    EXPECT_EQ(bad, 4u);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].line, 6u);
    EXPECT_EQ(e[0].name(), "");
}

TEST(EventLog, ExpectCountsAndRequires) {
    auto e = events();
    LogExpectStep pbsz{pattern("command", {{"verb", "PBSZ"}}), {{"protected", "true"}}, 1, true};
    EXPECT_TRUE(check_log_expect(e, pbsz).holds);

    LogExpectStep exact{pattern("tls", {{"channel", "data"}}), {}, 2, false};
    EXPECT_TRUE(check_log_expect(e, exact).holds);
    exact.count = 3;
    LogVerdict v = check_log_expect(e, exact);
    EXPECT_FALSE(v.holds);
    EXPECT_EQ(v.expected, "3 event tls channel=data");
    EXPECT_EQ(v.observed, "2 such event(s) among 10");

    LogExpectStep resumed{pattern("tls", {{"channel", "data"}}), {{"resumed", "true"}}, 1, true};
    v = check_log_expect(e, resumed);
    EXPECT_FALSE(v.holds);
    EXPECT_EQ(v.expected, "every event tls channel=data to have resumed=true");
    EXPECT_NE(v.observed.find("line 10:"), std::string::npos) << v.observed;

    LogExpectStep none{
        pattern("command", {{"verb", "USER"}, {"protected", "false"}}), {}, 0, false};
    EXPECT_TRUE(check_log_expect(e, none).holds);
    LogExpectStep clear_pass{
        pattern("command", {{"verb", "PASS"}, {"protected", "false"}}), {}, 1, true};
    v = check_log_expect(e, clear_pass);
    EXPECT_FALSE(v.holds);
    EXPECT_EQ(v.expected, "1 or more event command verb=PASS protected=false");
}

TEST(EventLog, OrderComparesFirstOccurrences) {
    auto e = events();
    LogOrderStep ok{pattern("command", {{"verb", "PBSZ"}}), pattern("command", {{"verb", "PROT"}})};
    EXPECT_TRUE(check_log_order(e, ok).holds);
    LogOrderStep reversed{ok.then, ok.first};
    LogVerdict v = check_log_order(e, reversed);
    EXPECT_FALSE(v.holds);
    EXPECT_EQ(v.observed,
              "the first command verb=PBSZ is on line 7, the first command verb=PROT "
              "on line 8");
    LogOrderStep missing{pattern("command", {{"verb", "AUTH"}}), pattern("ccc")};
    v = check_log_order(e, missing);
    EXPECT_FALSE(v.holds);
    EXPECT_EQ(v.observed, "no event ccc in the log");
    // optional: no `first` event at all passes; a `first` without a `then` still fails
    LogOrderStep optional{pattern("ccc"), pattern("command", {{"verb", "AUTH"}}), true};
    EXPECT_TRUE(check_log_order(e, optional).holds);
    LogOrderStep optional_missing{pattern("command", {{"verb", "AUTH"}}), pattern("ccc"), true};
    v = check_log_order(e, optional_missing);
    EXPECT_FALSE(v.holds);
    EXPECT_EQ(v.observed, "no event ccc in the log");
}

}  // namespace
}  // namespace fc
