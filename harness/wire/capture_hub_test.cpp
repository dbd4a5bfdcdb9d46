// The run's capture hub against the real tcpdump on loopback: sessions get exactly their
// ports' packets from their opening on, and closing them leaves complete files.
#include "harness/wire/capture_hub.hpp"

#include <gtest/gtest.h>

#include <iostream>

#include "harness/core/socket.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/wire/facts.hpp"
#include "harness/wire/table.hpp"

namespace fc::wire {
namespace {

TEST(WireCaptureCounts, SingularAndPluralForms) {
    EXPECT_EQ(tcpdump_count("1 packet dropped by kernel", "dropped by kernel"), 1);
    EXPECT_EQ(tcpdump_count("tcpdump: 12 packets captured, 24 packets received by filter, "
                            "0 packets dropped by kernel",
                            "dropped by kernel"),
              0);
    EXPECT_EQ(tcpdump_count("12 packets captured", "captured"), 12);
    EXPECT_EQ(tcpdump_count("listening on lo", "captured"), -1);
}

TEST(CaptureHub, MissingTcpdumpIsAReason) {
    fc::testing::TempDir dir("hub");
    HubSpec spec;
    spec.tcpdump = "no-such-tcpdump-binary";
    spec.log = dir.path() / "capture.log";
    CaptureHub hub(spec);
    CaptureStart s = hub.start();
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.reason.find("apt-get install tcpdump"), std::string::npos) << s.reason;
    CaptureSpec cell;
    cell.file = dir.path() / "c.pcap";
    EXPECT_LT(hub.open(cell).id, 0);
}

TEST(CaptureHubRealServer, SessionsKeepToTheirPortsAndTheirTime) {
    fc::testing::TempDir dir("hub");
    std::string err;
    UniqueFd la = tcp_listen("127.0.0.1", 0, &err), lb = tcp_listen("127.0.0.1", 0, &err);
    ASSERT_TRUE(la && lb) << err;
    std::uint16_t pa = local_port(la.get()), pb = local_port(lb.get());
    HubSpec spec;
    spec.log = dir.path() / "capture.log";
    CaptureHub hub(spec);
    CaptureStart started = hub.start();
    ASSERT_TRUE(started.ok) << started.reason;
    auto connect = [&](std::uint16_t port) {
        UniqueFd c = tcp_connect("127.0.0.1", port, Deadline::after(Millis(2000)), {}, &err);
        ASSERT_TRUE(c) << err;
    };
    connect(pa);  // before any session: in no file
    auto session = [&](const char* name, std::uint16_t port) {
        CaptureSpec s;
        s.file = dir.path() / name;
        s.addresses = {"127.0.0.1"};
        s.ports = {{port, port}};
        return hub.open(s);
    };
    CaptureHub::Opened a = session("a.pcap", pa), b = session("b.pcap", pb);
    ASSERT_GE(a.id, 0) << a.reason;
    ASSERT_GE(b.id, 0) << b.reason;
    for (std::uint16_t port : {pa, pb, pb}) {
        connect(port);
    }
    CaptureStop ta = hub.close(a.id), tb = hub.close(b.id);
    EXPECT_TRUE(ta.ok) << ta.reason;
    EXPECT_TRUE(tb.ok) << tb.reason;
    EXPECT_EQ(ta.dropped, 0);
    EXPECT_FALSE(hub.close(a.id).ok);  // closed once
    connect(pb);                       // after the close: not in b's file
    WireFacts fa = read_wire_facts(dir.path() / "a.pcap", "", {});
    WireFacts fb = read_wire_facts(dir.path() / "b.pcap", "", {});
    ASSERT_EQ(fa.connections.size(), 1u) << wire_table(fa);
    ASSERT_EQ(fb.connections.size(), 2u) << wire_table(fb);
    EXPECT_EQ(fa.connections[0].server_port, pa);
    EXPECT_TRUE(fa.connections[0].syn_seen);
    EXPECT_EQ(fb.connections[1].server_port, pb);
    EXPECT_GE(ta.captured, 3);  // at least the three-way handshake
    std::cout << "[hub] start " << started.took.count() << " ms, close " << ta.took.count() << "+"
              << tb.took.count() << " ms\n";
}

}  // namespace
}  // namespace fc::wire
