// TLS records, handshake framing and the hellos from hand-built bytes.
#include "harness/tls/tls_parse.hpp"

#include <gtest/gtest.h>

#include "harness/wire/keylog.hpp"
#include "harness/wire/tls_crypto.hpp"

namespace fc::wire {
namespace {

std::string u16(unsigned v) {
    return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}
std::string u24(unsigned v) {
    return std::string(1, static_cast<char>(v >> 16)) + u16(v & 0xffff);
}
std::string vec8(const std::string& s) {
    return std::string(1, static_cast<char>(s.size())) + s;
}
std::string vec16(const std::string& s) {
    return u16(static_cast<unsigned>(s.size())) + s;
}
std::string ext(unsigned type, const std::string& body) {
    return u16(type) + vec16(body);
}
std::string record(int type, const std::string& body) {
    return std::string(1, static_cast<char>(type)) + "\x03\x03" + vec16(body);
}
std::string handshake(int type, const std::string& body) {
    return std::string(1, static_cast<char>(type)) + u24(static_cast<unsigned>(body.size())) + body;
}

std::string client_hello_body() {
    std::string exts = ext(0, vec16(std::string(1, '\0') + vec16("localhost"))) +
                       ext(16, vec16(vec8("ftp") + vec8("h2"))) +
                       ext(43, vec8(u16(0x0304) + u16(0x0303))) + ext(35, "") + ext(41, "opaque");
    return u16(0x0303) + std::string(32, 'R') + vec8(std::string(32, 'S')) +
           vec16(u16(0x1301) + u16(0xc02f)) + vec8(std::string(1, '\0')) + vec16(exts);
}

TEST(WireTlsParse, ClientHelloOffers) {
    ClientHello ch;
    std::string error;
    ASSERT_TRUE(parse_client_hello(client_hello_body(), ch, error)) << error;
    EXPECT_EQ(ch.legacy_version, 0x0303);
    EXPECT_EQ(ch.random, std::string(32, 'R'));
    EXPECT_EQ(ch.session_id, std::string(32, 'S'));
    EXPECT_EQ(ch.cipher_suites, (std::vector<std::uint16_t>{0x1301, 0xc02f}));
    EXPECT_EQ(ch.sni, "localhost");
    EXPECT_EQ(ch.alpn, (std::vector<std::string>{"ftp", "h2"}));
    EXPECT_EQ(ch.supported_versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
    EXPECT_FALSE(ch.ticket_offered);  // an empty session_ticket extension asks for a new one
    EXPECT_TRUE(ch.psk_offered);
}

TEST(WireTlsParse, MalformedHellosAreRefused) {
    std::string body = client_hello_body();
    ClientHello ch;
    std::string error;
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, body.size() - 3}) {
        EXPECT_FALSE(parse_client_hello(body.substr(0, cut), ch, error)) << cut;
        EXPECT_EQ(error, "malformed ClientHello");
    }
    ServerHello sh;
    EXPECT_FALSE(parse_server_hello("\x03\x03", sh, error));
}

TEST(WireTlsParse, ServerHelloVersionPskAndRetry) {
    std::string sh13 = u16(0x0303) + std::string(32, 'r') + vec8("") + u16(0x1302) +
                       std::string(1, '\0') + vec16(ext(43, u16(0x0304)) + ext(41, u16(0)));
    ServerHello sh;
    std::string error;
    ASSERT_TRUE(parse_server_hello(sh13, sh, error)) << error;
    EXPECT_EQ(sh.version(), 0x0304);
    EXPECT_EQ(sh.cipher_suite, 0x1302);
    EXPECT_TRUE(sh.psk_accepted);
    EXPECT_FALSE(sh.hello_retry);

    std::string sh12 = u16(0x0303) + std::string(32, 'r') + vec8("id") + u16(0xc02f) +
                       std::string(1, '\0') + vec16(ext(16, vec16(vec8("ftp"))));
    ServerHello old;
    ASSERT_TRUE(parse_server_hello(sh12, old, error));
    EXPECT_EQ(old.version(), 0x0303);
    EXPECT_EQ(old.session_id, "id");
    EXPECT_EQ(old.alpn, "ftp");
    EXPECT_FALSE(old.psk_accepted);

    std::string hrr_random;
    ASSERT_TRUE(
        from_hex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C", hrr_random));
    std::string hrr = u16(0x0303) + hrr_random + vec8("") + u16(0x1301) + std::string(1, '\0') +
                      vec16(ext(43, u16(0x0304)));
    ServerHello retry;
    ASSERT_TRUE(parse_server_hello(hrr, retry, error));
    EXPECT_TRUE(retry.hello_retry);
}

TEST(WireTlsParse, RecordsStopAtClearTextAndAtAPartialRecord) {
    std::string stream = record(22, "abc") + record(23, "defg") + "200 CCC ok\r\n";
    RecordScan s = scan_records(stream);
    ASSERT_EQ(s.records.size(), 2u);
    EXPECT_EQ(s.records[0].type, 22);
    EXPECT_EQ(s.records[1].fragment, "defg");
    EXPECT_EQ(s.end, 5u + 3 + 5 + 4);
    EXPECT_FALSE(s.partial);
    RecordScan cut = scan_records(std::string_view(stream).substr(0, 10));
    EXPECT_EQ(cut.records.size(), 1u);
    EXPECT_TRUE(cut.partial);
    EXPECT_FALSE(looks_like_record("220 Service ready\r\n"));
    EXPECT_FALSE(looks_like_record(record(23, "x"), true));
    EXPECT_TRUE(looks_like_record(record(22, "x"), true));
}

TEST(WireTlsParse, HandshakeMessagesAcrossAndWithinRecords) {
    std::string two = handshake(11, "cert") + handshake(14, "");
    HandshakeReader r;
    r.feed(two.substr(0, 3));
    std::uint8_t type = 0;
    std::string body;
    EXPECT_FALSE(r.next(type, body));
    r.feed(two.substr(3));
    ASSERT_TRUE(r.next(type, body));
    EXPECT_EQ(type, 11);
    EXPECT_EQ(body, "cert");
    ASSERT_TRUE(r.next(type, body));
    EXPECT_EQ(type, 14);
    EXPECT_FALSE(r.next(type, body));
}

TEST(WireTlsParse, CertificateCounts) {
    std::string entry12 = u24(3) + "abc";
    EXPECT_EQ(count_certificates(u24(7) + u24(3) + "abc", false), -1);  // cut short
    EXPECT_EQ(count_certificates(u24(12) + entry12 + entry12, false), 2);
    EXPECT_EQ(count_certificates(u24(0), false), 0);
    std::string entry13 = entry12 + u16(0);
    EXPECT_EQ(count_certificates(vec8("") + u24(8) + entry13, true), 1);
    EXPECT_EQ(count_certificates(vec8("") + u24(0), true), 0);
}

TEST(WireTlsParse, Names) {
    EXPECT_EQ(version_name(0x0303), "TLS 1.2");
    EXPECT_EQ(version_name(0x0304), "TLS 1.3");
    EXPECT_EQ(version_name(0x7f1c), "0x7f1c");
    EXPECT_EQ(suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
    EXPECT_EQ(suite_name(0xc0ff), "0xC0FF");
}

TEST(WireCrypto, HkdfExpandLabelMatchesRfc8448) {
    // RFC 8448 section 3, the server's handshake traffic secret and its write key and iv.
    std::string secret, key, iv;
    ASSERT_TRUE(
        from_hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", secret));
    ASSERT_TRUE(from_hex("3fce516009c21727d0f2e4e86ee403bc", key));
    ASSERT_TRUE(from_hex("5d313eb2671276ee13000b30", iv));
    DirectionKeys k = tls13_keys(*find_suite(0x1301), secret);
    EXPECT_EQ(k.key, key);
    EXPECT_EQ(k.iv, iv);
}

TEST(WireKeyLog, ParsesLinesAndReportsBadOnesWithLineNumbers) {
    std::string r(64, 'a'), s(96, 'B');
    KeyLog log = KeyLog::parse("# comment\n\nCLIENT_RANDOM " + r + " " + s +
                                   "\r\nCLIENT_TRAFFIC_SECRET_0 " + r +
                                   " 00ff\nGARBAGE\n"
                                   "CLIENT_RANDOM zz " +
                                   s + "\n",
                               "keys.log");
    std::string random;
    ASSERT_TRUE(from_hex(r, random));
    ASSERT_NE(log.find(random, "CLIENT_RANDOM"), nullptr);
    EXPECT_EQ(log.find(random, "CLIENT_RANDOM")->size(), 48u);
    EXPECT_EQ(*log.find(random, "CLIENT_TRAFFIC_SECRET_0"), std::string("\x00\xff", 2));
    EXPECT_EQ(log.find(random, "SERVER_TRAFFIC_SECRET_0"), nullptr);
    ASSERT_EQ(log.errors().size(), 2u);
    EXPECT_EQ(log.errors()[0].rfind("keys.log:5: ", 0), 0u) << log.errors()[0];
    EXPECT_EQ(log.errors()[1].rfind("keys.log:6: ", 0), 0u) << log.errors()[1];
    EXPECT_EQ(KeyLog::read("/nonexistent/keys.log").errors().size(), 1u);
}

}  // namespace
}  // namespace fc::wire
