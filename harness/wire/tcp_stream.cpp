#include "harness/wire/tcp_stream.hpp"

namespace fc::wire {

namespace {

std::string key_of(const std::string& a, std::uint16_t ap, const std::string& b, std::uint16_t bp) {
    std::string x = a + "|" + std::to_string(ap), y = b + "|" + std::to_string(bp);
    return x < y ? x + "|" + y : y + "|" + x;
}

// Signed distance from b to a in sequence space (RFC 1982 style).
std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b);
}

}  // namespace

void TcpReassembler::add(const TcpSegment& seg) {
    std::string key = key_of(seg.src, seg.sport, seg.dst, seg.dport);
    auto it = by_key_.find(key);
    bool fresh_syn = seg.syn && !seg.ack_flag;
    if (it == by_key_.end() || (fresh_syn && conns_[it->second].closed)) {
        Live live;
        TcpConnection& c = live.conn;
        // Without the SYN, the first sender is taken as the client; a SYN-ACK names the server.
        bool src_is_client = !(seg.syn && seg.ack_flag);
        c.client_addr = src_is_client ? seg.src : seg.dst;
        c.client_port = src_is_client ? seg.sport : seg.dport;
        c.server_addr = src_is_client ? seg.dst : seg.src;
        c.server_port = src_is_client ? seg.dport : seg.sport;
        c.syn_seen = seg.syn;
        c.first_time = seg.time;
        conns_.push_back(std::move(live));
        by_key_[key] = conns_.size() - 1;
        it = by_key_.find(key);
    }
    Live& live = conns_[it->second];
    bool from_client = seg.src == live.conn.client_addr && seg.sport == live.conn.client_port;
    live.conn.last_time = seg.time;
    take(live, from_client, seg);
}

void TcpReassembler::take(Live& live, bool from_client, const TcpSegment& seg) {
    Side& side = from_client ? live.to_server : live.to_client;
    TcpDirection& dir = from_client ? live.conn.to_server : live.conn.to_client;
    if (seg.syn) {
        live.conn.syn_seen = true;
        side.started = true;
        side.isn = seg.seq + 1;
        side.next = side.isn;
    } else if (!side.started) {
        side.started = true;  // capture began mid-connection: start at the first segment
        side.isn = seg.seq;
        side.next = seg.seq;
    }
    if (seg.rst) {
        dir.rst = true;
        live.closed = true;
    }
    if (seg.fin) {
        dir.fin = true;
        if (live.conn.to_server.fin && live.conn.to_client.fin) {
            live.closed = true;
        }
    }
    if (seg.payload.empty()) {
        return;
    }
    if (dir.first_payload_time == 0.0) {
        dir.first_payload_time = seg.time;
    }
    std::uint32_t start = seg.syn ? seg.seq + 1 : seg.seq;
    std::int32_t behind = seq_diff(side.next, start);
    if (behind == 0 && !seg.payload_cut && side.pending.empty()) {
        // In order with nothing waiting (nearly every segment on loopback): append directly.
        dir.bytes.append(seg.payload);
        side.next += static_cast<std::uint32_t>(seg.payload.size());
        return;
    }
    std::string data = seg.payload;
    if (seg.payload_cut) {
        // The rest of the segment was not captured: what is missing becomes a gap later.
        side.pending[start - side.isn] = data;
        drain(side, dir);
        return;
    }
    if (behind > 0) {  // starts before what we have: a retransmission, maybe with new bytes
        std::size_t old = std::min<std::size_t>(static_cast<std::size_t>(behind), data.size());
        dir.duplicate_bytes += old;
        data.erase(0, old);
        start += static_cast<std::uint32_t>(old);
        if (data.empty()) {
            return;
        }
    }
    auto& slot = side.pending[start - side.isn];
    if (slot.size() < data.size()) {
        dir.duplicate_bytes += slot.size();
        slot = std::move(data);
    } else {
        dir.duplicate_bytes += data.size();
    }
    drain(side, dir);
}

void TcpReassembler::drain(Side& side, TcpDirection& dir) {
    while (!side.pending.empty()) {
        auto first = side.pending.begin();
        std::uint32_t rel_next = side.next - side.isn;
        if (first->first > rel_next) {
            return;  // a hole: wait for more, or for finish()
        }
        std::string data = std::move(first->second);
        std::uint32_t skip = rel_next - first->first;
        side.pending.erase(first);
        if (skip >= data.size()) {
            dir.duplicate_bytes += data.size();
            continue;
        }
        dir.duplicate_bytes += skip;
        dir.bytes.append(data, skip, std::string::npos);
        side.next += static_cast<std::uint32_t>(data.size() - skip);
    }
}

std::vector<TcpConnection> TcpReassembler::finish() {
    std::vector<TcpConnection> out;
    out.reserve(conns_.size());
    for (Live& live : conns_) {
        for (bool client : {true, false}) {
            Side& side = client ? live.to_server : live.to_client;
            TcpDirection& dir = client ? live.conn.to_server : live.conn.to_client;
            // Bytes past a hole are kept only up to the hole: after a gap, a byte stream
            // cannot be parsed reliably, so the gap is recorded instead.
            for (auto& [rel, data] : side.pending) {
                std::uint32_t rel_next = side.next - side.isn;
                if (rel >= rel_next) {
                    dir.gap_bytes += rel - rel_next + data.size();
                    side.next = side.isn + rel + static_cast<std::uint32_t>(data.size());
                }
            }
            side.pending.clear();
        }
        out.push_back(std::move(live.conn));
    }
    return out;
}

}  // namespace fc::wire
