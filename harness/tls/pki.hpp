#pragma once
// A throwaway test PKI, generated in-process with the OpenSSL 3 API: one trusted CA, server
// certificates for the loopback names, and client certificates that are good or bad in one
// specific way each, for the client-certificate scenarios.
#include <filesystem>

namespace fc {

/// Absolute paths of the PEM files of one test PKI. Certificates are single PEM certificates,
/// keys are unencrypted PKCS#8 PEM keys.
struct PkiFiles {
    std::filesystem::path dir;      ///< the folder holding everything below
    std::filesystem::path ca_cert;  ///< the trusted CA (RSA 2048, CN "ftps-conform test CA")
    std::filesystem::path ca_key;
    std::filesystem::path server_cert;  ///< RSA 2048, CN localhost, SAN localhost and loopback IPs
    std::filesystem::path server_key;
    std::filesystem::path server_chain_and_key;  ///< server cert then its key (pure-ftpd)
    /// Server cert then the CA cert (pure-ftpd's -2 file, which is also its trust store
    /// for client certificates).
    std::filesystem::path server_cert_and_ca;
    std::filesystem::path server_ecdsa_cert;  ///< P-256, same names as server_cert
    std::filesystem::path server_ecdsa_key;
    std::filesystem::path other_ca_cert;  ///< a second CA that nothing trusts

    /// A client certificate and its key; all have CN "alice" (the test user).
    struct ClientCert {
        std::filesystem::path cert, key;
    };
    ClientCert client_valid;          ///< signed by the CA, EKU clientAuth, valid now
    ClientCert client_untrusted;      ///< signed by other_ca
    ClientCert client_expired;        ///< notAfter in the past
    ClientCert client_not_yet_valid;  ///< notBefore in the future
    ClientCert client_wrong_eku;      ///< EKU serverAuth only
    ClientCert client_self_signed;    ///< its own issuer
    /// Server certificates that a client must refuse, all with the server key:
    ClientCert server_untrusted;   ///< the loopback names, signed by other_ca
    ClientCert server_expired;     ///< the loopback names, notAfter in the past
    ClientCert server_other_name;  ///< CN and SAN other.example only, signed by the CA
};

/// Makes every file of a fresh PKI in `dir` (created if missing; existing files of the same
/// names are replaced). Keys get mode 0600, certificates 0644. Validity: now - 1 h to now +
/// 30 days unless a certificate is bad by design. Serials are random. Throws HarnessError
/// (with OpenSSL's reasons) when a key, certificate or file cannot be made.
PkiFiles make_test_pki(const std::filesystem::path& dir);

}  // namespace fc
