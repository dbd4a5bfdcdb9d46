#pragma once
// Test helpers for the wire layer (header only, never linked into the tool): hand-built
// capture files, and TLS sessions run in memory between two OpenSSL objects with a key log.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fc::wire::testing {

inline void put16(std::string& s, std::uint32_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v));
}
inline void put32(std::string& s, std::uint32_t v) {
    put16(s, v >> 16);
    put16(s, v & 0xffff);
}
inline void put32le(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        s.push_back(static_cast<char>(v >> (8 * i)));
    }
}

/// TCP flag bits.
inline constexpr std::uint8_t kFin = 1, kSyn = 2, kRst = 4, kAck = 16;

/// An Ethernet + IPv4 + TCP frame (loopback addresses given as the last octet: 127.0.0.N).
inline std::string tcp_frame(int src, std::uint16_t sport, int dst, std::uint16_t dport,
                             std::uint32_t seq, std::uint8_t flags, const std::string& payload) {
    std::string f(12, '\0');
    put16(f, 0x0800);
    f += "\x45";
    f.push_back('\0');
    put16(f, static_cast<std::uint32_t>(20 + 20 + payload.size()));
    put32(f, 0x00004000);  // id 0, DF
    f += "\x40\x06";
    put16(f, 0);
    f += {127, 0, 0, static_cast<char>(src), 127, 0, 0, static_cast<char>(dst)};
    put16(f, sport);
    put16(f, dport);
    put32(f, seq);
    put32(f, 0);
    f.push_back(0x50);
    f.push_back(static_cast<char>(flags | ((flags & kSyn) ? 0 : kAck)));
    put16(f, 65535);
    put32(f, 0);
    return f + payload;
}

/// A pcap file (microseconds, Ethernet) holding these frames, one per millisecond.
inline std::string pcap_of(const std::vector<std::string>& frames) {
    std::string p;
    put32le(p, 0xa1b2c3d4);
    p += {2, 0, 4, 0};
    put32le(p, 0);
    put32le(p, 0);
    put32le(p, 262144);
    put32le(p, 1);
    std::uint32_t usec = 0;
    for (const std::string& f : frames) {
        put32le(p, 1700000000);
        put32le(p, usec += 1000);
        put32le(p, static_cast<std::uint32_t>(f.size()));
        put32le(p, static_cast<std::uint32_t>(f.size()));
        p += f;
    }
    return p;
}

/// Builds the frames of one TCP connection, 127.0.0.1:cport -> 127.0.0.1:sport.
class ConnBuilder {
public:
    ConnBuilder(std::uint16_t cport, std::uint16_t sport) : cport_(cport), sport_(sport) {
        frames_.push_back(tcp_frame(1, cport_, 1, sport_, cseq_++, kSyn, ""));
        frames_.push_back(tcp_frame(1, sport_, 1, cport_, sseq_++, kSyn | kAck, ""));
    }
    /// Payload from the client (true) or the server, cut into segments of at most `mss`.
    ConnBuilder& send(bool from_client, const std::string& bytes, std::size_t mss = 1400) {
        for (std::size_t at = 0; at < bytes.size(); at += mss) {
            std::string part = bytes.substr(at, mss);
            std::uint32_t& seq = from_client ? cseq_ : sseq_;
            frames_.push_back(from_client ? tcp_frame(1, cport_, 1, sport_, seq, 0, part)
                                          : tcp_frame(1, sport_, 1, cport_, seq, 0, part));
            seq += static_cast<std::uint32_t>(part.size());
        }
        return *this;
    }
    ConnBuilder& close(bool from_client, std::uint8_t flag = kFin) {
        std::uint32_t& seq = from_client ? cseq_ : sseq_;
        frames_.push_back(from_client ? tcp_frame(1, cport_, 1, sport_, seq, flag, "")
                                      : tcp_frame(1, sport_, 1, cport_, seq, flag, ""));
        seq += flag == kFin ? 1 : 0;
        return *this;
    }
    std::vector<std::string>& frames() { return frames_; }

private:
    std::uint16_t cport_, sport_;
    std::uint32_t cseq_ = 1000, sseq_ = 5000;
    std::vector<std::string> frames_;
};

/// A self-signed P-256 certificate and key, made in memory.
struct TestIdentity {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    TestIdentity() {
        key = EVP_EC_gen("P-256");
        cert = X509_new();
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("wire test"), -1, -1, 0);
        X509_set_issuer_name(cert, name);
        X509_sign(cert, key, EVP_sha256());
    }
    ~TestIdentity() {
        X509_free(cert);
        EVP_PKEY_free(key);
    }
    TestIdentity(const TestIdentity&) = delete;
    TestIdentity& operator=(const TestIdentity&) = delete;
};

/// Options of one in-memory TLS session.
struct TlsRun {
    int version = TLS1_3_VERSION;
    std::string ciphers;            ///< TLS 1.3 ciphersuites or TLS 1.2 cipher list; "" default
    bool client_cert = false;       ///< the server asks, the client presents one
    SSL_SESSION* resume = nullptr;  ///< resume this session (not owned)
    std::string upload, download;   ///< application data each way
    bool client_close_notify = true, server_close_notify = true;
    bool no_tickets = false;  ///< the server issues no session tickets (TLS 1.2: session ids)
    std::string client_groups, server_groups;  ///< key exchange groups; "" default
    bool key_update = false;  ///< TLS 1.3: the client updates its keys before the upload
};

/// What crossed the "wire" and the key log lines.
struct TlsTranscript {
    std::string to_server, to_client, keylog;
    SSL_SESSION* session = nullptr;  ///< the client's session, for a later resumption (owned)
    bool resumed = false;
    ~TlsTranscript() { SSL_SESSION_free(session); }
};

/// An OpenSSL client and server context pair (kept across sessions, so that sessions can
/// resume), running whole TLS sessions in memory.
class MemoryTls {
public:
    /// Contexts configured from `config` (version, ciphers, client_cert, no_tickets).
    MemoryTls(const TestIdentity& id, const TlsRun& config) {
        cctx_ = SSL_CTX_new(TLS_client_method());
        sctx_ = SSL_CTX_new(TLS_server_method());
        auto keylog = [](const SSL* ssl, const char* line) {
            auto* log = static_cast<std::string*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
            *log += std::string(line) + "\n";
        };
        for (SSL_CTX* c : {cctx_, sctx_}) {
            SSL_CTX_set_min_proto_version(c, config.version);
            SSL_CTX_set_max_proto_version(c, config.version);
            SSL_CTX_set_app_data(c, &keylog_);
            SSL_CTX_set_keylog_callback(c, keylog);
            if (!config.ciphers.empty()) {
                if (config.version == TLS1_3_VERSION) {
                    SSL_CTX_set_ciphersuites(c, config.ciphers.c_str());
                } else {
                    SSL_CTX_set_cipher_list(c, config.ciphers.c_str());
                }
            }
        }
        if (!config.client_groups.empty()) {
            SSL_CTX_set1_groups_list(cctx_, config.client_groups.c_str());
        }
        if (!config.server_groups.empty()) {
            SSL_CTX_set1_groups_list(sctx_, config.server_groups.c_str());
        }
        SSL_CTX_use_certificate(sctx_, id.cert);
        SSL_CTX_use_PrivateKey(sctx_, id.key);
        SSL_CTX_set_session_id_context(sctx_, reinterpret_cast<const unsigned char*>("wire"), 4);
        SSL_CTX_set_session_cache_mode(cctx_, SSL_SESS_CACHE_CLIENT);
        if (config.no_tickets) {
            SSL_CTX_set_options(sctx_, SSL_OP_NO_TICKET);
        }
        if (config.client_cert) {
            SSL_CTX_use_certificate(cctx_, id.cert);
            SSL_CTX_use_PrivateKey(cctx_, id.key);
            SSL_CTX_set_verify(sctx_, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
        }
    }
    ~MemoryTls() {
        SSL_CTX_free(cctx_);
        SSL_CTX_free(sctx_);
    }
    MemoryTls(const MemoryTls&) = delete;
    MemoryTls& operator=(const MemoryTls&) = delete;

    /// One session: resume, upload, download and the close_notify flags come from `opt`.
    void run(const TlsRun& opt, TlsTranscript& out) {
        std::size_t log_from = keylog_.size();
        SSL* c = SSL_new(cctx_);
        SSL* s = SSL_new(sctx_);
        BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
        BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
        SSL_set_bio(c, c_in, c_out);
        SSL_set_bio(s, s_in, s_out);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        if (opt.resume != nullptr) {
            SSL_set_session(c, opt.resume);
        }
        auto pump = [&] {  // moves pending bytes both ways, recording them
            char buf[16384];
            int n = 0;
            while ((n = BIO_read(c_out, buf, sizeof buf)) > 0) {
                out.to_server.append(buf, static_cast<std::size_t>(n));
                BIO_write(s_in, buf, n);
            }
            while ((n = BIO_read(s_out, buf, sizeof buf)) > 0) {
                out.to_client.append(buf, static_cast<std::size_t>(n));
                BIO_write(c_in, buf, n);
            }
        };
        for (int i = 0; i < 20 && (!SSL_is_init_finished(c) || !SSL_is_init_finished(s)); ++i) {
            SSL_do_handshake(c);
            pump();
            SSL_do_handshake(s);
            pump();
        }
        if (!SSL_is_init_finished(c) || !SSL_is_init_finished(s)) {
            throw std::runtime_error("in-memory TLS handshake did not finish");
        }
        char sink[65536];
        if (opt.key_update) {
            SSL_key_update(c, SSL_KEY_UPDATE_NOT_REQUESTED);
        }
        if (!opt.upload.empty()) {
            SSL_write(c, opt.upload.data(), static_cast<int>(opt.upload.size()));
            pump();
            while (SSL_read(s, sink, sizeof sink) > 0) {
            }
        }
        if (!opt.download.empty()) {
            SSL_write(s, opt.download.data(), static_cast<int>(opt.download.size()));
        }
        pump();
        while (SSL_read(c, sink, sizeof sink) > 0) {  // also takes TLS 1.3 tickets
        }
        pump();
        if (opt.client_close_notify) {
            SSL_shutdown(c);
            pump();
        }
        if (opt.server_close_notify) {
            SSL_shutdown(s);
            pump();
        }
        out.resumed = SSL_session_reused(c) == 1;
        out.session = SSL_get1_session(c);
        out.keylog = keylog_.substr(log_from);
        SSL_free(c);
        SSL_free(s);
    }

private:
    SSL_CTX* cctx_ = nullptr;
    SSL_CTX* sctx_ = nullptr;
    std::string keylog_;
};

/// One session with fresh contexts.
inline void run_tls(const TestIdentity& id, const TlsRun& opt, TlsTranscript& out) {
    MemoryTls(id, opt).run(opt, out);
}

}  // namespace fc::wire::testing
