#include "harness/wire/packet.hpp"

#include <arpa/inet.h>

#include <cstring>
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

// Scans a capture's records in order, fed the file's bytes piece by piece: each feed()
// consumes the whole records at the front of what it is given and says how many bytes that
// was; the caller keeps the rest (a record cut by the piece's end) and appends the next piece.
// Frames are handed out as views, valid during the callback only, so a capture of any size is
// read in the memory of one piece.
class Scanner {
public:
    explicit Scanner(const FrameCallback& each) : each_(each) {}

    // `data` starts at file offset `offset`; returns the bytes consumed. After an error
    // (result().error) it consumes nothing more.
    std::size_t feed(std::string_view data, std::size_t offset) {
        std::size_t at = 0;
        if (kind_ == Kind::unknown) {
            if (data.size() < 4) {
                return 0;
            }
            std::uint32_t m = Bytes{data, true}.u32(0);
            if (m == 0x0a0d0d0a) {
                kind_ = Kind::pcapng;
                result_.format = "pcapng";
            } else if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1) {
                kind_ = Kind::pcap;
                result_.format = "pcap";
            } else {
                fail("not a pcap or pcapng file");
                return 0;
            }
        }
        if (kind_ == Kind::pcap && !pcap_header_) {
            if (data.size() < 24) {
                return 0;
            }
            std::uint32_t magic_le = Bytes{data, true}.u32(0);
            if (magic_le == 0xa1b2c3d4 || magic_le == 0xa1b23c4d) {
                nanos_ = magic_le == 0xa1b23c4d;
            } else {
                little_ = false;
                nanos_ = Bytes{data, false}.u32(0) == 0xa1b23c4d;
            }
            link_ = Bytes{data, little_}.u32(20) & 0x0fffffff;  // upper bits: FCS flags
            pcap_header_ = true;
            at = 24;
        }
        while (!failed_) {
            std::size_t used = kind_ == Kind::pcap ? pcap_record(data.substr(at), offset + at)
                                                   : pcapng_block(data.substr(at), offset + at);
            if (used == 0) {
                break;
            }
            at += used;
        }
        return at;
    }

    bool failed() const { return failed_; }

    // The end of the file, with `left` bytes that no feed() consumed.
    const ScanResult& finish(std::size_t left) {
        if (!failed_) {
            if (kind_ == Kind::unknown) {
                fail(left == 0 ? "the capture file is empty" : "not a pcap or pcapng file");
            } else if (kind_ == Kind::pcap && !pcap_header_) {
                fail("pcap header cut short");
            } else if (left > 0) {
                result_.truncated = true;
            }
        }
        return result_;
    }

private:
    enum class Kind { unknown, pcap, pcapng };
    struct Iface {
        std::uint32_t link = 0;
        double tick = 1e-6;  // seconds per timestamp unit (if_tsresol, default microseconds)
    };

    void fail(std::string why) {
        failed_ = true;
        result_.error = std::move(why);
    }
    void emit(double time, std::uint32_t link, std::uint32_t wire_len, std::string_view bytes) {
        ++result_.frames;
        each_(FrameView{time, link, wire_len, bytes});
    }

    // One pcap record at the front of `d`: its size, or 0 when `d` does not hold it whole.
    std::size_t pcap_record(std::string_view d, std::size_t offset) {
        if (d.size() < 16) {
            return 0;
        }
        Bytes r{d, little_};
        std::uint32_t sec = r.u32(0), frac = r.u32(4), caplen = r.u32(8), len = r.u32(12);
        if (caplen > 0x4000000) {
            fail("pcap record at offset " + std::to_string(offset) + " has a bad length");
            return 0;
        }
        if (d.size() - 16 < caplen) {
            return 0;
        }
        emit(sec + frac / (nanos_ ? 1e9 : 1e6), link_, len, d.substr(16, caplen));
        return 16 + caplen;
    }

    // One pcapng block at the front of `d`, likewise.
    std::size_t pcapng_block(std::string_view d, std::size_t offset) {
        if (d.size() < 12) {
            return 0;
        }
        std::uint32_t type = Bytes{d, little_}.u32(0);
        if (type == 0x0a0d0d0a) {  // section header: its byte-order magic decides the order
            little_ = Bytes{d, true}.u32(8) == 0x1a2b3c4d;
            ifaces_.clear();
        }
        Bytes r{d, little_};
        std::uint32_t len = r.u32(4);
        if (len < 12 || len % 4 != 0) {
            fail("pcapng block at offset " + std::to_string(offset) + " has a bad length");
            return 0;
        }
        if (d.size() < len) {
            return 0;
        }
        std::string_view body = d.substr(8, len - 12);
        if (type == 1 && body.size() >= 8) {  // interface description
            Iface iface;
            iface.link = r.u16(8);
            for (std::size_t o = 8; o + 4 <= body.size();) {  // options: look for if_tsresol
                std::uint16_t code = Bytes{body, little_}.u16(o),
                              olen = Bytes{body, little_}.u16(o + 2);
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
            ifaces_.push_back(iface);
        } else if (type == 6 && body.size() >= 20) {  // enhanced packet
            Bytes b{body, little_};
            std::uint32_t id = b.u32(0), caplen = b.u32(12), wire = b.u32(16);
            if (id >= ifaces_.size() || caplen > body.size() - 20) {
                fail("pcapng packet at offset " + std::to_string(offset) + " is malformed");
                return 0;
            }
            std::uint64_t ts = (std::uint64_t{b.u32(4)} << 32) | b.u32(8);
            emit(static_cast<double>(ts) * ifaces_[id].tick, ifaces_[id].link, wire,
                 body.substr(20, caplen));
        } else if (type == 3 && body.size() >= 4 && !ifaces_.empty()) {  // simple packet
            std::uint32_t wire = Bytes{body, little_}.u32(0);
            emit(0.0, ifaces_[0].link, wire,
                 body.substr(4, std::min<std::size_t>(wire, body.size() - 4)));
        }
        return len;
    }

    const FrameCallback& each_;
    ScanResult result_;
    Kind kind_ = Kind::unknown;
    bool failed_ = false;
    bool pcap_header_ = false, little_ = true, nanos_ = false;
    std::uint32_t link_ = 0;
    std::vector<Iface> ifaces_;
};

}  // namespace

ScanResult scan_capture(std::string_view bytes, const FrameCallback& each) {
    Scanner scanner(each);
    std::size_t used = scanner.feed(bytes, 0);
    return scanner.finish(bytes.size() - used);
}

ScanResult scan_capture_file(const std::filesystem::path& path, const FrameCallback& each) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ScanResult out;
        out.error = "cannot read " + path.string();
        return out;
    }
    Scanner scanner(each);
    // A piece of the file at a time into one buffer: the bytes a feed() left (a record cut by
    // the piece's end) move to its front and the next read fills the rest. A record longer
    // than the buffer (a frame of up to 256 KiB) doubles it.
    std::vector<char> buf(256 * 1024);
    std::size_t held = 0;    // bytes in buf not yet consumed
    std::size_t offset = 0;  // file offset of buf[0]
    while (true) {
        if (held == buf.size()) {
            buf.resize(buf.size() * 2);
        }
        in.read(buf.data() + held, static_cast<std::streamsize>(buf.size() - held));
        held += static_cast<std::size_t>(in.gcount());
        std::size_t used = scanner.feed(std::string_view(buf.data(), held), offset);
        std::memmove(buf.data(), buf.data() + used, held - used);
        held -= used;
        offset += used;
        if (!in || scanner.failed()) {
            break;
        }
    }
    ScanResult out = scanner.finish(held);
    if (!out.error.empty()) {
        out.error = path.string() + ": " + out.error;
    }
    return out;
}

namespace {

FrameList collect(const std::function<ScanResult(const FrameCallback&)>& scan) {
    FrameList out;
    ScanResult r = scan([&](const FrameView& v) {
        out.frames.push_back(Frame{v.time, v.link, v.wire_len, std::string(v.data)});
    });
    out.format = r.format;
    out.error = r.error;
    out.truncated = r.truncated;
    return out;
}

}  // namespace

FrameList parse_capture(std::string_view bytes) {
    return collect([&](const FrameCallback& each) { return scan_capture(bytes, each); });
}

FrameList read_capture_file(const std::filesystem::path& path) {
    return collect([&](const FrameCallback& each) { return scan_capture_file(path, each); });
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
    return decode_tcp(FrameView{frame.time, frame.link, frame.wire_len, frame.data}, out);
}

bool decode_tcp(const FrameView& frame, TcpSegment& out) {
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
