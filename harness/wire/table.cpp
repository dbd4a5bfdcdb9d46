#include "harness/wire/table.hpp"

#include "harness/wire/tls_crypto.hpp"

namespace fc::wire {

namespace {

std::string how_it_began(const WireConnection& c) {
    if (!c.has_payload) {
        return "no payload";
    }
    if (c.starts_with_tls) {
        return "TLS from the first byte";
    }
    if (c.text_then_tls) {
        return "clear '" + c.auth_command + "'" +
               (c.reply_before_tls ? " then " + std::to_string(c.reply_before_tls) : "") +
               ", then TLS";
    }
    return "CLEAR: '" + c.first_bytes + "'";
}

}  // namespace

std::string wire_table(const WireFacts& facts) {
    std::string out;
    for (const WireConnection& c : facts.connections) {
        out += "#" + std::to_string(c.index) + " " + to_string(c.role) + " " + c.endpoints() +
               "  " + how_it_began(c) + "\n";
        const TlsFacts& t = c.tls;
        if (t.client_hello) {
            out += "   " +
                   (t.server_hello ? version_name(t.version) + " " + suite_name(t.sh.cipher_suite)
                                   : std::string("no ServerHello")) +
                   ", resumed " + to_string(t.resumed) +
                   (t.resumed == Tri::yes ? " (" + t.resumed_how + ")" : "") + ", client cert " +
                   to_string(t.client_cert_sent) + ", close_notify client " +
                   to_string(c.tls_client().close_notify) + " server " +
                   to_string(c.tls_server().close_notify) + "\n";
            out += "   app bytes client " + std::to_string(c.tls_client().app_bytes) + " server " +
                   std::to_string(c.tls_server().app_bytes) + " (" +
                   (c.tls_client().app_bytes_plaintext && c.tls_server().app_bytes_plaintext
                        ? std::string("plaintext")
                        : "record payload: " + t.keys) +
                   ")\n";
        }
        std::uint64_t clear = c.from_client.clear_bytes + c.from_server.clear_bytes;
        std::string ending = c.from_client.rst || c.from_server.rst ? ", reset" : "";
        out += "   clear bytes " + std::to_string(clear) + ending + "\n";
        for (const std::string& n : c.notes) {
            out += "   note: " + n + "\n";
        }
    }
    if (facts.connections.empty()) {
        out += "no TCP connection in the capture\n";
    }
    for (const std::string& w : facts.warnings) {
        out += "warning: " + w + "\n";
    }
    if (!facts.error.empty()) {
        out += "error: " + facts.error + "\n";
    }
    return out;
}

}  // namespace fc::wire
