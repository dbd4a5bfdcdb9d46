#include "harness/wire/tls_session.hpp"

#include "harness/wire/tls_crypto.hpp"

namespace fc::wire {

namespace {

// Openers of one direction in key order (TLS 1.3: handshake, application, key updates).
struct KeyChain {
    const CipherSuite* suite = nullptr;
    std::vector<std::string> secrets;  // TLS 1.3 traffic secrets, parallel to openers
    std::vector<RecordOpener> openers;
    std::size_t cur = 0;

    bool ready() const { return !openers.empty(); }
    bool open(const TlsRecord& r, std::string& plain, std::uint8_t& type) {
        for (std::size_t j = cur; j < openers.size(); ++j) {
            if (openers[j].open(r, plain, type)) {
                cur = j;
                return true;
            }
        }
        return false;
    }
    void add13(const std::string& secret) {
        secrets.push_back(secret);
        openers.emplace_back(*suite, tls13_keys(*suite, secret));
    }
    void key_update() {  // RFC 8446 7.2: the next secret replaces the current one
        if (suite == nullptr || cur >= secrets.size()) {
            return;
        }
        std::size_t len = std::string_view(suite->hash) == "SHA384" ? 48 : 32;
        std::string next = hkdf_expand_label(suite->hash, secrets[cur], "traffic upd", len);
        secrets.resize(cur + 1);
        openers.resize(cur + 1);
        add13(next);
    }
};

struct Direction {
    const RecordScan* scan = nullptr;
    TlsSenderFacts* out = nullptr;
    bool is_client = false;
    KeyChain keys;
    HandshakeReader plain_hs, protected_hs;
    int cert_count = -2;  // client Certificate message: -2 none seen, -1 malformed
    bool server_hello_done = false;
};

int first_message_type(const RecordScan& s) {
    if (s.records.empty() || s.records[0].type != kHandshake || s.records[0].fragment.empty()) {
        return -1;
    }
    return static_cast<std::uint8_t>(s.records[0].fragment[0]);
}

class Analyser {
public:
    Analyser(TlsFacts& f, const KeyLog* keys) : f_(f), keylog_(keys) {}

    void run(std::string_view a, std::string_view b) {
        RecordScan sa = scan_records(a), sb = scan_records(b);
        f_.client_is_a =
            first_message_type(sa) == kClientHelloMsg || first_message_type(sb) != kClientHelloMsg;
        client_.scan = f_.client_is_a ? &sa : &sb;
        server_.scan = f_.client_is_a ? &sb : &sa;
        client_.out = &f_.client;
        server_.out = &f_.server;
        client_.is_client = true;
        for (Direction* d : {&client_, &server_}) {
            d->out->tls_end = d->scan->end;
            d->out->tls_partial = d->scan->partial;
        }
        read_client_hello();
        if (!f_.client_hello) {
            f_.keys = "no TLS handshake";
            return;
        }
        walk(server_);  // first: the ServerHello decides how the client's records are read
        walk(client_);
        conclude();
    }

private:
    void read_client_hello() {
        HandshakeReader r;
        for (const TlsRecord& rec : client_.scan->records) {
            if (rec.type != kHandshake) {
                break;
            }
            r.feed(rec.fragment);
            std::uint8_t type = 0;
            std::string body, error;
            if (r.next(type, body)) {
                if (type == kClientHelloMsg) {
                    f_.client_hello = parse_client_hello(body, f_.ch, error);
                    if (!error.empty()) {
                        f_.notes.push_back(error);
                    }
                }
                return;
            }
        }
    }

    bool tls13() const { return f_.version == 0x0304; }

    void setup_keys(Direction& d) {
        const CipherSuite* suite = find_suite(f_.sh.cipher_suite);
        d.keys.suite = suite;
        if (keylog_ == nullptr || keylog_->empty()) {
            why_not_ = "no key log";
            return;
        }
        if (suite == nullptr || suite->aead == Aead::none) {
            why_not_ = "cipher suite " + suite_name(f_.sh.cipher_suite) + " is not decrypted here";
            d.keys.suite = nullptr;
            return;
        }
        const std::string& cr = f_.ch.random;
        if (tls13()) {
            const char* early = "CLIENT_EARLY_TRAFFIC_SECRET";
            std::string hs =
                d.is_client ? "CLIENT_HANDSHAKE_TRAFFIC_SECRET" : "SERVER_HANDSHAKE_TRAFFIC_SECRET";
            std::string app = d.is_client ? "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0";
            if (d.is_client && f_.ch.early_data && keylog_->find(cr, early) != nullptr) {
                d.keys.add13(*keylog_->find(cr, early));
            }
            for (const std::string& label : {hs, app}) {
                if (const std::string* s = keylog_->find(cr, label)) {
                    d.keys.add13(*s);
                }
            }
        } else if (const std::string* master = keylog_->find(cr, "CLIENT_RANDOM")) {
            DirectionKeys c, s;
            if (tls12_keys(*suite, *master, cr, f_.sh.random, c, s)) {
                d.keys.openers.emplace_back(*suite, d.is_client ? c : s);
            }
        }
        if (!d.keys.ready()) {
            why_not_ = "no key for this connection in the key log";
        }
    }

    void on_server_hello(const std::string& body) {
        ServerHello sh;
        std::string error;
        if (!parse_server_hello(body, sh, error)) {
            f_.notes.push_back(error);
            return;
        }
        if (sh.hello_retry) {  // only TLS 1.3 has these; the real ServerHello follows
            f_.hello_retry = true;
            f_.version = sh.version();
            return;
        }
        f_.sh = sh;
        f_.server_hello = true;
        f_.version = sh.version();
    }

    void handshake_message(Direction& d, std::uint8_t type, const std::string& body) {
        if (!d.is_client && type == kServerHelloMsg) {
            on_server_hello(body);
        } else if (!d.is_client && type == kCertificateRequestMsg) {
            f_.cert_requested = Tri::yes;
        } else if (!d.is_client && type == kServerHelloDoneMsg) {
            d.server_hello_done = true;
        } else if (d.is_client && type == kCertificateMsg) {
            d.cert_count = count_certificates(body, tls13());
        } else if (type == kFinishedMsg) {
            d.out->finished = true;
        } else if (type == kKeyUpdateMsg) {
            d.keys.key_update();
        }
    }

    void alert(Direction& d, std::string_view plain) {
        if (plain.size() < 2) {
            d.out->alerts.push_back("malformed alert");
            return;
        }
        auto desc = static_cast<std::uint8_t>(plain[1]);
        d.out->alerts.push_back(alert_name(desc));
        if (desc == 0) {
            d.out->close_notify = Tri::yes;
        }
    }

    void walk(Direction& d) {
        bool protected_now = false;
        for (const TlsRecord& rec : d.scan->records) {
            if (!protected_now) {
                if (rec.type == kHandshake) {
                    d.plain_hs.feed(rec.fragment);
                    std::uint8_t type = 0;
                    std::string body;
                    while (d.plain_hs.next(type, body)) {
                        handshake_message(d, type, body);
                    }
                    // The server protects everything after its (final) ServerHello.
                    protected_now = !d.is_client && tls13() && f_.server_hello;
                    if (protected_now && !d.keys.ready()) {
                        setup_keys(d);
                    }
                    continue;
                }
                if (rec.type == kChangeCipherSpec) {
                    if (!tls13()) {
                        d.out->change_cipher_spec = true;
                        protected_now = true;
                        setup_keys(d);
                    }
                    continue;
                }
                if (rec.type == kAlert) {
                    alert(d, rec.fragment);
                    continue;
                }
                if (!(tls13() && rec.type == kApplicationData)) {
                    continue;  // application data before any protection: not TLS 1.3's
                }
                protected_now = true;  // TLS 1.3 client: its first protected record
                setup_keys(d);
            }
            if (tls13() && rec.type == kChangeCipherSpec) {
                continue;  // middlebox compatibility record
            }
            protected_record(d, rec);
        }
    }

    void protected_record(Direction& d, const TlsRecord& rec) {
        ++d.out->protected_records;
        std::string plain;
        std::uint8_t type = 0;
        if (d.keys.ready() && d.keys.open(rec, plain, type)) {
            ++d.out->opened_records;
            if (type == kHandshake) {
                d.protected_hs.feed(plain);
                std::uint8_t mt = 0;
                std::string body;
                while (d.protected_hs.next(mt, body)) {
                    handshake_message(d, mt, body);
                }
            } else if (type == kAlert) {
                alert(d, plain);
            } else if (type == kApplicationData) {
                d.out->app_bytes += plain.size();
            }
            return;
        }
        if (rec.type == kApplicationData) {
            d.out->app_bytes += rec.fragment.size();
        } else if (rec.type == kAlert) {
            d.out->alerts.push_back("encrypted alert");
        }
    }

    void conclude() {
        bool all_opened = true;
        for (Direction* d : {&client_, &server_}) {
            TlsSenderFacts& s = *d->out;
            bool opened = s.opened_records == s.protected_records;
            all_opened = all_opened && opened;
            s.app_bytes_plaintext = opened;
            if (s.close_notify != Tri::yes && opened) {
                s.close_notify = Tri::no;  // every protected record read: none was close_notify
            }
        }
        if (!f_.server_hello) {
            f_.keys = "no ServerHello";
        } else if (all_opened) {
            f_.keys = client_.out->protected_records + server_.out->protected_records == 0
                          ? "nothing protected"
                          : "decrypted";
        } else {
            f_.keys = why_not_.empty() ? "some records did not decrypt" : why_not_;
        }
        if (f_.server_hello && tls13()) {
            f_.resumed = f_.sh.psk_accepted ? Tri::yes : Tri::no;
            f_.resumed_how = f_.sh.psk_accepted ? "psk" : "full handshake";
        } else if (f_.server_hello) {
            if (server_.server_hello_done) {
                f_.resumed = Tri::no;
                f_.resumed_how = "full handshake";
            } else if (server_.out->change_cipher_spec) {
                // An abbreviated handshake: ChangeCipherSpec right after the ServerHello.
                // With a ticket offered the client also sends a session id for the server
                // to echo (RFC 5077 3.4), so the ticket is what was resumed.
                f_.resumed = Tri::yes;
                f_.resumed_how = f_.ch.ticket_offered ? "session ticket" : "session id";
            } else {
                f_.resumed_how = "the handshake is cut short in the capture";
            }
        }
        conclude_client_cert();
    }

    void conclude_client_cert() {
        int n = client_.cert_count;
        if (n >= 0) {
            f_.client_cert_sent = n > 0 ? Tri::yes : Tri::no;
        } else if (f_.resumed == Tri::yes) {
            f_.client_cert_sent = Tri::no;  // resumption carries no Certificate message
        } else if (!tls13() && client_.out->change_cipher_spec) {
            f_.client_cert_sent = Tri::no;  // its whole clear flight is in the capture
        } else if (tls13() && client_.out->finished) {
            f_.client_cert_sent = Tri::no;  // its protected flight was read up to Finished
        }
        if (f_.cert_requested == Tri::unknown &&
            (server_.server_hello_done || (tls13() && server_.out->finished))) {
            f_.cert_requested = Tri::no;
        }
    }

    TlsFacts& f_;
    const KeyLog* keylog_;
    Direction client_, server_;
    std::string why_not_;
};

}  // namespace

const char* to_string(Tri t) {
    switch (t) {
        case Tri::no: return "no";
        case Tri::yes: return "yes";
        case Tri::unknown: break;
    }
    return "unknown";
}

TlsFacts analyse_tls(std::string_view a, std::string_view b, const KeyLog* keys) {
    TlsFacts f;
    Analyser(f, keys).run(a, b);
    return f;
}

}  // namespace fc::wire
