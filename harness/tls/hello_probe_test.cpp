#include "harness/tls/hello_probe.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "harness/scenario/scenario.hpp"
#include "harness/tls/tls_parse.hpp"

namespace fc {
namespace {

TEST(HelloProbe, TheLoaderAndTheProbeKnowTheSameOffers) {
    auto names = hello_offer_names();
    ASSERT_EQ(names.size(), kHelloProbeOffers.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        EXPECT_EQ(names[i], kHelloProbeOffers[i]);
        EXPECT_TRUE(parse_hello_offer(names[i]).has_value()) << names[i];
    }
    EXPECT_FALSE(parse_hello_offer("rc5").has_value());
}

TEST(HelloProbe, AClientHelloOffersOnlyWhatWasAsked) {
    for (HelloOffer offer : {HelloOffer::rc4, HelloOffer::des3, HelloOffer::export_}) {
        std::string record = probe_client_hello(offer, "ftp.example");
        ASSERT_GE(record.size(), 5u);
        EXPECT_EQ(record[0], '\x16');  // handshake
        auto hello = read_offered_hello(record);
        ASSERT_TRUE(hello.has_value());
        auto suites = hello_offer_suites(offer);
        // the asked suites, then the renegotiation SCSV; no compression but null
        ASSERT_EQ(hello->suites.size(), suites.size() + 1);
        EXPECT_TRUE(std::equal(suites.begin(), suites.end(), hello->suites.begin()));
        EXPECT_EQ(hello->suites.back(), 0x00FF);
        EXPECT_TRUE(std::all_of(suites.begin(), suites.end(), is_legacy_weak_suite));
        EXPECT_EQ(hello->compression, std::vector<std::uint8_t>{0});
    }
    auto deflate = read_offered_hello(probe_client_hello(HelloOffer::deflate, "127.0.0.1"));
    ASSERT_TRUE(deflate.has_value());
    EXPECT_EQ(deflate->compression, (std::vector<std::uint8_t>{1, 0}));
    EXPECT_TRUE(std::none_of(deflate->suites.begin(), deflate->suites.end(), is_legacy_weak_suite));
}

TEST(HelloProbe, AClientHelloSplitOverTwoRecordsIsReadWhole) {
    std::string record = probe_client_hello(HelloOffer::rc4, "");
    std::string body = record.substr(5);
    auto as_record = [](const std::string& part) {
        std::string r("\x16\x03\x01", 3);
        r.push_back(static_cast<char>(part.size() >> 8));
        r.push_back(static_cast<char>(part.size() & 0xFF));
        return r + part;
    };
    std::string split = as_record(body.substr(0, 20)) + as_record(body.substr(20));
    EXPECT_FALSE(read_offered_hello(split.substr(0, 30)).has_value());  // not whole yet
    auto hello = read_offered_hello(split);
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ(hello->suites.front(), 0x0005);
}

TEST(HelloProbe, AnswersAreReadAsServerHelloAlertOrNeither) {
    std::string sh = server_hello_record(0x0005, 1);
    for (std::size_t n = 0; n < sh.size(); ++n) {
        EXPECT_EQ(read_hello_answer(sh.substr(0, n)).kind, HelloAnswer::Kind::incomplete) << n;
    }
    HelloAnswer a = read_hello_answer(sh);
    EXPECT_EQ(a.kind, HelloAnswer::Kind::server_hello);
    EXPECT_EQ(a.suite, 0x0005);
    EXPECT_EQ(a.compression, 1);
    EXPECT_EQ(a.version, 0x0303);

    HelloAnswer alert = read_hello_answer(std::string("\x15\x03\x03\x00\x02\x02\x28", 7));
    EXPECT_EQ(alert.kind, HelloAnswer::Kind::alert);
    EXPECT_EQ(alert.alert_level, 2);
    EXPECT_EQ(alert.alert_description, 40);
    EXPECT_EQ(alert_name(alert.alert_description), "handshake_failure");

    EXPECT_EQ(read_hello_answer("421 Service not available\r\n").kind, HelloAnswer::Kind::not_tls);
    // A handshake record whose first message is not a ServerHello.
    std::string cert("\x16\x03\x03\x00\x04\x0b\x00\x00\x00", 9);
    EXPECT_EQ(read_hello_answer(cert).kind, HelloAnswer::Kind::other);
    // A ServerHello cut short inside a complete record is malformed, not incomplete.
    std::string cut("\x16\x03\x03\x00\x06\x02\x00\x00\x02\x03\x03", 11);
    EXPECT_EQ(read_hello_answer(cut).kind, HelloAnswer::Kind::other);
}

TEST(HelloProbe, SuitesHaveNames) {
    EXPECT_EQ(suite_name(0x0005), "TLS_RSA_WITH_RC4_128_SHA (0x0005)");
    EXPECT_EQ(suite_name(0x1301), "suite 0x1301");
    EXPECT_EQ(alert_name(200), "alert 200");
}

}  // namespace
}  // namespace fc
