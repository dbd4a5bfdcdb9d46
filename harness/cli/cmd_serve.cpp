// `ftps-conform serve`: runs the reference FTPS server (servers/reference/) in the
// foreground until SIGTERM/SIGINT. Every option has a default, so a person debugging a
// client can start it with no arguments and read where it listens and how to log in.
#include <openssl/rand.h>
#include <stdlib.h>

#include <arpa/inet.h>

#include <ostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/text.hpp"
#include "harness/tls/pki.hpp"
#include "servers/reference/server.hpp"

namespace fc {

namespace {

const OptionSpec kServeOptions[] = {
    {"host", true, "ADDR",
     "loopback address to listen on (default 127.0.0.1; ::1 with --feature ipv6)"},
    {"port", true, "N", "control port; 0 or absent = a free port, printed"},
    {"pasv-range", true, "A-B", "ports for PASV/EPSV listeners (default: any free port)"},
    {"root", true, "DIR", "the directory served as / (default: a new one under /tmp)"},
    {"user", true, "NAME", "the user that may log in (default alice)"},
    {"password", true, "P", "its password (default: random, printed)"},
    {"cert", true, "FILE", "server certificate (PEM); without it a test PKI is made under /tmp"},
    {"key", true, "FILE", "its private key (PEM)"},
    {"ca", true, "FILE", "CA certificate that client certificates must chain to"},
    {"event-log", true, "FILE", "append JSON-lines events here (default: in the temp folder)"},
    {"feature", true, "NAME", "a server feature (repeatable), e.g. tls-required"},
    {"misbehave", true, "NAME", "a deliberate misbehaviour (repeatable), e.g. auth-tls-334"},
    {"idle-timeout", true, "SECONDS", "close control connections idle this long (default 120)"},
    {"max-sessions", true, "N", "concurrent control connections (default 256)"},
    {"help", false, "", "show this help"},
};

void print_help(std::ostream& out) {
    out << "usage: ftps-conform serve [options]\n\n"
           "Runs the reference FTPS server (strict RFC 4217) in the foreground until SIGTERM or\n"
           "Ctrl-C. Without --cert a fresh test PKI is made; without --root a temporary root.\n"
           "--cert F looks for server-untrusted.pem, server-expired.pem and\n"
           "server-other-name.pem beside F for the cert-* and data-other-cert misbehaviours.\n\n"
        << options_help(kServeOptions) << "\nfeatures:";
    for (auto f : known_server_features()) {
        out << " " << f;
    }
    out << "\nmisbehaviours:";
    std::size_t col = 14;
    for (auto m : known_misbehaviours()) {
        if (col + m.size() + 1 > 90) {
            out << "\n ";
            col = 1;
        }
        out << " " << m;
        col += m.size() + 1;
    }
    out << "\n";
}

bool is_loopback(const std::string& host) {
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int to_int(const std::string& text, const std::string& option, int min, int max) {
    std::size_t used = 0;
    long value = 0;
    try {
        value = std::stol(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || value < min || value > max) {
        throw UsageError("--" + option + " needs a number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + text + "'");
    }
    return static_cast<int>(value);
}

std::string random_password() {
    static const char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        throw HarnessError("cannot make a random password");
    }
    std::string out;
    for (unsigned char b : raw) {
        out += kAlphabet[b % (sizeof kAlphabet - 1)];
    }
    return out;
}

std::filesystem::path make_temp_dir(const char* pattern) {
    std::string t = (std::filesystem::temp_directory_path() / pattern).string();
    if (::mkdtemp(t.data()) == nullptr) {
        throw HarnessError("cannot make a temporary folder " + t);
    }
    return t;
}

/// Takes the repeatable --feature/--misbehave out of `args` (parse_args keeps one value).
std::vector<std::string> take_repeated(std::vector<std::string>& args, const std::string& name) {
    std::vector<std::string> values;
    std::vector<std::string> rest;
    const std::string flag = "--" + name;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == flag) {
            if (i + 1 >= args.size()) {
                throw UsageError("option " + flag + " needs a value (NAME)");
            }
            for (const auto& v : split_commas(args[++i])) {
                values.push_back(v);
            }
        } else if (args[i].rfind(flag + "=", 0) == 0) {
            for (const auto& v : split_commas(args[i].substr(flag.size() + 1))) {
                values.push_back(v);
            }
        } else {
            rest.push_back(args[i]);
        }
    }
    args = std::move(rest);
    return values;
}

void check_names(const std::vector<std::string>& names, std::span<const std::string_view> known,
                 const char* what) {
    for (const auto& n : names) {
        if (std::find(known.begin(), known.end(), n) != known.end()) {
            continue;
        }
        std::string hint = closest_match(n, known);
        throw UsageError(std::string("unknown ") + what + " '" + n + "'" +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                         "; see ftps-conform serve --help");
    }
}

}  // namespace

int cmd_serve(std::span<const std::string> args_in, CancelToken cancel, std::ostream& out,
              std::ostream& err) {
    std::vector<std::string> args(args_in.begin(), args_in.end());
    std::vector<std::string> features = take_repeated(args, "feature");
    std::vector<std::string> misbehaviours = take_repeated(args, "misbehave");
    ParsedArgs a = parse_args(args, kServeOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    if (!a.positionals.empty()) {
        throw UsageError("serve takes no positional arguments ('" + a.positionals.front() + "')");
    }
    check_names(features, known_server_features(), "feature");
    check_names(misbehaviours, known_misbehaviours(), "misbehaviour");

    ref::ServerConfig c;
    c.features.insert(features.begin(), features.end());
    c.misbehaviours.insert(misbehaviours.begin(), misbehaviours.end());
    // --feature ipv6 alone: the server listens on ::1 (a scenario's ipv6 is that).
    c.host = a.value("host").value_or(c.features.count("ipv6") != 0 ? "::1" : "127.0.0.1");
    if (!is_loopback(c.host)) {
        throw UsageError("--host " + c.host +
                         ": the reference server listens on loopback addresses only "
                         "(127.0.0.0/8 or ::1)");
    }
    if (auto p = a.value("port")) {
        c.port = static_cast<std::uint16_t>(to_int(*p, "port", 0, 65535));
    }
    if (auto r = a.value("pasv-range")) {
        auto dash = r->find('-');
        if (dash == std::string::npos) {
            throw UsageError("--pasv-range needs A-B, e.g. 40000-40100, not '" + *r + "'");
        }
        c.pasv_min = static_cast<std::uint16_t>(to_int(r->substr(0, dash), "pasv-range", 1, 65535));
        c.pasv_max =
            static_cast<std::uint16_t>(to_int(r->substr(dash + 1), "pasv-range", 1, 65535));
        if (c.pasv_max < c.pasv_min) {
            throw UsageError("--pasv-range " + *r + ": the first port is above the last");
        }
    }
    if (auto t = a.value("idle-timeout")) {
        c.idle_timeout_seconds = to_int(*t, "idle-timeout", 1, 86400);
    }
    if (auto m = a.value("max-sessions")) {
        c.max_sessions = to_int(*m, "max-sessions", 1, 100000);
    }
    c.user = a.value("user").value_or("alice");
    c.password = a.value("password").value_or("");
    if (c.password.empty()) {
        c.password = random_password();
    }
    std::filesystem::path temp;
    auto temp_dir = [&temp] {
        if (temp.empty()) {
            temp = make_temp_dir("ftps-conform-serve-XXXXXX");
        }
        return temp;
    };
    if (auto cert = a.value("cert")) {
        c.cert = *cert;
        c.key = a.value("key").value_or("");
        if (c.key.empty()) {
            throw UsageError("--cert needs --key too");
        }
        c.ca = a.value("ca").value_or("");
    } else {
        if (a.value("key")) {
            throw UsageError("--key needs --cert too");
        }
        PkiFiles pki = make_test_pki(temp_dir() / "pki");
        c.cert = pki.server_cert;
        c.key = pki.server_key;
        c.ca = a.value("ca").value_or(pki.ca_cert.string());
    }
    if (auto root = a.value("root")) {
        c.root = *root;
        if (!std::filesystem::is_directory(c.root)) {
            throw UsageError("--root " + *root + " is not a directory");
        }
    } else {
        c.root = temp_dir() / "root";
        std::filesystem::create_directories(c.root);
    }
    if (auto log = a.value("event-log")) {
        c.event_log = *log;
    } else {
        c.event_log = temp_dir() / "events.jsonl";
    }

    ref::Server server(c);
    out << "ftps-conform reference server listening on " << c.host << ":" << server.port()
        << (c.has("implicit") ? " (implicit FTPS)" : " (explicit FTPS: AUTH TLS)") << "\n"
        << "  user:      " << c.user << "\n"
        << "  password:  " << c.password << "\n"
        << "  CA file:   " << (c.ca.empty() ? "(none)" : c.ca.string()) << "\n"
        << "  root:      " << c.root.string() << "\n"
        << "  event log: " << c.event_log.string() << "\n";
    for (const auto& f : c.features) {
        out << "  feature:   " << f << "\n";
    }
    for (const auto& m : c.misbehaviours) {
        out << "  misbehave: " << m << "\n";
    }
    out << "ready\n";
    out.flush();
    (void)err;
    server.run(cancel);
    return exit_ok;
}

}  // namespace fc
