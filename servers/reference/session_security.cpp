// The RFC 2228 / RFC 4217 security commands of a session: AUTH (and the control
// handshake), PBSZ, PROT, CCC, HOST against the TLS SNI.
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include <thread>

#include "harness/core/text.hpp"
#include "harness/tls/hello_probe.hpp"
#include "servers/reference/session.hpp"

namespace fc::ref {

namespace {

constexpr Millis kHandshakeTimeout{20000};

}  // namespace

void Session::log_tls(const char* channel, int data, const TlsHandshakeResult& r,
                      const TlsBinding& binding) {
    Event e = log_.event(id_, "tls");
    e.str("channel", channel);
    if (data > 0) {
        e.num("data", data);
    }
    e.flag("ok", r.stream != nullptr);
    if (!r.stream) {
        e.str("error", r.error);
        log_.write(e);
        return;
    }
    const TlsFacts& f = r.stream->facts();
    e.str("version", f.version)
        .str("cipher", f.cipher)
        .flag("resumed", f.resumed)
        .num("resumed_from", resumed_from(r.stream->native_handle(), binding))
        .str("client_cert", f.peer_subject)
        .str("client_cert_verify", f.verify_error.empty() ? "ok" : f.verify_error)
        .str("sni", f.sni_received);
    log_.write(e);
}

bool Session::agree_to_weak_hello() {
    const bool suites = bad("weak-suites-accepted");
    const bool compression = bad("compression-accepted");
    if (!suites && !compression) {
        return false;
    }
    // Look at the ClientHello without taking it: OpenSSL still reads it when the
    // misbehaviour has nothing to agree to.
    const Deadline until = Deadline::after(kHandshakeTimeout);
    std::string peeked(16 * 1024 + 5, '\0');
    std::size_t seen = 0;
    std::optional<OfferedHello> hello;
    while (!hello) {
        if (!wait_readable(fd_.get(), until, stop_).ok()) {
            return false;
        }
        ssize_t n = ::recv(fd_.get(), peeked.data(), peeked.size(), MSG_PEEK);
        if (n <= 0) {
            return false;
        }
        hello = read_offered_hello(std::string_view(peeked.data(), static_cast<std::size_t>(n)));
        if (!hello) {
            if (static_cast<std::size_t>(n) == peeked.size()) {
                return false;  // no ClientHello fits: not ours to judge
            }
            if (static_cast<std::size_t>(n) == seen) {
                std::this_thread::sleep_for(Millis(5));  // the rest is still on its way
            }
            seen = static_cast<std::size_t>(n);
        }
    }
    std::uint16_t suite = 0;
    std::uint8_t method = 0;
    if (suites) {
        auto weak = std::find_if(hello->suites.begin(), hello->suites.end(), is_legacy_weak_suite);
        if (weak != hello->suites.end()) {
            suite = *weak;
        }
    }
    if (compression && !hello->suites.empty()) {
        auto m = std::find_if(hello->compression.begin(), hello->compression.end(),
                              [](std::uint8_t c) { return c != 0; });
        if (m != hello->compression.end()) {
            method = *m;
            suite = suite != 0 ? suite : hello->suites.front();
        }
    }
    if (suite == 0) {
        return false;
    }
    send_all(fd_.get(), server_hello_record(suite, method), Deadline::after(Millis(2000)), stop_);
    log_.write(log_.event(id_, "tls")
                   .str("channel", "control")
                   .flag("ok", false)
                   .str("error", "answered by hand: a ServerHello choosing " + suite_name(suite) +
                                     ", compression method " + std::to_string(method)));
    ::shutdown(fd_.get(), SHUT_RDWR);
    return true;
}

bool Session::start_control_tls() {
    if (agree_to_weak_hello()) {
        return false;
    }
    TlsBinding* binding = &control_binding_;
    binding->ticket_from = 0;
    // cert-refusal-without-alert: the handshake accepts any client certificate (or none);
    // one the configuration refuses then gets the TCP connection closed, without an alert.
    const bool silent = bad("cert-refusal-without-alert") &&
                        (has("verify-client") || has("verify-client-optional"));
    TlsHandshakeResult r =
        TlsStream::accept(fd_.get(), shared_.tls, Deadline::after(kHandshakeTimeout), stop_,
                          [binding, silent](SSL* ssl) {
                              bind_connection(ssl, binding);
                              if (silent) {
                                  SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any_certificate);
                              }
                          });
    if (silent && r.stream) {
        SSL* ssl = r.stream->native_handle();
        bool missing = SSL_get0_peer_certificate(ssl) == nullptr;
        bool refused =
            missing ? !has("verify-client-optional") : SSL_get_verify_result(ssl) != X509_V_OK;
        if (refused) {
            log_.write(log_.event(id_, "refused")
                           .str("what", "client-cert")
                           .str("detail", missing ? "no client certificate; closed without an alert"
                                                  : "client certificate not trusted; closed "
                                                    "without an alert"));
            ::shutdown(fd_.get(), SHUT_RDWR);  // before the stream goes: nothing more is sent
            r.stream.reset();
            return false;
        }
    }
    log_tls("control", 0, r, control_binding_);
    if (!r.stream) {
        if (r.error.find("certificate") != std::string::npos ||
            r.error.find("alert") != std::string::npos) {
            log_.write(
                log_.event(id_, "refused").str("what", "client-cert").str("detail", r.error));
        }
        return false;
    }
    tls_ = std::move(r.stream);
    mark_session_owner(tls_->native_handle(), control_binding_);
    control_version_ = tls_->facts().version;
    return true;
}

void Session::close_control_tls() {
    if (!tls_) {
        return;
    }
    tls_->shutdown(Deadline::after(Millis(1000)), CancelToken{}, false);  // bounded
    const TlsFacts& f = tls_->facts();
    log_.write(log_.event(id_, "tls-close")
                   .str("channel", "control")
                   .flag("close_notify_received", f.close_notify_received)
                   .flag("close_notify_sent", f.close_notify_sent));
    tls_.reset();
}

void Session::cmd_auth(const Command& cmd) {
    if (bad("auth-case-sensitive") &&
        (cmd.line.compare(0, 4, "AUTH") != 0 || cmd.arg != upper(cmd.arg))) {
        reply(504, "AUTH mechanism not understood");
        return;
    }
    std::string mech = upper(cmd.arg);
    while (!mech.empty() && mech.back() == ' ') {
        mech.pop_back();
    }
    if (mech.empty() && !bad("auth-empty-accepted")) {
        reply(501, "AUTH needs a mechanism, e.g. AUTH TLS");
        return;
    }
    if (tls_) {
        if (bad("auth-twice-accepted")) {
            reply(234, "AUTH " + mech + " ok");
            return;
        }
        reply(503, "TLS is already active on this connection");
        return;
    }
    if (ccc_done_) {
        reply(503, "TLS was cleared by CCC; AUTH is not accepted again");
        return;
    }
    if (logged_in_ && !bad("auth-after-login-accepted")) {
        reply(503, "AUTH must come before login");
        return;
    }
    bool tls = mech == "TLS" || mech == "TLS-C";
    bool ssl = mech == "SSL";
    if (mech == "TLS-C" && bad("auth-tls-c-refused")) {
        reply(504, "AUTH TLS-C not supported");
        return;
    }
    if (ssl && (!has("auth-ssl") || bad("auth-ssl-refused"))) {
        reply(504, "AUTH SSL not supported, use AUTH TLS");
        return;
    }
    if (!tls && !ssl) {
        if (mech.empty() ? !bad("auth-empty-accepted") : !bad("auth-unknown-accepted")) {
            reply(504, "Security mechanism " + mech + " not understood");
            return;
        }
    }
    if ((tls || ssl) && bad("auth-refused")) {
        reply(534, "TLS is not available");
        return;
    }
    if (bad("auth-reply-injected")) {
        // The STARTTLS injection class: a forged reply rides in the same segment as the 234,
        // in clear, so a client that keeps what it read before the handshake takes it for
        // the first reply inside TLS (the reply to its USER).
        std::string text = "AUTH " + mech + " ok, start the TLS handshake";
        log_.write(log_.event(id_, "reply")
                       .num("code", 234)
                       .str("text", "234 " + text)
                       .flag("protected", false)
                       .str("injected", "230 User logged in, proceed"));
        if (!write_control("234 " + text + "\r\n230 User logged in, proceed\r\n", true)) {
            end("error: cannot write a reply");
            return;
        }
    } else {
        reply(bad("auth-tls-334") ? 334 : 234, "AUTH " + mech + " ok, start the TLS handshake");
    }
    if (closing_) {
        return;
    }
    if (bad("auth-no-handshake")) {
        // Never answer the ClientHello: read and drop until the peer gives up.
        Deadline idle = Deadline::after(std::chrono::seconds(config_.idle_timeout_seconds));
        char buf[4096];
        while (recv_some(fd_.get(), buf, sizeof buf, idle, stop_).ok()) {
        }
        end("error: no TLS handshake (auth-no-handshake)");
        return;
    }
    if (!bad("auth-pipelined-executed")) {
        lines_.clear();  // RFC 4217 4: nothing sent in clear after AUTH is executed
    }
    if (!bad("auth-keeps-pending-user")) {
        pending_user_.clear();
        user_given_ = false;
    }
    pbsz_ = false;
    prot_ = 'C';
    asked_prot_ = 'C';
    if (!start_control_tls()) {
        if (bad("handshake-failure-continues")) {
            reply(500, "TLS handshake failed; going on in clear");
            return;
        }
        end("error: TLS handshake failed");
        return;
    }
    if (ssl) {
        asked_prot_ = 'P';
    }
    if (ssl && !bad("auth-ssl-clear-data")) {
        prot_ = 'P';  // AUTH SSL implies protected data (as the old draft servers do)
    }
}

void Session::cmd_pbsz(const Command& cmd) {
    if (!tls_) {
        bool accept = ccc_done_ ? bad("pbsz-after-ccc-accepted") : bad("pbsz-before-auth-accepted");
        if (accept) {
            reply(200, "PBSZ=0");
        } else {
            reply(503, ccc_done_ ? "PBSZ is not accepted after CCC" : "PBSZ needs AUTH first");
        }
        return;
    }
    const std::string& a = cmd.arg;
    bool numeric = !a.empty() && a.size() <= 10 &&
                   std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!numeric || std::stoull(a) > 0xFFFFFFFFull) {
        if (bad("pbsz-garbage-accepted")) {
            reply(200, "PBSZ=0");
            pbsz_ = true;
        } else {
            reply(501, "PBSZ needs a decimal buffer size (0 to 4294967295)");
        }
        return;
    }
    if (std::stoull(a) == 0 && bad("pbsz-zero-refused")) {
        reply(503, "PBSZ refused");
        return;
    }
    pbsz_ = true;
    reply(200, bad("pbsz-echoes-size") ? "PBSZ " + a + " accepted" : "PBSZ=0");
}

void Session::cmd_prot(const Command& cmd) {
    if (!tls_) {
        bool accept = ccc_done_ ? bad("prot-after-ccc-accepted") : bad("prot-before-auth-accepted");
        if (accept) {
            reply(200, "Protection level set");
        } else {
            reply(503, ccc_done_ ? "PROT is not accepted after CCC" : "PROT needs AUTH first");
        }
        return;
    }
    if (!pbsz_ && !bad("prot-without-pbsz")) {
        reply(503, "PROT needs PBSZ first");
        return;
    }
    std::string level = upper(cmd.arg);
    if (level == "C") {
        if (has("data-tls-required") || bad("prot-c-refused")) {
            reply(534, "Clear data connections are refused by policy");
            return;
        }
        if (!(bad("prot-c-ignored") && prot_ == 'P')) {
            prot_ = 'C';
        }
        asked_prot_ = 'C';
        reply(200, "Protection level set to Clear");
    } else if (level == "P") {
        if (bad("prot-p-refused")) {
            reply(534, "Protection level P refused");
            return;
        }
        prot_ = 'P';
        asked_prot_ = 'P';
        reply(200, "Protection level set to Private");
    } else if (level == "S" || level == "E") {
        if (bad("prot-s-accepted")) {
            reply(200, "Protection level set");
            return;
        }
        reply(536, "Protection level " + level + " not supported by TLS");
    } else if (level.empty()) {
        reply(501, "PROT needs a level: C or P");
    } else {
        if (bad("prot-unknown-accepted")) {
            reply(200, "Protection level set");
            return;
        }
        reply(504, "Protection level " + level + " not understood");
    }
}

void Session::cmd_ccc() {
    if (!tls_) {
        if (bad("ccc-clear-accepted")) {
            reply(200, "CCC ok");
        } else {
            reply(533, "CCC: the control connection is not protected");
        }
        return;
    }
    if (!bad("ccc-before-login-accepted")) {
        if (!logged_in_) {
            reply(530, "CCC needs a login first");
            return;
        }
        if (!has("ccc")) {
            reply(534, "CCC refused by policy");
            return;
        }
    }
    reply(200, "CCC ok, clearing the control connection");
    if (closing_) {
        return;
    }
    Deadline d = Deadline::after(Millis(10000));
    if (bad("ccc-no-close-notify")) {
        char buf[4096];
        while (!tls_->facts().close_notify_received) {
            if (!tls_->read_some(buf, sizeof buf, d, stop_).ok()) {
                break;
            }
        }
    } else {
        tls_->shutdown(d, stop_, true);
    }
    const TlsFacts& f = tls_->facts();
    log_.write(log_.event(id_, "tls-close")
                   .str("channel", "control")
                   .flag("close_notify_received", f.close_notify_received)
                   .flag("close_notify_sent", f.close_notify_sent));
    log_.write(log_.event(id_, "ccc"));
    tls_.reset();
    ccc_done_ = true;
}

void Session::cmd_host(const Command& cmd) {
    if (logged_in_ || user_given_) {
        reply(503, "HOST must come before USER");
        return;
    }
    if (cmd.arg.empty()) {
        reply(501, "HOST needs a host name");
        return;
    }
    if (tls_) {
        const std::string& sni = tls_->facts().sni_received;
        if (sni.empty() && !bad("host-without-sni-accepted")) {
            reply(503, "HOST on TLS needs the same name in the TLS SNI, which was not sent");
            return;
        }
        if (!sni.empty() && upper(sni) != upper(cmd.arg) && !bad("host-sni-mismatch-accepted")) {
            reply(504, "HOST " + cmd.arg + " does not match the TLS SNI " + sni);
            return;
        }
    }
    reply(220, "HOST " + cmd.arg + " ok");
}

}  // namespace fc::ref
