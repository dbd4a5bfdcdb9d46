// TLS steps of a scenario: <tls-handshake>, <tls-shutdown>, <tls-assert>.
#include <algorithm>
#include <array>
#include <string_view>

#include "harness/scenario/loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc::detail {

namespace {

// Every step also accepts if, unless and timeout; the arrays below list them first.
constexpr std::array<std::string_view, 14> kHandshakeAttrs{
    "if",   "unless", "timeout", "if-reply", "expect", "min",  "max",
    "cert", "sni",    "verify",  "ciphers",  "alert",  "alpn", "renegotiate"};
constexpr std::array<std::string_view, 5> kShutdownAttrs{"if", "unless", "timeout", "if-reply",
                                                         "peer-close-notify"};
constexpr std::array<std::string_view, 11> kAssertAttrs{
    "if",           "unless",       "timeout", "if-reply", "channel",   "version",
    "close-notify", "peer-subject", "peer",    "resumed",  "early-data"};
constexpr std::array<std::string_view, 1> kPeerValues{"same-as-control"};
constexpr std::array<std::string_view, 5> kProbeAttrs{"if", "unless", "timeout", "if-reply",
                                                      "offer"};
constexpr std::array<std::string_view, 0> kNone{};

constexpr std::array<std::string_view, 3> kOutcomes{"success", "failure", "success-or-close"};
constexpr std::array<std::string_view, 4> kVersions{"1.0", "1.1", "1.2", "1.3"};
constexpr std::array<std::string_view, 6> kCerts{"valid",         "untrusted", "expired",
                                                 "not-yet-valid", "wrong-eku", "self-signed"};
constexpr std::array kChannels{TlsChannel::control, TlsChannel::data};
constexpr std::array<std::string_view, 4> kProtocols{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

/// OpenSSL cipher-list characters: names, separators and the + - ! @ = operators.
bool is_cipher_list(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("-_+!@=.:, ").find(c) != std::string_view::npos;
    });
}

}  // namespace

TlsHandshakeStep load_handshake(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kHandshakeAttrs);
    f.check_children(node, kNone);
    TlsHandshakeStep step;
    if (auto v = choice_attr(f, node, "expect", kOutcomes)) {
        step.expect_success = *v != "failure";
        step.close_acceptable = *v == "success-or-close";
    }
    step.min_version = choice_attr(f, node, "min", kVersions).value_or("");
    step.max_version = choice_attr(f, node, "max", kVersions).value_or("");
    // "1.0" < "1.3" as strings too: the versions share one format.
    if (!step.min_version.empty() && !step.max_version.empty() &&
        step.min_version > step.max_version) {
        f.error(node, "min",
                "min " + step.min_version + " is above max " + step.max_version +
                    ": no version could be negotiated");
    }
    step.client_cert = choice_attr(f, node, "cert", kCerts).value_or("");
    if (pugi::xml_attribute a = node.attribute("sni")) {
        step.sni = a.value();
        if (step.sni.empty()) {
            f.error(node, "sni", "empty sni: leave the attribute out to send no server name");
        } else if (step.sni.find_first_of(" \t\r\n") != std::string::npos) {
            f.error(node, "sni", "sni '" + step.sni + "' holds whitespace");
        }
        check_variables(f, node, "sni", step.sni);
    }
    step.verify = bool_attr(f, node, "verify").value_or(true);
    if (pugi::xml_attribute a = node.attribute("alpn")) {
        for (const std::string& name : split_fields(a.value(), ',')) {
            if (name.empty() || name.size() > 255 ||
                name.find_first_of(" \t\r\n") != std::string::npos) {
                f.error(node, "alpn",
                        "bad alpn '" + std::string(a.value()) +
                            "' (protocol names like http/1.1 or ftp, joined by commas)");
                step.alpn.clear();
                break;
            }
            step.alpn.push_back(name);
        }
    }
    if (pugi::xml_attribute a = node.attribute("ciphers")) {
        step.ciphers = a.value();
        if (!is_cipher_list(step.ciphers)) {
            f.error(node, "ciphers",
                    "bad cipher list '" + step.ciphers +
                        "' (OpenSSL names like ECDHE-RSA-AES128-GCM-SHA256 joined by :)");
        }
    }
    if (pugi::xml_attribute a = node.attribute("alert")) {
        step.alert = a.value();
        if (step.expect_success) {
            f.error(node, "alert",
                    "alert with a handshake expected to succeed: it names the alert the server "
                    "sends when it refuses (expect=\"failure\")");
        } else if (step.alert.empty()) {
            f.error(node, "alert",
                    "empty alert: write a regex (e.g. \"fatal: \" for any fatal alert)");
        } else {
            check_regex(f, node, "alert", step.alert);
        }
    }
    step.renegotiate = bool_attr(f, node, "renegotiate").value_or(false);
    if (step.renegotiate) {
        // A renegotiation keeps the session's parameters: only expect= and alert= apply.
        for (const char* a : {"min", "max", "cert", "sni", "verify", "ciphers", "alpn"}) {
            if (node.attribute(a)) {
                f.error(node, a,
                        std::string(a) +
                            " with renegotiate=\"true\": a renegotiation keeps the settings of "
                            "the handshake before it");
            }
        }
        if (step.close_acceptable) {
            f.error(node, "expect",
                    "success-or-close with renegotiate=\"true\": use expect=\"failure\" (a close "
                    "is one way to refuse)");
        }
    }
    return step;
}

TlsHelloProbeStep load_hello_probe(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kProbeAttrs);
    f.check_children(node, kNone);
    TlsHelloProbeStep step;
    if (f.required(node, "offer")) {
        step.offer = choice_attr(f, node, "offer", kHelloProbeOffers).value_or("");
    }
    return step;
}

TlsShutdownStep load_shutdown(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kShutdownAttrs);
    f.check_children(node, kNone);
    TlsShutdownStep step;
    step.expect_peer_close_notify = bool_attr(f, node, "peer-close-notify").value_or(true);
    return step;
}

TlsAssertStep load_tls_assert(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kAssertAttrs);
    f.check_children(node, kNone);
    TlsAssertStep step;
    step.channel = enum_attr(f, node, "channel", kChannels).value_or(TlsChannel::control);
    step.version = choice_attr(f, node, "version", kProtocols).value_or("");
    step.resumed = bool_attr(f, node, "resumed");
    step.close_notify = bool_attr(f, node, "close-notify");
    step.early_data = bool_attr(f, node, "early-data");
    if (step.early_data && step.channel != TlsChannel::control) {
        f.error(node, "early-data",
                "early-data looks at the control connection's newest session ticket: drop "
                "channel=\"data\"");
    }
    if (pugi::xml_attribute a = node.attribute("peer-subject")) {
        step.peer_subject = a.value();
        if (step.peer_subject.empty()) {
            f.error(node, "peer-subject", "empty peer-subject: write a regex");
        }
        check_regex(f, node, "peer-subject", step.peer_subject);
    }
    if (node.attribute("peer")) {
        step.peer_same_as_control = choice_attr(f, node, "peer", kPeerValues).has_value();
        if (step.channel != TlsChannel::data) {
            f.error(node, "peer",
                    "peer=\"same-as-control\" compares the data connection's certificate: "
                    "add channel=\"data\"");
        }
    }
    bool any = false;
    for (std::string_view attr :
         {"version", "resumed", "close-notify", "peer-subject", "peer", "early-data"}) {
        any = any || node.attribute(std::string(attr).c_str());
    }
    if (!any) {
        f.error(node,
                "<tls-assert> asserts nothing: give version, resumed, close-notify, "
                "peer-subject, peer or early-data");
    }
    return step;
}

}  // namespace fc::detail
