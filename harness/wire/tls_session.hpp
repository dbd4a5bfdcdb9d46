#pragma once
// One TLS session read from the two byte streams of a connection: the hellos, the
// negotiated version and suite, resumption, the client certificate, alerts and application
// data, decrypted with a key log where it has this connection's secrets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/tls/tls_parse.hpp"
#include "harness/wire/keylog.hpp"

namespace fc::wire {

/// A fact that the capture may not show: unknown is never reported as yes or no.
enum class Tri { no, yes, unknown };
/// "no", "yes", "unknown".
const char* to_string(Tri t);

/// What one TLS peer sent.
struct TlsSenderFacts {
    std::size_t tls_end = 0;   ///< offset in its stream where the TLS records stop
    bool tls_partial = false;  ///< its stream ends inside a record
    /// Application data: plaintext bytes when decrypted, else the protected records' payload
    /// sizes (TLS 1.3 without keys: every protected record, handshake ones included).
    std::uint64_t app_bytes = 0;
    bool app_bytes_plaintext = false;
    Tri close_notify = Tri::unknown;
    std::vector<std::string> alerts;  ///< alert names in order; "encrypted alert" if unread
    std::size_t protected_records = 0, opened_records = 0;
    bool change_cipher_spec = false;  ///< TLS 1.2: it switched to protected records
    bool finished = false;            ///< its Finished was read (decrypted)
};

/// The session as both streams show it.
struct TlsFacts {
    bool client_hello = false;  ///< a ClientHello was parsed
    bool client_is_a = true;    ///< the first stream passed to analyse_tls() is the TLS client's
    bool server_hello = false;  ///< a (final) ServerHello was parsed
    bool hello_retry = false;   ///< a HelloRetryRequest came first
    ClientHello ch;
    ServerHello sh;
    std::uint16_t version = 0;  ///< negotiated (0 until a ServerHello)
    Tri resumed = Tri::unknown;
    std::string resumed_how;  ///< "psk", "session id", "session ticket"; or why not / unknown
    Tri cert_requested = Tri::unknown;  ///< the server asked for a client certificate
    Tri client_cert_sent = Tri::unknown;
    TlsSenderFacts client, server;
    /// "decrypted", or why not: "no key log", "no key for this connection in the key log",
    /// "cipher suite ... is not decrypted here", "some records did not decrypt".
    std::string keys;
    std::vector<std::string> notes;  ///< parse problems and other oddities
};

/// Analyses the streams `a` and `b` of one connection from where each one's TLS starts (each
/// may be empty; either may hold the ClientHello). `keys` may be null (no key log).
TlsFacts analyse_tls(std::string_view a, std::string_view b, const KeyLog* keys);

}  // namespace fc::wire
