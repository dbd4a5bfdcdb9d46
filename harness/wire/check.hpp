#pragma once
// Assertions on wire facts: what a scenario's title claims, checked against what crossed
// the wire. A fact the capture cannot show makes the assertion unsupported, never a pass.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "harness/wire/facts.hpp"

namespace fc::wire {

/// The kinds of wire assertion.
enum class WireKind {
    data_protected,    ///< every data connection is TLS from its first byte to its last
    tls_version,       ///< every connection in scope negotiated WireExpect::version
    data_resumed,      ///< every data connection resumed a TLS session
    client_cert_sent,  ///< the client presented a certificate on every connection in scope
    close_notify,      ///< WireExpect::side sent close_notify on every connection in scope
    no_clear_data,     ///< no byte of any data connection travelled outside TLS
};

/// Parses "data-protected", "tls-version", "data-resumed", "client-cert-sent",
/// "close-notify", "no-clear-data".
std::optional<WireKind> parse_wire_kind(std::string_view name);
/// The name parse_wire_kind() accepts.
const char* to_string(WireKind kind);

/// Which connections an assertion covers.
enum class WireScope { data, control, all };
/// Which FTP side (RFC 4217: the TLS client is the FTP client on every connection).
enum class WireSide { client, server };

/// One assertion.
struct WireExpect {
    WireKind kind = WireKind::data_protected;
    /// tls_version: "1.2" or "1.3" ("TLS 1.2" is accepted too).
    std::string version;
    WireSide side = WireSide::client;  ///< close_notify: who must send it
    /// Connections covered; when unset: all for tls_version, control for client_cert_sent,
    /// data for the rest.
    std::optional<WireScope> scope;
    /// close_notify: only data connections on which the client sent application data.
    bool uploads_only = false;
};

/// An assertion of `kind` with its defaults (and, for tls_version, the version).
inline WireExpect wire_expect(WireKind kind, std::string version = "") {
    WireExpect e;
    e.kind = kind;
    e.version = std::move(version);
    return e;
}

/// The verdict of one assertion.
enum class WireOutcome { pass, fail, unsupported };
/// "pass", "fail", "unsupported".
const char* to_string(WireOutcome o);

/// The outcome and a reason a person can act on, naming the connection at fault, e.g.
/// "data connection #3 127.0.0.1:40312 -> 127.0.0.1:30001 began in clear: '-rw-r--r-- 1'".
struct WireCheck {
    WireOutcome outcome = WireOutcome::unsupported;
    std::string reason;
};

/// Evaluates one assertion. Connections whose SYN is not in the capture began before it
/// (e.g. the tail of a previous cell on a pooled server) and are ignored. Any connection
/// that violates the assertion makes it fail; otherwise any
/// connection whose fact is unknown (no key, capture unreadable) makes it unsupported;
/// an assertion about data connections with none in the capture fails.
WireCheck check_wire(const WireFacts& facts, const WireExpect& expect);

}  // namespace fc::wire
