#include "harness/tls/pki.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "harness/core/error.hpp"
#include "harness/tls/ssl_ptr.hpp"

namespace fc {

namespace {

constexpr long kHour = 3600;
constexpr long kDay = 24 * kHour;

[[noreturn]] void fail(const std::string& what) {
    throw HarnessError(with_openssl_errors("test PKI: " + what));
}

EvpPkeyPtr rsa_key() {
    EvpPkeyPtr key(EVP_RSA_gen(2048));
    if (!key) {
        fail("RSA key generation failed");
    }
    return key;
}

EvpPkeyPtr ec_key() {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        fail("EC key generation failed");
    }
    return key;
}

/// What one certificate looks like; the issuer is the certificate itself when null.
struct CertSpec {
    std::string common_name;
    EVP_PKEY* key = nullptr;
    X509* issuer = nullptr;
    EVP_PKEY* issuer_key = nullptr;
    long not_before = -kHour;  ///< seconds from now
    long not_after = 30 * kDay;
    std::vector<std::pair<int, std::string>> extensions;  ///< NID and config value
};

void set_random_serial(X509* cert) {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        fail("no random bytes for a serial");
    }
    bytes[0] &= 0x7f;  // positive, 64 bits wide at most
    bytes[0] |= 0x01;  // and never zero
    BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
        fail("cannot set a serial number");
    }
}

void set_name(X509_NAME* name, const std::string& common_name) {
    auto text = [](const char* s) { return reinterpret_cast<const unsigned char*>(s); };
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("ftps-conform"), -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(common_name.c_str()), -1, -1,
                                   0) != 1) {
        fail("cannot build the name CN=" + common_name);
    }
}

X509Ptr make_cert(const CertSpec& spec) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
        fail("cannot create a certificate");
    }
    set_random_serial(cert.get());
    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after) == nullptr) {
        fail("cannot set the validity of " + spec.common_name);
    }
    set_name(X509_get_subject_name(cert.get()), spec.common_name);
    X509* issuer = spec.issuer != nullptr ? spec.issuer : cert.get();
    EVP_PKEY* issuer_key = spec.issuer_key != nullptr ? spec.issuer_key : spec.key;
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
        X509_set_pubkey(cert.get(), spec.key) != 1) {
        fail("cannot set the issuer or key of " + spec.common_name);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : spec.extensions) {
        X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
        if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
            fail("cannot add extension " + std::string(OBJ_nid2sn(nid)) + "=" + value + " to " +
                 spec.common_name);
        }
    }
    if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
        fail("cannot sign " + spec.common_name);
    }
    return cert;
}

/// Writes `bio`'s contents to `path` with exactly `mode`, replacing any old file.
void write_file(const std::filesystem::path& path, BIO* bio, mode_t mode) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::filesystem::remove(path);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        throw HarnessError("test PKI: cannot create " + path.string() + ": " +
                           std::strerror(errno));
    }
    bool ok = ::fchmod(fd, mode) == 0;
    for (long done = 0; ok && done < size;) {
        ssize_t n = ::write(fd, data + done, static_cast<std::size_t>(size - done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += n > 0 ? n : 0;
    }
    int saved = errno;
    ::close(fd);
    if (!ok) {
        throw HarnessError("test PKI: cannot write " + path.string() + ": " + std::strerror(saved));
    }
}

BioPtr mem_bio() {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        fail("out of memory");
    }
    return bio;
}

void append_cert(BIO* bio, X509* cert) {
    if (PEM_write_bio_X509(bio, cert) != 1) {
        fail("cannot encode a certificate");
    }
}

void append_key(BIO* bio, EVP_PKEY* key) {
    // PEM_write_bio_PrivateKey writes unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
    if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("cannot encode a key");
    }
}

void save_cert(const std::filesystem::path& path, X509* cert) {
    BioPtr bio = mem_bio();
    append_cert(bio.get(), cert);
    write_file(path, bio.get(), 0644);
}

void save_key(const std::filesystem::path& path, EVP_PKEY* key) {
    BioPtr bio = mem_bio();
    append_key(bio.get(), key);
    write_file(path, bio.get(), 0600);
}

using Extensions = std::vector<std::pair<int, std::string>>;

Extensions ca_extensions() {
    return {{NID_basic_constraints, "critical,CA:TRUE"},
            {NID_key_usage, "critical,keyCertSign,cRLSign"},
            {NID_subject_key_identifier, "hash"}};
}

Extensions server_extensions(
    const std::string& names = "DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1") {
    return {{NID_basic_constraints, "critical,CA:FALSE"},
            {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
            {NID_ext_key_usage, "serverAuth"},
            {NID_subject_alt_name, names},
            {NID_subject_key_identifier, "hash"},
            {NID_authority_key_identifier, "keyid:always"}};
}

Extensions client_extensions(const std::string& eku, bool has_issuer) {
    Extensions ext{{NID_basic_constraints, "critical,CA:FALSE"},
                   {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                   {NID_ext_key_usage, eku},
                   {NID_subject_key_identifier, "hash"}};
    if (has_issuer) {
        ext.emplace_back(NID_authority_key_identifier, "keyid:always");
    }
    return ext;
}

}  // namespace

PkiFiles make_test_pki(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw HarnessError("test PKI: cannot create " + dir.string() + ": " + ec.message());
    }
    PkiFiles files;
    files.dir = std::filesystem::absolute(dir);
    auto at = [&](const char* name) { return files.dir / name; };

    // RSA key generation is nearly all of the cost, so: the two RSA keys the header promises
    // (CA, server) plus one RSA key shared by all client certificates (they differ only in
    // validity, issuer and EKU), made on two threads; the untrusted CA's key is P-256.
    auto background = std::async(std::launch::async, [] {
        std::vector<EvpPkeyPtr> keys;
        keys.push_back(rsa_key());  // server
        keys.push_back(ec_key());   // server ECDSA
        keys.push_back(ec_key());   // other CA
        return keys;
    });
    EvpPkeyPtr ca_key = rsa_key();
    EvpPkeyPtr client_key = rsa_key();
    std::vector<EvpPkeyPtr> keys = background.get();
    EvpPkeyPtr server_key = std::move(keys.at(0));
    EvpPkeyPtr ecdsa_key = std::move(keys.at(1));
    EvpPkeyPtr other_ca_key = std::move(keys.at(2));

    X509Ptr ca = make_cert({"ftps-conform test CA", ca_key.get(), nullptr, nullptr, -kHour,
                            3650 * kDay, ca_extensions()});
    X509Ptr other_ca = make_cert({"ftps-conform other CA", other_ca_key.get(), nullptr, nullptr,
                                  -kHour, 3650 * kDay, ca_extensions()});
    files.ca_cert = at("ca.pem");
    files.ca_key = at("ca.key");
    files.other_ca_cert = at("other-ca.pem");
    save_cert(files.ca_cert, ca.get());
    save_key(files.ca_key, ca_key.get());
    save_cert(files.other_ca_cert, other_ca.get());

    X509Ptr server = make_cert({"localhost", server_key.get(), ca.get(), ca_key.get(), -kHour,
                                30 * kDay, server_extensions()});
    files.server_cert = at("server.pem");
    files.server_key = at("server.key");
    files.server_chain_and_key = at("server-chain-and-key.pem");
    save_cert(files.server_cert, server.get());
    save_key(files.server_key, server_key.get());
    BioPtr both = mem_bio();
    append_cert(both.get(), server.get());
    append_key(both.get(), server_key.get());
    write_file(files.server_chain_and_key, both.get(), 0600);
    files.server_cert_and_ca = at("server-and-ca.pem");
    BioPtr chain = mem_bio();
    append_cert(chain.get(), server.get());
    append_cert(chain.get(), ca.get());
    write_file(files.server_cert_and_ca, chain.get(), 0644);

    X509Ptr ecdsa = make_cert({"localhost", ecdsa_key.get(), ca.get(), ca_key.get(), -kHour,
                               30 * kDay, server_extensions()});
    files.server_ecdsa_cert = at("server-ecdsa.pem");
    files.server_ecdsa_key = at("server-ecdsa.key");
    save_cert(files.server_ecdsa_cert, ecdsa.get());
    save_key(files.server_ecdsa_key, ecdsa_key.get());

    // Server certificates that are bad in one way each (the reference server's cert-*
    // misbehaviours); they reuse the server key, which costs nothing.
    struct BadServerSpec {
        PkiFiles::ClientCert* out;
        const char* stem;
        const char* common_name;
        X509* issuer;
        EVP_PKEY* issuer_key;
        long not_before, not_after;
        const char* names;
    };
    const char* loopback_names = "DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1";
    const BadServerSpec bad_servers[] = {
        {&files.server_untrusted, "server-untrusted", "localhost", other_ca.get(),
         other_ca_key.get(), -kHour, 30 * kDay, loopback_names},
        {&files.server_expired, "server-expired", "localhost", ca.get(), ca_key.get(), -30 * kDay,
         -kDay, loopback_names},
        {&files.server_other_name, "server-other-name", "other.example", ca.get(), ca_key.get(),
         -kHour, 30 * kDay, "DNS:other.example"},
    };
    for (const BadServerSpec& b : bad_servers) {
        X509Ptr cert = make_cert({b.common_name, server_key.get(), b.issuer, b.issuer_key,
                                  b.not_before, b.not_after, server_extensions(b.names)});
        b.out->cert = at((std::string(b.stem) + ".pem").c_str());
        b.out->key = files.server_key;
        save_cert(b.out->cert, cert.get());
    }

    struct ClientSpec {
        PkiFiles::ClientCert* out;
        const char* stem;
        X509* issuer;
        EVP_PKEY* issuer_key;
        long not_before, not_after;
        const char* eku;
    };
    const ClientSpec clients[] = {
        {&files.client_valid, "client-valid", ca.get(), ca_key.get(), -kHour, 30 * kDay,
         "clientAuth"},
        {&files.client_untrusted, "client-untrusted", other_ca.get(), other_ca_key.get(), -kHour,
         30 * kDay, "clientAuth"},
        {&files.client_expired, "client-expired", ca.get(), ca_key.get(), -30 * kDay, -kDay,
         "clientAuth"},
        {&files.client_not_yet_valid, "client-not-yet-valid", ca.get(), ca_key.get(), kDay,
         30 * kDay, "clientAuth"},
        {&files.client_wrong_eku, "client-wrong-eku", ca.get(), ca_key.get(), -kHour, 30 * kDay,
         "serverAuth"},
        {&files.client_self_signed, "client-self-signed", nullptr, nullptr, -kHour, 30 * kDay,
         "clientAuth"},
    };
    for (const ClientSpec& c : clients) {
        X509Ptr cert = make_cert({"alice", client_key.get(), c.issuer, c.issuer_key, c.not_before,
                                  c.not_after, client_extensions(c.eku, c.issuer != nullptr)});
        c.out->cert = at((std::string(c.stem) + ".pem").c_str());
        c.out->key = at((std::string(c.stem) + ".key").c_str());
        save_cert(c.out->cert, cert.get());
        save_key(c.out->key, client_key.get());
    }
    return files;
}

}  // namespace fc
