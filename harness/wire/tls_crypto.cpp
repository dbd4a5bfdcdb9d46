#include "harness/wire/tls_crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <cstdio>
#include <memory>

namespace fc::wire {

namespace {

constexpr std::array kSuites = {
    CipherSuite{0x1301, "TLS_AES_128_GCM_SHA256", Aead::aes_128_gcm, "SHA256", true},
    CipherSuite{0x1302, "TLS_AES_256_GCM_SHA384", Aead::aes_256_gcm, "SHA384", true},
    CipherSuite{0x1303, "TLS_CHACHA20_POLY1305_SHA256", Aead::chacha20_poly1305, "SHA256", true},
    CipherSuite{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Aead::aes_128_gcm},
    CipherSuite{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Aead::aes_256_gcm, "SHA384"},
    CipherSuite{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Aead::aes_128_gcm},
    CipherSuite{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Aead::aes_256_gcm, "SHA384"},
    CipherSuite{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Aead::chacha20_poly1305},
    CipherSuite{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", Aead::chacha20_poly1305},
    CipherSuite{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Aead::chacha20_poly1305},
    CipherSuite{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", Aead::aes_128_gcm},
    CipherSuite{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", Aead::aes_256_gcm, "SHA384"},
    CipherSuite{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Aead::aes_128_gcm},
    CipherSuite{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", Aead::aes_256_gcm, "SHA384"},
    // Known CBC suites: named, not decrypted.
    CipherSuite{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    CipherSuite{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    CipherSuite{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    CipherSuite{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", Aead::none, "SHA384"},
    CipherSuite{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    CipherSuite{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
};

std::size_t key_len(Aead a) {
    return a == Aead::aes_128_gcm ? 16 : 32;
}

const EVP_CIPHER* evp_cipher(Aead a) {
    switch (a) {
        case Aead::aes_128_gcm: return EVP_aes_128_gcm();
        case Aead::aes_256_gcm: return EVP_aes_256_gcm();
        case Aead::chacha20_poly1305: return EVP_chacha20_poly1305();
        case Aead::none: break;
    }
    return nullptr;
}

struct KdfCtxFree {
    void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Runs an EVP KDF ("HKDF" or "TLS1-PRF") with the given parameters; "" on failure.
std::string run_kdf(const char* name, const OSSL_PARAM* params, std::size_t length) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
    if (kdf == nullptr) {
        return "";
    }
    std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf));
    EVP_KDF_free(kdf);
    std::string out(length, '\0');
    if (!ctx || EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length,
                               params) != 1) {
        return "";
    }
    return out;
}

void* mut(std::string_view s) {
    return const_cast<char*>(s.data());
}

}  // namespace

const CipherSuite* find_suite(std::uint16_t id) {
    for (const CipherSuite& s : kSuites) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

std::string suite_name(std::uint16_t id) {
    if (const CipherSuite* s = find_suite(id)) {
        return s->name;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04X", id);
    return buf;
}

std::string hkdf_expand_label(const char* hash, std::string_view secret, std::string_view label,
                              std::size_t length) {
    // HkdfLabel: uint16 length, opaque label<7..255> = "tls13 " + label, opaque context<0..255>.
    std::string info;
    info.push_back(static_cast<char>(length >> 8));
    info.push_back(static_cast<char>(length & 0xff));
    std::string full = "tls13 " + std::string(label);
    info.push_back(static_cast<char>(full.size()));
    info += full;
    info.push_back('\0');
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(hash), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mut(secret), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end()};
    return run_kdf("HKDF", params, length);
}

bool tls12_keys(const CipherSuite& suite, std::string_view master, std::string_view client_random,
                std::string_view server_random, DirectionKeys& client, DirectionKeys& server) {
    if (suite.aead == Aead::none || suite.tls13) {
        return false;
    }
    std::size_t klen = key_len(suite.aead);
    std::size_t ivlen = suite.aead == Aead::chacha20_poly1305 ? 12 : 4;  // GCM: salt only
    std::string seed = "key expansion" + std::string(server_random) + std::string(client_random);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(suite.hash), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, mut(master), master.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed.data(), seed.size()),
        OSSL_PARAM_construct_end()};
    std::string block = run_kdf("TLS1-PRF", params, 2 * (klen + ivlen));
    if (block.empty()) {
        return false;
    }
    client.key = block.substr(0, klen);
    server.key = block.substr(klen, klen);
    client.iv = block.substr(2 * klen, ivlen);
    server.iv = block.substr(2 * klen + ivlen, ivlen);
    return true;
}

DirectionKeys tls13_keys(const CipherSuite& suite, std::string_view traffic_secret) {
    return {hkdf_expand_label(suite.hash, traffic_secret, "key", key_len(suite.aead)),
            hkdf_expand_label(suite.hash, traffic_secret, "iv", 12)};
}

bool RecordOpener::open(const TlsRecord& record, std::string& plain, std::uint8_t& type) {
    if (suite_ == nullptr || keys_.key.empty()) {
        return false;
    }
    const bool gcm12 = !suite_->tls13 && suite_->aead != Aead::chacha20_poly1305;
    std::string_view body = record.fragment;
    std::string nonce;
    if (gcm12) {  // RFC 5288: 4-byte salt + 8-byte explicit nonce carried in the record
        if (body.size() < 8 + 16) {
            return false;
        }
        nonce = keys_.iv + std::string(body.substr(0, 8));
        body.remove_prefix(8);
    } else {  // RFC 8446 5.3 / RFC 7905: iv XOR the sequence number
        if (body.size() < 16 || keys_.iv.size() != 12) {
            return false;
        }
        nonce = keys_.iv;
        for (int i = 0; i < 8; ++i) {
            nonce[11 - i] = static_cast<char>(nonce[11 - i] ^ ((seq_ >> (8 * i)) & 0xff));
        }
    }
    std::string_view tag = body.substr(body.size() - 16);
    std::string_view ct = body.substr(0, body.size() - 16);
    std::string aad;
    if (suite_->tls13) {  // the record header
        aad = {static_cast<char>(record.type), static_cast<char>(record.version >> 8),
               static_cast<char>(record.version & 0xff),
               static_cast<char>(record.fragment.size() >> 8),
               static_cast<char>(record.fragment.size() & 0xff)};
    } else {  // seq_num + type + version + plaintext length
        for (int i = 7; i >= 0; --i) {
            aad.push_back(static_cast<char>((seq_ >> (8 * i)) & 0xff));
        }
        aad += {static_cast<char>(record.type), static_cast<char>(record.version >> 8),
                static_cast<char>(record.version & 0xff), static_cast<char>(ct.size() >> 8),
                static_cast<char>(ct.size() & 0xff)};
    }
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    auto u = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    int len = 0;
    plain.assign(ct.size(), '\0');
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    if (!ctx ||
        EVP_DecryptInit_ex(ctx.get(), evp_cipher(suite_->aead), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u(keys_.key), u(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), out, &len, u(ct), static_cast<int>(ct.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, mut(tag)) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
        return false;
    }
    ++seq_;
    type = record.type;
    if (suite_->tls13) {  // TLSInnerPlaintext: content, type, zero padding
        while (!plain.empty() && plain.back() == '\0') {
            plain.pop_back();
        }
        if (plain.empty()) {
            return false;
        }
        type = static_cast<std::uint8_t>(plain.back());
        plain.pop_back();
    }
    return true;
}

}  // namespace fc::wire
