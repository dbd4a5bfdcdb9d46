#pragma once
// TLS as seen on the wire: records, handshake messages and the two hellos (RFC 5246, 8446).
// Parsers take untrusted bytes: every length is checked, nothing is read past the input.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fc {

/// Record content types.
inline constexpr std::uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22,
                              kApplicationData = 23;
/// Handshake message types used here.
inline constexpr std::uint8_t kClientHelloMsg = 1, kServerHelloMsg = 2, kNewSessionTicketMsg = 4,
                              kCertificateMsg = 11, kCertificateRequestMsg = 13,
                              kServerHelloDoneMsg = 14, kFinishedMsg = 20, kKeyUpdateMsg = 24;

/// One TLS record.
struct TlsRecord {
    std::uint8_t type = 0;
    std::uint16_t version = 0;
    std::string_view fragment;  ///< points into the scanned stream
};

/// The records at the start of a byte stream.
struct RecordScan {
    std::vector<TlsRecord> records;
    /// Offset of the first byte that is not a TLS record header (e.g. clear FTP text after
    /// CCC), or the stream's size when it is records to the end.
    std::size_t end = 0;
    bool partial = false;  ///< the stream ends inside a record
};

/// True if `bytes` could be a TLS record header: a known content type, version 3.x and a
/// length no larger than the protocol allows. With `handshake_only`, only type 22.
bool looks_like_record(std::string_view bytes, bool handshake_only = false);

/// Splits a stream into records until it ends or stops looking like TLS.
RecordScan scan_records(std::string_view stream);

/// Collects handshake bytes (which may span records, or share one) into whole messages.
class HandshakeReader {
public:
    void feed(std::string_view bytes) { buf_.append(bytes); }
    /// The next whole message: its type and body. False when none is complete yet.
    bool next(std::uint8_t& type, std::string& body);

private:
    std::string buf_;
};

/// What a ClientHello offers.
struct ClientHello {
    std::uint16_t legacy_version = 0;
    std::string random;      ///< 32 bytes
    std::string session_id;  ///< 0-32 bytes
    std::vector<std::uint16_t> cipher_suites;
    std::vector<std::uint8_t> compression_methods;
    std::vector<std::uint16_t> supported_versions;  ///< the extension's list, if present
    std::vector<std::string> alpn;                  ///< protocols offered
    std::string sni;
    bool psk_offered = false;     ///< pre_shared_key extension (TLS 1.3 resumption)
    bool ticket_offered = false;  ///< a non-empty session_ticket extension (TLS 1.2)
    bool early_data = false;
};

/// What a ServerHello (or HelloRetryRequest) chose.
struct ServerHello {
    std::uint16_t legacy_version = 0;
    std::string random;
    std::string session_id;
    std::uint16_t cipher_suite = 0;
    std::uint8_t compression_method = 0;
    std::uint16_t selected_version = 0;  ///< supported_versions extension; 0 if absent
    bool psk_accepted = false;           ///< pre_shared_key extension present
    bool hello_retry = false;            ///< the HelloRetryRequest random
    std::string alpn;                    ///< protocol selected (from a TLS 1.2 ServerHello)
    /// The negotiated version: the extension's if present, else the legacy field.
    std::uint16_t version() const { return selected_version ? selected_version : legacy_version; }
};

/// Parses a ClientHello body (without the 4-byte handshake header). On malformed input
/// returns false and sets `error`.
bool parse_client_hello(std::string_view body, ClientHello& out, std::string& error);
/// Parses a ServerHello body likewise.
bool parse_server_hello(std::string_view body, ServerHello& out, std::string& error);

/// The number of certificates in a Certificate message body (TLS 1.2 or, with `tls13`,
/// TLS 1.3 with its request context and per-entry extensions); -1 if malformed.
int count_certificates(std::string_view body, bool tls13);

/// An alert description's name ("handshake_failure"), or "alert N" for one not listed.
std::string alert_name(std::uint8_t description);

/// "TLS 1.2", "TLS 1.3", "SSL 3.0", or "0x0305" for anything else.
std::string version_name(std::uint16_t version);

}  // namespace fc
