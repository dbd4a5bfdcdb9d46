#pragma once
// A hand-made TLS 1.2 ClientHello offering what no TLS library on this machine will offer
// any more (RC4, 3DES, export-grade and single-DES suites; DEFLATE compression), and the
// first answer to it read as bytes: enough to see whether a server agrees to them, never
// enough to finish a handshake. The reference client's <tls-hello-probe> sends one; the
// reference server's weak-suites-accepted and compression-accepted misbehaviours answer
// one with a ServerHello that agrees (their negative controls). Records and hellos are read
// with tls_parse.hpp, as the wire facts read them.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fc {

enum class HelloOffer {
    rc4,      ///< RC4 suites only (RFC 7465, RFC 9325 4.1)
    des3,     ///< 3DES suites only: 112 bits (RFC 9325 4.1, should not)
    export_,  ///< export-grade (40-bit) and single-DES (56-bit) suites only (RFC 9325 4.1)
    deflate,  ///< ordinary suites, compression methods DEFLATE then null (RFC 9325 3.3)
};

/// The names <tls-hello-probe offer="..."> takes: rc4, 3des, export, deflate.
std::span<const std::string_view> hello_offer_names();
std::optional<HelloOffer> parse_hello_offer(std::string_view name);

/// The cipher suites the probe offers (TLS_EMPTY_RENEGOTIATION_INFO_SCSV comes on top).
std::span<const std::uint16_t> hello_offer_suites(HelloOffer offer);
/// An RC4, 3DES, single-DES or export suite: what OpenSSL 3 cannot negotiate at all.
bool is_legacy_weak_suite(std::uint16_t suite);
/// "TLS_RSA_WITH_RC4_128_SHA (0x0005)"; unknown suites by number only.
std::string suite_name(std::uint16_t suite);

/// One TLS record (type handshake) holding a TLS 1.2 ClientHello for `offer`, with no
/// session to resume; `sni` is sent as server_name unless empty or an IP address.
std::string probe_client_hello(HelloOffer offer, std::string_view sni);

/// The first thing a server sent after a probe.
struct HelloAnswer {
    enum class Kind {
        incomplete,    ///< not a whole record (or ServerHello) yet: read more
        server_hello,  ///< it agreed to something: version, suite, compression
        alert,         ///< it refused: alert_level, alert_description
        other,         ///< TLS, but neither (detail says what)
        not_tls,       ///< bytes that are no TLS record (e.g. an FTP reply in clear)
    };
    Kind kind = Kind::incomplete;
    std::uint16_t version = 0;
    std::uint16_t suite = 0;
    std::uint8_t compression = 0;
    std::uint8_t alert_level = 0;
    std::uint8_t alert_description = 0;
    std::string detail;
};
HelloAnswer read_hello_answer(std::string_view bytes);

/// What a ClientHello offers, for a server that answers by hand.
struct OfferedHello {
    std::vector<std::uint16_t> suites;
    std::vector<std::uint8_t> compression;
};
/// Reads a whole ClientHello from the start of `bytes` (one or more handshake records);
/// nullopt when `bytes` holds no whole ClientHello (yet, or at all).
std::optional<OfferedHello> read_offered_hello(std::string_view bytes);
/// A TLS 1.2 ServerHello record choosing `suite` and `compression` (a fresh random, no
/// session id, no extensions): all a misbehaving server sends before it closes.
std::string server_hello_record(std::uint16_t suite, std::uint8_t compression);

}  // namespace fc
