// The wire assertions on hand-made facts: every kind can pass, fail and be unsupported.
#include "harness/wire/check.hpp"

#include <gtest/gtest.h>

namespace fc::wire {
namespace {

WireConnection tls_data(int index, std::uint16_t version = 0x0304) {
    WireConnection c;
    c.index = index;
    c.role = Role::data;
    c.client_addr = c.server_addr = "127.0.0.1";
    c.client_port = static_cast<std::uint16_t>(40000 + index);
    c.server_port = static_cast<std::uint16_t>(30000 + index);
    c.has_payload = c.starts_with_tls = c.syn_seen = true;
    c.tls.client_hello = c.tls.server_hello = true;
    c.tls.version = version;
    c.tls.resumed = Tri::yes;
    c.tls.client_cert_sent = Tri::no;
    c.from_client.close_notify = c.from_server.close_notify = Tri::yes;
    c.from_client.app_bytes = 100;
    return c;
}

WireConnection control() {
    WireConnection c = tls_data(1);
    c.role = Role::control;
    c.server_port = 2121;
    c.starts_with_tls = false;
    c.text_then_tls = true;
    c.from_client.clear_bytes = 10;
    c.tls.resumed = Tri::no;
    c.tls.client_cert_sent = Tri::yes;
    return c;
}

WireFacts facts(std::vector<WireConnection> cs) {
    WireFacts f;
    f.connections = std::move(cs);
    return f;
}

TEST(WireCheck, KindNamesRoundTrip) {
    for (auto k : {WireKind::data_protected, WireKind::tls_version, WireKind::data_resumed,
                   WireKind::client_cert_sent, WireKind::close_notify, WireKind::no_clear_data}) {
        EXPECT_EQ(parse_wire_kind(to_string(k)), k);
    }
    EXPECT_FALSE(parse_wire_kind("protected").has_value());
}

TEST(WireCheck, AllGoodPassesWithACount) {
    WireFacts f = facts({control(), tls_data(2), tls_data(3)});
    for (auto k : {WireKind::data_protected, WireKind::data_resumed, WireKind::client_cert_sent,
                   WireKind::close_notify, WireKind::no_clear_data}) {
        WireCheck c = check_wire(f, wire_expect(k));
        EXPECT_EQ(c.outcome, WireOutcome::pass) << to_string(k) << ": " << c.reason;
    }
    WireCheck v = check_wire(f, wire_expect(WireKind::tls_version, "TLS 1.3"));
    EXPECT_EQ(v.outcome, WireOutcome::pass);
    EXPECT_EQ(v.reason, "tls-version: 3 connections checked");
}

TEST(WireCheck, ConnectionsBegunBeforeTheCaptureAreIgnored) {
    WireConnection tail = tls_data(2);
    tail.syn_seen = false;
    tail.starts_with_tls = false;  // its first captured bytes are not its first bytes
    WireCheck c =
        check_wire(facts({control(), tail, tls_data(3)}), wire_expect(WireKind::data_protected));
    EXPECT_EQ(c.outcome, WireOutcome::pass);
    EXPECT_EQ(c.reason,
              "data-protected: 1 data connection checked (1 begun before the capture ignored)");
}

TEST(WireCheck, NoDataConnectionIsAFailureNotAVacuousPass) {
    WireCheck c = check_wire(facts({control()}), wire_expect(WireKind::data_protected));
    EXPECT_EQ(c.outcome, WireOutcome::fail);
    EXPECT_EQ(c.reason, "no data connection in the capture");
}

TEST(WireCheck, FailuresNameTheConnectionAndCountTheRest) {
    WireConnection old = tls_data(2, 0x0303), old2 = tls_data(3, 0x0303);
    WireCheck v =
        check_wire(facts({control(), old, old2}), wire_expect(WireKind::tls_version, "1.3"));
    EXPECT_EQ(v.outcome, WireOutcome::fail);
    EXPECT_EQ(v.reason,
              "data connection #2 127.0.0.1:40002 -> 127.0.0.1:30002 negotiated TLS 1.2, not "
              "TLS 1.3 (and 1 more)");

    WireConnection full = tls_data(2);
    full.tls.resumed = Tri::no;
    EXPECT_EQ(check_wire(facts({full}), wire_expect(WireKind::data_resumed)).outcome,
              WireOutcome::fail);

    WireConnection empty = tls_data(2);
    empty.has_payload = empty.starts_with_tls = false;
    empty.tls = TlsFacts{};
    WireCheck e = check_wire(facts({empty}), wire_expect(WireKind::data_protected));
    EXPECT_EQ(e.outcome, WireOutcome::fail);
    EXPECT_NE(e.reason.find("carried no bytes"), std::string::npos);

    WireConnection cut = tls_data(2);
    cut.from_client.close_notify = Tri::no;
    cut.from_client.fin = true;
    WireCheck n = check_wire(facts({cut}), wire_expect(WireKind::close_notify));
    EXPECT_EQ(n.outcome, WireOutcome::fail);
    EXPECT_NE(n.reason.find("no close_notify from the client (it closed with a bare FIN)"),
              std::string::npos)
        << n.reason;
}

TEST(WireCheck, UnknownIsUnsupportedButAFailureWins) {
    WireConnection hidden = tls_data(2);
    hidden.from_client.close_notify = Tri::unknown;
    hidden.tls.keys = "no key log";
    WireCheck u = check_wire(facts({hidden}), wire_expect(WireKind::close_notify));
    EXPECT_EQ(u.outcome, WireOutcome::unsupported);
    EXPECT_NE(u.reason.find("no key log"), std::string::npos);

    WireConnection bad = tls_data(3);
    bad.from_client.close_notify = Tri::no;
    EXPECT_EQ(check_wire(facts({hidden, bad}), wire_expect(WireKind::close_notify)).outcome,
              WireOutcome::fail);

    WireConnection cert = control();
    cert.tls.client_cert_sent = Tri::unknown;
    EXPECT_EQ(check_wire(facts({cert}), wire_expect(WireKind::client_cert_sent)).outcome,
              WireOutcome::unsupported);
}

TEST(WireCheck, SideFollowsTheTlsRolesOnActiveModeConnections) {
    // Active mode: the server connected, the FTP client is the TLS client on the TCP server.
    WireConnection active = tls_data(2);
    active.tls_client_is_tcp_client = false;
    active.from_server.close_notify = Tri::no;  // the FTP client sent none
    WireExpect client = wire_expect(WireKind::close_notify);
    EXPECT_EQ(check_wire(facts({active}), client).outcome, WireOutcome::fail);
    WireExpect server = client;
    server.side = WireSide::server;
    EXPECT_EQ(check_wire(facts({active}), server).outcome, WireOutcome::pass);
}

TEST(WireCheck, ClearBytesOnDataFailAndOnControlAreAllowed) {
    WireConnection leak = tls_data(2);
    leak.from_server.clear_bytes = 7;
    leak.first_bytes = "\\x16\\x03";
    WireCheck c = check_wire(facts({control(), leak}), wire_expect(WireKind::no_clear_data));
    EXPECT_EQ(c.outcome, WireOutcome::fail);
    EXPECT_NE(c.reason.find("0 from 127.0.0.1:40002, 7 from 127.0.0.1:30002"), std::string::npos)
        << c.reason;
    EXPECT_EQ(
        check_wire(facts({control(), tls_data(2)}), wire_expect(WireKind::no_clear_data)).outcome,
        WireOutcome::pass);
}

}  // namespace
}  // namespace fc::wire

namespace fc::wire {
namespace {

TEST(WireCheck, AHandshakeRefusedInClearNegotiatedNoVersion) {
    WireConnection refused = tls_data(2);
    refused.tls.server_hello = false;
    refused.tls.version = 0;
    WireFacts f = facts({control(), refused});
    // Without the server's alert the capture may just have missed the ServerHello.
    EXPECT_EQ(check_wire(f, wire_expect(WireKind::tls_version, "1.3")).outcome,
              WireOutcome::unsupported);
    f.connections[1].tls.server.alerts = {"protocol_version"};
    WireCheck c = check_wire(f, wire_expect(WireKind::tls_version, "1.3"));
    EXPECT_EQ(c.outcome, WireOutcome::fail);
    EXPECT_NE(c.reason.find("data connection #2"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find("negotiated no version"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find("protocol_version"), std::string::npos) << c.reason;
}

}  // namespace
}  // namespace fc::wire
