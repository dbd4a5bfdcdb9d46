// TLS sessions run in memory between OpenSSL peers, then read back from their bytes with
// and without the key log: version, suite, resumption, client certificate, close_notify.
#include "harness/wire/tls_session.hpp"

#include <gtest/gtest.h>

#include <random>

#include "harness/wire/tls_crypto.hpp"
#include "harness/wire/wire_test_util.hpp"

namespace fc::wire {
namespace {

using testing::MemoryTls;
using testing::run_tls;
using testing::TestIdentity;
using testing::TlsRun;
using testing::TlsTranscript;

TlsFacts read_back(const TlsTranscript& t, bool with_keys) {
    KeyLog keys = KeyLog::parse(with_keys ? t.keylog : "");
    return analyse_tls(t.to_server, t.to_client, with_keys ? &keys : nullptr);
}

struct SuiteCase {
    int version;
    const char* ciphers;
    std::uint16_t suite;
};

class WireTlsSuites : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(WireTlsSuites, DecryptsAndCountsPlaintextBothWays) {
    TestIdentity id;
    TlsRun run;
    run.version = GetParam().version;
    run.ciphers = GetParam().ciphers;
    run.upload = std::string(5000, 'u');
    run.download = std::string(70000, 'd');  // several records
    TlsTranscript t;
    run_tls(id, run, t);
    TlsFacts f = read_back(t, true);
    ASSERT_TRUE(f.client_hello);
    ASSERT_TRUE(f.server_hello);
    EXPECT_EQ(f.version, run.version == TLS1_3_VERSION ? 0x0304 : 0x0303);
    EXPECT_EQ(f.sh.cipher_suite, GetParam().suite);
    EXPECT_EQ(f.keys, "decrypted");
    EXPECT_EQ(f.resumed, Tri::no);
    EXPECT_EQ(f.client.app_bytes, 5000u);
    EXPECT_EQ(f.server.app_bytes, 70000u);
    EXPECT_TRUE(f.client.app_bytes_plaintext);
    EXPECT_EQ(f.client.close_notify, Tri::yes);
    EXPECT_EQ(f.server.close_notify, Tri::yes);
    EXPECT_EQ(f.client_cert_sent, Tri::no);
    EXPECT_EQ(f.cert_requested, Tri::no);
}

INSTANTIATE_TEST_SUITE_P(
    All, WireTlsSuites,
    ::testing::Values(SuiteCase{TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0x1301},
                      SuiteCase{TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", 0x1302},
                      SuiteCase{TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", 0x1303},
                      SuiteCase{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02B},
                      SuiteCase{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02C},
                      SuiteCase{TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305", 0xCCA9}));

TEST(WireTls, WithoutKeysCloseNotifyAndTls13ClientCertAreUnknown) {
    TestIdentity id;
    TlsRun run;
    run.client_cert = true;
    run.upload = "hello";
    TlsTranscript t;
    run_tls(id, run, t);
    TlsFacts f = read_back(t, false);
    EXPECT_EQ(f.version, 0x0304);
    EXPECT_EQ(f.keys, "no key log");
    EXPECT_EQ(f.client.close_notify, Tri::unknown);
    EXPECT_EQ(f.server.close_notify, Tri::unknown);
    EXPECT_EQ(f.client_cert_sent, Tri::unknown);
    EXPECT_FALSE(f.client.app_bytes_plaintext);
    // The same bytes with the key log: the certificate is found inside the encryption.
    TlsFacts g = read_back(t, true);
    EXPECT_EQ(g.client_cert_sent, Tri::yes);
    EXPECT_EQ(g.cert_requested, Tri::yes);
    EXPECT_EQ(g.client.app_bytes, 5u);
}

TEST(WireTls, Tls13KeyUpdateIsFollowed) {
    TestIdentity id;
    TlsRun run;
    run.key_update = true;
    run.upload = std::string(3000, 'k');
    TlsTranscript t;
    run_tls(id, run, t);
    TlsFacts f = read_back(t, true);
    EXPECT_EQ(f.keys, "decrypted");  // records after the KeyUpdate opened with the next secret
    EXPECT_EQ(f.client.app_bytes, 3000u);
    EXPECT_EQ(f.client.close_notify, Tri::yes);
}

TEST(WireTls, HelloRetryRequestIsSkipped) {
    TestIdentity id;
    TlsRun run;
    run.client_groups = "P-256:X25519";
    run.server_groups = "X25519";  // the client's key share (P-256) is refused: HRR
    run.upload = "after retry";
    TlsTranscript t;
    run_tls(id, run, t);
    TlsFacts f = read_back(t, true);
    EXPECT_TRUE(f.hello_retry);
    EXPECT_EQ(f.version, 0x0304);
    EXPECT_EQ(f.keys, "decrypted");
    EXPECT_EQ(f.client.app_bytes, 11u);
}

TEST(WireTls, KeyLogOfAnotherConnectionLeavesFactsUnknown) {
    TestIdentity id;
    TlsTranscript a, b;
    run_tls(id, TlsRun{}, a);
    run_tls(id, TlsRun{}, b);
    KeyLog other = KeyLog::parse(b.keylog);
    TlsFacts f = analyse_tls(a.to_server, a.to_client, &other);
    EXPECT_EQ(f.keys, "no key for this connection in the key log");
    EXPECT_EQ(f.client.close_notify, Tri::unknown);
}

TEST(WireTls, Tls12ClientCertificateIsVisibleWithoutKeys) {
    TestIdentity id;
    TlsRun run;
    run.version = TLS1_2_VERSION;
    run.client_cert = true;
    TlsTranscript t;
    run_tls(id, run, t);
    TlsFacts f = read_back(t, false);
    EXPECT_EQ(f.client_cert_sent, Tri::yes);
    EXPECT_EQ(f.cert_requested, Tri::yes);
    EXPECT_EQ(f.client.close_notify, Tri::unknown);
    EXPECT_EQ(f.client.alerts, std::vector<std::string>{"encrypted alert"});
}

TEST(WireTls, MissingCloseNotifyIsNoWithKeys) {
    TestIdentity id;
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        TlsRun run;
        run.version = version;
        run.upload = "data";
        run.client_close_notify = false;
        TlsTranscript t;
        run_tls(id, run, t);
        TlsFacts f = read_back(t, true);
        EXPECT_EQ(f.client.close_notify, Tri::no) << version;
        EXPECT_EQ(f.server.close_notify, Tri::yes) << version;
    }
}

TEST(WireTls, ResumptionIsSeenForBothVersions) {
    TestIdentity id;
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        TlsRun first;
        first.version = version;
        first.download = "x";
        MemoryTls tls(id, first);
        TlsTranscript t1;
        tls.run(first, t1);
        TlsRun second = first;
        second.resume = t1.session;
        TlsTranscript t2;
        tls.run(second, t2);
        ASSERT_TRUE(t2.resumed) << "OpenSSL did not resume (version " << version << ")";
        TlsFacts f1 = read_back(t1, false), f2 = read_back(t2, false);
        EXPECT_EQ(f1.resumed, Tri::no) << version;
        EXPECT_EQ(f2.resumed, Tri::yes) << version;
        EXPECT_EQ(f2.resumed_how, version == TLS1_3_VERSION ? "psk" : "session ticket");
        TlsFacts k2 = read_back(t2, true);
        EXPECT_EQ(k2.keys, "decrypted") << version;
        EXPECT_EQ(k2.client_cert_sent, Tri::no) << version;
    }
}

TEST(WireTls, Tls12SessionIdResumption) {
    TestIdentity id;
    TlsRun first;
    first.version = TLS1_2_VERSION;
    first.no_tickets = true;  // the client resumes by session id, from the server's cache
    MemoryTls tls(id, first);
    TlsTranscript t1;
    tls.run(first, t1);
    TlsRun second = first;
    second.resume = t1.session;
    TlsTranscript t2;
    tls.run(second, t2);
    ASSERT_TRUE(t2.resumed);
    TlsFacts f = read_back(t2, false);
    EXPECT_EQ(f.resumed, Tri::yes);
    EXPECT_EQ(f.resumed_how, "session id");
    EXPECT_FALSE(f.ch.session_id.empty());
}

TEST(WireTls, CutHandshakeIsUnknownNotGuessed) {
    TestIdentity id;
    TlsRun run;
    run.version = TLS1_2_VERSION;
    TlsTranscript t;
    run_tls(id, run, t);
    // Only the ServerHello's record: neither ServerHelloDone nor ChangeCipherSpec.
    RecordScan s = scan_records(t.to_client);
    ASSERT_FALSE(s.records.empty());
    std::string first(t.to_client.substr(0, 5 + s.records[0].fragment.size()));
    HandshakeReader r;
    r.feed(s.records[0].fragment);
    std::uint8_t type = 0;
    std::string body;
    ASSERT_TRUE(r.next(type, body));
    std::string only_hello = first.substr(0, 5) + std::string(1, static_cast<char>(type));
    only_hello += first.substr(6, 3 + body.size());
    only_hello[3] = static_cast<char>((4 + body.size()) >> 8);
    only_hello[4] = static_cast<char>((4 + body.size()) & 0xff);
    RecordScan c = scan_records(t.to_server);
    std::string client_hello = t.to_server.substr(0, 5 + c.records[0].fragment.size());
    TlsFacts f = analyse_tls(client_hello, only_hello, nullptr);
    EXPECT_TRUE(f.server_hello);
    EXPECT_EQ(f.resumed, Tri::unknown);
    EXPECT_EQ(f.client_cert_sent, Tri::unknown);
}

TEST(WireTls, MangledStreamsNeverCrashTheReader) {
    TestIdentity id;
    TlsRun run;
    run.version = TLS1_2_VERSION;
    run.client_cert = true;
    run.upload = "payload";
    TlsTranscript t;
    run_tls(id, run, t);
    KeyLog keys = KeyLog::parse(t.keylog);
    std::mt19937 rng(18);  // fixed: the same mangling every run
    int decrypted = 0;
    for (int i = 0; i < 400; ++i) {
        std::string up = t.to_server, down = t.to_client;
        std::string& victim = i % 2 ? up : down;
        for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
            victim[rng() % victim.size()] = static_cast<char>(rng());
        }
        if (i % 5 == 0) {
            victim.resize(rng() % victim.size());
        }
        TlsFacts f = analyse_tls(up, down, &keys);
        decrypted += f.keys == "decrypted";
    }
    EXPECT_LT(decrypted, 400);  // mangled records do not authenticate
}

}  // namespace
}  // namespace fc::wire
