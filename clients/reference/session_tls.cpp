// The TLS steps of a reference-client session: handshakes with chosen versions,
// certificates and SNI; TLS shutdown after CCC; assertions on recorded TLS facts.
#include <openssl/ssl.h>

#include <algorithm>
#include <regex>

#include "clients/reference/session.hpp"
#include "harness/core/text.hpp"
#include "harness/tls/hello_probe.hpp"
#include "harness/tls/tls_parse.hpp"

namespace fc::detail {

namespace {

int protocol_version(const std::string& v) {
    if (v == "1.0") {
        return TLS1_VERSION;
    }
    if (v == "1.1") {
        return TLS1_1_VERSION;
    }
    if (v == "1.3") {
        return TLS1_3_VERSION;
    }
    return TLS1_2_VERSION;
}

const PkiFiles::ClientCert* client_cert(const PkiFiles& pki, const std::string& kind) {
    if (kind == "valid") {
        return &pki.client_valid;
    }
    if (kind == "untrusted") {
        return &pki.client_untrusted;
    }
    if (kind == "expired") {
        return &pki.client_expired;
    }
    if (kind == "not-yet-valid") {
        return &pki.client_not_yet_valid;
    }
    if (kind == "wrong-eku") {
        return &pki.client_wrong_eku;
    }
    if (kind == "self-signed") {
        return &pki.client_self_signed;
    }
    return nullptr;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string::npos) {
            nl = text.size();
        }
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

}  // namespace

TlsClientOptions Session::client_tls(const TlsHandshakeStep* step) const {
    TlsClientOptions tls;
    tls.keylog_file = options_.keylog_file;
    tls.verify_peer = !target_.ca_file.empty() && (step == nullptr || step->verify);
    if (tls.verify_peer) {
        tls.ca_file = target_.ca_file;
        tls.verify_name = target_.verify_name;
    }
    if (step == nullptr) {
        return tls;
    }
    if (!step->min_version.empty()) {
        tls.min_version = protocol_version(step->min_version);
    }
    if (!step->max_version.empty()) {
        tls.max_version = protocol_version(step->max_version);
    }
    if (const PkiFiles::ClientCert* cert = client_cert(target_.pki, step->client_cert)) {
        tls.cert_file = cert->cert;
        tls.key_file = cert->key;
    }
    tls.sni = text(step->sni);
    tls.alpn = step->alpn;
    tls.cipher_list = step->ciphers;
    return tls;
}

void Session::execute(const TlsHandshakeStep& step) {
    if (require_connection()) {
        handshake(step);
    }
}

void Session::renegotiate(const TlsHandshakeStep& step) {
    if (!channel_.is_protected()) {
        fail("renegotiate", "an established TLS session to renegotiate",
             "the control connection is not in TLS");
        return;
    }
    if (channel_.tls_facts()->version == "TLSv1.3") {
        // Not a refusal by the server: TLS 1.3 has no renegotiation at all.
        fail("renegotiate", "a TLS 1.2 session to renegotiate",
             "the session is TLSv1.3, which has no renegotiation (pin max=\"1.2\")");
        return;
    }
    IoResult r = channel_.renegotiate(deadline());
    if (r.status == IoStatus::cancelled) {
        error("interrupted");
        return;
    }
    std::vector<std::string> alerts = channel_.tls_facts()->alerts_received;
    if (r.ok()) {
        if (!step.expect_success) {
            fail("renegotiate", "the renegotiation refused (an alert, a close, or no answer)",
                 "it completed: the server accepted a client-initiated renegotiation");
        }
        return;
    }
    if (step.expect_success) {
        fail("renegotiate", "a completed renegotiation", r.error);
        return;
    }
    // Refused: OpenSSL gives up the session after a refused renegotiation, so the
    // scenario ends here, as after a refused handshake.
    transcript_.note("ctrl", "renegotiation refused (" + r.error + ")" +
                                 (alerts.empty() ? "" : "; alerts: " + join(alerts, ", ")));
    if (!step.alert.empty()) {
        judge_alert(step, alerts);
    }
    channel_.close(Deadline::after(Millis(100)));
    ended_ = true;
}

void Session::handshake(const TlsHandshakeStep& step) {
    if (step.renegotiate) {
        renegotiate(step);
        return;
    }
    control_tls_ = client_tls(&step);
    TlsHandshakeResult r = channel_.start_tls(*control_tls_, deadline());
    if (channel_.is_protected()) {
        const TlsFacts* facts = channel_.tls_facts();
        outcome_.properties["tls.version"] = facts->version;
        outcome_.properties["tls.cipher"] = facts->cipher;
        if (!step.expect_success) {
            if (auto alerts = rejected_after_handshake(); alerts && !step.alert.empty()) {
                judge_alert(step, *alerts);
            }
        }
        return;
    }
    if (r.status == IoStatus::cancelled) {
        error("interrupted");
        return;
    }
    if (r.status == IoStatus::timeout) {
        if (!step.expect_success) {
            if (!step.alert.empty()) {
                fail("alert", "a fatal alert matching /" + step.alert + "/",
                     "no alert: the server neither completed the handshake nor refused it "
                     "within " +
                         seconds());
            }
            return;  // the server did not complete a handshake: what was asked
        }
        // A live server that goes silent mid-handshake has failed the step (its
        // behaviour), not the harness.
        fail("", "a completed TLS handshake",
             "no handshake reply within " + seconds() + " (" + r.error + ")");
        return;
    }
    if (step.close_acceptable) {
        transcript_.note("ctrl",
                         "the server ended the connection instead of completing the "
                         "handshake: allowed here (" +
                             r.error + ")");
        channel_.close(Deadline::after(Millis(100)));
        ended_ = true;
        return;
    }
    if (step.expect_success) {
        fail("", "a completed TLS handshake", "handshake failed: " + r.error);
    } else if (!step.alert.empty()) {
        judge_alert(step, r.alerts_received);
    }
}

void Session::execute(const TlsHelloProbeStep& step) {
    if (!require_connection()) {
        return;
    }
    if (channel_.is_protected()) {
        error("<tls-hello-probe> needs a control connection in clear, right after 234");
        return;
    }
    const std::optional<HelloOffer> offer = parse_hello_offer(step.offer);
    if (!offer) {
        error("unknown probe offer '" + step.offer + "'");
        return;
    }
    const bool deflate = *offer == HelloOffer::deflate;
    const std::string what =
        deflate ? "a TLS 1.2 ClientHello offering DEFLATE compression (then null)"
                : "a TLS 1.2 ClientHello offering only " + step.offer + " cipher suites";
    const std::string expected =
        deflate ? "a ServerHello without compression, an alert or a close"
                : "a refusal (an alert or a close), no ServerHello choosing one of the " +
                      step.offer + " suites offered";
    last_sent_ = "(TLS ClientHello: " + step.offer + " probe)";
    IoResult sent = channel_.send_bytes(probe_client_hello(*offer, target_.host), what, deadline());
    if (!sent.ok()) {
        judge_io(sent, "sent");
        return;
    }
    const Deadline until = deadline();
    std::string got;
    HelloAnswer answer;
    for (;;) {
        answer = read_hello_answer(got);
        if (answer.kind != HelloAnswer::Kind::incomplete) {
            break;
        }
        IoResult r = channel_.read_bytes(got, until);
        if (r.status == IoStatus::cancelled) {
            error("interrupted");
            return;
        }
        if (r.status == IoStatus::timeout) {
            fail(
                "", expected,
                "no answer within " + seconds() +
                    (got.empty() ? "" : " (" + std::to_string(got.size()) + " bytes of a record)"));
            return;
        }
        if (!r.ok()) {
            transcript_.note("ctrl", "the server closed the connection (" + r.error +
                                         "): the probe was refused");
            channel_.close(Deadline::after(Millis(100)));
            ended_ = true;
            return;
        }
    }
    // "handshake_failure (40)"; an unnamed one is "alert 200" already.
    const std::string alert = alert_name(answer.alert_description) +
                              (alert_name(answer.alert_description).starts_with("alert ")
                                   ? ""
                                   : " (" + std::to_string(answer.alert_description) + ")");
    switch (answer.kind) {
        case HelloAnswer::Kind::alert:
            transcript_.note("ctrl", std::string("refused with a ") +
                                         (answer.alert_level == 2 ? "fatal" : "warning") +
                                         " alert " + alert);
            break;
        case HelloAnswer::Kind::server_hello: {
            const std::string chose = "a ServerHello choosing " + suite_name(answer.suite) +
                                      ", compression method " + std::to_string(answer.compression);
            transcript_.note("ctrl", chose);
            const auto offered = hello_offer_suites(*offer);
            const bool offered_suite =
                std::find(offered.begin(), offered.end(), answer.suite) != offered.end();
            if (deflate ? answer.compression != 0 : offered_suite) {
                fail("", expected, chose);
                return;
            }
            if (!offered_suite) {
                fail("", expected, chose + ", a suite that was not offered (RFC 5246 7.4.1.3)");
                return;
            }
            break;
        }
        case HelloAnswer::Kind::not_tls:
            fail("", expected, "bytes that are no TLS record: " + printable(got, 200));
            return;
        default: fail("", expected, answer.detail); return;
    }
    outcome_.properties["tls.probe." + step.offer] =
        answer.kind == HelloAnswer::Kind::alert
            ? "alert " + alert
            : "compression " + std::to_string(answer.compression);
    channel_.close(Deadline::after(Millis(100)));
    ended_ = true;
}

void Session::judge_alert(const TlsHandshakeStep& step, const std::vector<std::string>& alerts) {
    std::string seen;
    bool matched = false;
    const std::regex re(step.alert);
    for (const std::string& a : alerts) {
        seen += (seen.empty() ? "" : ", ") + a;
        matched = matched || std::regex_search(a, re);
    }
    if (!matched) {
        fail("alert", "a fatal alert matching /" + step.alert + "/ (RFC 8446 6.2)",
             alerts.empty() ? std::string("the connection ended without any alert")
                            : "alerts: " + seen);
    } else {
        transcript_.note("ctrl", "the server's alert: " + seen);
    }
}

// TLS 1.3 servers refuse a client certificate (or its absence) after the client's
// Finished: the client's handshake "succeeds" and the alert arrives with the next read.
std::optional<std::vector<std::string>> Session::rejected_after_handshake() {
    Deadline soon = Deadline::after(std::min(Millis(1500), deadline().remaining()));
    ReplyResult r = channel_.read_reply(soon);
    if (r.status == IoStatus::closed || r.status == IoStatus::failed) {
        transcript_.note("ctrl", "the server aborted the connection after the handshake");
        std::vector<std::string> alerts;
        if (const TlsFacts* facts = channel_.tls_facts()) {
            alerts = facts->alerts_received;
        }
        channel_.close(Deadline::after(Millis(100)));
        return alerts;
    }
    if (r.reply) {
        fail("expect=failure", "the TLS handshake to be refused",
             "it succeeded and the server replied " + printable(r.reply->text(), 300));
    } else {
        fail("expect=failure", "the TLS handshake to be refused",
             "it succeeded with " + channel_.tls_facts()->version +
                 " and the server kept the connection open");
    }
    return std::nullopt;
}

void Session::execute(const TlsShutdownStep& step) {
    if (!require_connection()) {
        return;
    }
    TlsFacts ended;
    IoResult r = channel_.end_tls(deadline(), &ended);
    ended_control_facts_ = ended;
    if (r.status == IoStatus::cancelled) {
        error("interrupted");
    } else if (r.status == IoStatus::timeout && !step.expect_peer_close_notify) {
        return;
    } else if (step.expect_peer_close_notify && !ended.close_notify_received) {
        if (r.status == IoStatus::timeout) {
            fail("", "the server's close_notify", "none within " + seconds());
        } else {
            fail("", "the server's close_notify",
                 r.error.empty() ? "the connection ended without it" : r.error);
        }
    }
}

SslSessionPtr Session::other_session() {
    Transcript scratch;
    SslSessionPtr session = other_session(scratch);
    for (const auto& line : split_lines(scratch.render())) {
        transcript_.note("other", line);
    }
    return session;
}

SslSessionPtr Session::other_session(Transcript& scratch) {
    // A second control connection to the same server; its session is offered on this
    // session's data connection (a server must bind reuse to its own control session).
    ControlChannel other(scratch, options_.cancel);
    Deadline until = deadline();
    transcript_.note("", "opening another control connection to take its TLS session");
    if (!other.connect(target_.host, target_.port, until).empty()) {
        return nullptr;
    }
    auto ok = [&](int code) {
        ReplyResult r = other.read_reply(until);
        return r.reply && r.reply->code == code;
    };
    if (!ok(220) || !other.send_line("AUTH TLS", until).ok() || !ok(234) ||
        (other.start_tls(data_tls(), until), !other.is_protected())) {
        return nullptr;
    }
    // A reply read after the handshake carries TLS 1.3 tickets in with it.
    if (!other.send_line("NOOP", until).ok()) {
        return nullptr;
    }
    other.read_reply(until);
    SslSessionPtr session = other.tls_session();
    if (other.send_line("QUIT", until).ok()) {
        other.read_reply(until);
    }
    return session;
}

void Session::execute(const TlsAssertStep& step) {
    const TlsFacts* facts = nullptr;
    std::string what;
    if (step.channel == TlsChannel::data) {
        facts = last_data_facts_ ? &*last_data_facts_ : nullptr;
        what = "the last data connection";
    } else {
        facts = channel_.tls_facts()   ? channel_.tls_facts()
                : ended_control_facts_ ? &*ended_control_facts_
                                       : nullptr;
        what = "the control connection";
    }
    if (facts == nullptr) {
        fail("channel=" + std::string(to_string(step.channel)), "TLS facts of " + what,
             what + " was never protected");
        return;
    }
    if (!step.version.empty() && facts->version != step.version) {
        fail("version", step.version + " on " + what, facts->version);
    } else if (step.resumed && *step.resumed != facts->resumed) {
        fail("resumed",
             std::string(*step.resumed ? "a resumed" : "a full") + " handshake on " + what,
             facts->resumed ? "resumed" : "a full handshake");
    } else if (step.close_notify) {
        bool seen = step.channel == TlsChannel::data ? last_data_close_notify_
                                                     : facts->close_notify_received;
        if (seen != *step.close_notify) {
            fail("close-notify",
                 std::string(*step.close_notify ? "" : "no ") + "close_notify from the server on " +
                     what,
                 seen ? "close_notify received" : "no close_notify");
        }
    }
    if (!done() && step.early_data) {
        // The newest session the control connection holds carries the last ticket's
        // early_data extension (RFC 8446 4.6.1); a TLS 1.2 session or no ticket offers none.
        SslSessionPtr session = channel_.tls_session();
        std::uint32_t offered = session ? SSL_SESSION_get_max_early_data(session.get()) : 0;
        if ((offered > 0) != *step.early_data) {
            fail("early-data",
                 *step.early_data ? "a session ticket offering 0-RTT early data"
                                  : "no 0-RTT offer in the server's session tickets",
                 offered > 0 ? "the newest ticket offers up to " + std::to_string(offered) +
                                   " bytes of early data"
                             : (session ? "no early data offered" : "no session to resume"));
        }
    }
    if (!done() && step.peer_same_as_control) {
        const TlsFacts* control = channel_.tls_facts()   ? channel_.tls_facts()
                                  : ended_control_facts_ ? &*ended_control_facts_
                                                         : nullptr;
        if (control == nullptr) {
            fail("peer=same-as-control", "the control connection's certificate",
                 "the control connection was never protected");
        } else if (control->peer_subject != facts->peer_subject ||
                   control->peer_issuer != facts->peer_issuer) {
            fail("peer=same-as-control",
                 "the control connection's certificate: subject '" + control->peer_subject +
                     "', issuer '" + control->peer_issuer + "'",
                 "subject '" + facts->peer_subject + "', issuer '" + facts->peer_issuer + "'");
        }
    }
    if (!done() && !step.peer_subject.empty() &&
        !std::regex_search(facts->peer_subject, std::regex(step.peer_subject))) {
        fail("peer-subject", "a server certificate subject matching /" + step.peer_subject + "/",
             "'" + facts->peer_subject + "'");
    }
}

}  // namespace fc::detail
