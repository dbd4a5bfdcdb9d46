#pragma once
// Reading capture files (pcap and pcapng, as tcpdump and dumpcap write them) and decoding
// their frames down to TCP segments. Only what a loopback FTPS capture needs: Ethernet,
// Linux cooked (v1 and v2), BSD loopback and raw IP link types; IPv4 and IPv6; TCP.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fc::wire {

/// One captured frame as stored in the file.
struct Frame {
    double time = 0.0;           ///< seconds since the epoch
    std::uint32_t link = 0;      ///< link type (LINKTYPE_*) of the interface it was taken on
    std::uint32_t wire_len = 0;  ///< length on the wire; > data.size() when cut by the snaplen
    std::string data;            ///< the captured bytes
};

/// Every frame of a capture file, or why it could not be read.
struct FrameList {
    std::vector<Frame> frames;
    std::string format;      ///< "pcap" or "pcapng"
    std::string error;       ///< "" when the whole file was read; frames before a fault are kept
    bool truncated = false;  ///< the file ended inside a record (a capture still being written)
};

/// A frame as a scan hands it out: `data` points into the scanner's buffer and is valid only
/// during the callback.
struct FrameView {
    double time = 0.0;
    std::uint32_t link = 0;
    std::uint32_t wire_len = 0;
    std::string_view data;
};
using FrameCallback = std::function<void(const FrameView&)>;

/// What a scan found besides its frames (FrameList's fields, and how many frames).
struct ScanResult {
    std::string format, error;
    bool truncated = false;
    std::size_t frames = 0;
};

/// Calls `each` for every frame of a pcap or pcapng image held in memory, in file order.
ScanResult scan_capture(std::string_view bytes, const FrameCallback& each);

/// Likewise for a capture file, read a megabyte at a time: the memory a scan takes does not
/// grow with the file (a 16 MiB transfer's capture is about 34 MB). A missing or unreadable
/// file sets `error`; frames before a fault have been handed out.
ScanResult scan_capture_file(const std::filesystem::path& path, const FrameCallback& each);

/// Parses a pcap or pcapng image held in memory (the format is found from its magic).
FrameList parse_capture(std::string_view bytes);

/// Reads and parses a capture file, every frame copied. A missing or unreadable file sets
/// `error`. (read_wire_facts scans instead.)
FrameList read_capture_file(const std::filesystem::path& path);

/// A TCP segment decoded from a frame.
struct TcpSegment {
    double time = 0.0;
    std::string src, dst;  ///< numeric addresses ("127.0.0.1", "::1")
    std::uint16_t sport = 0, dport = 0;
    std::uint32_t seq = 0, ack = 0;
    bool syn = false, ack_flag = false, fin = false, rst = false;
    std::string payload;       ///< the captured TCP payload
    bool payload_cut = false;  ///< the frame was cut by the snaplen: payload incomplete
};

/// Decodes a frame into a TCP segment. False for anything else (ARP, UDP, IP fragments,
/// unknown link types) and for malformed headers.
bool decode_tcp(const FrameView& frame, TcpSegment& out);
bool decode_tcp(const Frame& frame, TcpSegment& out);

/// The two ends of a TCP or UDP packet, found without copying its payload: what routing a
/// frame to the capture that wants it needs (capture_hub.cpp); decode_tcp() builds on it.
struct PacketEnds {
    std::uint8_t protocol = 0;  ///< 6 TCP, 17 UDP
    std::string src, dst;       ///< numeric addresses
    std::uint16_t sport = 0, dport = 0;
    std::string_view transport;  ///< the TCP or UDP header and payload, into the frame's bytes
    std::string_view payload;    ///< the payload alone, into the frame's bytes
};

/// Decodes the IP and TCP/UDP headers of a frame's bytes (`link`: its LINKTYPE_*). False for
/// other protocols, IPv4 fragments, unknown link types and malformed headers.
bool decode_ends(std::string_view data, std::uint32_t link, PacketEnds& out);

/// Link types understood by decode_tcp().
inline constexpr std::uint32_t kLinkNull = 0, kLinkEthernet = 1, kLinkRaw = 101,
                               kLinkLinuxSll = 113, kLinkIpv4 = 228, kLinkIpv6 = 229,
                               kLinkLinuxSll2 = 276;

}  // namespace fc::wire
