// Real sessions on loopback, captured by tcpdump and read back: curl (with SSLKEYLOGFILE)
// against the reference server (`ftps-conform serve`), TLS 1.2 and 1.3, protected and clear
// data, a client certificate; the wire facts are cross-checked with the server's event log,
// and tshark must open the capture decrypted with the key log.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>

#include "harness/proc/ports.hpp"
#include "harness/proc/process.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/tls/pki.hpp"
#include "harness/wire/capture.hpp"
#include "harness/wire/check.hpp"
#include "harness/wire/table.hpp"

#ifndef FTPS_CONFORM_BINARY
#define FTPS_CONFORM_BINARY ""  // the layer-local test binary has no tool to run
#endif

namespace fc::wire {
namespace {

namespace fs = std::filesystem;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

class WireRealServer : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::signal(SIGPIPE, SIG_IGN);
        dir_ = new fc::testing::TempDir("wire");
        pki_ = new PkiFiles(make_test_pki(dir_->path() / "pki"));
        ports_ = new PortAllocator();  // one for the suite: no test reuses another's ports
    }
    static void TearDownTestSuite() {
        delete ports_;
        delete pki_;
        delete dir_;
    }

    void SetUp() override {
        if (std::string(FTPS_CONFORM_BINARY).empty()) {
            GTEST_SKIP() << "built without the ftps-conform binary (layer-local test binary)";
        }
        cell_ = dir_->path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::create_directories(cell_ / "root");
    }

    void start_server(const std::vector<std::string>& extra = {}) {
        port_ = ports_->port();
        range_ = ports_->range(10);
        std::vector<std::string> argv = {
            FTPS_CONFORM_BINARY,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            std::to_string(port_),
            "--pasv-range",
            std::to_string(range_.first) + "-" + std::to_string(range_.second),
            "--root",
            (cell_ / "root").string(),
            "--password",
            "pw",
            "--cert",
            pki_->server_cert.string(),
            "--key",
            pki_->server_key.string(),
            "--ca",
            pki_->ca_cert.string(),
            "--event-log",
            (cell_ / "events.jsonl").string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        ProcessSpec spec;
        spec.argv = argv;
        spec.stderr_path = cell_ / "server.log";
        server_ = Process::start(spec);
        Readiness r = wait_ready("127.0.0.1", port_, "220", Deadline::after(Millis(10000)), {},
                                 server_.get());
        ASSERT_TRUE(r.ready) << r.error;
    }

    void start_capture() {
        CaptureSpec spec;
        spec.file = cell_ / "capture.pcap";
        spec.addresses = {"127.0.0.1"};
        spec.ports = {{port_, port_}, {range_.first, range_.second}};
        spec.ports.insert(spec.ports.end(), extra_ports_.begin(), extra_ports_.end());
        capture_ = std::make_unique<WireCapture>(spec);
        CaptureStart s = capture_->start();
        ASSERT_TRUE(s.ok) << s.reason << " (ci/bootstrap installs tcpdump)";
        start_ms_ = static_cast<double>(s.took.count());
    }

    // Runs curl with the key log; returns its exit status.
    int curl(std::vector<std::string> args) {
        std::vector<std::string> argv = {"curl", "-sS",      "--max-time",
                                         "20",   "--cacert", pki_->ca_cert.string(),
                                         "-u",   "alice:pw"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_client(argv);
    }

    // Runs a client in the test's folder with SSLKEYLOGFILE set; returns its exit status.
    int run_client(const std::vector<std::string>& argv) {
        ProcessSpec spec;
        spec.argv = argv;
        spec.cwd = cell_;
        spec.stderr_path = cell_ / "client.log";
        spec.env = {{"SSLKEYLOGFILE", (cell_ / "tls-keys.log").string()}};
        auto p = Process::start(spec);
        EXPECT_TRUE(p->wait(Deadline::after(Millis(30000)), {})) << argv[0] << " did not finish";
        auto status = p->exit_status();
        return status ? *status : -1;
    }

    std::string url(const std::string& name) const {
        return "ftp://127.0.0.1:" + std::to_string(port_) + "/" + name;
    }

    WireFacts stop_and_read(bool with_keys = true) {
        CaptureStop s = capture_->stop();
        EXPECT_TRUE(s.ok) << s.reason;
        EXPECT_GT(s.captured, 0);
        auto t = Clock::now();
        WireFacts f =
            read_wire_facts(cell_ / "capture.pcap", with_keys ? cell_ / "tls-keys.log" : fs::path(),
                            WireRoles{{port_}});
        std::cout << "[wire] capture start " << start_ms_ << " ms, stop " << s.took.count()
                  << " ms, read " << ms_since(t) << " ms (" << f.frames << " frames, "
                  << f.connections.size() << " connections)\n"
                  << wire_table(f);
        EXPECT_EQ(f.error, "");
        return f;
    }

    // The server's own view: "resumed" of each data TLS handshake, in order.
    std::vector<bool> server_data_resumed() const {
        std::vector<bool> out;
        std::string log = fc::testing::read_file(cell_ / "events.jsonl");
        for (std::size_t at = 0;
             (at = log.find("\"channel\":\"data\",\"data\":", at)) != std::string::npos; ++at) {
            std::size_t eol = log.find('\n', at);
            std::string line = log.substr(at, eol - at);
            if (line.find("\"ok\":true") != std::string::npos) {
                out.push_back(line.find("\"resumed\":true") != std::string::npos);
            }
        }
        return out;
    }

    void write(const std::string& name, const std::string& content) {
        std::ofstream(cell_ / name, std::ios::binary) << content;
    }

    static fc::testing::TempDir* dir_;
    static PkiFiles* pki_;
    static PortAllocator* ports_;
    fs::path cell_;
    std::uint16_t port_ = 0;
    std::pair<std::uint16_t, std::uint16_t> range_;
    std::unique_ptr<Process> server_;
    std::unique_ptr<WireCapture> capture_;
    std::vector<PortRange> extra_ports_;  ///< captured too (active-mode client ports)
    double start_ms_ = 0;
};

fc::testing::TempDir* WireRealServer::dir_ = nullptr;
PkiFiles* WireRealServer::pki_ = nullptr;
PortAllocator* WireRealServer::ports_ = nullptr;

void expect_outcome(const WireFacts& f, const WireExpect& e, WireOutcome want) {
    WireCheck c = check_wire(f, e);
    EXPECT_EQ(c.outcome, want) << to_string(e.kind) << ": " << c.reason;
}

TEST_F(WireRealServer, ProtectedTransfersTls13FromTheWire) {
    start_server();
    start_capture();
    write("up.txt", std::string(100000, 'u'));
    ASSERT_EQ(curl({"--ssl-reqd", "--tlsv1.3", "-T", "up.txt", url("up.txt")}), 0);
    ASSERT_EQ(curl({"--ssl-reqd", "--tlsv1.3", url("up.txt"), "-o", "down.txt"}), 0);
    WireFacts f = stop_and_read();
    auto control = f.of_role(Role::control), data = f.of_role(Role::data);
    ASSERT_EQ(control.size(), 2u);
    ASSERT_EQ(data.size(), 2u);
    for (const WireConnection* c : control) {
        EXPECT_TRUE(c->text_then_tls);
        EXPECT_EQ(c->auth_command, "AUTH TLS");
        EXPECT_EQ(c->reply_before_tls, 234);
        EXPECT_EQ(c->tls.keys, "decrypted");
    }
    EXPECT_EQ(data[0]->tls_client().app_bytes, 100000u);  // the upload, as plaintext
    EXPECT_TRUE(data[0]->tls_client().app_bytes_plaintext);
    EXPECT_EQ(data[1]->tls_server().app_bytes, 100000u);  // the download
    std::vector<bool> wire_resumed;
    for (const WireConnection* c : data) {
        EXPECT_TRUE(c->starts_with_tls);
        wire_resumed.push_back(c->tls.resumed == Tri::yes);
    }
    EXPECT_EQ(wire_resumed, server_data_resumed()) << "the wire and the server's log disagree";
    expect_outcome(f, wire_expect(WireKind::data_protected), WireOutcome::pass);
    expect_outcome(f, wire_expect(WireKind::no_clear_data), WireOutcome::pass);
    expect_outcome(f, wire_expect(WireKind::tls_version, "1.3"), WireOutcome::pass);
    expect_outcome(f, wire_expect(WireKind::tls_version, "1.2"), WireOutcome::fail);
    WireExpect uploads = wire_expect(WireKind::close_notify);
    uploads.uploads_only = true;
    expect_outcome(f, uploads, WireOutcome::pass);
    expect_outcome(f, wire_expect(WireKind::client_cert_sent), WireOutcome::fail);
    // Without the key log the same capture cannot show close_notify: unsupported, not pass.
    WireFacts blind = read_wire_facts(cell_ / "capture.pcap", "", WireRoles{{port_}});
    expect_outcome(blind, uploads, WireOutcome::unsupported);
    expect_outcome(blind, wire_expect(WireKind::data_protected), WireOutcome::pass);
}

TEST_F(WireRealServer, ProtectedTransfersTls12DecryptWithTheMasterSecret) {
    start_server();
    start_capture();
    write("up.txt", "twelve\n");
    ASSERT_EQ(curl({"--ssl-reqd", "--tlsv1.2", "--tls-max", "1.2", "-T", "up.txt", url("up.txt")}),
              0);
    WireFacts f = stop_and_read();
    auto data = f.of_role(Role::data);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(version_name(data[0]->tls.version), "TLS 1.2");
    EXPECT_EQ(data[0]->tls.keys, "decrypted");
    EXPECT_EQ(data[0]->tls_client().app_bytes, 7u);
    EXPECT_EQ(data[0]->tls_client().close_notify, Tri::yes);
    EXPECT_EQ(std::vector<bool>{data[0]->tls.resumed == Tri::yes}, server_data_resumed());
    expect_outcome(f, wire_expect(WireKind::tls_version, "1.2"), WireOutcome::pass);
    expect_outcome(f, wire_expect(WireKind::data_protected), WireOutcome::pass);
}

TEST_F(WireRealServer, ClearDataConnectionsFailTheProtectionChecks) {
    start_server();
    start_capture();
    write("up.txt", "in the clear\n");
    // --ftp-ssl-control: TLS for the login only, PROT C for the data.
    ASSERT_EQ(curl({"--ftp-ssl-control", "-T", "up.txt", url("up.txt")}), 0);
    WireFacts f = stop_and_read();
    auto data = f.of_role(Role::data);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_FALSE(data[0]->starts_with_tls);
    EXPECT_EQ(data[0]->from_client.clear_bytes, 13u);
    WireCheck c = check_wire(f, wire_expect(WireKind::data_protected));
    EXPECT_EQ(c.outcome, WireOutcome::fail);
    EXPECT_NE(c.reason.find("data connection #2"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find("began in clear: 'in the clear\\n'"), std::string::npos) << c.reason;
    expect_outcome(f, wire_expect(WireKind::no_clear_data), WireOutcome::fail);
    expect_outcome(f, wire_expect(WireKind::close_notify), WireOutcome::fail);
    EXPECT_TRUE(f.of_role(Role::control)[0]->text_then_tls);
}

TEST_F(WireRealServer, ClientCertificateSeenInTls12AndDecryptedInTls13) {
    start_server({"--feature", "verify-client"});
    start_capture();
    std::vector<std::string> cert = {"--cert", pki_->client_valid.cert.string(), "--key",
                                     pki_->client_valid.key.string(), "--ssl-reqd"};
    auto with = [&](std::vector<std::string> more) {
        std::vector<std::string> a = cert;
        a.insert(a.end(), more.begin(), more.end());
        return a;
    };
    ASSERT_EQ(curl(with({"--tlsv1.3", url("")})), 0);
    ASSERT_EQ(curl(with({"--tlsv1.2", "--tls-max", "1.2", url("")})), 0);
    WireFacts f = stop_and_read();
    auto control = f.of_role(Role::control);
    ASSERT_EQ(control.size(), 2u);
    EXPECT_EQ(control[0]->tls.client_cert_sent, Tri::yes);
    EXPECT_EQ(control[1]->tls.client_cert_sent, Tri::yes);
    expect_outcome(f, wire_expect(WireKind::client_cert_sent), WireOutcome::pass);
    WireFacts blind = read_wire_facts(cell_ / "capture.pcap", "", WireRoles{{port_}});
    auto blind_control = blind.of_role(Role::control);
    ASSERT_EQ(blind_control.size(), 2u);
    EXPECT_EQ(blind_control[0]->tls.client_cert_sent, Tri::unknown);  // TLS 1.3: encrypted
    EXPECT_EQ(blind_control[1]->tls.client_cert_sent, Tri::yes);      // TLS 1.2: in clear
    expect_outcome(blind, wire_expect(WireKind::client_cert_sent), WireOutcome::unsupported);
}

TEST_F(WireRealServer, ActiveModeDataConnectionsKeepTheFtpClientAsTlsClient) {
    // lftp (GnuTLS, whose SSLKEYLOGFILE lines decrypt too) in active mode: the server
    // connects to the client, and the client is still the TLS client.
    start_server();
    auto client_ports = ports_->range(5);
    extra_ports_ = {{client_ports.first, client_ports.second}};
    start_capture();
    write("up.txt", "active\n");
    std::string script =
        "set ftp:ssl-force true; set ftp:ssl-protect-data true; "
        "set ssl:ca-file " +
        pki_->ca_cert.string() + "; set ftp:passive-mode off; set ftp:port-range " +
        std::to_string(client_ports.first) + "-" + std::to_string(client_ports.second) +
        "; put up.txt; quit";
    ASSERT_EQ(run_client({"lftp", "-u", "alice,pw", "-e", script,
                          "ftp://127.0.0.1:" + std::to_string(port_)}),
              0);
    WireFacts f = stop_and_read();
    auto data = f.of_role(Role::data);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_GE(data[0]->server_port, client_ports.first);  // the server connected to lftp
    EXPECT_LE(data[0]->server_port, client_ports.second);
    EXPECT_FALSE(data[0]->tls_client_is_tcp_client);
    EXPECT_EQ(data[0]->tls.keys, "decrypted");
    EXPECT_EQ(data[0]->tls_client().app_bytes, 7u);
    EXPECT_EQ(data[0]->tls_client().close_notify, Tri::yes);
    EXPECT_EQ(std::vector<bool>{data[0]->tls.resumed == Tri::yes}, server_data_resumed());
    expect_outcome(f, wire_expect(WireKind::data_protected), WireOutcome::pass);
}

TEST_F(WireRealServer, ServerMisbehavioursShowOnTheWire) {
    // Negative controls for two assertion kinds: no resumption on data connections, and a
    // download closed without the server's close_notify.
    start_server(
        {"--misbehave", "data-session-not-resumable", "--misbehave", "data-no-close-notify"});
    start_capture();
    write("root/file.txt", "download me\n");
    ASSERT_EQ(curl({"--ssl-reqd", url("file.txt"), "-o", "got.txt"}), 0);
    WireFacts f = stop_and_read();
    auto data = f.of_role(Role::data);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(data[0]->tls.resumed, Tri::no);
    EXPECT_EQ(server_data_resumed(), std::vector<bool>{false});
    WireCheck resumed = check_wire(f, wire_expect(WireKind::data_resumed));
    EXPECT_EQ(resumed.outcome, WireOutcome::fail);
    EXPECT_NE(resumed.reason.find("was a full handshake"), std::string::npos) << resumed.reason;
    WireExpect server_close = wire_expect(WireKind::close_notify);
    server_close.side = WireSide::server;
    WireCheck closed = check_wire(f, server_close);
    EXPECT_EQ(closed.outcome, WireOutcome::fail);
    EXPECT_NE(closed.reason.find("no close_notify from the server"), std::string::npos)
        << closed.reason;
    EXPECT_EQ(data[0]->tls_server().app_bytes, 12u);
    expect_outcome(f, wire_expect(WireKind::data_protected), WireOutcome::pass);
}

TEST_F(WireRealServer, TsharkOpensTheCaptureDecrypted) {
    CommandOutput probe = run_command({"tshark", "--version"}, Deadline::after(Millis(20000)), {});
    if (!probe.error.empty() || probe.exit_code != 0) {
        GTEST_SKIP() << "tshark is not installed (apt-get install tshark): " << probe.error;
    }
    start_server();
    start_capture();
    std::string secret = "wire-proof-" + std::to_string(::getpid()) + "-payload\n";
    write("up.txt", secret);
    ASSERT_EQ(curl({"--ssl-reqd", "-T", "up.txt", url("up.txt")}), 0);
    WireFacts f = stop_and_read();
    auto data = f.of_role(Role::data);
    ASSERT_EQ(data.size(), 1u);
    std::string raw = fc::testing::read_file(cell_ / "capture.pcap");
    EXPECT_EQ(raw.find("wire-proof-"), std::string::npos) << "the payload crossed in clear";
    // The commands harness/wire/README.md documents. tcp.stream numbers follow the order
    // connections began, from 0: the data connection is stream 1.
    std::string keylog = "tls.keylog_file:" + (cell_ / "tls-keys.log").string();
    std::string cap = (cell_ / "capture.pcap").string();
    CommandOutput follow =
        run_command({"tshark", "-r", cap, "-o", keylog, "-q", "-z", "follow,tls,ascii,1"},
                    Deadline::after(Millis(60000)), {});
    ASSERT_EQ(follow.exit_code, 0) << follow.output;
    EXPECT_NE(follow.output.find(secret.substr(0, secret.size() - 1)), std::string::npos)
        << follow.output;
    // The control dialogue, decrypted and dissected as FTP (its port is not 21).
    CommandOutput control = run_command(
        {"tshark", "-r", cap, "-o", keylog, "-d", "tcp.port==" + std::to_string(port_) + ",ftp",
         "-Y", "ftp", "-T", "fields", "-e", "ftp.request.command"},
        Deadline::after(Millis(60000)), {});
    ASSERT_EQ(control.exit_code, 0) << control.output;
    EXPECT_NE(control.output.find("AUTH"), std::string::npos) << control.output;
    EXPECT_NE(control.output.find("STOR"), std::string::npos) << control.output;  // was in TLS
}

}  // namespace
}  // namespace fc::wire
