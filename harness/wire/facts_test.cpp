// The whole reader on a hand-built capture of an FTPS session: explicit-TLS control, a
// protected data connection that resumes, and a clear one (PROT C).
#include "harness/wire/facts.hpp"

#include <gtest/gtest.h>

#include "harness/wire/check.hpp"
#include "harness/wire/wire_test_util.hpp"

namespace fc::wire {
namespace {

using testing::ConnBuilder;
using testing::kFin;
using testing::kRst;
using testing::MemoryTls;
using testing::pcap_of;
using testing::TestIdentity;
using testing::TlsRun;
using testing::TlsTranscript;

struct Session {
    std::string pcap, keylog;
};

// control 40000 -> 2121, protected data 40001 -> 30000, clear data 40002 -> 30001.
Session ftps_session(int version, bool client_close_notify_on_data) {
    TestIdentity id;
    TlsRun config;
    config.version = version;
    config.client_cert = true;
    MemoryTls tls(id, config);
    TlsTranscript control, data;
    TlsRun ctl = config;
    ctl.upload = "USER alice\r\n";
    ctl.download = "331 password\r\n";
    tls.run(ctl, control);
    TlsRun put = config;
    put.resume = control.session;
    put.upload = std::string(3000, 'p');
    put.client_close_notify = client_close_notify_on_data;
    tls.run(put, data);
    ConnBuilder c(40000, 2121), d(40001, 30000), clear(40002, 30001);
    c.send(false, "220 ready\r\n").send(true, "AUTH TLS\r\n").send(false, "234 go ahead\r\n");
    c.send(true, control.to_server).send(false, control.to_client).close(true).close(false);
    d.send(true, data.to_server).send(false, data.to_client).close(true).close(false);
    clear.send(false, "-rw-r--r-- 1 alice\r\n").close(false, kRst);
    std::vector<std::string> frames = c.frames();
    for (auto* b : {&d, &clear}) {
        frames.insert(frames.end(), b->frames().begin(), b->frames().end());
    }
    return {pcap_of(frames), control.keylog + data.keylog};
}

WireFacts facts_of(const Session& s, bool with_keys) {
    return analyse_frames(parse_capture(s.pcap), KeyLog::parse(with_keys ? s.keylog : ""),
                          WireRoles{{2121}});
}

TEST(WireFacts, ExplicitFtpsControlProtectedAndClearData) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        SCOPED_TRACE(version);
        WireFacts f = facts_of(ftps_session(version, true), true);
        ASSERT_EQ(f.error, "");
        ASSERT_EQ(f.connections.size(), 3u);
        const WireConnection& ctl = f.connections[0];
        EXPECT_EQ(ctl.role, Role::control);
        EXPECT_EQ(ctl.endpoints(), "127.0.0.1:40000 -> 127.0.0.1:2121");
        EXPECT_FALSE(ctl.starts_with_tls);
        EXPECT_TRUE(ctl.text_then_tls);
        EXPECT_EQ(ctl.auth_command, "AUTH TLS");
        EXPECT_EQ(ctl.reply_before_tls, 234);
        EXPECT_EQ(ctl.from_client.clear_bytes, 10u);
        EXPECT_EQ(ctl.from_server.clear_bytes, 11u + 14u);
        EXPECT_EQ(ctl.tls.keys, "decrypted");
        EXPECT_EQ(ctl.tls.client_cert_sent, Tri::yes);
        EXPECT_EQ(ctl.tls.resumed, Tri::no);
        EXPECT_EQ(ctl.from_client.app_bytes, 12u);
        EXPECT_EQ(ctl.from_server.app_bytes, 14u);

        const WireConnection& data = f.connections[1];
        EXPECT_EQ(data.role, Role::data);
        EXPECT_TRUE(data.starts_with_tls);
        EXPECT_EQ(data.tls.resumed, Tri::yes);
        EXPECT_EQ(data.from_client.clear_bytes + data.from_server.clear_bytes, 0u);
        EXPECT_EQ(data.tls_client().app_bytes, 3000u);
        EXPECT_EQ(data.tls_client().close_notify, Tri::yes);
        EXPECT_EQ(version_name(data.tls.version),
                  version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");

        const WireConnection& plain = f.connections[2];
        EXPECT_FALSE(plain.starts_with_tls);
        EXPECT_FALSE(plain.tls.client_hello);
        EXPECT_EQ(plain.first_bytes, "-rw-r--r-- 1 alice\\r\\n");
        EXPECT_EQ(plain.from_server.clear_bytes, 20u);
        EXPECT_TRUE(plain.from_server.rst);
    }
}

TEST(WireFacts, ChecksNameTheClearDataConnection) {
    WireFacts f = facts_of(ftps_session(TLS1_3_VERSION, true), true);
    WireCheck protect = check_wire(f, wire_expect(WireKind::data_protected));
    EXPECT_EQ(protect.outcome, WireOutcome::fail);
    EXPECT_EQ(protect.reason,
              "data connection #3 127.0.0.1:40002 -> 127.0.0.1:30001 began in clear: "
              "'-rw-r--r-- 1 alice\\r\\n'");
    EXPECT_EQ(check_wire(f, wire_expect(WireKind::no_clear_data)).outcome, WireOutcome::fail);
    WireExpect v13 = wire_expect(WireKind::tls_version, "1.3");
    v13.scope = WireScope::control;
    EXPECT_EQ(check_wire(f, v13).outcome, WireOutcome::pass) << check_wire(f, v13).reason;
    EXPECT_EQ(check_wire(f, wire_expect(WireKind::client_cert_sent)).outcome, WireOutcome::pass);
    WireExpect uploads = wire_expect(WireKind::close_notify);
    uploads.uploads_only = true;
    // The clear connection is a download (server → client): only the TLS upload counts.
    EXPECT_EQ(check_wire(f, uploads).outcome, WireOutcome::pass) << check_wire(f, uploads).reason;
}

TEST(WireFacts, MissingCloseNotifyFailsWithKeysAndIsUnsupportedWithout) {
    Session s = ftps_session(TLS1_3_VERSION, false);
    WireExpect e = wire_expect(WireKind::close_notify);
    e.uploads_only = true;
    WireCheck with = check_wire(facts_of(s, true), e);
    EXPECT_EQ(with.outcome, WireOutcome::fail);
    EXPECT_NE(with.reason.find("no close_notify from the client"), std::string::npos)
        << with.reason;
    WireCheck without = check_wire(facts_of(s, false), e);
    EXPECT_EQ(without.outcome, WireOutcome::unsupported);
    EXPECT_NE(without.reason.find("no key log"), std::string::npos) << without.reason;
    // TLS 1.3 hides the client certificate: without keys that is unknown, not a pass.
    EXPECT_EQ(check_wire(facts_of(s, false), wire_expect(WireKind::client_cert_sent)).outcome,
              WireOutcome::unsupported);
}

TEST(WireFacts, UnreadableCaptureMakesEveryCheckUnsupported) {
    WireFacts f = read_wire_facts("/nonexistent/capture.pcap", "", WireRoles{});
    EXPECT_NE(f.error, "");
    WireCheck c = check_wire(f, wire_expect(WireKind::data_protected));
    EXPECT_EQ(c.outcome, WireOutcome::unsupported);
    EXPECT_NE(c.reason.find("could not be read"), std::string::npos);
}

}  // namespace
}  // namespace fc::wire

namespace fc::wire {
namespace {

// A connection whose SYN came before the capture began is not the cell's (the readiness
// probe's tail): left out of the facts, with a warning, so no claim is judged on it.
TEST(WireFacts, ConnectionBegunBeforeTheCaptureIsLeftOut) {
    std::vector<std::string> frames = {
        testing::tcp_frame(1, 2121, 1, 40000, 1, 0, "221 Goodbye\r\n"),  // no SYN seen
        testing::tcp_frame(1, 2121, 1, 40000, 14, kFin, ""),
    };
    testing::ConnBuilder c(40001, 30000);
    c.send(true, "clear bytes").close(true);
    frames.insert(frames.end(), c.frames().begin(), c.frames().end());
    WireFacts facts =
        analyse_frames(parse_capture(pcap_of(frames)), KeyLog::parse(""), WireRoles{{2121}});
    ASSERT_EQ(facts.connections.size(), 1u);
    EXPECT_EQ(facts.connections[0].server_port, 30000);
    ASSERT_EQ(facts.warnings.size(), 1u);
    EXPECT_NE(facts.warnings[0].find("began before the capture"), std::string::npos)
        << facts.warnings[0];
}

}  // namespace
}  // namespace fc::wire
