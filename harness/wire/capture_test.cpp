// Capture filters, and starting captures where it cannot work.
#include "harness/wire/capture.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <stdexcept>

#include "harness/core/socket.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/wire/facts.hpp"
#include "harness/wire/table.hpp"

namespace fc::wire {
namespace {

TEST(WireCaptureFilter, PortsRangesAndAddresses) {
    CaptureSpec spec;
    EXPECT_EQ(bpf_filter(spec), "tcp");
    spec.addresses = {"127.0.0.1", "::1"};
    spec.ports = {{2121, 2121}, {30000, 30009}};
    EXPECT_EQ(bpf_filter(spec),
              "tcp and (host 127.0.0.1 or host ::1) and (port 2121 or portrange 30000-30009)");
    spec.addresses = {"localhost"};
    EXPECT_THROW(bpf_filter(spec), std::invalid_argument);
    spec.addresses = {"127.0.0.1 or host 10.0.0.1"};
    EXPECT_THROW(bpf_filter(spec), std::invalid_argument);
    spec.addresses.clear();
    spec.ports = {{10, 5}};
    EXPECT_THROW(bpf_filter(spec), std::invalid_argument);
}

TEST(WireCapture, MissingTcpdumpIsAReasonNotAnException) {
    fc::testing::TempDir dir("wirecap");
    CaptureSpec spec;
    spec.file = dir.path() / "c.pcap";
    spec.tcpdump = "no-such-tcpdump-binary";
    WireCapture cap(spec);
    CaptureStart s = cap.start();
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.reason.find("no-such-tcpdump-binary: not found in PATH"), std::string::npos)
        << s.reason;
    EXPECT_NE(s.reason.find("apt-get install tcpdump"), std::string::npos);
    EXPECT_FALSE(cap.stop().ok);
}

TEST(WireCaptureRealServer, UnknownInterfaceIsAReason) {
    fc::testing::TempDir dir("wirecap");
    CaptureSpec spec;
    spec.file = dir.path() / "c.pcap";
    spec.interface = "no-such-if0";
    WireCapture cap(spec);
    CaptureStart s = cap.start();
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.reason.find("tcpdump exited before capturing"), std::string::npos) << s.reason;
    EXPECT_NE(s.reason.find("no-such-if0"), std::string::npos) << s.reason;
}

TEST(WireCaptureRealServer, ParallelCapturesKeepToTheirOwnPorts) {
    fc::testing::TempDir dir("wirecap");
    std::string err;
    UniqueFd la = tcp_listen("127.0.0.1", 0, &err), lb = tcp_listen("127.0.0.1", 0, &err);
    ASSERT_TRUE(la && lb) << err;
    std::uint16_t pa = local_port(la.get()), pb = local_port(lb.get());
    auto spec_for = [&](const char* name, std::uint16_t port) {
        CaptureSpec s;
        s.file = dir.path() / name;
        s.addresses = {"127.0.0.1"};
        s.ports = {{port, port}};
        return s;
    };
    WireCapture a(spec_for("a.pcap", pa)), b(spec_for("b.pcap", pb));
    CaptureStart sa = a.start(), sb = b.start();
    ASSERT_TRUE(sa.ok) << sa.reason;
    ASSERT_TRUE(sb.ok) << sb.reason;
    for (std::uint16_t port : {pa, pb, pb}) {
        UniqueFd c = tcp_connect("127.0.0.1", port, Deadline::after(Millis(2000)), {}, &err);
        ASSERT_TRUE(c) << err;
    }
    CaptureStop ta = a.stop(), tb = b.stop();
    EXPECT_TRUE(ta.ok) << ta.reason;
    EXPECT_TRUE(tb.ok) << tb.reason;
    WireFacts fa = read_wire_facts(dir.path() / "a.pcap", "", {});
    WireFacts fb = read_wire_facts(dir.path() / "b.pcap", "", {});
    ASSERT_EQ(fa.connections.size(), 1u) << wire_table(fa);
    ASSERT_EQ(fb.connections.size(), 2u) << wire_table(fb);
    EXPECT_EQ(fa.connections[0].server_port, pa);
    EXPECT_EQ(fb.connections[1].server_port, pb);
    std::cout << "[wire] capture start " << sa.took.count() << "+" << sb.took.count()
              << " ms, stop " << ta.took.count() << "+" << tb.took.count() << " ms\n";
}

}  // namespace
}  // namespace fc::wire
