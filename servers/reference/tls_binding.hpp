#pragma once
// Binds TLS sessions to the control connection that made them, so a data connection can
// be checked to resume the session of *its own* control connection (RFC 4217 10.2, the
// vsftpd/ProFTPD "session reuse required" policy). Tickets (TLS 1.2 and 1.3) carry the
// control session number in their app data; for TLS 1.2 session-ID resumption the cached
// SSL_SESSION carries it as ex_data.
#include <openssl/ssl.h>

namespace fc::ref {

/// Per connection: who owns it, and whose ticket it resumed (filled during the handshake).
struct TlsBinding {
    int owner = 0;        ///< the control session number of this connection
    int ticket_from = 0;  ///< the owner found in the ticket the client offered, 0 if none
};

/// Installs the ticket callbacks on `ctx` (once per context).
void install_session_binding(SSL_CTX* ctx);
/// Attaches `binding` to `ssl` before its handshake; `binding` must outlive the handshake.
void bind_connection(SSL* ssl, TlsBinding* binding);
/// After a successful handshake: marks the negotiated session as owned by binding.owner.
void mark_session_owner(SSL* ssl, const TlsBinding& binding);
/// After a successful handshake: the control session whose TLS session was resumed, 0 when
/// the handshake was full or the owner is unknown.
int resumed_from(SSL* ssl, const TlsBinding& binding);

}  // namespace fc::ref
