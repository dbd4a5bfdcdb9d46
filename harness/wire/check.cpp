#include "harness/wire/check.hpp"

#include <array>
#include <utility>

namespace fc::wire {

namespace {

constexpr std::array<std::pair<WireKind, const char*>, 6> kKinds = {{
    {WireKind::data_protected, "data-protected"},
    {WireKind::tls_version, "tls-version"},
    {WireKind::data_resumed, "data-resumed"},
    {WireKind::client_cert_sent, "client-cert-sent"},
    {WireKind::close_notify, "close-notify"},
    {WireKind::no_clear_data, "no-clear-data"},
}};

WireScope default_scope(WireKind k) {
    if (k == WireKind::tls_version) {
        return WireScope::all;
    }
    return k == WireKind::client_cert_sent ? WireScope::control : WireScope::data;
}

const char* scope_noun(WireScope s) {
    switch (s) {
        case WireScope::data: return "data connection";
        case WireScope::control: return "control connection";
        case WireScope::all: break;
    }
    return "connection";
}

std::string name(const WireConnection& c) {
    return std::string(to_string(c.role)) + " connection #" + std::to_string(c.index) + " " +
           c.endpoints();
}

std::string want_version(const std::string& v) {
    return v.rfind("TLS ", 0) == 0 ? v : "TLS " + v;
}

// One connection's verdict on the assertion: pass, fail or unknown, with why.
WireCheck judge(const WireConnection& c, const WireExpect& e) {
    auto fail = [&](const std::string& why) {
        return WireCheck{WireOutcome::fail, name(c) + " " + why};
    };
    auto unknown = [&](const std::string& why) {
        return WireCheck{WireOutcome::unsupported, name(c) + ": " + why};
    };
    const TlsFacts& t = c.tls;
    bool tls = t.client_hello;
    switch (e.kind) {
        case WireKind::data_protected:
            if (!c.has_payload) {
                return fail("carried no bytes: no TLS handshake");
            }
            if (!c.starts_with_tls) {
                return fail("began in clear: '" + c.first_bytes + "'");
            }
            if (c.from_client.clear_bytes + c.from_server.clear_bytes > 0) {
                return fail("left TLS: " +
                            std::to_string(c.from_client.clear_bytes + c.from_server.clear_bytes) +
                            " bytes travelled outside TLS records after the handshake began");
            }
            break;
        case WireKind::no_clear_data:
            if (c.from_client.clear_bytes + c.from_server.clear_bytes > 0) {
                return fail("carried clear bytes outside TLS (" +
                            std::to_string(c.from_client.clear_bytes) + " from " + c.client_addr +
                            ":" + std::to_string(c.client_port) + ", " +
                            std::to_string(c.from_server.clear_bytes) + " from " + c.server_addr +
                            ":" + std::to_string(c.server_port) + "), first: '" + c.first_bytes +
                            "'");
            }
            break;
        case WireKind::tls_version:
            if (!tls) {
                return fail("had no TLS at all");
            }
            if (!t.server_hello && !t.server.alerts.empty()) {
                // Refused in clear before any ServerHello: no version was negotiated.
                return fail("negotiated no version: the server answered the ClientHello with " +
                            t.server.alerts.front());
            }
            if (!t.server_hello) {
                return unknown("no ServerHello in the capture, the version is unknown");
            }
            if (version_name(t.version) != want_version(e.version)) {
                return fail("negotiated " + version_name(t.version) + ", not " +
                            want_version(e.version));
            }
            break;
        case WireKind::data_resumed:
            if (!tls) {
                return fail("had no TLS at all");
            }
            if (t.resumed == Tri::unknown) {
                return unknown("resumption unknown: " + t.resumed_how);
            }
            if (t.resumed == Tri::no) {
                return fail("was a full handshake, not a resumption");
            }
            break;
        case WireKind::client_cert_sent:
            if (!tls) {
                return fail("had no TLS at all");
            }
            if (t.client_cert_sent == Tri::unknown) {
                return unknown(version_name(t.version) == "TLS 1.3"
                                   ? "TLS 1.3 encrypts the client certificate and it was not "
                                     "decrypted (" +
                                         t.keys + ")"
                                   : "the client's handshake is incomplete in the capture");
            }
            if (t.client_cert_sent == Tri::no) {
                return fail(t.resumed == Tri::yes ? "resumed a session: no certificate was sent"
                                                  : "had no client certificate");
            }
            break;
        case WireKind::close_notify: {
            const WireSender& s = e.side == WireSide::client ? c.tls_client() : c.tls_server();
            const char* who = e.side == WireSide::client ? "client" : "server";
            if (!tls) {
                return fail("had no TLS at all");
            }
            if (s.close_notify == Tri::unknown) {
                return unknown(std::string("its alerts are encrypted and were not decrypted (") +
                               t.keys + ")");
            }
            if (s.close_notify == Tri::no) {
                std::string ending = s.rst   ? "it reset the connection"
                                     : s.fin ? "it closed with a bare FIN"
                                             : "the capture ends";
                return fail(std::string("had no close_notify from the ") + who + " (" + ending +
                            ")");
            }
            break;
        }
    }
    return {WireOutcome::pass, ""};
}

}  // namespace

std::optional<WireKind> parse_wire_kind(std::string_view n) {
    for (const auto& [kind, text] : kKinds) {
        if (n == text) {
            return kind;
        }
    }
    return std::nullopt;
}

const char* to_string(WireKind kind) {
    for (const auto& [k, text] : kKinds) {
        if (k == kind) {
            return text;
        }
    }
    return "?";
}

const char* to_string(WireOutcome o) {
    switch (o) {
        case WireOutcome::pass: return "pass";
        case WireOutcome::fail: return "fail";
        case WireOutcome::unsupported: break;
    }
    return "unsupported";
}

WireCheck check_wire(const WireFacts& facts, const WireExpect& e) {
    if (!facts.error.empty()) {
        return {WireOutcome::unsupported, "the capture could not be read: " + facts.error};
    }
    WireScope scope = e.scope.value_or(default_scope(e.kind));
    std::vector<const WireConnection*> covered;
    int earlier = 0;
    for (const WireConnection& c : facts.connections) {
        if (!c.syn_seen) {
            ++earlier;  // begun before the capture (a previous cell's tail): not this cell's
            continue;
        }
        bool in = scope == WireScope::all || (scope == WireScope::data) == (c.role == Role::data);
        if (in && e.uploads_only && c.tls_client().app_bytes == 0 &&
            c.tls_client().clear_bytes == 0) {
            in = false;
        }
        if (in) {
            covered.push_back(&c);
        }
    }
    if (covered.empty()) {
        return {WireOutcome::fail, std::string("no ") + (e.uploads_only ? "upload " : "") +
                                       scope_noun(scope) + " in the capture"};
    }
    std::optional<WireCheck> unknown;
    int failures = 0;
    std::optional<WireCheck> first_failure;
    for (const WireConnection* c : covered) {
        WireCheck v = judge(*c, e);
        if (v.outcome == WireOutcome::fail && failures++ == 0) {
            first_failure = v;
        } else if (v.outcome == WireOutcome::unsupported && !unknown) {
            unknown = v;
        }
    }
    if (first_failure) {
        if (failures > 1) {
            first_failure->reason += " (and " + std::to_string(failures - 1) + " more)";
        }
        return *first_failure;
    }
    if (unknown) {
        return *unknown;
    }
    std::string ignored =
        earlier == 0 ? "" : " (" + std::to_string(earlier) + " begun before the capture ignored)";
    return {WireOutcome::pass, std::string(to_string(e.kind)) + ": " +
                                   std::to_string(covered.size()) + " " + scope_noun(scope) +
                                   (covered.size() == 1 ? "" : "s") + " checked" + ignored};
}

}  // namespace fc::wire
