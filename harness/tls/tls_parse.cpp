#include "harness/tls/tls_parse.hpp"

#include <cstdio>

namespace fc {

namespace {

// A bounds-checked reader: any read past the end sets `bad` and yields zeros.
struct Cursor {
    std::string_view in;
    std::size_t at = 0;
    bool bad = false;
    bool has(std::size_t n) {
        if (in.size() - at < n) {
            bad = true;
        }
        return !bad;
    }
    std::uint32_t num(int bytes) {
        if (!has(static_cast<std::size_t>(bytes))) {
            return 0;
        }
        std::uint32_t v = 0;
        for (int i = 0; i < bytes; ++i) {
            v = v << 8 | static_cast<std::uint8_t>(in[at++]);
        }
        return v;
    }
    std::string_view take(std::size_t n) {
        if (!has(n)) {
            return {};
        }
        std::string_view v = in.substr(at, n);
        at += n;
        return v;
    }
    std::string_view vec(int len_bytes) { return take(num(len_bytes)); }
    bool done() const { return at == in.size(); }
};

constexpr std::uint16_t kExtSni = 0, kExtAlpn = 16, kExtSessionTicket = 35, kExtPsk = 41,
                        kExtEarlyData = 42, kExtSupportedVersions = 43;

// SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest (RFC 8446 4.1.3).
constexpr unsigned char kHrrRandom[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

std::vector<std::string> parse_alpn(std::string_view ext) {
    std::vector<std::string> out;
    Cursor c{ext};
    Cursor list{c.vec(2)};
    while (!list.bad && !list.done()) {
        std::string_view name = list.vec(1);
        if (!list.bad) {
            out.emplace_back(name);
        }
    }
    return out;
}

}  // namespace

bool looks_like_record(std::string_view b, bool handshake_only) {
    if (b.size() < 5) {
        return false;
    }
    auto type = static_cast<std::uint8_t>(b[0]);
    auto major = static_cast<std::uint8_t>(b[1]), minor = static_cast<std::uint8_t>(b[2]);
    std::size_t len = static_cast<std::uint8_t>(b[3]) << 8 | static_cast<std::uint8_t>(b[4]);
    bool type_ok = handshake_only ? type == kHandshake : type >= 20 && type <= 24;
    return type_ok && major == 3 && minor <= 4 && len > 0 && len <= 16384 + 2048;
}

RecordScan scan_records(std::string_view stream) {
    RecordScan out;
    std::size_t at = 0;
    while (at < stream.size()) {
        std::string_view rest = stream.substr(at);
        if (rest.size() < 5) {
            out.partial = true;
            break;
        }
        if (!looks_like_record(rest)) {
            break;
        }
        std::size_t len =
            static_cast<std::uint8_t>(rest[3]) << 8 | static_cast<std::uint8_t>(rest[4]);
        if (rest.size() < 5 + len) {
            out.partial = true;
            break;
        }
        TlsRecord r;
        r.type = static_cast<std::uint8_t>(rest[0]);
        r.version = static_cast<std::uint16_t>(static_cast<std::uint8_t>(rest[1]) << 8 |
                                               static_cast<std::uint8_t>(rest[2]));
        r.fragment = rest.substr(5, len);
        out.records.push_back(r);
        at += 5 + len;
    }
    out.end = at;
    return out;
}

bool HandshakeReader::next(std::uint8_t& type, std::string& body) {
    if (buf_.size() < 4) {
        return false;
    }
    std::size_t len = static_cast<std::uint8_t>(buf_[1]) << 16 |
                      static_cast<std::uint8_t>(buf_[2]) << 8 | static_cast<std::uint8_t>(buf_[3]);
    if (buf_.size() < 4 + len) {
        return false;
    }
    type = static_cast<std::uint8_t>(buf_[0]);
    body.assign(buf_, 4, len);
    buf_.erase(0, 4 + len);
    return true;
}

bool parse_client_hello(std::string_view body, ClientHello& out, std::string& error) {
    Cursor c{body};
    out.legacy_version = static_cast<std::uint16_t>(c.num(2));
    out.random = c.take(32);
    out.session_id = c.vec(1);
    Cursor suites{c.vec(2)};
    while (!suites.bad && !suites.done()) {
        out.cipher_suites.push_back(static_cast<std::uint16_t>(suites.num(2)));
    }
    for (char m : c.vec(1)) {
        out.compression_methods.push_back(static_cast<std::uint8_t>(m));
    }
    if (!c.bad && !c.done()) {
        Cursor exts{c.vec(2)};
        while (!exts.bad && !exts.done()) {
            auto type = static_cast<std::uint16_t>(exts.num(2));
            std::string_view ext = exts.vec(2);
            if (type == kExtSupportedVersions) {
                Cursor v{Cursor{ext}.vec(1)};
                while (!v.bad && !v.done()) {
                    out.supported_versions.push_back(static_cast<std::uint16_t>(v.num(2)));
                }
            } else if (type == kExtAlpn) {
                out.alpn = parse_alpn(ext);
            } else if (type == kExtSni) {
                Cursor list{Cursor{ext}.vec(2)};
                if (list.num(1) == 0) {  // host_name
                    out.sni = list.vec(2);
                }
            } else if (type == kExtPsk) {
                out.psk_offered = true;
            } else if (type == kExtSessionTicket) {
                out.ticket_offered = !ext.empty();
            } else if (type == kExtEarlyData) {
                out.early_data = true;
            }
        }
        c.bad = c.bad || exts.bad;
    }
    if (c.bad || out.random.size() != 32) {
        error = "malformed ClientHello";
        return false;
    }
    return true;
}

bool parse_server_hello(std::string_view body, ServerHello& out, std::string& error) {
    Cursor c{body};
    out.legacy_version = static_cast<std::uint16_t>(c.num(2));
    out.random = c.take(32);
    out.session_id = c.vec(1);
    out.cipher_suite = static_cast<std::uint16_t>(c.num(2));
    out.compression_method = static_cast<std::uint8_t>(c.num(1));
    if (!c.bad && !c.done()) {
        Cursor exts{c.vec(2)};
        while (!exts.bad && !exts.done()) {
            auto type = static_cast<std::uint16_t>(exts.num(2));
            std::string_view ext = exts.vec(2);
            if (type == kExtSupportedVersions && ext.size() == 2) {
                out.selected_version = static_cast<std::uint16_t>(Cursor{ext}.num(2));
            } else if (type == kExtPsk) {
                out.psk_accepted = true;
            } else if (type == kExtAlpn) {
                auto names = parse_alpn(ext);
                out.alpn = names.empty() ? "" : names.front();
            }
        }
        c.bad = c.bad || exts.bad;
    }
    if (c.bad || out.random.size() != 32) {
        error = "malformed ServerHello";
        return false;
    }
    out.hello_retry = out.random == std::string_view(reinterpret_cast<const char*>(kHrrRandom), 32);
    return true;
}

int count_certificates(std::string_view body, bool tls13) {
    Cursor c{body};
    if (tls13) {
        c.vec(1);  // certificate_request_context
    }
    Cursor list{c.vec(3)};
    int n = 0;
    while (!list.bad && !list.done()) {
        list.vec(3);
        if (tls13) {
            list.vec(2);  // per-certificate extensions
        }
        if (!list.bad) {
            ++n;
        }
    }
    return c.bad || list.bad ? -1 : n;
}

std::string alert_name(std::uint8_t d) {
    switch (d) {
        case 0: return "close_notify";
        case 10: return "unexpected_message";
        case 20: return "bad_record_mac";
        case 40: return "handshake_failure";
        case 42: return "bad_certificate";
        case 45: return "certificate_expired";
        case 46: return "certificate_unknown";
        case 47: return "illegal_parameter";
        case 48: return "unknown_ca";
        case 50: return "decode_error";
        case 51: return "decrypt_error";
        case 70: return "protocol_version";
        case 71: return "insufficient_security";
        case 80: return "internal_error";
        case 86: return "inappropriate_fallback";
        case 90: return "user_canceled";
        case 109: return "missing_extension";
        case 112: return "unrecognized_name";
        case 116: return "certificate_required";
        case 120: return "no_application_protocol";
        default: break;
    }
    return "alert " + std::to_string(d);
}

std::string version_name(std::uint16_t v) {
    switch (v) {
        case 0x0300: return "SSL 3.0";
        case 0x0301: return "TLS 1.0";
        case 0x0302: return "TLS 1.1";
        case 0x0303: return "TLS 1.2";
        case 0x0304: return "TLS 1.3";
        default: break;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", v);
    return buf;
}

}  // namespace fc
