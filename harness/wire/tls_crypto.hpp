#pragma once
// Record protection for reading captures with a key log: the AEAD cipher suites of TLS 1.2
// and TLS 1.3, their key derivation (TLS 1.2 PRF, TLS 1.3 HKDF-Expand-Label), and opening
// records (OpenSSL EVP). CBC suites are named but not decrypted.
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/tls/tls_parse.hpp"

namespace fc::wire {

/// The AEAD algorithms implemented.
enum class Aead { none, aes_128_gcm, aes_256_gcm, chacha20_poly1305 };

/// A cipher suite as far as reading records needs.
struct CipherSuite {
    std::uint16_t id = 0;
    const char* name = "";        ///< IANA name, e.g. "TLS_AES_128_GCM_SHA256"
    Aead aead = Aead::none;       ///< none: known but not decryptable here (CBC, ...)
    const char* hash = "SHA256";  ///< PRF / HKDF hash
    bool tls13 = false;
};

/// The suite with this code, or nullptr when it is not in the table.
const CipherSuite* find_suite(std::uint16_t id);
/// The IANA name, or "0xC0FF" when unknown.
std::string suite_name(std::uint16_t id);

/// HKDF-Expand-Label (RFC 8446 7.1) with an empty context: `length` bytes, or "" on error.
std::string hkdf_expand_label(const char* hash, std::string_view secret, std::string_view label,
                              std::size_t length);

/// Keys of one direction.
struct DirectionKeys {
    std::string key, iv;
};

/// TLS 1.2 key block (RFC 5246 6.3) for an AEAD suite from the master secret. False for a
/// suite that is not AEAD or when the KDF fails.
bool tls12_keys(const CipherSuite& suite, std::string_view master, std::string_view client_random,
                std::string_view server_random, DirectionKeys& client, DirectionKeys& server);

/// TLS 1.3 key and iv from a traffic secret (RFC 8446 7.3).
DirectionKeys tls13_keys(const CipherSuite& suite, std::string_view traffic_secret);

/// Opens protected records of one direction, counting sequence numbers.
class RecordOpener {
public:
    RecordOpener() = default;
    RecordOpener(const CipherSuite& suite, DirectionKeys keys)
        : suite_(&suite), keys_(std::move(keys)) {}
    bool ready() const { return suite_ != nullptr; }
    /// Decrypts and authenticates one record. TLS 1.3: `type` becomes the inner content
    /// type and the padding is removed. False (sequence number unchanged) when the tag does
    /// not verify, so the caller may try other keys.
    bool open(const TlsRecord& record, std::string& plain, std::uint8_t& type);

private:
    const CipherSuite* suite_ = nullptr;
    DirectionKeys keys_;
    std::uint64_t seq_ = 0;
};

}  // namespace fc::wire
