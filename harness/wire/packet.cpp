#include "harness/wire/packet.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <iterator>
#include <optional>

namespace fc::wire {

namespace {

// Reads integers of a given byte order from a byte view, with bounds checks by the caller.
struct Bytes {
    std::string_view b;
    bool little = true;
    std::uint16_t u16(std::size_t at) const {
        auto x = [&](std::size_t i) { return static_cast<std::uint16_t>(std::uint8_t(b[at + i])); };
        return little ? static_cast<std::uint16_t>(x(0) | x(1) << 8)
                      : static_cast<std::uint16_t>(x(0) << 8 | x(1));
    }
    std::uint32_t u32(std::size_t at) const {
        auto x = [&](std::size_t i) { return static_cast<std::uint32_t>(std::uint8_t(b[at + i])); };
        return little ? x(0) | x(1) << 8 | x(2) << 16 | x(3) << 24
                      : x(0) << 24 | x(1) << 16 | x(2) << 8 | x(3);
    }
};

std::uint16_t be16(std::string_view b, std::size_t at) {
    return Bytes{b, false}.u16(at);
}
std::uint32_t be32(std::string_view b, std::size_t at) {
    return Bytes{b, false}.u32(at);
}

FrameList parse_pcap(std::string_view data) {
    FrameList out;
    out.format = "pcap";
    if (data.size() < 24) {
        out.error = "pcap header cut short";
        return out;
    }
    std::uint32_t magic_le = Bytes{data, true}.u32(0);
    Bytes r{data, true};
    bool nanos = false;
    if (magic_le == 0xa1b2c3d4 || magic_le == 0xa1b23c4d) {
        nanos = magic_le == 0xa1b23c4d;
    } else {
        r.little = false;
        nanos = Bytes{data, false}.u32(0) == 0xa1b23c4d;
    }
    std::uint32_t link = r.u32(20) & 0x0fffffff;  // upper bits: FCS flags
    std::size_t at = 24;
    while (at < data.size()) {
        if (data.size() - at < 16) {
            out.truncated = true;
            break;
        }
        std::uint32_t sec = r.u32(at), frac = r.u32(at + 4), caplen = r.u32(at + 8),
                      len = r.u32(at + 12);
        if (caplen > 0x4000000) {
            out.error = "pcap record at offset " + std::to_string(at) + " has a bad length";
            break;
        }
        if (data.size() - at - 16 < caplen) {
            out.truncated = true;
            break;
        }
        Frame f;
        f.time = sec + frac / (nanos ? 1e9 : 1e6);
        f.link = link;
        f.wire_len = len;
        f.data.assign(data.substr(at + 16, caplen));
        out.frames.push_back(std::move(f));
        at += 16 + caplen;
    }
    return out;
}

FrameList parse_pcapng(std::string_view data) {
    FrameList out;
    out.format = "pcapng";
    struct Iface {
        std::uint32_t link = 0;
        double tick = 1e-6;  // seconds per timestamp unit (if_tsresol, default microseconds)
    };
    std::vector<Iface> ifaces;
    Bytes r{data, true};
    std::size_t at = 0;
    while (at < data.size()) {
        if (data.size() - at < 12) {
            out.truncated = true;
            break;
        }
        std::uint32_t type = r.u32(at);
        if (type == 0x0a0d0d0a) {  // section header: its byte-order magic decides the order
            std::uint32_t bom = Bytes{data, true}.u32(at + 8);
            r.little = bom == 0x1a2b3c4d;
            ifaces.clear();
        }
        std::uint32_t len = r.u32(at + 4);
        if (len < 12 || len % 4 != 0) {
            out.error = "pcapng block at offset " + std::to_string(at) + " has a bad length";
            break;
        }
        if (data.size() - at < len) {
            out.truncated = true;
            break;
        }
        std::string_view body = data.substr(at + 8, len - 12);
        if (type == 1 && body.size() >= 8) {  // interface description
            Iface iface;
            iface.link = r.u16(at + 8);
            for (std::size_t o = 8; o + 4 <= body.size();) {  // options: look for if_tsresol
                std::uint16_t code = Bytes{body, r.little}.u16(o),
                              olen = Bytes{body, r.little}.u16(o + 2);
                if (code == 0 || o + 4 + olen > body.size()) {
                    break;
                }
                if (code == 9 && olen >= 1) {
                    auto v = static_cast<std::uint8_t>(body[o + 4]);
                    double base = (v & 0x80) ? 2.0 : 10.0;
                    double tick = 1.0;
                    for (int i = 0; i < (v & 0x7f); ++i) {
                        tick /= base;
                    }
                    iface.tick = tick;
                }
                o += 4 + ((olen + 3u) & ~3u);
            }
            ifaces.push_back(iface);
        } else if (type == 6 && body.size() >= 20) {  // enhanced packet
            Bytes b{body, r.little};
            std::uint32_t id = b.u32(0), caplen = b.u32(12), wire = b.u32(16);
            if (id >= ifaces.size() || caplen > body.size() - 20) {
                out.error = "pcapng packet at offset " + std::to_string(at) + " is malformed";
                break;
            }
            std::uint64_t ts = (std::uint64_t{b.u32(4)} << 32) | b.u32(8);
            Frame f;
            f.time = static_cast<double>(ts) * ifaces[id].tick;
            f.link = ifaces[id].link;
            f.wire_len = wire;
            f.data.assign(body.substr(20, caplen));
            out.frames.push_back(std::move(f));
        } else if (type == 3 && body.size() >= 4 && !ifaces.empty()) {  // simple packet
            Frame f;
            f.link = ifaces[0].link;
            f.wire_len = Bytes{body, r.little}.u32(0);
            f.data.assign(body.substr(4, std::min<std::size_t>(f.wire_len, body.size() - 4)));
            out.frames.push_back(std::move(f));
        }
        at += len;
    }
    return out;
}

}  // namespace

FrameList parse_capture(std::string_view bytes) {
    if (bytes.size() >= 4) {
        std::uint32_t m = Bytes{bytes, true}.u32(0);
        if (m == 0x0a0d0d0a) {
            return parse_pcapng(bytes);
        }
        if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1) {
            return parse_pcap(bytes);
        }
    }
    FrameList out;
    out.error = bytes.empty() ? "the capture file is empty" : "not a pcap or pcapng file";
    return out;
}

FrameList read_capture_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        FrameList out;
        out.error = "cannot read " + path.string();
        return out;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    FrameList out = parse_capture(bytes);
    if (!out.error.empty()) {
        out.error = path.string() + ": " + out.error;
    }
    return out;
}

namespace {

// The IP packet inside a frame of link type `link`; nullopt for other link types and
// protocols (ARP, ...) or a frame too short for its link header.
std::optional<std::string_view> ip_packet(std::string_view d, std::uint32_t link) {
    std::uint16_t ethertype = 0;
    std::size_t at = 0;
    switch (link) {
        case kLinkEthernet:
            if (d.size() < 14) {
                return std::nullopt;
            }
            ethertype = be16(d, 12);
            at = 14;
            while (ethertype == 0x8100 && d.size() >= at + 4) {  // VLAN tags
                ethertype = be16(d, at + 2);
                at += 4;
            }
            break;
        case kLinkLinuxSll:
            if (d.size() < 16) {
                return std::nullopt;
            }
            ethertype = be16(d, 14);
            at = 16;
            break;
        case kLinkLinuxSll2:
            if (d.size() < 20) {
                return std::nullopt;
            }
            ethertype = be16(d, 0);
            at = 20;
            break;
        case kLinkNull:  // a host-order 4-byte family: 2 is IPv4, 24/28/30 IPv6
            if (d.size() < 4) {
                return std::nullopt;
            }
            at = 4;
            break;
        case kLinkRaw:
        case kLinkIpv4:
        case kLinkIpv6: break;
        default: return std::nullopt;
    }
    if (ethertype != 0 && ethertype != 0x0800 && ethertype != 0x86dd) {
        return std::nullopt;
    }
    return d.substr(at);
}

}  // namespace

bool decode_ends(std::string_view data, std::uint32_t link, PacketEnds& out) {
    auto ip = ip_packet(data, link);
    if (!ip || ip->empty()) {
        return false;
    }
    std::string_view p = *ip;
    char text[INET6_ADDRSTRLEN] = {};
    std::string_view transport;
    int version = static_cast<std::uint8_t>(p[0]) >> 4;
    if (version == 4) {
        if (p.size() < 20) {
            return false;
        }
        std::size_t ihl = (static_cast<std::uint8_t>(p[0]) & 0x0f) * 4u;
        if (ihl < 20 || p.size() < ihl || (be16(p, 6) & 0x3fff) != 0) {
            return false;  // a fragment: loopback traffic has none
        }
        // Ethernet may pad a short frame: the IP total length says where the packet ends
        std::size_t total = be16(p, 2);
        if (total >= ihl && total < p.size()) {
            p = p.substr(0, total);
        }
        out.protocol = static_cast<std::uint8_t>(p[9]);
        out.src = ::inet_ntop(AF_INET, p.data() + 12, text, sizeof text);
        out.dst = ::inet_ntop(AF_INET, p.data() + 16, text, sizeof text);
        transport = p.substr(ihl);
    } else if (version == 6) {
        if (p.size() < 40) {
            return false;  // extension headers are not followed: loopback FTPS has none
        }
        std::size_t total = 40u + be16(p, 4);
        if (total < p.size()) {
            p = p.substr(0, total);
        }
        out.protocol = static_cast<std::uint8_t>(p[6]);
        out.src = ::inet_ntop(AF_INET6, p.data() + 8, text, sizeof text);
        out.dst = ::inet_ntop(AF_INET6, p.data() + 24, text, sizeof text);
        transport = p.substr(40);
    } else {
        return false;
    }
    std::size_t header = 0;
    if (out.protocol == 6 && transport.size() >= 20) {
        header = (static_cast<std::uint8_t>(transport[12]) >> 4) * 4u;
        if (header < 20 || header > transport.size()) {
            return false;
        }
    } else if (out.protocol == 17 && transport.size() >= 8) {
        header = 8;
    } else {
        return false;
    }
    out.sport = be16(transport, 0);
    out.dport = be16(transport, 2);
    out.transport = transport;
    out.payload = transport.substr(header);
    return true;
}

bool decode_tcp(const Frame& frame, TcpSegment& out) {
    PacketEnds ends;
    if (!decode_ends(frame.data, frame.link, ends) || ends.protocol != 6) {
        return false;
    }
    std::string_view tcp = ends.transport;
    auto flags = static_cast<std::uint8_t>(tcp[13]);
    out.time = frame.time;
    out.src = std::move(ends.src);
    out.dst = std::move(ends.dst);
    out.sport = ends.sport;
    out.dport = ends.dport;
    out.seq = be32(tcp, 4);
    out.ack = be32(tcp, 8);
    out.fin = flags & 0x01;
    out.syn = flags & 0x02;
    out.rst = flags & 0x04;
    out.ack_flag = flags & 0x10;
    out.payload.assign(ends.payload);
    out.payload_cut = frame.wire_len > frame.data.size();
    return true;
}

}  // namespace fc::wire
