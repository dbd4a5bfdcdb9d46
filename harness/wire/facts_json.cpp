#include "harness/wire/facts_json.hpp"

#include <nlohmann/json.hpp>

#include "harness/wire/table.hpp"
#include "harness/wire/tls_crypto.hpp"

namespace fc::wire {

namespace {

json::Value sender_json(const WireSender& s) {
    json::Value v = json::Value::object();
    v["tcp_bytes"] = s.tcp_bytes;
    v["clear_bytes"] = s.clear_bytes;
    v["app_bytes"] = s.app_bytes;
    v["app_bytes_plaintext"] = s.app_bytes_plaintext;
    v["close_notify"] = to_string(s.close_notify);
    v["alerts"] = s.alerts;
    v["fin"] = s.fin;
    v["reset"] = s.rst;
    v["gap_bytes"] = s.gap_bytes;
    return v;
}

json::Value connection_json(const WireConnection& c) {
    json::Value v = json::Value::object();
    v["index"] = c.index;
    v["role"] = to_string(c.role);
    v["client"] = c.client_addr + ":" + std::to_string(c.client_port);
    v["server"] = c.server_addr + ":" + std::to_string(c.server_port);
    v["syn_seen"] = c.syn_seen;
    v["began"] = !c.has_payload      ? "no payload"
                 : c.starts_with_tls ? "tls"
                 : c.text_then_tls   ? "clear then tls"
                                     : "clear";
    if (!c.starts_with_tls && c.has_payload) {
        v["first_bytes"] = c.first_bytes;
    }
    if (c.text_then_tls) {
        v["auth_command"] = c.auth_command;
        v["reply_before_tls"] = c.reply_before_tls;
    }
    const TlsFacts& t = c.tls;
    json::Value tls = json::Value::object();
    tls["client_hello"] = t.client_hello;
    if (t.server_hello) {
        tls["version"] = version_name(t.version);
        tls["suite"] = suite_name(t.sh.cipher_suite);
    }
    tls["resumed"] = to_string(t.resumed);
    tls["resumed_how"] = t.resumed_how;
    tls["client_cert_sent"] = to_string(t.client_cert_sent);
    tls["keys"] = t.keys;
    v["tls"] = tls;
    // "client" and "server" are the FTP (= TLS) client and server (RFC 4217).
    v["from_ftp_client"] = sender_json(c.tls_client());
    v["from_ftp_server"] = sender_json(c.tls_server());
    v["notes"] = c.notes;
    return v;
}

}  // namespace

json::Value facts_to_json(const WireFacts& facts) {
    json::Value v = json::Value::object();
    v["frames"] = facts.frames;
    v["keylog_loaded"] = facts.keylog_loaded;
    v["error"] = facts.error;
    v["warnings"] = facts.warnings;
    json::Value conns = json::Value::array();
    for (const WireConnection& c : facts.connections) {
        conns.push_back(connection_json(c));
    }
    v["connections"] = conns;
    v["table"] = wire_table(facts);
    return v;
}

}  // namespace fc::wire
