#include "harness/tls/hello_probe.hpp"

#include <arpa/inet.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "harness/tls/tls_parse.hpp"

namespace fc {

namespace {

struct SuiteName {
    std::uint16_t id;
    std::string_view name;
};

// The suites the probes offer (IANA TLS Cipher Suites registry numbers), and the ordinary
// ones the deflate probe offers so that any TLS 1.2 server finds one it can use.
constexpr std::array<SuiteName, 27> kSuites{{
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"},
    {0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
}};

constexpr std::array<std::uint16_t, 4> kRc4{0x0005, 0x0004, 0xC011, 0xC007};
constexpr std::array<std::uint16_t, 4> kDes3{0x000A, 0xC012, 0x0016, 0xC008};
constexpr std::array<std::uint16_t, 8> kExport{0x0003, 0x0006, 0x0008, 0x0014,
                                               0x0062, 0x0064, 0x0009, 0x0015};
constexpr std::array<std::uint16_t, 10> kOrdinary{0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8,
                                                  0xCCA9, 0x009C, 0x009D, 0xC013, 0x002F};
constexpr std::array<std::string_view, 4> kOfferNames{"rc4", "3des", "export", "deflate"};

constexpr std::uint8_t kCompressionDeflate = 1;

void put8(std::string& out, unsigned v) {
    out.push_back(static_cast<char>(v & 0xFF));
}
void put16(std::string& out, unsigned v) {
    put8(out, v >> 8);
    put8(out, v);
}
void put24(std::string& out, std::size_t v) {
    put8(out, static_cast<unsigned>(v >> 16));
    put16(out, static_cast<unsigned>(v));
}
/// An extension: type, then its body with a 2-byte length.
void put_extension(std::string& out, unsigned type, const std::string& body) {
    put16(out, type);
    put16(out, static_cast<unsigned>(body.size()));
    out += body;
}
std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        // Only the shape matters to a probe; a fixed random still makes a valid hello.
        std::fill(out.begin(), out.end(), '\x5a');
    }
    return out;
}
/// `record_version`: 0x0301 for a first ClientHello, as every client sends; 0x0303 after.
std::string handshake_record(std::uint8_t msg_type, const std::string& body,
                             unsigned record_version) {
    std::string msg;
    put8(msg, msg_type);
    put24(msg, body.size());
    msg += body;
    std::string record;
    put8(record, kHandshake);
    put16(record, record_version);
    put16(record, static_cast<unsigned>(msg.size()));
    return record + msg;
}

}  // namespace

std::span<const std::string_view> hello_offer_names() {
    return kOfferNames;
}

std::optional<HelloOffer> parse_hello_offer(std::string_view name) {
    if (name == "rc4") {
        return HelloOffer::rc4;
    }
    if (name == "3des") {
        return HelloOffer::des3;
    }
    if (name == "export") {
        return HelloOffer::export_;
    }
    if (name == "deflate") {
        return HelloOffer::deflate;
    }
    return std::nullopt;
}

std::span<const std::uint16_t> hello_offer_suites(HelloOffer offer) {
    switch (offer) {
        case HelloOffer::rc4: return kRc4;
        case HelloOffer::des3: return kDes3;
        case HelloOffer::export_: return kExport;
        case HelloOffer::deflate: break;
    }
    return kOrdinary;
}

bool is_legacy_weak_suite(std::uint16_t suite) {
    auto in = [suite](auto list) {
        return std::find(list.begin(), list.end(), suite) != list.end();
    };
    return in(kRc4) || in(kDes3) || in(kExport);
}

std::string suite_name(std::uint16_t suite) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%04X", suite);
    for (const SuiteName& s : kSuites) {
        if (s.id == suite) {
            return std::string(s.name) + " (" + hex + ")";
        }
    }
    return std::string("suite ") + hex;
}

std::string probe_client_hello(HelloOffer offer, std::string_view sni) {
    std::string body;
    put16(body, 0x0303);  // TLS 1.2, and no supported_versions: nothing later is offered
    body += random_bytes(32);
    put8(body, 0);  // no session id: a full handshake, nothing to resume
    std::span<const std::uint16_t> suites = hello_offer_suites(offer);
    put16(body, static_cast<unsigned>(2 * (suites.size() + 1)));
    for (std::uint16_t s : suites) {
        put16(body, s);
    }
    put16(body, 0x00FF);  // TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746)
    if (offer == HelloOffer::deflate) {
        put8(body, 2);
        put8(body, kCompressionDeflate);
        put8(body, 0);
    } else {
        put8(body, 1);
        put8(body, 0);
    }

    std::string exts;
    in6_addr v6{};
    in_addr v4{};
    const std::string host(sni);
    if (!host.empty() && ::inet_pton(AF_INET, host.c_str(), &v4) != 1 &&
        ::inet_pton(AF_INET6, host.c_str(), &v6) != 1) {
        std::string name;  // server_name_list of one host_name (RFC 6066 3)
        put16(name, static_cast<unsigned>(host.size() + 3));
        put8(name, 0);
        put16(name, static_cast<unsigned>(host.size()));
        name += host;
        put_extension(exts, 0x0000, name);
    }
    std::string groups;  // supported_groups: x25519, secp256r1, secp384r1
    put16(groups, 6);
    put16(groups, 0x001D);
    put16(groups, 0x0017);
    put16(groups, 0x0018);
    put_extension(exts, 0x000A, groups);
    put_extension(exts, 0x000B, std::string("\x01\x00", 2));  // ec_point_formats: uncompressed
    std::string sigalgs;  // signature_algorithms, SHA-1 ones last for old suites
    constexpr std::array<std::uint16_t, 8> kSigalgs{0x0804, 0x0805, 0x0401, 0x0501,
                                                    0x0403, 0x0503, 0x0201, 0x0203};
    put16(sigalgs, static_cast<unsigned>(2 * kSigalgs.size()));
    for (std::uint16_t a : kSigalgs) {
        put16(sigalgs, a);
    }
    put_extension(exts, 0x000D, sigalgs);
    put_extension(exts, 0x0017, "");  // extended_master_secret (RFC 7627)
    put16(body, static_cast<unsigned>(exts.size()));
    body += exts;
    return handshake_record(kClientHelloMsg, body, 0x0301);
}

HelloAnswer read_hello_answer(std::string_view bytes) {
    HelloAnswer a;
    if (bytes.size() < 5) {
        return a;  // incomplete
    }
    if (!looks_like_record(bytes)) {
        a.kind = HelloAnswer::Kind::not_tls;
        return a;
    }
    const RecordScan scan = scan_records(bytes);
    if (scan.records.empty()) {
        return a;  // the first record is still arriving
    }
    const TlsRecord& first = scan.records.front();
    if (first.type == kAlert) {
        if (first.fragment.size() < 2) {
            a.kind = HelloAnswer::Kind::other;
            a.detail = "an alert record too short to hold an alert";
            return a;
        }
        a.kind = HelloAnswer::Kind::alert;
        a.alert_level = static_cast<std::uint8_t>(first.fragment[0]);
        a.alert_description = static_cast<std::uint8_t>(first.fragment[1]);
        return a;
    }
    if (first.type != kHandshake) {
        a.kind = HelloAnswer::Kind::other;
        a.detail = "a TLS record of type " + std::to_string(first.type) + " before any ServerHello";
        return a;
    }
    HandshakeReader reader;
    bool other_record = false;
    for (const TlsRecord& r : scan.records) {
        if (r.type != kHandshake) {
            other_record = true;
            break;
        }
        reader.feed(r.fragment);
    }
    std::uint8_t type = 0;
    std::string body;
    if (!reader.next(type, body)) {
        if (other_record || (!scan.partial && scan.end < bytes.size())) {
            a.kind = HelloAnswer::Kind::other;
            a.detail = "a handshake record that ends inside its first message";
        }
        return a;  // else incomplete: the rest of the message is still arriving
    }
    if (type != kServerHelloMsg) {
        a.kind = HelloAnswer::Kind::other;
        a.detail = "handshake message type " + std::to_string(type) + " instead of ServerHello";
        return a;
    }
    ServerHello hello;
    std::string error;
    if (!parse_server_hello(body, hello, error)) {
        a.kind = HelloAnswer::Kind::other;
        a.detail = "a malformed ServerHello";
        return a;
    }
    a.kind = HelloAnswer::Kind::server_hello;
    a.version = hello.legacy_version;
    a.suite = hello.cipher_suite;
    a.compression = hello.compression_method;
    return a;
}

std::optional<OfferedHello> read_offered_hello(std::string_view bytes) {
    HandshakeReader reader;
    for (const TlsRecord& r : scan_records(bytes).records) {
        if (r.type != kHandshake) {
            break;
        }
        reader.feed(r.fragment);
    }
    std::uint8_t type = 0;
    std::string body;
    ClientHello hello;
    std::string error;
    if (!reader.next(type, body) || type != kClientHelloMsg ||
        !parse_client_hello(body, hello, error)) {
        return std::nullopt;
    }
    return OfferedHello{hello.cipher_suites, hello.compression_methods};
}

std::string server_hello_record(std::uint16_t suite, std::uint8_t compression) {
    std::string body;
    put16(body, 0x0303);
    body += random_bytes(32);
    put8(body, 0);  // no session id
    put16(body, suite);
    put8(body, compression);
    return handshake_record(kServerHelloMsg, body, 0x0303);
}

}  // namespace fc
