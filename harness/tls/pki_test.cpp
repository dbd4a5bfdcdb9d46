#include "harness/tls/pki.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/tls/ssl_ptr.hpp"

namespace fc {
namespace {

X509Ptr load_cert(const std::filesystem::path& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

class PkiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = std::make_unique<testing::TempDir>("pki-test");
        auto start = std::chrono::steady_clock::now();
        pki_ = std::make_unique<PkiFiles>(make_test_pki(dir_->path() / "pki"));
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        std::printf("make_test_pki took %lld ms\n", static_cast<long long>(ms.count()));
    }
    static void TearDownTestSuite() {
        pki_.reset();
        dir_.reset();
    }

    /// X509_verify_cert of `cert` against `trusted`: X509_V_OK or the error.
    static int verify(const std::filesystem::path& cert, const std::filesystem::path& trusted,
                      int purpose = 0) {
        X509StorePtr store(X509_STORE_new());
        X509_STORE_load_file(store.get(), trusted.c_str());
        X509Ptr leaf = load_cert(cert);
        EXPECT_TRUE(leaf) << cert;
        X509StoreCtxPtr ctx(X509_STORE_CTX_new());
        X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
        if (purpose != 0) {
            X509_STORE_CTX_set_purpose(ctx.get(), purpose);
        }
        X509_verify_cert(ctx.get());
        return X509_STORE_CTX_get_error(ctx.get());
    }

    static std::unique_ptr<testing::TempDir> dir_;
    static std::unique_ptr<PkiFiles> pki_;
};

std::unique_ptr<testing::TempDir> PkiTest::dir_;
std::unique_ptr<PkiFiles> PkiTest::pki_;

TEST_F(PkiTest, AllFilesExistWithTheirModes) {
    const PkiFiles& p = *pki_;
    for (const auto& cert :
         {p.ca_cert, p.server_cert, p.server_ecdsa_cert, p.other_ca_cert, p.client_valid.cert,
          p.client_untrusted.cert, p.client_expired.cert, p.client_not_yet_valid.cert,
          p.client_wrong_eku.cert, p.client_self_signed.cert}) {
        ASSERT_TRUE(std::filesystem::exists(cert)) << cert;
        EXPECT_TRUE(cert.is_absolute()) << cert;
        EXPECT_EQ(mode_of(cert), 0644u) << cert;
        EXPECT_TRUE(load_cert(cert)) << cert;
    }
    for (const auto& key :
         {p.ca_key, p.server_key, p.server_ecdsa_key, p.server_chain_and_key, p.client_valid.key,
          p.client_untrusted.key, p.client_expired.key, p.client_not_yet_valid.key,
          p.client_wrong_eku.key, p.client_self_signed.key}) {
        ASSERT_TRUE(std::filesystem::exists(key)) << key;
        EXPECT_EQ(mode_of(key), 0600u) << key;
        EXPECT_NE(testing::read_file(key).find("-----BEGIN PRIVATE KEY-----"), std::string::npos)
            << key;
    }
}

TEST_F(PkiTest, ChainAndKeyIsCertThenKey) {
    std::string both = testing::read_file(pki_->server_chain_and_key);
    std::size_t cert = both.find("-----BEGIN CERTIFICATE-----");
    std::size_t key = both.find("-----BEGIN PRIVATE KEY-----");
    ASSERT_NE(cert, std::string::npos);
    ASSERT_NE(key, std::string::npos);
    EXPECT_LT(cert, key);
    EXPECT_EQ(both, testing::read_file(pki_->server_cert) + testing::read_file(pki_->server_key));
}

TEST_F(PkiTest, ServerCertsVerifyAgainstTheCa) {
    EXPECT_EQ(verify(pki_->server_cert, pki_->ca_cert, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    EXPECT_EQ(verify(pki_->server_ecdsa_cert, pki_->ca_cert, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    EXPECT_NE(verify(pki_->server_cert, pki_->other_ca_cert), X509_V_OK);
}

TEST_F(PkiTest, ServerCertHasTheLoopbackNames) {
    X509Ptr cert = load_cert(pki_->server_cert);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
    for (const char* ip : {"127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"}) {
        EXPECT_EQ(X509_check_ip_asc(cert.get(), ip, 0), 1) << ip;
    }
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.9", 0), 0);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_sha256WithRSAEncryption);
    EXPECT_NE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER, 0u);
    EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
}

TEST_F(PkiTest, CaIsACa) {
    X509Ptr ca = load_cert(pki_->ca_cert);
    ASSERT_TRUE(ca);
    EXPECT_EQ(X509_check_ca(ca.get()), 1);
    EXPECT_NE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN, 0u);
    EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
}

TEST_F(PkiTest, SerialsDiffer) {
    X509Ptr a = load_cert(pki_->ca_cert);
    X509Ptr b = load_cert(pki_->server_cert);
    ASSERT_TRUE(a && b);
    EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())),
              0);
}

TEST_F(PkiTest, ClientCertsFailForTheirReason) {
    const PkiFiles& p = *pki_;
    EXPECT_EQ(verify(p.client_valid.cert, p.ca_cert, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_EQ(verify(p.client_expired.cert, p.ca_cert), X509_V_ERR_CERT_HAS_EXPIRED);
    EXPECT_EQ(verify(p.client_not_yet_valid.cert, p.ca_cert), X509_V_ERR_CERT_NOT_YET_VALID);
    EXPECT_EQ(verify(p.client_untrusted.cert, p.ca_cert),
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    EXPECT_EQ(verify(p.client_self_signed.cert, p.ca_cert), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    EXPECT_EQ(verify(p.client_wrong_eku.cert, p.ca_cert, X509_PURPOSE_SSL_CLIENT),
              X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(PkiTest, ClientCertsAreAlice) {
    const PkiFiles& p = *pki_;
    for (const auto& c : {p.client_valid, p.client_untrusted, p.client_expired,
                          p.client_not_yet_valid, p.client_wrong_eku, p.client_self_signed}) {
        X509Ptr cert = load_cert(c.cert);
        ASSERT_TRUE(cert) << c.cert;
        char cn[64] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
        EXPECT_STREQ(cn, "alice") << c.cert;
    }
    X509Ptr wrong = load_cert(p.client_wrong_eku.cert);
    ASSERT_TRUE(wrong);
    EXPECT_EQ(X509_get_extended_key_usage(wrong.get()) & XKU_SSL_CLIENT, 0u);
    EXPECT_NE(X509_get_extended_key_usage(wrong.get()) & XKU_SSL_SERVER, 0u);
    X509Ptr valid = load_cert(p.client_valid.cert);
    ASSERT_TRUE(valid);
    EXPECT_NE(X509_get_extended_key_usage(valid.get()) & XKU_SSL_CLIENT, 0u);
}

TEST_F(PkiTest, RemakingReplacesFiles) {
    testing::TempDir dir("pki-remake");
    {
        std::ofstream stale(dir.path() / "ca.key");
        stale << "stale";
    }
    std::filesystem::permissions(dir.path() / "ca.key", std::filesystem::perms::all);
    PkiFiles again = make_test_pki(dir.path());
    EXPECT_NE(testing::read_file(again.ca_key).find("-----BEGIN PRIVATE KEY-----"),
              std::string::npos);
    EXPECT_EQ(mode_of(again.ca_key), 0600u);
    EXPECT_NE(testing::read_file(again.ca_cert), testing::read_file(pki_->ca_cert));
}

}  // namespace
}  // namespace fc
