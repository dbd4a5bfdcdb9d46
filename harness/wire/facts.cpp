#include "harness/wire/facts.hpp"

#include <cctype>

#include "harness/wire/tcp_stream.hpp"

namespace fc::wire {

namespace {

// Where TLS starts in a stream of clear FTP lines: the first line start holding a TLS
// handshake record header, or an alert one (a server refusing the ClientHello answers with
// an alert and no handshake); the stream's size when there is none.
std::size_t tls_start(std::string_view s) {
    std::size_t at = 0;
    while (at < s.size()) {
        std::string_view rest = s.substr(at);
        if (looks_like_record(rest, true) ||
            (static_cast<std::uint8_t>(rest[0]) == 21 && looks_like_record(rest, false))) {
            return at;
        }
        std::size_t nl = s.find('\n', at);
        if (nl == std::string_view::npos) {
            return s.size();
        }
        at = nl + 1;
    }
    return s.size();
}

// The last line of `text` (without CR LF).
std::string last_line(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    std::size_t nl = text.rfind('\n');
    return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

std::string escape_bytes(std::string_view b) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (char ch : b) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
        }
    }
    return out;
}

bool is_reply_line(std::string_view line) {
    return line.size() >= 4 && std::isdigit(static_cast<unsigned char>(line[0])) &&
           std::isdigit(static_cast<unsigned char>(line[1])) &&
           std::isdigit(static_cast<unsigned char>(line[2])) && (line[3] == ' ' || line[3] == '-');
}

void fill_sender(WireSender& s, const TcpDirection& dir, std::size_t start, const TlsSenderFacts& t,
                 bool tls) {
    s.tcp_bytes = dir.bytes.size();
    s.fin = dir.fin;
    s.rst = dir.rst;
    s.gap_bytes = dir.gap_bytes;
    if (!tls) {
        s.clear_bytes = dir.bytes.size();
        s.close_notify = Tri::no;
        return;
    }
    std::size_t tls_end = start + t.tls_end;
    s.clear_bytes = start + (t.tls_partial ? 0 : dir.bytes.size() - tls_end);
    s.app_bytes = t.app_bytes;
    s.app_bytes_plaintext = t.app_bytes_plaintext;
    s.close_notify = t.close_notify;
    s.alerts = t.alerts;
}

WireConnection describe(const TcpConnection& c, int index, const KeyLog& keys,
                        const WireRoles& roles) {
    WireConnection w;
    w.index = index;
    w.client_addr = c.client_addr;
    w.server_addr = c.server_addr;
    w.client_port = c.client_port;
    w.server_port = c.server_port;
    w.syn_seen = c.syn_seen;
    w.start = c.first_time;
    w.end = c.last_time;
    const std::string& up = c.to_server.bytes;
    const std::string& down = c.to_client.bytes;
    w.has_payload = !up.empty() || !down.empty();
    // Who spoke first decides what "the first bytes" are.
    bool up_first = !up.empty() && (down.empty() || c.to_server.first_payload_time <=
                                                        c.to_client.first_payload_time);
    const std::string& first = up_first ? up : down;
    w.starts_with_tls = w.has_payload && looks_like_record(first, true);
    w.first_bytes = escape_bytes(std::string_view(first).substr(0, 24));

    std::size_t up_tls = tls_start(up), down_tls = tls_start(down);
    std::string_view up_view(up), down_view(down);
    w.tls = analyse_tls(up_view.substr(up_tls), down_view.substr(down_tls),
                        keys.empty() ? nullptr : &keys);
    bool tls = w.tls.client_hello;
    w.tls_client_is_tcp_client = w.tls.client_is_a;
    if (tls && !w.starts_with_tls && (up_tls > 0 || down_tls > 0)) {
        std::string_view client_text = w.tls_client_is_tcp_client ? up_view : down_view;
        std::string_view server_text = w.tls_client_is_tcp_client ? down_view : up_view;
        std::size_t ct = w.tls_client_is_tcp_client ? up_tls : down_tls;
        std::size_t st = w.tls_client_is_tcp_client ? down_tls : up_tls;
        w.text_then_tls = true;
        w.auth_command = last_line(client_text.substr(0, ct));
        std::string reply = last_line(server_text.substr(0, st));
        if (is_reply_line(reply)) {
            w.reply_before_tls = std::stoi(reply.substr(0, 3));
        }
    }
    fill_sender(w.from_client, c.to_server, up_tls,
                w.tls_client_is_tcp_client ? w.tls.client : w.tls.server, tls);
    fill_sender(w.from_server, c.to_client, down_tls,
                w.tls_client_is_tcp_client ? w.tls.server : w.tls.client, tls);
    if (!roles.control_ports.empty()) {
        w.role = roles.control_ports.count(c.server_port) > 0 ? Role::control : Role::data;
    } else {
        std::string_view greeting(down.data(), std::min<std::size_t>(down.size(), 4));
        w.role =
            is_reply_line(greeting) && greeting.substr(0, 3) == "220" ? Role::control : Role::data;
    }
    if (!c.syn_seen) {
        w.notes.push_back("the capture began after this connection's SYN");
    }
    for (const WireSender* s : {&w.from_client, &w.from_server}) {
        if (s->gap_bytes > 0) {
            w.notes.push_back(std::to_string(s->gap_bytes) + " bytes missing from the capture");
        }
    }
    for (const std::string& n : w.tls.notes) {
        w.notes.push_back(n);
    }
    return w;
}

}  // namespace

const char* to_string(Role r) {
    return r == Role::control ? "control" : "data";
}

std::string WireConnection::endpoints() const {
    auto ep = [](const std::string& a, std::uint16_t p) {
        return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(p);
    };
    return ep(client_addr, client_port) + " -> " + ep(server_addr, server_port);
}

std::vector<const WireConnection*> WireFacts::of_role(Role r) const {
    std::vector<const WireConnection*> out;
    for (const WireConnection& c : connections) {
        if (c.role == r) {
            out.push_back(&c);
        }
    }
    return out;
}

namespace {

// The facts of a capture whose frames `scan` hands out (from memory or from a file): the
// connections rebuilt from them, each described; `warnings` come first (the key log's).
WireFacts analyse(const std::function<ScanResult(const FrameCallback&)>& scan, const KeyLog& keys,
                  const WireRoles& roles, std::vector<std::string> warnings) {
    WireFacts facts;
    facts.warnings = std::move(warnings);
    facts.keylog_loaded = !keys.empty();
    TcpReassembler tcp;
    TcpSegment seg;
    ScanResult scanned = scan([&](const FrameView& f) {
        if (decode_tcp(f, seg)) {
            tcp.add(seg);
        }
    });
    facts.frames = scanned.frames;
    facts.error = scanned.error;
    if (scanned.truncated) {
        facts.warnings.push_back("the capture ends inside a packet record");
    }
    int index = 0;
    for (const TcpConnection& c : tcp.finish()) {
        // A cell's capture begins before the cell connects anywhere, so a connection whose
        // SYN came before it is not the cell's: the tail of the harness's readiness probe
        // (its FIN, a late "221", an implicit server's alert). How much of it a capture sees
        // is a matter of timing; it is left out, and said so.
        if (!c.syn_seen) {
            facts.warnings.push_back("left out: " + c.client_addr + ":" +
                                     std::to_string(c.client_port) + " - " + c.server_addr + ":" +
                                     std::to_string(c.server_port) +
                                     ", which began before the capture");
            continue;
        }
        facts.connections.push_back(describe(c, ++index, keys, roles));
    }
    return facts;
}

}  // namespace

WireFacts analyse_frames(const FrameList& frames, const KeyLog& keys, const WireRoles& roles) {
    return analyse(
        [&](const FrameCallback& each) {
            for (const Frame& f : frames.frames) {
                each(FrameView{f.time, f.link, f.wire_len, f.data});
            }
            return ScanResult{frames.format, frames.error, frames.truncated, frames.frames.size()};
        },
        keys, roles, {});
}

WireFacts read_wire_facts(const std::filesystem::path& capture, const std::filesystem::path& keylog,
                          const WireRoles& roles) {
    KeyLog keys;
    if (!keylog.empty()) {
        keys = KeyLog::read(keylog);
    }
    // Frame by frame from the file into the reassembler: only the rebuilt streams are held,
    // not the file and a copy of every frame besides (three copies of a 16 MiB transfer
    // made a run's peak RSS depend on which big cells ended together).
    return analyse([&](const FrameCallback& each) { return scan_capture_file(capture, each); },
                   keys, roles, keys.errors());
}

}  // namespace fc::wire
