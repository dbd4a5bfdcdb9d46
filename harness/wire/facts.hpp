#pragma once
// Wire facts: what each TCP connection of a capture carried, for assertions and reports.
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "harness/wire/keylog.hpp"
#include "harness/wire/packet.hpp"
#include "harness/wire/tls_session.hpp"

namespace fc::wire {

/// FTP's view of a connection.
enum class Role { control, data };
/// "control" or "data".
const char* to_string(Role r);

/// What one TCP endpoint sent on a connection.
struct WireSender {
    std::uint64_t tcp_bytes = 0;    ///< TCP payload bytes (each counted once)
    std::uint64_t clear_bytes = 0;  ///< of those, bytes outside TLS records
    std::uint64_t app_bytes = 0;    ///< application data inside TLS (see TlsSenderFacts)
    bool app_bytes_plaintext = false;
    Tri close_notify = Tri::unknown;  ///< no when it never spoke TLS
    std::vector<std::string> alerts;
    bool fin = false, rst = false;
    std::uint64_t gap_bytes = 0;  ///< bytes missing from the capture
};

/// One TCP connection, its FTP role and its TLS session if it had one.
struct WireConnection {
    int index = 0;                         ///< 1-based, in the order the connections began
    std::string client_addr, server_addr;  ///< TCP roles: who connected to whom
    std::uint16_t client_port = 0, server_port = 0;
    bool syn_seen = false;  ///< false: the capture began mid-connection (roles are a guess)
    Role role = Role::data;
    double start = 0.0, end = 0.0;  ///< capture times of its first and last segment
    WireSender from_client, from_server;

    bool has_payload = false;      ///< any byte was carried at all
    bool starts_with_tls = false;  ///< the first payload byte began a TLS handshake record
    std::string first_bytes;       ///< the first payload bytes (up to 24), C-escaped, for reasons
    /// Clear FTP text came first and TLS followed it (explicit FTPS: AUTH, then 234).
    bool text_then_tls = false;
    std::string auth_command;  ///< the client's last clear line before TLS, e.g. "AUTH TLS"
    int reply_before_tls = 0;  ///< the server's last clear reply code before TLS (234)
    /// The TLS session; tls.client_hello is false when the connection never spoke TLS.
    TlsFacts tls;
    bool tls_client_is_tcp_client = true;  ///< false e.g. for an active-mode data connection
                                           ///< whose FTP client is the TLS client
    /// The FTP client's side in TLS terms: RFC 4217 makes it the TLS client.
    const WireSender& tls_client() const {
        return tls_client_is_tcp_client ? from_client : from_server;
    }
    const WireSender& tls_server() const {
        return tls_client_is_tcp_client ? from_server : from_client;
    }
    /// "127.0.0.1:40312 -> 127.0.0.1:2121".
    std::string endpoints() const;
    std::vector<std::string> notes;
};

/// How connections are told apart: the servers' control ports (and nothing else) are
/// control connections. Without ports, a connection whose server greets with an FTP reply
/// ("220 ...") or whose client opens with a command is control.
struct WireRoles {
    std::set<std::uint16_t> control_ports;
};

/// Everything read from one capture.
struct WireFacts {
    std::vector<WireConnection> connections;
    /// Why the capture could not be read ("" when it was); facts are then incomplete.
    std::string error;
    std::vector<std::string> warnings;  ///< key log line errors, a truncated capture, ...
    std::size_t frames = 0;
    bool keylog_loaded = false;  ///< a key log with at least one secret was given
    /// The data connections (or control ones), in order.
    std::vector<const WireConnection*> of_role(Role r) const;
};

/// Reads facts from frames with the secrets of `keys` (may be empty).
WireFacts analyse_frames(const FrameList& frames, const KeyLog& keys, const WireRoles& roles);

/// Reads a capture file and, when `keylog` is not empty, its key log. Never throws for bad
/// input: WireFacts::error says what went wrong.
WireFacts read_wire_facts(const std::filesystem::path& capture, const std::filesystem::path& keylog,
                          const WireRoles& roles);

}  // namespace fc::wire
