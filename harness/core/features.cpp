#include "harness/core/features.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace fc {

namespace {
constexpr std::array<std::string_view, 16> kServerFeatures{
    "tls-required",
    "data-tls-required",
    "reuse-required",
    "reuse-optional",
    "verify-client",
    "verify-client-optional",
    "implicit",
    "min-tls12",
    "tls13-only",
    "ccc",
    "foreign-data-allowed",
    "anonymous",
    "auth-ssl",
    "mlsd",  // the server implements MLSD (RFC 3659 7), which is optional
    "ipv6",  // the server listens on ::1 (the harness starts and reaches it there)
    "session-lifetime-short",  // TLS sessions and tickets expire 2 s after they are made
};

// Each name is a switch the reference server implements (issue 6); the scripted test
// peer implements the ones the shipped scenarios use today.
constexpr std::array<std::string_view, 97> kMisbehaviours{
    "auth-tls-334",               // answers AUTH TLS with 334 instead of 234
    "auth-no-handshake",          // answers 234, then never completes a handshake
    "auth-reply-injected",        // sends "230 User logged in" in clear in the 234's segment
    "renegotiation-allowed",      // completes a client-initiated TLS 1.2 renegotiation
    "feat-hides-auth-tls",        // FEAT omits the AUTH TLS line
    "feat-hides-pbsz-prot",       // FEAT omits PBSZ and PROT
    "prot-without-pbsz",          // accepts PROT before PBSZ
    "prot-s-accepted",            // answers 200 to PROT S / PROT E
    "prot-unknown-accepted",      // answers 200 (not 504) to an unknown PROT level
    "prot-c-refused",             // refuses PROT C with 534 although no policy asks for it
    "auth-case-sensitive",        // refuses (500/504) AUTH TLS sent as "AUTH tls" or "auth tls"
    "auth-tls-c-refused",         // answers 504 to AUTH TLS-C instead of treating it as AUTH TLS
    "auth-unknown-accepted",      // answers 234 to AUTH with an unknown mechanism (AUTH X-FOO)
    "auth-empty-accepted",        // answers 234 to AUTH without a mechanism instead of 501
    "auth-twice-accepted",        // answers 234 to a second AUTH TLS inside TLS and starts no new
                                  // handshake
    "auth-after-login-accepted",  // answers 234 to AUTH TLS after a cleartext login and keeps the
                                  // login
    "auth-keeps-pending-user",  // keeps a USER sent before AUTH, so PASS right after the handshake
                                // logs in
    "auth-pipelined-executed",  // executes a command pipelined in clear after AUTH TLS and answers
                                // it inside TLS
    "handshake-failure-continues",  // after a failed control handshake goes on answering commands
                                    // in clear
    "feat-refused-before-auth",     // answers FEAT before AUTH with 550 when TLS is required
    "quit-refused-before-auth",     // answers QUIT before AUTH with 550 when TLS is required
    "host-without-sni-accepted",    // answers 220 to HOST on a TLS session whose ClientHello had no
                                    // SNI
    "host-sni-mismatch-accepted",   // answers 220 to HOST naming another host than the TLS SNI
    "adat-accepted",                // answers 235 to ADAT after AUTH TLS
    "mic-conf-enc-accepted",        // answers 200 to MIC, CONF and ENC after AUTH TLS
    "stat-reply-in-clear",  // writes the multi-line STAT reply in clear on a TLS control connection
    "pbsz-before-auth-accepted",  // answers 200 to PBSZ before AUTH
    "prot-before-auth-accepted",  // answers 200 to PROT before AUTH
    "pbsz-zero-refused",          // answers 503 to PBSZ 0 after a successful AUTH TLS
    "pbsz-echoes-size",           // answers PBSZ 1024 with 200 but without a PBSZ=0 token
    "pbsz-garbage-accepted",      // answers 200 to PBSZ with a non-numeric or larger-than-32-bit
                                  // argument
    "prot-p-refused",    // answers 534 to PROT P after PBSZ 0 although no policy forbids it
    "prot-c-ignored",    // keeps protecting data connections after PROT C (PROT P stays in force)
    "prot-p-forgotten",  // falls back to clear data after the first protected transfer of a PROT P
    "prot-level-fixed-at-pasv",  // uses the protection level in force at PASV, not at the transfer
                                 // command
    "data-no-tls",  // sends data in clear under PROT P (no TLS handshake on the data connection)
    "data-other-cert",       // presents a certificate for another name (CN=other.example) on data
                             // connections
    "data-port-tls-client",  // acts as TLS client (sends a ClientHello) on PORT/EPRT data
                             // connections
    "data-no-close-notify",  // closes protected download data connections without close_notify
    "download-cut-226",      // cuts a protected file download after 64 KiB (a FIN, no
                             // close_notify) and still answers 226
    "transfer-blocks-control",    // reads no command during a download (ABOR and STAT wait for its
                                  // end), as a server relying on SIGURG would
    "truncated-upload-accepted",  // answers 226 to a protected upload ended without close_notify
                                  // (by a FIN or a reset)
    "upload-tail-lost",     // stores only the first 64 KiB of a protected upload and still answers
                            // 226, however the data connection ended (close_notify, FIN, reset)
    "appe-overwrites",      // treats APPE like STOR (replaces the file instead of appending)
    "epsv-refused",         // answers EPSV with 502 (not implemented), as an old server does
    "epsv-dead-port",       // answers EPSV with 229 naming a port nobody listens on
    "pasv-refused",         // answers PASV with 502 (not implemented)
    "pasv-ipv6-dead-port",  // on ::1 answers PASV with a 227 whose port nobody listens on
    "epsv-format-wrong",    // answers EPSV with 229 but without the (|||port|) form
    "epsv-bad-proto-accepted",  // answers 229 to EPSV with an unsupported network protocol (EPSV 2)
    "eprt-bad-proto-accepted",  // answers 200 to EPRT with an unknown network protocol (|3|)
    "epsv-all-ignored",         // still accepts PASV after EPSV ALL
    "rest-refused",             // answers 502 to REST
    "rest-stor-ignored",        // a STOR after REST writes from byte 0 (replaces the file)
    "pasv-needs-prot-p",        // with data-tls-required, refuses PASV/EPSV (521) before PROT P
    "data-session-not-resumable",   // never resumes a TLS session on data connections (full
                                    // handshake each time)
    "data-session-resumable-once",  // resumes the control session only on the first data connection
                                    // of a login
    "data-tls-version-differs",     // negotiates another TLS version on data than on control (1.2
                                    // under a 1.3 control, 1.3 under 1.2)
    "data-tls-failure-226",        // answers 226 after a data connection whose TLS handshake failed
                                   // (instead of 425/522: RFC 4217 10.2)
    "data-early-bytes-dropped",    // discards what the client sent on a passive data connection
                                   // before the transfer command (a ClientHello sent early)
    "ccc-before-login-accepted",   // answers 200 to CCC before login and clears the control channel
    "ccc-clear-accepted",          // answers 200 to CCC on a control connection that has no TLS
    "ccc-no-close-notify",         // answers 200 to CCC but closes TLS without sending close_notify
    "ccc-drops-data-protection",   // after CCC serves data connections in clear although PROT P is
                                   // in force
    "pbsz-after-ccc-accepted",     // answers 200 to PBSZ after CCC
    "prot-after-ccc-accepted",     // answers 200 to PROT after CCC
    "rein-ignored",                // answers 200 to REIN without resetting the TLS session
    "client-cert-valid-refused",   // refuses every client certificate, even a valid one from the
                                   // trusted CA
    "cert-refusal-without-alert",  // refuses a client certificate (or its absence) by closing
                                   // the TCP connection after the handshake, without an alert
    "tls10-accepted",        // negotiates TLS 1.0 (security level 0) with a TLS 1.0-only client
    "tls11-accepted",        // negotiates TLS 1.1 (security level 0) with a TLS 1.1-only client
    "tls13-disabled",        // never negotiates TLS 1.3 (highest version TLS 1.2)
    "alpn-ignored",          // ignores the client's ALPN list (completes the handshake even
                             // when "ftp" is not in it)
    "early-data-offered",    // its TLS 1.3 session tickets offer 0-RTT early data (16 KiB)
    "weak-suites-accepted",  // negotiates NULL-encryption and anonymous suites (TLS 1.2) with a
                             // client that offers only those, and answers a ClientHello
                             // offering RC4, 3DES, DES or export suites with a ServerHello
                             // choosing one (by hand: OpenSSL 3 has none of them)
    "compression-accepted",  // answers a ClientHello offering DEFLATE compression with a
                             // ServerHello choosing it (by hand, as above)
    "tls11-only",           // offers only TLS 1.0 and 1.1 (security level 0), as an old server does
    "auth-ssl-refused",     // answers 504 to AUTH SSL although configured to accept it
    "auth-ssl-clear-data",  // accepts AUTH SSL but keeps data connections clear until PROT P
    "port-privileged-accepted",     // accepts PORT/EPRT naming a port below 1024 (RFC 2577 3)
    "user-unknown-530",             // answers 530 to USER naming an unknown user (RFC 2577 7)
    "user-logged-in-without-pass",  // answers 230 to USER (the test user): no PASS follows
    "login-attempts-unlimited",     // never closes the session after failed logins (RFC 2577 5)
    "policy-close-without-421",     // under tls-required, answers a command before AUTH with
                                    // 530 and closes the connection (no 421)
    "login-close-without-421",      // after the third failed login answers 530 and closes,
                                    // without the 421 (RFC 2577 5)
    // Misbehaviours that test clients (client-side scenarios, issue 7):
    "cert-untrusted",        // presents a server certificate signed by a CA the run does not trust
    "cert-expired",          // presents an expired server certificate (trusted CA, right names)
    "cert-wrong-host",       // presents a certificate for other.example (trusted CA)
    "auth-refused",          // answers AUTH TLS (and AUTH SSL) with 534, as a server without TLS
    "replies-split",         // writes every reply in small TCP segments with pauses between them
    "multiline-tricky",      // multi-line replies whose continuation lines look like final lines
    "pasv-foreign-address",  // PASV answers 127.0.0.2 (nothing listens there), not 127.0.0.1
    "replies-slow",          // waits 0.25 s before every reply but the greeting
    "port-connect-foreign-source",  // makes every PORT/EPRT data connection after its first
                                    // from 127.0.0.2, not from the control connection's
                                    // address (RFC 2577 4)
    // Faults the harness must survive (its own tests, harness/engine/fault_test.cpp; no
    // scenario's negative control uses them):
    "never-greet",        // accepts connections and never sends the 220 greeting
    "crash-after-login",  // answers 230 to a good PASS, then dies by SIGSEGV (no core file)
    "transfer-stalls",    // sends the first 64 KiB of a download, then nothing (no 226) until
                          // the server stops
};

// clients/README.md "Actions and settings".
constexpr std::array<std::string_view, 12> kClientSettings{
    "explicit",    "implicit", "prot-p", "prot-c", "verify", "no-verify",
    "client-cert", "passive",  "active", "tls12",  "tls13",  "no-reuse",
};
constexpr std::array<std::string_view, 7> kClientActions{"login",  "list",  "get", "put",
                                                         "delete", "mkdir", "fxp"};

}  // namespace

std::span<const std::string_view> known_server_features() {
    return kServerFeatures;
}
std::span<const std::string_view> known_misbehaviours() {
    return kMisbehaviours;
}

bool has_feature(const std::vector<std::string>& features, std::string_view feature) {
    return std::find(features.begin(), features.end(), feature) != features.end();
}

bool is_known_server_feature(std::string_view name) {
    return std::find(kServerFeatures.begin(), kServerFeatures.end(), name) != kServerFeatures.end();
}
bool is_known_misbehaviour(std::string_view name) {
    return std::find(kMisbehaviours.begin(), kMisbehaviours.end(), name) != kMisbehaviours.end();
}

std::span<const std::string_view> known_client_settings() {
    return kClientSettings;
}
bool is_known_client_setting(std::string_view name) {
    return std::find(kClientSettings.begin(), kClientSettings.end(), name) != kClientSettings.end();
}
std::vector<std::string> conflicting_client_settings(const std::vector<std::string>& settings) {
    static constexpr std::pair<std::string_view, std::string_view> kPairs[] = {
        {"explicit", "implicit"}, {"prot-p", "prot-c"}, {"verify", "no-verify"},
        {"passive", "active"},    {"tls12", "tls13"},
    };
    auto has = [&](std::string_view name) {
        return std::find(settings.begin(), settings.end(), name) != settings.end();
    };
    std::vector<std::string> out;
    for (const auto& [a, b] : kPairs) {
        if (has(a) && has(b)) {
            out.push_back(std::string(a) + " and " + std::string(b));
        }
    }
    return out;
}

std::span<const std::string_view> known_client_actions() {
    return kClientActions;
}
bool is_known_client_action(std::string_view name) {
    return std::find(kClientActions.begin(), kClientActions.end(), name) != kClientActions.end();
}

}  // namespace fc
