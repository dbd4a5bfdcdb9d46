#pragma once
// OpenSSL objects are held only through these owning pointers (harness/README.md "House style"):
// every early return frees what was made, and ownership is visible in the type.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace fc {

/// Calls an OpenSSL free function; `Free` must accept nullptr (they all do).
template <auto Free>
struct OpenSslDeleter {
    template <typename T>
    void operator()(T* object) const noexcept {
        Free(object);
    }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<&SSL_free>>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpenSslDeleter<&SSL_SESSION_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<&X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<&EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<&BIO_free_all>>;
using BioMethodPtr = std::unique_ptr<BIO_METHOD, OpenSslDeleter<&BIO_meth_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<&X509_STORE_CTX_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslDeleter<&X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<&X509_EXTENSION_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<&BN_free>>;

/// Drains this thread's OpenSSL error queue into one line, oldest first, entries joined by
/// "; ", each as "library: reason (detail)". Empty when the queue was empty.
std::string openssl_errors();

/// `what` followed by ": " and openssl_errors(), or `what` alone when the queue is empty.
std::string with_openssl_errors(const std::string& what);

}  // namespace fc
