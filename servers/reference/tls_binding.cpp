#include "servers/reference/tls_binding.hpp"

#include <cstdint>
#include <cstring>
#include <mutex>

namespace fc::ref {

namespace {

struct Indexes {
    int ssl = -1;      // SSL ex_data: TlsBinding*
    int session = -1;  // SSL_SESSION ex_data: owner number cast to a pointer
};

const Indexes& indexes() {
    static Indexes idx;
    static std::once_flag once;
    std::call_once(once, [] {
        idx.ssl = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
        idx.session = SSL_SESSION_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    });
    return idx;
}

TlsBinding* binding_of(SSL* ssl) {
    return static_cast<TlsBinding*>(SSL_get_ex_data(ssl, indexes().ssl));
}

int generate_ticket(SSL* ssl, void* /*arg*/) {
    TlsBinding* b = binding_of(ssl);
    SSL_SESSION* session = SSL_get0_session(ssl);
    if (b == nullptr || session == nullptr) {
        return 1;
    }
    std::uint32_t owner = static_cast<std::uint32_t>(b->owner);
    SSL_SESSION_set1_ticket_appdata(session, &owner, sizeof owner);
    return 1;
}

SSL_TICKET_RETURN decrypt_ticket(SSL* ssl, SSL_SESSION* session, const unsigned char* /*name*/,
                                 size_t /*name_len*/, SSL_TICKET_STATUS status, void* /*arg*/) {
    switch (status) {
        case SSL_TICKET_FATAL_ERR_MALLOC:
        case SSL_TICKET_FATAL_ERR_OTHER: return SSL_TICKET_RETURN_ABORT;
        case SSL_TICKET_SUCCESS:
        case SSL_TICKET_SUCCESS_RENEW: {
            TlsBinding* b = binding_of(ssl);
            void* data = nullptr;
            size_t len = 0;
            if (b != nullptr && session != nullptr &&
                SSL_SESSION_get0_ticket_appdata(session, &data, &len) == 1 &&
                len == sizeof(std::uint32_t)) {
                std::uint32_t owner = 0;
                std::memcpy(&owner, data, sizeof owner);
                b->ticket_from = static_cast<int>(owner);
            }
            return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE
                                                : SSL_TICKET_RETURN_USE_RENEW;
        }
        default: return SSL_TICKET_RETURN_IGNORE_RENEW;  // none, empty, not ours
    }
}

}  // namespace

void install_session_binding(SSL_CTX* ctx) {
    indexes();
    SSL_CTX_set_session_ticket_cb(ctx, generate_ticket, decrypt_ticket, nullptr);
}

void bind_connection(SSL* ssl, TlsBinding* binding) {
    SSL_set_ex_data(ssl, indexes().ssl, binding);
}

void mark_session_owner(SSL* ssl, const TlsBinding& binding) {
    if (SSL_SESSION* session = SSL_get0_session(ssl)) {
        SSL_SESSION_set_ex_data(session, indexes().session,
                                reinterpret_cast<void*>(static_cast<std::intptr_t>(binding.owner)));
    }
}

int resumed_from(SSL* ssl, const TlsBinding& binding) {
    if (SSL_session_reused(ssl) != 1) {
        return 0;
    }
    if (binding.ticket_from != 0) {
        return binding.ticket_from;
    }
    SSL_SESSION* session = SSL_get0_session(ssl);
    if (session == nullptr) {
        return 0;
    }
    return static_cast<int>(
        reinterpret_cast<std::intptr_t>(SSL_SESSION_get_ex_data(session, indexes().session)));
}

}  // namespace fc::ref
