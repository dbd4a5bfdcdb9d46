// Capture files and TCP reassembly from hand-built bytes.
#include "harness/wire/packet.hpp"

#include <gtest/gtest.h>

#include "harness/core/atomic_file.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/wire/tcp_stream.hpp"
#include "harness/wire/wire_test_util.hpp"

namespace fc::wire {
namespace {

using testing::ConnBuilder;
using testing::kFin;
using testing::kRst;
using testing::kSyn;
using testing::pcap_of;
using testing::put16;
using testing::put32le;
using testing::tcp_frame;

std::vector<TcpConnection> reassemble(const std::vector<std::string>& frames) {
    FrameList list = parse_capture(pcap_of(frames));
    EXPECT_EQ(list.error, "");
    TcpReassembler r;
    TcpSegment seg;
    for (const Frame& f : list.frames) {
        if (decode_tcp(f, seg)) {
            r.add(seg);
        }
    }
    return r.finish();
}

TEST(WirePcap, ReadsClassicPcapAndDecodesTcp) {
    std::string frame = tcp_frame(1, 40000, 2, 21, 77, 0, "USER alice\r\n");
    FrameList list = parse_capture(pcap_of({frame}));
    ASSERT_EQ(list.error, "");
    EXPECT_EQ(list.format, "pcap");
    ASSERT_EQ(list.frames.size(), 1u);
    EXPECT_EQ(list.frames[0].link, kLinkEthernet);
    EXPECT_DOUBLE_EQ(list.frames[0].time, 1700000000.001);
    TcpSegment seg;
    ASSERT_TRUE(decode_tcp(list.frames[0], seg));
    EXPECT_EQ(seg.src, "127.0.0.1");
    EXPECT_EQ(seg.dst, "127.0.0.2");
    EXPECT_EQ(seg.sport, 40000);
    EXPECT_EQ(seg.dport, 21);
    EXPECT_EQ(seg.seq, 77u);
    EXPECT_TRUE(seg.ack_flag);
    EXPECT_FALSE(seg.syn);
    EXPECT_EQ(seg.payload, "USER alice\r\n");
}

TEST(WirePcap, ReadsPcapngWithCookedIpv6) {
    // Section header, an interface (LINUX_SLL, nanosecond resolution), one enhanced packet.
    auto block = [](std::uint32_t type, const std::string& body) {
        std::string b;
        put32le(b, type);
        put32le(b, static_cast<std::uint32_t>(12 + body.size()));
        b += body;
        put32le(b, static_cast<std::uint32_t>(12 + body.size()));
        return b;
    };
    std::string shb;
    put32le(shb, 0x1a2b3c4d);
    shb += std::string("\x01\x00\x00\x00", 4);
    shb += std::string(8, '\xff');
    std::string idb;
    put32le(idb, kLinkLinuxSll);  // link type (16 bits) and reserved
    put32le(idb, 0);
    idb += std::string("\x09\x00\x01\x00\x09\x00\x00\x00", 8);  // if_tsresol = 9, padded
    idb += std::string(4, '\0');                                // opt_endofopt
    std::string ip6(40, '\0');
    ip6[0] = 0x60;
    std::string tcp(20, '\0');
    tcp[0] = static_cast<char>(0x9c);  // port 40000
    tcp[1] = 0x40;
    tcp[3] = 21;
    tcp[12] = 0x50;
    tcp[13] = 0x18;
    std::string payload = "PASV\r\n";
    ip6[4] = 0;
    ip6[5] = static_cast<char>(20 + payload.size());
    ip6[6] = 6;
    ip6[23] = 1;  // ::1
    ip6[39] = 1;
    std::string sll(14, '\0');
    put16(sll, 0x86dd);
    std::string packet = sll + ip6 + tcp + payload;
    std::string epb;
    put32le(epb, 0);
    put32le(epb, 0);
    put32le(epb, 5);  // 5 ns
    put32le(epb, static_cast<std::uint32_t>(packet.size()));
    put32le(epb, static_cast<std::uint32_t>(packet.size()));
    epb += packet;
    while (epb.size() % 4) {
        epb.push_back('\0');
    }
    FrameList list = parse_capture(block(0x0a0d0d0a, shb) + block(1, idb) + block(6, epb));
    ASSERT_EQ(list.error, "");
    EXPECT_EQ(list.format, "pcapng");
    ASSERT_EQ(list.frames.size(), 1u);
    EXPECT_DOUBLE_EQ(list.frames[0].time, 5e-9);
    TcpSegment seg;
    ASSERT_TRUE(decode_tcp(list.frames[0], seg));
    EXPECT_EQ(seg.src, "::1");
    EXPECT_EQ(seg.sport, 40000);
    EXPECT_EQ(seg.payload, "PASV\r\n");
}

TEST(WirePcap, AFileIsScannedPieceByPieceWithTheSameFramesAsInMemory) {
    // Frames of 60 KiB, like loopback's, so records cross the reader's 1 MiB pieces at
    // varying offsets; 40 of them make a file of about 2.4 MB (three pieces).
    std::vector<std::string> frames;
    std::uint32_t seq = 1;
    for (int i = 0; i < 40; ++i) {
        std::string payload(60000 + i * 7, static_cast<char>('a' + i % 26));
        frames.push_back(tcp_frame(1, 40000, 2, 2121, seq, 0, payload));
        seq += static_cast<std::uint32_t>(payload.size());
    }
    std::string pcap = pcap_of(frames);
    fc::testing::TempDir dir("scan");
    write_file_atomically(dir.path() / "whole.pcap", pcap);
    FrameList memory = parse_capture(pcap);
    std::vector<std::string> seen;
    ScanResult file = scan_capture_file(dir.path() / "whole.pcap",
                                        [&](const FrameView& f) { seen.emplace_back(f.data); });
    EXPECT_EQ(file.error, "");
    EXPECT_EQ(file.format, "pcap");
    EXPECT_FALSE(file.truncated);
    ASSERT_EQ(file.frames, 40u);
    ASSERT_EQ(memory.frames.size(), 40u);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i], memory.frames[i].data) << "frame " << i;
    }
    // Cut inside the last record: the frames before it, and the truncation said.
    write_file_atomically(dir.path() / "cut.pcap", pcap.substr(0, pcap.size() - 100));
    FrameList cut = read_capture_file(dir.path() / "cut.pcap");
    EXPECT_EQ(cut.error, "");
    EXPECT_TRUE(cut.truncated);
    EXPECT_EQ(cut.frames.size(), 39u);
    // A bad record length at a later piece names its file offset.
    std::string bad = pcap;
    std::size_t at = 24;
    for (int i = 0; i < 30; ++i) {
        at += 16 + frames[static_cast<std::size_t>(i)].size();
    }
    bad[at + 11] = '\x7f';  // caplen's top byte (little-endian file)
    write_file_atomically(dir.path() / "bad.pcap", bad);
    FrameList broken = read_capture_file(dir.path() / "bad.pcap");
    EXPECT_EQ(broken.frames.size(), 30u);
    EXPECT_NE(broken.error.find("bad.pcap: pcap record at offset " + std::to_string(at) +
                                " has a bad length"),
              std::string::npos)
        << broken.error;
    EXPECT_EQ(scan_capture_file(dir.path() / "none.pcap", [](const FrameView&) {}).error,
              "cannot read " + (dir.path() / "none.pcap").string());
}

TEST(WirePcap, BadInputIsAnErrorOrTruncationNotACrash) {
    EXPECT_EQ(parse_capture("").error, "the capture file is empty");
    EXPECT_EQ(parse_capture("hello world").error, "not a pcap or pcapng file");
    std::string pcap = pcap_of({tcp_frame(1, 1, 1, 2, 0, 0, "abc")});
    FrameList cut = parse_capture(std::string_view(pcap).substr(0, pcap.size() - 2));
    EXPECT_TRUE(cut.truncated);
    EXPECT_TRUE(cut.frames.empty());
    EXPECT_NE(read_capture_file("/nonexistent/cap.pcap").error.find("cannot read"),
              std::string::npos);
    TcpSegment seg;
    Frame udp{0, kLinkEthernet, 0, std::string(14, '\0') + "\x45"};
    EXPECT_FALSE(decode_tcp(udp, seg));
}

TEST(WireTcp, ReassemblesOutOfOrderRetransmittedSegmentsOnce) {
    std::vector<std::string> f;
    f.push_back(tcp_frame(1, 40000, 1, 2121, 99, kSyn, ""));
    f.push_back(tcp_frame(1, 2121, 1, 40000, 499, kSyn, ""));
    f.push_back(tcp_frame(1, 40000, 1, 2121, 105, 0, "world"));     // ahead of a hole
    f.push_back(tcp_frame(1, 40000, 1, 2121, 100, 0, "hello"));     // fills it
    f.push_back(tcp_frame(1, 40000, 1, 2121, 100, 0, "hello"));     // a retransmission
    f.push_back(tcp_frame(1, 40000, 1, 2121, 103, 0, "loworld!"));  // overlap + 1 new byte
    f.push_back(tcp_frame(1, 2121, 1, 40000, 500, kRst, ""));
    auto conns = reassemble(f);
    ASSERT_EQ(conns.size(), 1u);
    const TcpConnection& c = conns[0];
    EXPECT_TRUE(c.syn_seen);
    EXPECT_EQ(c.client_port, 40000);
    EXPECT_EQ(c.server_port, 2121);
    EXPECT_EQ(c.to_server.bytes, "helloworld!");
    EXPECT_EQ(c.to_server.duplicate_bytes, 12u);
    EXPECT_EQ(c.to_server.gap_bytes, 0u);
    EXPECT_TRUE(c.to_client.rst);
    EXPECT_FALSE(c.to_server.rst);
}

TEST(WireTcp, SeparatesConnectionsAndReusedPortsAndRecordsGaps) {
    ConnBuilder a(40000, 2121), b(40001, 30000);
    a.send(true, "AUTH TLS\r\n").send(false, "234 go\r\n").close(true).close(false);
    b.send(false, "data").close(false, kRst);
    std::vector<std::string> f = a.frames();
    f.insert(f.end(), b.frames().begin(), b.frames().end());
    ConnBuilder again(40000, 2121);  // the same 4-tuple after the first closed
    again.send(true, "QUIT\r\n");
    f.insert(f.end(), again.frames().begin(), again.frames().end());
    f.push_back(tcp_frame(1, 40000, 1, 2121, 1001 + 6 + 10, 0, "later"));  // after a hole
    auto conns = reassemble(f);
    ASSERT_EQ(conns.size(), 3u);
    EXPECT_EQ(conns[0].to_server.bytes, "AUTH TLS\r\n");
    EXPECT_TRUE(conns[0].to_server.fin && conns[0].to_client.fin);
    EXPECT_EQ(conns[1].to_client.bytes, "data");
    EXPECT_TRUE(conns[1].to_client.rst);
    EXPECT_EQ(conns[2].to_server.bytes, "QUIT\r\n");
    EXPECT_EQ(conns[2].to_server.gap_bytes, 15u);
}

TEST(WireTcp, WithoutSynTheFirstSenderIsTheClient) {
    auto conns = reassemble({tcp_frame(1, 30000, 1, 40000, 7, 0, "x")});
    ASSERT_EQ(conns.size(), 1u);
    EXPECT_FALSE(conns[0].syn_seen);
    EXPECT_EQ(conns[0].client_port, 30000);
    EXPECT_EQ(conns[0].to_server.bytes, "x");
}

}  // namespace
}  // namespace fc::wire
