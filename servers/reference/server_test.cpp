// Black-box tests of the reference server: the real `ftps-conform serve` binary, started
// as a child on a free loopback port, spoken to over the wire with the reference client's
// control and data channels. Named *RealServer* (ctest label "scenario"): each starts a
// real server process. Every child is stopped and reaped by RAII, even when a test fails.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/core/event_record.hpp"
#include "harness/core/socket.hpp"
#include "harness/ftp/control_channel.hpp"
#include "harness/ftp/data_channel.hpp"
#include "harness/ftp/transcript.hpp"
#include "harness/proc/process.hpp"
#include "harness/testing/eventually.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/tls/pki.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using fc::Deadline;
using fc::Millis;
using fc::testing::TempDir;

const char kUser[] = "alice";
const char kPassword[] = "s3cret-Pw-r3";

Deadline in(Millis d) {
    return Deadline::after(d);
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

// ---------------------------------------------------------------------------------------
// The event log: one flat JSON object per line (strings, numbers, booleans).

using Event = std::map<std::string, std::string>;

// One line of the log as field -> text; nullopt if the line is not one JSON object (the
// reader the engine's log checks use: harness/core/event_record.hpp).
std::optional<Event> parse_event(const std::string& line) {
    auto record = fc::parse_event_line(line);
    if (!record) {
        return std::nullopt;
    }
    Event e;
    for (const auto& f : record->fields) {
        e[f.name] = fc::event_value_text(f.value);
    }
    return e;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            out.push_back(text.substr(start));
            break;
        }
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// A test PKI, made once per test binary process (key generation is the slow part).

const fc::PkiFiles& pki() {
    static TempDir dir("refserver-pki");  // removed when the test binary exits
    static fc::PkiFiles files = fc::make_test_pki(dir.path());
    return files;
}

// ---------------------------------------------------------------------------------------
// One `ftps-conform serve` child with its own root, event log and output files.

class RefServer {
public:
    RefServer() : dir_("refserver") {
        root_ = dir_.path() / "root";
        fs::create_directories(root_);
    }
    ~RefServer() { stop(); }
    RefServer(const RefServer&) = delete;
    RefServer& operator=(const RefServer&) = delete;

    const fs::path& base() const { return dir_.path(); }
    const fs::path& root() const { return root_; }
    fs::path event_log() const { return dir_.path() / "events.jsonl"; }
    std::uint16_t port() const { return port_; }
    fc::Process* process() { return proc_.get(); }

    /// Starts the server and waits (bounded) until it prints "ready". A gtest failure and
    /// false when it does not come up.
    ::testing::AssertionResult start(const std::vector<std::string>& extra = {}) {
        const fc::PkiFiles& p = pki();
        fc::ProcessSpec spec;
        spec.argv = {FTPS_CONFORM_BINARY,
                     "serve",
                     "--host",
                     "127.0.0.1",
                     "--port",
                     "0",
                     "--root",
                     root_.string(),
                     "--user",
                     kUser,
                     "--password",
                     kPassword,
                     "--cert",
                     p.server_cert.string(),
                     "--key",
                     p.server_key.string(),
                     "--ca",
                     p.ca_cert.string(),
                     "--event-log",
                     event_log().string()};
        spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
        spec.stdout_path = dir_.path() / "stdout";
        spec.stderr_path = dir_.path() / "stderr";
        proc_ = fc::Process::start(spec);
        static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+))");
        std::string out;
        bool settled = fc::testing::eventually(
            [&] {
                out = fc::testing::read_file(dir_.path() / "stdout");
                std::smatch m;
                if (out.find("\nready\n") != std::string::npos &&
                    std::regex_search(out, m, kListening)) {
                    port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
                }
                return port_ != 0 || !proc_->running();
            },
            in(8000ms));
        if (port_ != 0) {
            return ::testing::AssertionSuccess();
        }
        if (settled) {
            return ::testing::AssertionFailure()
                   << "serve exited with " << proc_->exit_status().value_or(-1)
                   << " before it was ready: " << proc_->stderr_tail() << out;
        }
        return ::testing::AssertionFailure()
               << "serve not ready within 8 s: " << fc::testing::read_file(dir_.path() / "stdout")
               << proc_->stderr_tail();
    }

    void stop() {
        if (proc_) {
            proc_->stop(Millis(2000));
        }
    }

    /// The events logged so far (lines that do not parse are a test failure).
    std::vector<Event> events() const {
        std::vector<Event> out;
        for (const auto& line : lines_of(fc::testing::read_file(event_log()))) {
            auto e = parse_event(line);
            EXPECT_TRUE(e.has_value()) << "not a flat JSON object: " << line;
            if (e) {
                out.push_back(*e);
            }
        }
        return out;
    }

    /// Waits (bounded) until session `session` has logged its disconnect event.
    bool wait_for_disconnect(int session, Millis limit = 4000ms) const {
        const std::string s = std::to_string(session);
        return fc::testing::eventually(
            [&] {
                for (const auto& line : lines_of(fc::testing::read_file(event_log()))) {
                    auto e = parse_event(line);
                    if (e && (*e)["session"] == s && (*e)["event"] == "disconnect") {
                        return true;
                    }
                }
                return false;
            },
            in(limit));
    }

private:
    TempDir dir_;
    fs::path root_;
    std::unique_ptr<fc::Process> proc_;
    std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------
// A client session: the reference client's control channel, plus data helpers.

struct Transfer {
    int first = 0;  ///< the reply to the transfer command (150, 550, ...); -1 none
    int final = 0;  ///< the reply after the transfer (226, ...); 0 when there was none
    std::string data;
    std::string error;
};

class Client {
public:
    Client() : ctrl_(transcript_, fc::CancelToken{}) {}
    ~Client() { ctrl_.close(in(500ms)); }

    fc::ControlChannel& ctrl() { return ctrl_; }
    std::string transcript() const { return transcript_.excerpt(40); }

    ::testing::AssertionResult connect(std::uint16_t port) {
        if (std::string e = ctrl_.connect("127.0.0.1", port, in(3000ms)); !e.empty()) {
            return ::testing::AssertionFailure() << "connect: " << e;
        }
        fc::ReplyResult r = ctrl_.read_reply(in(3000ms));
        if (!r.reply || r.reply->code != 220) {
            return ::testing::AssertionFailure() << "no 220 banner: " << r.error << transcript();
        }
        return ::testing::AssertionSuccess();
    }

    /// Sends `line`; the reply, or nullopt (closed/timeout) with `last_error()`.
    std::optional<fc::Reply> command(const std::string& line, Millis limit = 5000ms) {
        if (!ctrl_.send_line(line, in(limit)).ok()) {
            error_ = "cannot send " + line;
            return std::nullopt;
        }
        return reply(limit);
    }
    std::optional<fc::Reply> reply(Millis limit = 5000ms) {
        fc::ReplyResult r = ctrl_.read_reply(in(limit));
        error_ = r.error;
        status_ = r.status;
        return r.reply;
    }
    /// The reply code of `line`, -1 when none came.
    int code(const std::string& line, Millis limit = 5000ms) {
        auto r = command(line, limit);
        return r ? r->code : -1;
    }
    const std::string& last_error() const { return error_; }
    fc::IoStatus last_status() const { return status_; }

    fc::TlsClientOptions tls_options() const {
        fc::TlsClientOptions o;
        o.ca_file = pki().ca_cert;
        o.verify_name = "127.0.0.1";
        return o;
    }

    ::testing::AssertionResult auth_tls() {
        if (int c = code("AUTH TLS"); c != 234) {
            return ::testing::AssertionFailure() << "AUTH TLS: " << c << transcript();
        }
        fc::TlsHandshakeResult h = ctrl_.start_tls(tls_options(), in(5000ms));
        if (!ctrl_.is_protected()) {
            return ::testing::AssertionFailure() << "control handshake: " << h.error;
        }
        return ::testing::AssertionSuccess();
    }

    ::testing::AssertionResult login() {
        if (int c = code(std::string("USER ") + kUser); c != 331) {
            return ::testing::AssertionFailure() << "USER: " << c << transcript();
        }
        if (int c = code(std::string("PASS ") + kPassword); c != 230) {
            return ::testing::AssertionFailure() << "PASS: " << c << transcript();
        }
        return ::testing::AssertionSuccess();
    }

    ::testing::AssertionResult protect_data() {
        if (int c = code("PBSZ 0"); c != 200) {
            return ::testing::AssertionFailure() << "PBSZ: " << c << transcript();
        }
        if (int c = code("PROT P"); c != 200) {
            return ::testing::AssertionFailure() << "PROT P: " << c << transcript();
        }
        return ::testing::AssertionSuccess();
    }

    /// connect, AUTH TLS, login, PBSZ 0 and PROT P, TYPE I.
    ::testing::AssertionResult protected_login(std::uint16_t port) {
        if (auto r = connect(port); !r) {
            return r;
        }
        if (auto r = auth_tls(); !r) {
            return r;
        }
        if (auto r = login(); !r) {
            return r;
        }
        if (auto r = protect_data(); !r) {
            return r;
        }
        if (int c = code("TYPE I"); c != 200) {
            return ::testing::AssertionFailure() << "TYPE I: " << c << transcript();
        }
        return ::testing::AssertionSuccess();
    }

    /// EPSV, `line` (a download), the data handshake resuming the control session and the
    /// first 64 KiB; the rest is left unread, so the server's writes back up.
    ::testing::AssertionResult start_stalled_download(const std::string& line,
                                                      std::unique_ptr<fc::DataConnection>* data) {
        std::string error;
        *data = open_data(&error);
        if (!*data) {
            return ::testing::AssertionFailure() << error;
        }
        if (int c = code(line); c != 150) {
            return ::testing::AssertionFailure() << line << ": " << c << transcript();
        }
        fc::SslSessionPtr own = ctrl_.tls_session();
        fc::TlsClientOptions o = tls_options();
        o.resume = own.get();
        fc::TlsHandshakeResult h = (*data)->protect(o, in(5000ms));
        if (!(*data)->is_protected()) {
            return ::testing::AssertionFailure() << "data handshake: " << h.error;
        }
        fc::ReceiveResult head = (*data)->receive_all(in(5000ms), 1ULL << 32, 64 * 1024);
        if (!head.paused) {
            return ::testing::AssertionFailure() << "the first 64 KiB: " << head.error;
        }
        return ::testing::AssertionSuccess();
    }

    /// EPSV and a TCP connection to the port it names.
    std::unique_ptr<fc::DataConnection> open_data(std::string* error) {
        auto r = command("EPSV");
        if (!r) {
            *error = "EPSV: " + error_;
            return nullptr;
        }
        auto port = fc::parse_epsv_reply(*r, error);
        if (!port) {
            return nullptr;
        }
        return fc::DataConnection::connect({"127.0.0.1", *port}, "", in(3000ms), fc::CancelToken{},
                                           error);
    }

    /// RETR/LIST/NLST `line` over EPSV; protected when `tls` (resuming `resume` or the
    /// control session). Reads the data when the server says 150.
    Transfer download(const std::string& line, bool tls = false, SSL_SESSION* resume = nullptr) {
        Transfer t;
        auto data = open_data(&t.error);
        if (!data) {
            t.first = -1;
            return t;
        }
        auto first = command(line);
        t.first = first ? first->code : -1;
        if (!first || (first->code != 150 && first->code != 125)) {
            return t;
        }
        if (tls) {
            fc::SslSessionPtr own = ctrl_.tls_session();
            fc::TlsClientOptions o = tls_options();
            o.resume = resume != nullptr ? resume : own.get();
            fc::TlsHandshakeResult h = data->protect(o, in(5000ms));
            if (!data->is_protected()) {
                t.error = "data handshake: " + h.error;
                return t;
            }
            resumed_ = data->tls_facts()->resumed;
        }
        fc::ReceiveResult got = data->receive_all(in(5000ms));
        t.data = got.head;
        if (got.status != fc::IoStatus::ok) {
            t.error = got.error;
        }
        data->finish(in(1000ms));
        auto final = reply();
        t.final = final ? final->code : 0;
        return t;
    }

    /// STOR/APPE `line` over EPSV in clear, sending `bytes` when the server says 150.
    Transfer upload(const std::string& line, const std::string& bytes) {
        Transfer t;
        auto data = open_data(&t.error);
        if (!data) {
            t.first = -1;
            return t;
        }
        auto first = command(line);
        t.first = first ? first->code : -1;
        if (!first || (first->code != 150 && first->code != 125)) {
            return t;
        }
        data->send(bytes, in(3000ms));
        data->finish(in(1000ms));
        auto final = reply();
        t.final = final ? final->code : 0;
        return t;
    }

    bool last_data_resumed() const { return resumed_; }

private:
    fc::Transcript transcript_;
    fc::ControlChannel ctrl_;
    std::string error_;
    fc::IoStatus status_ = fc::IoStatus::ok;
    bool resumed_ = false;
};

bool refused(int code) {
    return code >= 400 && code < 600;
}

// The current directory as PWD reports it ("" when PWD fails).
std::string pwd(Client& c) {
    auto r = c.command("PWD");
    if (!r || r->code != 257) {
        return "";
    }
    std::string text = r->lines.front();
    auto open = text.find('"');
    auto close = text.find('"', open + 1);
    return open == std::string::npos || close == std::string::npos
               ? ""
               : text.substr(open + 1, close - open - 1);
}

std::string random_tag() {
    std::random_device rd;
    return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

class RefServerRealServer : public ::testing::Test {
protected:
    static void SetUpTestSuite() { (void)pki(); }
};

// ---------------------------------------------------------------------------------------
// (a) Path confinement over the wire.

TEST_F(RefServerRealServer, PathsCannotLeaveTheRoot) {
    RefServer server;
    const fs::path outside = server.base() / "outside";
    fs::create_directories(outside);
    write_file(outside / "secret.txt", "SECRET-OUTSIDE-THE-ROOT");
    write_file(server.root() / "in-root.txt", "inside");
    write_file(server.root() / "small.bin", "small file");
    fs::create_directories(server.root() / "sub");
    fs::create_directory_symlink("/etc", server.root() / "link");
    fs::create_directory_symlink(outside, server.root() / "olink");
    fs::create_symlink(outside / "secret.txt", server.root() / "flink");
    ASSERT_TRUE(server.start());

    Client c;
    ASSERT_TRUE(c.connect(server.port()));
    ASSERT_TRUE(c.login());
    ASSERT_EQ(c.code("TYPE I"), 200);

    // CWD above the root: refused, or (chroot semantics) kept at "/"; never outside.
    for (const char* dir : {"../..", "/..", "..", "/../../..", "sub/../../.."}) {
        SCOPED_TRACE(std::string("CWD ") + dir);
        ASSERT_EQ(c.code("CWD /"), 250);
        int code = c.code(std::string("CWD ") + dir);
        EXPECT_TRUE(refused(code) || code == 250) << code;
        EXPECT_EQ(pwd(c), "/");
        EXPECT_EQ(c.code("SIZE in-root.txt"), 213) << "the working directory left the root";
        EXPECT_TRUE(refused(c.code("SIZE outside/secret.txt")));
    }
    ASSERT_EQ(c.code("CWD /"), 250);

    // Reads outside: every one refused before any byte moves.
    for (const char* path :
         {"../../etc/passwd", "/etc/passwd", "../../../../../../../../etc/passwd",
          "../outside/secret.txt", "link/passwd", "/link/passwd", "olink/secret.txt", "flink",
          "sub/../../outside/secret.txt"}) {
        SCOPED_TRACE(std::string("RETR ") + path);
        EXPECT_TRUE(refused(c.code(std::string("SIZE ") + path)));
        Transfer t = c.download(std::string("RETR ") + path);
        EXPECT_TRUE(refused(t.first)) << t.first << " " << t.error;
        EXPECT_EQ(t.data.find("root:"), std::string::npos);
        EXPECT_EQ(t.data.find("SECRET"), std::string::npos);
    }

    // A symlink to a directory outside: no CWD into it, no listing of what is behind it.
    for (const char* link : {"link", "olink", "/link"}) {
        SCOPED_TRACE(link);
        EXPECT_TRUE(refused(c.code(std::string("CWD ") + link)));
        EXPECT_EQ(pwd(c), "/");
        for (const char* verb : {"LIST ", "NLST ", "MLSD "}) {
            Transfer t = c.download(verb + std::string(link));
            EXPECT_TRUE(refused(t.first) || t.first == 150) << verb << t.first;
            EXPECT_EQ(t.data.find("passwd"), std::string::npos) << verb << t.data;
            EXPECT_EQ(t.data.find("hostname"), std::string::npos) << verb << t.data;
            EXPECT_EQ(t.data.find("secret.txt"), std::string::npos) << verb << t.data;
        }
        EXPECT_TRUE(refused(c.code(std::string("MLST ") + link + "/passwd")));
    }

    // Writes outside: MKD, RNFR/RNTO, STOR, APPE, DELE, RMD.
    const std::string tag = random_tag();
    const fs::path tmp_escape = fs::path("/tmp") / ("fc-refserver-escape-" + tag);
    {
        SCOPED_TRACE("MKD ../x");
        int code = c.code("MKD ../x");
        EXPECT_TRUE(refused(code) || code == 257) << code;
        EXPECT_FALSE(fs::exists(server.base() / "x"));
        EXPECT_EQ(code == 257, fs::is_directory(server.root() / "x")) << code;
    }
    EXPECT_TRUE(refused(c.code("MKD olink/x")));
    EXPECT_FALSE(fs::exists(outside / "x"));
    EXPECT_TRUE(refused(c.code("MKD link/fc-refserver-" + tag)));
    EXPECT_FALSE(fs::exists("/etc/fc-refserver-" + tag));
    {
        SCOPED_TRACE("RNFR small.bin / RNTO ../moved.bin");
        ASSERT_EQ(c.code("RNFR small.bin"), 350);
        int code = c.code("RNTO ../moved.bin");
        EXPECT_TRUE(refused(code) || code == 250) << code;
        EXPECT_FALSE(fs::exists(server.base() / "moved.bin"));
        EXPECT_EQ(code == 250, fs::exists(server.root() / "moved.bin")) << code;
        EXPECT_EQ(code == 250, !fs::exists(server.root() / "small.bin")) << code;
    }
    ASSERT_EQ(c.code("RNFR in-root.txt"), 350);
    EXPECT_TRUE(refused(c.code("RNTO olink/stolen.txt")));
    EXPECT_FALSE(fs::exists(outside / "stolen.txt"));
    ASSERT_EQ(c.code("RNFR in-root.txt"), 350);
    EXPECT_TRUE(refused(c.code("RNTO ../../../../../../../../tmp/fc-refserver-escape-" + tag)));
    EXPECT_TRUE(fs::exists(server.root() / "in-root.txt"));
    EXPECT_TRUE(refused(c.code("RNFR ../outside/secret.txt")));
    EXPECT_TRUE(refused(c.code("RNFR olink/secret.txt")));
    EXPECT_TRUE(refused(c.code("RNFR flink/..")));

    for (const std::string& path :
         {std::string("../../tmp/x"), "../../../../../../../../tmp/fc-refserver-escape-" + tag,
          std::string("/../escape.txt"), std::string("olink/up.txt"),
          std::string("link/fc-refserver-up")}) {
        SCOPED_TRACE("STOR " + path);
        Transfer t = c.upload("STOR " + path, "uploaded");
        if (t.first == 150) {
            // Only a path that stays inside the root may be written (chroot semantics).
            EXPECT_EQ(path, "/../escape.txt");
            EXPECT_TRUE(fs::exists(server.root() / "escape.txt"));
        } else {
            EXPECT_TRUE(refused(t.first)) << t.first << " " << t.error;
        }
        Transfer a = c.upload("APPE " + path, "appended");
        EXPECT_TRUE(refused(a.first) || (a.first == 150 && path == "/../escape.txt")) << a.first;
    }
    EXPECT_FALSE(fs::exists(tmp_escape));
    EXPECT_FALSE(fs::exists(server.base() / "escape.txt"));
    EXPECT_FALSE(fs::exists(outside / "up.txt"));
    EXPECT_FALSE(fs::exists("/etc/fc-refserver-up"));

    EXPECT_TRUE(refused(c.code("DELE ../outside/secret.txt")));
    EXPECT_TRUE(refused(c.code("DELE olink/secret.txt")));
    c.code("DELE flink/");  // the link itself is an entry of the root; its target stays
    EXPECT_TRUE(refused(c.code("RMD ../outside")));
    EXPECT_TRUE(refused(c.code("RMD olink")));
    EXPECT_EQ(fc::testing::read_file(outside / "secret.txt"), "SECRET-OUTSIDE-THE-ROOT");
    std::vector<std::string> outside_names;
    for (const auto& entry : fs::directory_iterator(outside)) {
        outside_names.push_back(entry.path().filename().string());
    }
    EXPECT_EQ(outside_names, std::vector<std::string>{"secret.txt"});
    EXPECT_EQ(fc::testing::read_file("/etc/passwd").empty(), false);  // untouched, still there
    EXPECT_TRUE(fs::is_symlink(server.root() / "link"));
    EXPECT_EQ(c.code("NOOP"), 200) << "the session died on the way: " << c.transcript();
}

// ---------------------------------------------------------------------------------------
// (b) Limits: an overlong line, and the idle timeout.

TEST_F(RefServerRealServer, OverlongLineIsRefusedAndServerStaysUsable) {
    RefServer server;
    ASSERT_TRUE(server.start());

    Client a;
    ASSERT_TRUE(a.connect(server.port()));
    ASSERT_TRUE(a.ctrl().send_line("NOOP " + std::string(10 * 1024, 'A'), in(3000ms)).ok());
    auto r = a.reply(3000ms);
    if (r) {
        EXPECT_EQ(r->code / 100, 5) << r->text();
        // The session goes on: the rest of the long line was not taken as commands.
        EXPECT_EQ(a.code("NOOP"), 200) << a.transcript();
    } else {
        EXPECT_EQ(a.last_status(), fc::IoStatus::closed) << a.last_error();
    }

    // A megabyte without a line end: the server answers (or closes), it does not hoard it.
    Client b;
    ASSERT_TRUE(b.connect(server.port()));
    // (A send may fail once the server has answered and closed; both are fine.)
    if (b.ctrl().send_raw(std::string(1024 * 1024, 'B'), in(5000ms)).ok()) {
        b.ctrl().send_raw("\r\n", in(2000ms));
    }
    if (auto rb = b.reply(3000ms)) {
        EXPECT_EQ(rb->code / 100, 5) << rb->text();
        EXPECT_EQ(b.code("NOOP"), 200) << b.transcript();
    }

    // Other sessions are served meanwhile and afterwards.
    Client c;
    ASSERT_TRUE(c.connect(server.port()));
    ASSERT_TRUE(c.login());
    EXPECT_EQ(c.code("PWD"), 257);
    EXPECT_TRUE(server.process()->running());
}

TEST_F(RefServerRealServer, IdleSessionIsClosedWith421) {
    RefServer server;
    ASSERT_TRUE(server.start({"--idle-timeout", "1"}));

    Client clear, tls, busy;
    ASSERT_TRUE(clear.connect(server.port()));
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(tls.connect(server.port()));
    ASSERT_TRUE(tls.auth_tls());
    ASSERT_TRUE(tls.login());
    auto tls_idle_from = std::chrono::steady_clock::now();

    auto r = clear.reply(3000ms);
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.has_value()) << "no reply within 3 s: " << clear.last_error();
    EXPECT_EQ(r->code, 421) << r->text();
    EXPECT_LE(waited, 2.5);
    EXPECT_GE(waited, 0.8);
    EXPECT_FALSE(clear.reply(2000ms).has_value());
    EXPECT_EQ(clear.last_status(), fc::IoStatus::closed) << clear.last_error();

    auto rt = tls.reply(3000ms);
    waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - tls_idle_from).count();
    ASSERT_TRUE(rt.has_value()) << "no reply over TLS within 3 s: " << tls.last_error();
    EXPECT_EQ(rt->code, 421) << rt->text();
    EXPECT_LE(waited, 2.5);

    // A session that keeps talking is not idle.
    ASSERT_TRUE(busy.connect(server.port()));
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(500ms);  // time passing is the case: 2.5 s in all, busy
        ASSERT_EQ(busy.code("NOOP"), 200) << "round " << i << ": " << busy.transcript();
    }
    EXPECT_TRUE(server.wait_for_disconnect(1));
    bool idle_reason = false;
    for (auto& e : server.events()) {
        if (e["session"] == "1" && e["event"] == "disconnect") {
            idle_reason = e["reason"] == "idle timeout";
        }
    }
    EXPECT_TRUE(idle_reason);
}

TEST_F(RefServerRealServer, MaxSessionsRefusesTheExtraOneWith421) {
    RefServer server;
    ASSERT_TRUE(server.start({"--max-sessions", "1"}));
    Client a;
    ASSERT_TRUE(a.connect(server.port()));
    Client b;
    ASSERT_EQ(b.ctrl().connect("127.0.0.1", server.port(), in(3000ms)), "");
    auto r = b.reply(3000ms);
    ASSERT_TRUE(r.has_value()) << b.last_error();
    EXPECT_EQ(r->code, 421) << r->text();
    EXPECT_EQ(a.code("QUIT"), 221);
    ASSERT_TRUE(server.wait_for_disconnect(1));
    // The slot is free again once the first session has ended (retried: the server notices
    // the ended session on its next accept).
    EXPECT_TRUE(fc::testing::eventually(
        [&] {
            Client c;
            std::string error = c.ctrl().connect("127.0.0.1", server.port(), in(3000ms));
            EXPECT_EQ(error, "");
            auto banner = c.reply(3000ms);
            return error.empty() && banner && banner->code == 220;
        },
        in(5000ms)));
}

// ---------------------------------------------------------------------------------------
// (c) Concurrency: stalled peers do not hold up anyone else.

TEST_F(RefServerRealServer, StalledHandshakeDoesNotBlockOtherLogins) {
    RefServer server;
    write_file(server.root() / "small.bin", fc::make_payload(4096));
    ASSERT_TRUE(server.start());

    // One stalls after 234 (no ClientHello), one after half a ClientHello, one never reads.
    Client after_234;
    ASSERT_TRUE(after_234.connect(server.port()));
    ASSERT_EQ(after_234.code("AUTH TLS"), 234);
    Client half_hello;
    ASSERT_TRUE(half_hello.connect(server.port()));
    ASSERT_EQ(half_hello.code("AUTH TLS"), 234);
    ASSERT_TRUE(half_hello.ctrl()
                    .send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00", 7), in(1000ms))
                    .ok());
    std::string error;
    fc::UniqueFd silent = fc::tcp_connect("127.0.0.1", server.port(), in(2000ms), {}, &error);
    ASSERT_TRUE(silent) << error;

    auto start = std::chrono::steady_clock::now();
    Client c;
    ASSERT_TRUE(c.connect(server.port()));
    ASSERT_TRUE(c.auth_tls());
    ASSERT_TRUE(c.login());
    ASSERT_TRUE(c.protect_data());
    Transfer t = c.download("RETR small.bin", true);
    EXPECT_EQ(t.first, 150) << t.error;
    EXPECT_EQ(t.final, 226) << t.error;
    EXPECT_EQ(t.data, fc::make_payload(4096));
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(took, 3.0);
}

TEST_F(RefServerRealServer, StalledImplicitHandshakeDoesNotBlockOthers) {
    RefServer server;
    ASSERT_TRUE(server.start({"--feature", "implicit"}));
    std::string error;
    fc::UniqueFd silent = fc::tcp_connect("127.0.0.1", server.port(), in(2000ms), {}, &error);
    ASSERT_TRUE(silent) << error;

    auto start = std::chrono::steady_clock::now();
    fc::Transcript transcript;
    fc::ControlChannel c(transcript, fc::CancelToken{});
    ASSERT_EQ(c.connect("127.0.0.1", server.port(), in(2000ms)), "");
    fc::TlsClientOptions o;
    o.ca_file = pki().ca_cert;
    o.verify_name = "127.0.0.1";
    fc::TlsHandshakeResult h = c.start_tls(o, in(3000ms));
    ASSERT_TRUE(c.is_protected()) << h.error;
    fc::ReplyResult banner = c.read_reply(in(2000ms));
    ASSERT_TRUE(banner.reply) << banner.error;
    EXPECT_EQ(banner.reply->code, 220);
    ASSERT_TRUE(c.send_line(std::string("USER ") + kUser, in(2000ms)).ok());
    EXPECT_EQ(c.read_reply(in(2000ms)).reply.value_or(fc::Reply{}).code, 331);
    ASSERT_TRUE(c.send_line(std::string("PASS ") + kPassword, in(2000ms)).ok());
    EXPECT_EQ(c.read_reply(in(2000ms)).reply.value_or(fc::Reply{}).code, 230);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(took, 3.0);
    c.close(in(500ms));
}

// ---------------------------------------------------------------------------------------
// (d) SIGTERM: a prompt, orderly stop with sessions in every state.

TEST_F(RefServerRealServer, SigtermStopsWithinTwoSecondsWithSessionsOpen) {
    RefServer server;
    write_file(server.root() / "small.bin", "small");
    write_file(server.root() / "big.bin", fc::make_payload(16 * 1024 * 1024));
    ASSERT_TRUE(server.start());

    Client logged_in;  // idle after login, over TLS
    ASSERT_TRUE(logged_in.connect(server.port()));
    ASSERT_TRUE(logged_in.auth_tls());
    ASSERT_TRUE(logged_in.login());
    Client half_line;  // in the middle of a command line
    ASSERT_TRUE(half_line.connect(server.port()));
    ASSERT_TRUE(half_line.ctrl().send_raw("NOO", in(1000ms)).ok());
    Client mid_handshake;  // after 234, no ClientHello
    ASSERT_TRUE(mid_handshake.connect(server.port()));
    ASSERT_EQ(mid_handshake.code("AUTH TLS"), 234);
    Client waiting_data;  // RETR after EPSV, never connects: the server waits in accept
    ASSERT_TRUE(waiting_data.connect(server.port()));
    ASSERT_TRUE(waiting_data.login());
    auto epsv = waiting_data.command("EPSV");
    ASSERT_TRUE(epsv && epsv->code == 229);
    ASSERT_EQ(waiting_data.code("RETR small.bin"), 150);
    Client stuck_send;  // RETR of a big file, never reads: the server blocks in send
    ASSERT_TRUE(stuck_send.connect(server.port()));
    ASSERT_TRUE(stuck_send.login());
    std::string error;
    auto data = stuck_send.open_data(&error);
    ASSERT_TRUE(data) << error;
    ASSERT_EQ(stuck_send.code("RETR big.bin"), 150);
    // No event marks "the server is blocked in send" from outside; a pause lets the send fill
    // the socket buffers (without it the case is weaker, never wrongly failed).
    std::this_thread::sleep_for(300ms);

    ASSERT_TRUE(server.process()->running());
    // To the process group: the pid a Process knows is its PID namespace's relay, which
    // leaves polite signals to the server (harness/README.md, process lifetime).
    ASSERT_EQ(::kill(-server.process()->pid(), SIGTERM), 0);
    auto start = std::chrono::steady_clock::now();
    bool exited = server.process()->wait(in(2000ms), fc::CancelToken{});
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(exited) << "still running " << took << " s after SIGTERM";
    if (exited) {
        EXPECT_EQ(server.process()->exit_status(), 0) << server.process()->stderr_tail();
    }
    // The idle sessions were told why (server.hpp: every session says 421 and closes),
    // in clear and over TLS.
    auto clear = half_line.reply(1000ms);
    ASSERT_TRUE(clear.has_value()) << "clear session: " << half_line.last_error();
    EXPECT_EQ(clear->code, 421) << clear->text();
    auto r = logged_in.reply(1000ms);
    ASSERT_TRUE(r.has_value()) << "TLS session: " << logged_in.last_error();
    EXPECT_EQ(r->code, 421) << r->text();
}

// ---------------------------------------------------------------------------------------
// (e) The event log of a protected session.

TEST_F(RefServerRealServer, EventLogRecordsAProtectedDownload) {
    RefServer server;
    const std::string payload = fc::make_payload(4096);
    write_file(server.root() / "small.bin", payload);
    ASSERT_TRUE(server.start());

    // Session 1: a TLS session that a later data connection could wrongly be tied to.
    Client first;
    ASSERT_TRUE(first.connect(server.port()));
    ASSERT_TRUE(first.auth_tls());
    ASSERT_EQ(first.code("NOOP"), 200);  // TLS 1.3: the ticket arrives with the next record

    // Session 2: the session under test.
    Client c;
    ASSERT_TRUE(c.connect(server.port()));
    ASSERT_TRUE(c.auth_tls());
    ASSERT_TRUE(c.login());
    ASSERT_TRUE(c.protect_data());
    ASSERT_EQ(c.code("TYPE I"), 200);
    Transfer t = c.download("RETR small.bin", true);
    ASSERT_EQ(t.first, 150) << t.error;
    EXPECT_EQ(t.final, 226) << t.error;
    EXPECT_EQ(t.data, payload);
    EXPECT_TRUE(c.last_data_resumed());
    // A second protected transfer that resumes session 1's TLS session instead.
    fc::SslSessionPtr other = first.ctrl().tls_session();
    ASSERT_TRUE(other);
    Transfer t2 = c.download("RETR small.bin", true, other.get());
    EXPECT_EQ(t2.first, 150) << t2.error;
    EXPECT_EQ(c.code("QUIT"), 221);
    ASSERT_TRUE(server.wait_for_disconnect(2)) << fc::testing::read_file(server.event_log());

    std::vector<Event> all = server.events();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.front()["event"], "listen");
    EXPECT_EQ(all.front()["session"], "0");
    EXPECT_EQ(all.front()["port"], std::to_string(server.port()));
    std::vector<Event> s;
    for (auto& e : all) {
        EXPECT_TRUE(e.count("t") && e.count("session") && e.count("event"));
        if (e["session"] == "2") {
            s.push_back(e);
        }
    }
    // The commands, in order, with PASS masked.
    std::vector<std::string> commands;
    for (auto& e : s) {
        if (e["event"] == "command") {
            commands.push_back(e["verb"] + " " + e["arg"] + " " + e["protected"]);
        }
    }
    EXPECT_EQ(commands, (std::vector<std::string>{
                            "AUTH TLS false", "USER alice true", "PASS **** true", "PBSZ 0 true",
                            "PROT P true", "TYPE I true", "EPSV  true", "RETR small.bin true",
                            "EPSV  true", "RETR small.bin true", "QUIT  true"}));
    EXPECT_EQ(fc::testing::read_file(server.event_log()).find(kPassword), std::string::npos)
        << "the password is in the event log";

    // Order of the session's events, and their fields.
    auto index_of = [&](const std::string& event, const std::string& key, const std::string& value,
                        std::size_t from = 0) -> std::size_t {
        for (std::size_t i = from; i < s.size(); ++i) {
            if (s[i]["event"] == event && (key.empty() || s[i][key] == value)) {
                return i;
            }
        }
        ADD_FAILURE() << "no " << event << " " << key << "=" << value << " after " << from;
        return s.size();
    };
    ASSERT_FALSE(s.empty());
    EXPECT_EQ(s.front()["event"], "connect");
    EXPECT_EQ(s.back()["event"], "disconnect");
    EXPECT_EQ(s.back()["reason"], "quit");
    std::size_t auth = index_of("command", "verb", "AUTH");
    std::size_t ctls = index_of("tls", "channel", "control", auth);
    std::size_t user = index_of("command", "verb", "USER", ctls);
    std::size_t retr = index_of("command", "verb", "RETR", user);
    std::size_t open = index_of("data-open", "data", "1", retr);
    std::size_t dtls = index_of("tls", "channel", "data", open);
    std::size_t close = index_of("data-close", "data", "1", dtls);
    ASSERT_LT(close, s.size());
    EXPECT_EQ(s[ctls]["ok"], "true");
    EXPECT_EQ(s[ctls]["resumed"], "false");
    EXPECT_EQ(s[ctls]["resumed_from"], "0");
    EXPECT_FALSE(s[ctls]["version"].empty());
    EXPECT_FALSE(s[ctls]["cipher"].empty());
    EXPECT_EQ(s[open]["mode"], "epsv");
    EXPECT_EQ(s[open]["protected"], "true");
    EXPECT_EQ(s[open]["peer"].rfind("127.0.0.1:", 0), 0u) << s[open]["peer"];
    EXPECT_EQ(s[dtls]["data"], "1");
    EXPECT_EQ(s[dtls]["ok"], "true");
    EXPECT_EQ(s[dtls]["resumed"], "true");
    EXPECT_EQ(s[dtls]["resumed_from"], "2");
    EXPECT_EQ(s[close]["direction"], "download");
    EXPECT_EQ(s[close]["bytes"], "4096");
    EXPECT_EQ(s[close]["sha256"], fc::sha256_hex(payload));
    EXPECT_EQ(s[close]["complete"], "true");
    std::size_t reply226 = index_of("reply", "code", "226", close);
    EXPECT_LT(reply226, s.size());

    // The second transfer resumed session 1's TLS session: the log says whose it was.
    std::size_t dtls2 = index_of("tls", "data", "2", close);
    ASSERT_LT(dtls2, s.size());
    EXPECT_EQ(s[dtls2]["channel"], "data");
    if (c.last_data_resumed()) {
        EXPECT_EQ(s[dtls2]["resumed"], "true");
        EXPECT_EQ(s[dtls2]["resumed_from"], "1");
    } else {
        EXPECT_EQ(s[dtls2]["resumed"], "false");
        EXPECT_EQ(s[dtls2]["resumed_from"], "0");
    }
}

// ---------------------------------------------------------------------------------------
// (f) Usage errors of `serve`.

struct Finished {
    int status = -1;
    std::string out, err;
};

Finished run_serve(const std::vector<std::string>& args) {
    TempDir io("refserver-cli");
    fc::ProcessSpec spec;
    spec.argv = {FTPS_CONFORM_BINARY, "serve"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.stdout_path = io.path() / "stdout";
    spec.stderr_path = io.path() / "stderr";
    auto proc = fc::Process::start(spec);
    Finished f;
    if (proc->wait(in(5000ms), fc::CancelToken{})) {
        f.status = proc->exit_status().value_or(-1);
    } else {
        ADD_FAILURE() << "serve " << args.front() << " still running after 5 s";
    }
    proc->stop();
    f.out = fc::testing::read_file(io.path() / "stdout");
    f.err = fc::testing::read_file(io.path() / "stderr");
    return f;
}

TEST_F(RefServerRealServer, ServeRefusesNonLoopbackHostAndUnknownNames) {
    TempDir root("refserver-root");
    const fc::PkiFiles& p = pki();
    std::vector<std::string> common = {
        "--root", root.path().string(),  "--password", "x", "--cert", p.server_cert.string(),
        "--key",  p.server_key.string(), "--port",     "0"};
    for (const char* host : {"10.0.0.1", "0.0.0.0", "::"}) {
        SCOPED_TRACE(host);
        std::vector<std::string> args = {"--host", host};
        args.insert(args.end(), common.begin(), common.end());
        Finished f = run_serve(args);
        EXPECT_EQ(f.status, 2) << f.out << f.err;
        EXPECT_NE(f.err.find(host), std::string::npos) << f.err;
        EXPECT_NE(f.err.find("loopback"), std::string::npos) << f.err;
        EXPECT_EQ(f.out.find("ready"), std::string::npos) << f.out;
    }
    {
        std::vector<std::string> args = {"--feature", "tls-requird"};
        args.insert(args.end(), common.begin(), common.end());
        Finished f = run_serve(args);
        EXPECT_EQ(f.status, 2) << f.out << f.err;
        EXPECT_NE(f.err.find("tls-requird"), std::string::npos) << f.err;
        EXPECT_NE(f.err.find("did you mean 'tls-required'"), std::string::npos) << f.err;
        EXPECT_EQ(f.out.find("ready"), std::string::npos) << f.out;
    }
    {
        std::vector<std::string> args = {"--feature=tls-required,implicitt"};
        args.insert(args.end(), common.begin(), common.end());
        Finished f = run_serve(args);
        EXPECT_EQ(f.status, 2) << f.out << f.err;
        EXPECT_NE(f.err.find("did you mean 'implicit'"), std::string::npos) << f.err;
    }
}

}  // namespace

// RFC 4217 14: the control connection is read during a protected download. STAT is
// answered while the data still flows, another command waits until the transfer's 226,
// and ABOR ends the transfer with 426 then 226 (RFC 959 4.1.3). With the misbehaviour
// transfer-blocks-control, nothing is answered until the download ends.
TEST_F(RefServerRealServer, ControlIsReadDuringAProtectedDownload) {
    RefServer server;
    const std::string payload = fc::make_payload(8 << 20);
    write_file(server.root() / "big.bin", payload);
    ASSERT_TRUE(server.start());
    Client c;
    ASSERT_TRUE(c.protected_login(server.port()));

    // STAT and NOOP while the download is stalled (nothing read): STAT gets 213 at once.
    std::unique_ptr<fc::DataConnection> data;
    ASSERT_TRUE(c.start_stalled_download("RETR big.bin", &data));
    ASSERT_TRUE(c.ctrl().send_line("STAT", in(2000ms)).ok());
    auto stat = c.reply(3000ms);
    ASSERT_TRUE(stat) << c.transcript();
    EXPECT_EQ(stat->code, 213) << stat->text();
    // More NOOPs than the server holds back (16): the rest wait in the socket.
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(c.ctrl().send_line("NOOP", in(2000ms)).ok());
    }
    EXPECT_FALSE(c.reply(300ms)) << "NOOP answered during the transfer";
    fc::ReceiveResult rest = data->receive_all(in(10000ms));
    EXPECT_EQ(rest.status, fc::IoStatus::ok) << rest.error;
    EXPECT_GE(64 * 1024 + rest.bytes, payload.size());
    data->finish(in(1000ms));
    auto done = c.reply();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->code, 226) << done->text();
    for (int i = 0; i < 20; ++i) {
        auto noop = c.reply();
        ASSERT_TRUE(noop) << "NOOP " << i;
        EXPECT_EQ(noop->code, 200) << noop->text();
    }

    // ABOR while the download is stalled: 426, then 226, then the session goes on.
    ASSERT_TRUE(c.start_stalled_download("RETR big.bin", &data));
    ASSERT_TRUE(c.ctrl().send_line("ABOR", in(2000ms)).ok());
    auto aborted = c.reply(3000ms);
    ASSERT_TRUE(aborted) << c.transcript();
    EXPECT_EQ(aborted->code, 426) << aborted->text();
    auto abor = c.reply(3000ms);
    ASSERT_TRUE(abor) << c.transcript();
    EXPECT_EQ(abor->code, 226) << abor->text();
    data.reset();
    EXPECT_EQ(c.code("NOOP"), 200);
    EXPECT_EQ(c.code("QUIT"), 221);
}

TEST_F(RefServerRealServer, TransferBlocksControlLeavesAborUnanswered) {
    RefServer server;
    write_file(server.root() / "big.bin", fc::make_payload(8 << 20));
    ASSERT_TRUE(server.start({"--misbehave", "transfer-blocks-control"}));
    Client c;
    ASSERT_TRUE(c.protected_login(server.port()));
    std::unique_ptr<fc::DataConnection> data;
    ASSERT_TRUE(c.start_stalled_download("RETR big.bin", &data));
    ASSERT_TRUE(c.ctrl().send_line("ABOR", in(2000ms)).ok());
    EXPECT_FALSE(c.reply(1000ms)) << "ABOR answered during the transfer";
}

// RFC 2577: USER answers every name alike; the third failed login ends the session with a
// 421; PORT and EPRT to a port below 1024 are refused 504 and the session goes on.
TEST_F(RefServerRealServer, FailedLoginsEndWith421AndPrivilegedPortsAreRefused) {
    RefServer server;
    ASSERT_TRUE(server.start());

    Client a;
    ASSERT_TRUE(a.connect(server.port()));
    ASSERT_TRUE(a.auth_tls());
    EXPECT_EQ(a.code("USER nosuchuser"), 331) << a.transcript();
    EXPECT_EQ(a.code("PASS x"), 530) << a.transcript();
    EXPECT_EQ(a.code(std::string("USER ") + kUser), 331) << a.transcript();
    EXPECT_EQ(a.code("PASS wrong"), 530) << a.transcript();
    EXPECT_EQ(a.code(std::string("USER ") + kUser), 331) << a.transcript();
    EXPECT_EQ(a.code("PASS wrong"), 421) << a.transcript();
    EXPECT_FALSE(a.reply(2000ms).has_value());
    EXPECT_EQ(a.last_status(), fc::IoStatus::closed) << a.last_error();

    Client b;
    ASSERT_TRUE(b.connect(server.port()));
    ASSERT_TRUE(b.auth_tls());
    ASSERT_TRUE(b.login());
    EXPECT_EQ(b.code("PORT 127,0,0,1,0,25"), 504) << b.transcript();
    EXPECT_EQ(b.code("EPRT |1|127.0.0.1|1023|"), 504) << b.transcript();
    EXPECT_EQ(b.code("EPRT |1|127.0.0.1|1024|"), 200) << b.transcript();
    EXPECT_EQ(b.code("NOOP"), 200) << b.transcript();
}
