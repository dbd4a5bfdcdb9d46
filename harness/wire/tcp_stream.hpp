#pragma once
// TCP connections rebuilt from captured segments: one byte stream per direction, in sequence
// order, with retransmissions and overlaps taken once, and the connection's flags.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/wire/packet.hpp"

namespace fc::wire {

/// One direction of a connection.
struct TcpDirection {
    std::string bytes;                  ///< the payload, reassembled in sequence order
    double first_payload_time = 0.0;    ///< capture time of the first payload byte; 0 if none
    bool fin = false, rst = false;      ///< this side sent a FIN / a RST
    std::uint64_t gap_bytes = 0;        ///< bytes never seen (lost or cut by the snaplen)
    std::uint64_t duplicate_bytes = 0;  ///< bytes seen more than once (retransmissions)
};

/// One TCP connection as the capture saw it.
struct TcpConnection {
    std::string client_addr, server_addr;
    std::uint16_t client_port = 0, server_port = 0;
    /// True when the SYN was captured, so which side connected is known; otherwise the side
    /// that sent the first captured segment is taken as the client.
    bool syn_seen = false;
    double first_time = 0.0, last_time = 0.0;
    TcpDirection to_server, to_client;  ///< client→server and server→client
};

/// Rebuilds connections from segments (in capture order). A new SYN on a 4-tuple whose
/// earlier connection has ended starts a new connection. Connections are in the order of
/// their first segment.
class TcpReassembler {
public:
    void add(const TcpSegment& seg);
    /// Flushes what is still held out of order (after a gap) and returns every connection.
    std::vector<TcpConnection> finish();

private:
    struct Side {
        bool started = false;
        std::uint32_t next = 0;                        // next expected sequence number
        std::map<std::uint32_t, std::string> pending;  // out-of-order, by relative offset
        std::uint32_t isn = 0;
    };
    struct Live {
        TcpConnection conn;
        Side to_server, to_client;
        bool closed = false;
    };
    void take(Live& live, bool from_client, const TcpSegment& seg);
    static void drain(Side& side, TcpDirection& dir);

    std::vector<Live> conns_;
    std::map<std::string, std::size_t> by_key_;  // 4-tuple → index of the newest connection
};

}  // namespace fc::wire
