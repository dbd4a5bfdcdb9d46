#include "harness/tls/tls_stream.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "harness/core/socket.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"
#include "harness/tls/pki.hpp"

namespace fc {
namespace {

using Accept = std::function<TlsHandshakeResult(int fd)>;

/// Both ends of one loopback TCP connection.
struct Conn {
    UniqueFd client, server;
};

/// Both ends of one handshake.
struct Both {
    TlsHandshakeResult client, server;
};

Deadline soon() {
    return Deadline::after(Millis(5000));
}

Conn connect_pair() {
    std::string error;
    UniqueFd listener = tcp_listen("127.0.0.1", 0, &error);
    EXPECT_TRUE(listener) << error;
    Conn conn;
    conn.client = tcp_connect("127.0.0.1", local_port(listener.get()), soon(), {}, &error);
    EXPECT_TRUE(conn.client) << error;
    conn.server = tcp_accept(listener.get(), soon(), {}, &error);
    EXPECT_TRUE(conn.server) << error;
    return conn;
}

std::string read_text(TlsStream& stream, std::size_t want) {
    std::string text;
    char buf[256];
    while (text.size() < want) {
        IoResult r = stream.read_some(buf, sizeof buf, soon(), {});
        if (!r.ok()) {
            break;
        }
        text.append(buf, r.bytes);
    }
    return text;
}

class TlsStreamTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = std::make_unique<testing::TempDir>("tls-stream-test");
        pki_ = std::make_unique<PkiFiles>(make_test_pki(dir_->path() / "pki"));
    }
    static void TearDownTestSuite() {
        pki_.reset();
        dir_.reset();
    }
    void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

    static TlsServerOptions server_options() {
        TlsServerOptions options;
        options.cert_file = pki_->server_cert;
        options.key_file = pki_->server_key;
        return options;
    }
    static TlsClientOptions client_options() {
        TlsClientOptions options;
        options.ca_file = pki_->ca_cert;
        options.verify_name = "localhost";
        options.sni = "localhost";
        return options;
    }
    static Accept accept_with(TlsServerOptions options) {
        return [options](int fd) { return TlsStream::accept(fd, options, soon(), {}); };
    }

    /// Runs the server handshake on a thread and the client's here.
    static Both handshake(Conn& conn, const TlsClientOptions& client, const Accept& accept) {
        Both both;
        int server_fd = conn.server.get();
        std::thread server([&] { both.server = accept(server_fd); });
        both.client = TlsStream::connect(conn.client.get(), client, soon(), {});
        server.join();
        return both;
    }

    static std::pair<bool, bool> resume(TlsClientOptions client, bool shared_context);

    static std::unique_ptr<testing::TempDir> dir_;
    static std::unique_ptr<PkiFiles> pki_;
};

std::unique_ptr<testing::TempDir> TlsStreamTest::dir_;
std::unique_ptr<PkiFiles> TlsStreamTest::pki_;

TEST_F(TlsStreamTest, HandshakeSucceedsWithTls13) {
    Conn conn = connect_pair();
    Both both = handshake(conn, client_options(), accept_with(server_options()));
    ASSERT_TRUE(both.client.stream) << both.client.error;
    ASSERT_TRUE(both.server.stream) << both.server.error;
    const TlsFacts& facts = both.client.stream->facts();
    EXPECT_EQ(facts.version, "TLSv1.3");
    EXPECT_FALSE(facts.cipher.empty());
    EXPECT_FALSE(facts.resumed);
    EXPECT_EQ(facts.verify_result, X509_V_OK);
    EXPECT_NE(facts.peer_subject.find("CN=localhost"), std::string::npos) << facts.peer_subject;
    EXPECT_NE(facts.peer_issuer.find("CN=ftps-conform test CA"), std::string::npos);
    EXPECT_EQ(both.server.stream->facts().sni_received, "localhost");
    EXPECT_EQ(both.client.stream->fd(), conn.client.get());
}

TEST_F(TlsStreamTest, DataRoundTrip) {
    Conn conn = connect_pair();
    Both both = handshake(conn, client_options(), accept_with(server_options()));
    ASSERT_TRUE(both.client.stream && both.server.stream) << both.client.error;
    std::string big(200000, 'x');
    std::thread server([&] {
        std::string got = read_text(*both.server.stream, big.size());
        both.server.stream->write_all(got.size() == big.size() ? "ok" : "bad", soon(), {});
    });
    IoResult w = both.client.stream->write_all(big, soon(), {});
    EXPECT_TRUE(w.ok()) << w.error;
    EXPECT_EQ(w.bytes, big.size());
    EXPECT_EQ(read_text(*both.client.stream, 2), "ok");
    server.join();
}

TEST_F(TlsStreamTest, UntrustedServerFailsVerification) {
    Conn conn = connect_pair();
    TlsClientOptions client = client_options();
    client.ca_file = pki_->other_ca_cert;
    Both both = handshake(conn, client, accept_with(server_options()));
    EXPECT_FALSE(both.client.stream);
    EXPECT_EQ(both.client.status, IoStatus::failed);
    EXPECT_NE(both.client.error.find("certificate verify failed"), std::string::npos)
        << both.client.error;
    EXPECT_NE(both.client.error.find("unable to get local issuer certificate"), std::string::npos)
        << both.client.error;
    EXPECT_EQ(both.server.status, IoStatus::failed);
}

TEST_F(TlsStreamTest, NameMismatchFails) {
    Conn conn = connect_pair();
    TlsClientOptions client = client_options();
    client.verify_name = "127.0.0.9";
    Both both = handshake(conn, client, accept_with(server_options()));
    EXPECT_EQ(both.client.status, IoStatus::failed);
    EXPECT_NE(both.client.error.find("certificate verify failed"), std::string::npos)
        << both.client.error;
    EXPECT_NE(both.client.error.find("IP address mismatch"), std::string::npos)
        << both.client.error;
    EXPECT_EQ(both.client.error.find("alerts received"), std::string::npos)  // it sent one
        << both.client.error;
    EXPECT_EQ(both.server.status, IoStatus::failed);
    EXPECT_NE(both.server.error.find("alerts received: fatal: bad certificate"), std::string::npos)
        << both.server.error;
}

TEST_F(TlsStreamTest, IpNameMatches) {
    Conn conn = connect_pair();
    TlsClientOptions client = client_options();
    client.verify_name = "127.0.0.1";
    Both both = handshake(conn, client, accept_with(server_options()));
    EXPECT_TRUE(both.client.stream) << both.client.error;
}

TEST_F(TlsStreamTest, Tls12MaxWorks) {
    Conn conn = connect_pair();
    TlsClientOptions client = client_options();
    client.max_version = TLS1_2_VERSION;
    Both both = handshake(conn, client, accept_with(server_options()));
    ASSERT_TRUE(both.client.stream) << both.client.error;
    EXPECT_EQ(both.client.stream->facts().version, "TLSv1.2");
    EXPECT_EQ(both.server.stream->facts().version, "TLSv1.2");
}

/// Two connections; the second offers the first's session. Returns {client, server} resumed.
std::pair<bool, bool> TlsStreamTest::resume(TlsClientOptions client, bool shared_context) {
    TlsServerContext context(server_options());
    Accept accept = accept_with(server_options());
    if (shared_context) {
        accept = [&context](int fd) { return TlsStream::accept(fd, context, soon(), {}); };
    }
    SslSessionPtr session;
    {
        Conn conn = connect_pair();
        Both both = handshake(conn, client, accept);
        EXPECT_TRUE(both.client.stream && both.server.stream) << both.client.error;
        if (!both.client.stream || !both.server.stream) {
            return {false, false};
        }
        // TLS 1.3 tickets come after the handshake: read application data first.
        EXPECT_TRUE(both.server.stream->write_all("hi", soon(), {}).ok());
        EXPECT_EQ(read_text(*both.client.stream, 2), "hi");
        session = both.client.stream->session();
        EXPECT_TRUE(session);
        std::thread server([&] { both.server.stream->shutdown(soon(), {}, true); });
        EXPECT_TRUE(both.client.stream->shutdown(soon(), {}, true).ok());
        server.join();
    }
    Conn conn = connect_pair();
    client.resume = session.get();
    Both both = handshake(conn, client, accept);
    EXPECT_TRUE(both.client.stream && both.server.stream) << both.client.error;
    if (!both.client.stream || !both.server.stream) {
        return {false, false};
    }
    return {both.client.stream->facts().resumed, both.server.stream->facts().resumed};
}

TEST_F(TlsStreamTest, SessionIsResumedWithTls12) {
    TlsClientOptions client = client_options();
    client.max_version = TLS1_2_VERSION;
    EXPECT_EQ(resume(client, true), std::make_pair(true, true));
}

TEST_F(TlsStreamTest, SessionIsResumedWithTls13) {
    TlsClientOptions client = client_options();
    client.min_version = TLS1_3_VERSION;
    EXPECT_EQ(resume(client, true), std::make_pair(true, true));
}

TEST_F(TlsStreamTest, SeparateServerContextsDoNotResume) {
    // Ticket keys live in the SSL_CTX: a context per connection cannot resume.
    EXPECT_EQ(resume(client_options(), false), std::make_pair(false, false));
}

TEST_F(TlsStreamTest, RequiredClientCertMissingFails) {
    Conn conn = connect_pair();
    TlsServerOptions server = server_options();
    server.ca_file = pki_->ca_cert;
    server.require_client_cert = true;
    Both both = handshake(conn, client_options(), accept_with(server));
    EXPECT_EQ(both.server.status, IoStatus::failed);
    EXPECT_NE(both.server.error.find("certificate"), std::string::npos) << both.server.error;
    if (both.client.stream) {  // TLS 1.3: the client learns of it on its next read
        char buf[16];
        IoResult r = both.client.stream->read_some(buf, sizeof buf, soon(), {});
        EXPECT_FALSE(r.ok());
        const auto& alerts = both.client.stream->facts().alerts_received;
        ASSERT_EQ(alerts.size(), 1u);
        EXPECT_EQ(alerts[0], "fatal: certificate required");
    }
}

TEST_F(TlsStreamTest, ValidClientCertIsSeen) {
    Conn conn = connect_pair();
    TlsServerOptions server = server_options();
    server.ca_file = pki_->ca_cert;
    server.require_client_cert = true;
    TlsClientOptions client = client_options();
    client.cert_file = pki_->client_valid.cert;
    client.key_file = pki_->client_valid.key;
    Both both = handshake(conn, client, accept_with(server));
    ASSERT_TRUE(both.server.stream) << both.server.error;
    ASSERT_TRUE(both.client.stream) << both.client.error;
    const TlsFacts& facts = both.server.stream->facts();
    EXPECT_NE(facts.peer_subject.find("CN=alice"), std::string::npos) << facts.peer_subject;
    EXPECT_EQ(facts.verify_result, X509_V_OK);
}

TEST_F(TlsStreamTest, RequestedClientCertIsRecordedEvenIfBad) {
    Conn conn = connect_pair();
    TlsServerOptions server = server_options();
    server.ca_file = pki_->ca_cert;
    server.request_client_cert = true;
    TlsClientOptions client = client_options();
    client.cert_file = pki_->client_expired.cert;
    client.key_file = pki_->client_expired.key;
    Both both = handshake(conn, client, accept_with(server));
    ASSERT_TRUE(both.server.stream) << both.server.error;
    EXPECT_EQ(both.server.stream->facts().verify_result, X509_V_ERR_CERT_HAS_EXPIRED);
    EXPECT_EQ(both.server.stream->facts().verify_error, "certificate has expired");
}

TEST_F(TlsStreamTest, CloseNotifyIsObserved) {
    Conn conn = connect_pair();
    Both both = handshake(conn, client_options(), accept_with(server_options()));
    ASSERT_TRUE(both.client.stream && both.server.stream) << both.client.error;
    IoResult sent = both.server.stream->shutdown(soon(), {}, false);
    EXPECT_TRUE(sent.ok()) << sent.error;
    EXPECT_TRUE(both.server.stream->facts().close_notify_sent);
    char buf[16];
    IoResult r = both.client.stream->read_some(buf, sizeof buf, soon(), {});
    EXPECT_EQ(r.status, IoStatus::closed);
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_TRUE(both.client.stream->facts().close_notify_received);
    EXPECT_TRUE(both.client.stream->shutdown(soon(), {}, true).ok());
    EXPECT_TRUE(both.server.stream->shutdown(soon(), {}, true).ok());
    EXPECT_TRUE(both.server.stream->facts().close_notify_received);
}

TEST_F(TlsStreamTest, TcpEofWithoutCloseNotify) {
    Conn conn = connect_pair();
    Both both = handshake(conn, client_options(), accept_with(server_options()));
    ASSERT_TRUE(both.client.stream && both.server.stream) << both.client.error;
    both.server.stream.reset();
    conn.server.reset();
    char buf[16];
    IoResult r = both.client.stream->read_some(buf, sizeof buf, soon(), {});
    EXPECT_EQ(r.status, IoStatus::closed);
    EXPECT_EQ(r.error, "connection closed without close_notify");
    EXPECT_FALSE(both.client.stream->facts().close_notify_received);
    r = both.client.stream->read_some(buf, sizeof buf, soon(), {});  // stays closed
    EXPECT_EQ(r.status, IoStatus::closed);
    EXPECT_EQ(both.client.stream->write_all("x", soon(), {}).status, IoStatus::closed);
    EXPECT_FALSE(both.client.stream->shutdown(soon(), {}, false).ok());
    EXPECT_FALSE(both.client.stream->facts().close_notify_sent);
}

TEST_F(TlsStreamTest, SilentPeerTimesOut) {
    Conn conn = connect_pair();
    auto start = Clock::now();
    TlsHandshakeResult r =
        TlsStream::connect(conn.client.get(), client_options(), Deadline::after(Millis(300)), {});
    auto took = std::chrono::duration_cast<Millis>(Clock::now() - start);
    EXPECT_EQ(r.status, IoStatus::timeout) << r.error;
    EXPECT_FALSE(r.stream);
    EXPECT_GE(took.count(), 290);
    EXPECT_LT(took.count(), 1000);
}

TEST_F(TlsStreamTest, CancelledHandshake) {
    Conn conn = connect_pair();
    std::atomic<bool> flag{true};
    TlsHandshakeResult r =
        TlsStream::connect(conn.client.get(), client_options(), soon(), CancelToken(&flag));
    EXPECT_EQ(r.status, IoStatus::cancelled);
}

TEST_F(TlsStreamTest, KeylogGetsBothSides) {
    Conn conn = connect_pair();
    std::filesystem::path log = dir_->path() / "keys.log";
    TlsClientOptions client = client_options();
    client.keylog_file = log;
    TlsServerOptions server = server_options();
    server.keylog_file = log;
    Both both = handshake(conn, client, accept_with(server));
    ASSERT_TRUE(both.client.stream && both.server.stream) << both.client.error;
    std::string text = testing::read_file(log);
    EXPECT_NE(text.find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos) << text;
    EXPECT_NE(text.find("SERVER_TRAFFIC_SECRET_0 "), std::string::npos) << text;
    EXPECT_EQ(text.back(), '\n');
}

TEST_F(TlsStreamTest, LegacyTls10CanBeNegotiated) {
    Conn conn = connect_pair();
    TlsClientOptions client = client_options();
    client.min_version = TLS1_VERSION;
    client.max_version = TLS1_VERSION;
    TlsServerOptions server = server_options();
    server.min_version = TLS1_VERSION;
    Both both = handshake(conn, client, accept_with(server));
    ASSERT_TRUE(both.client.stream) << both.client.error;
    EXPECT_EQ(both.client.stream->facts().version, "TLSv1");
}

TEST_F(TlsStreamTest, BadServerKeyFileFails) {
    Conn conn = connect_pair();
    TlsServerOptions server = server_options();
    server.key_file = pki_->server_ecdsa_key;
    TlsHandshakeResult r = TlsStream::accept(conn.server.get(), server, soon(), {});
    EXPECT_EQ(r.status, IoStatus::failed);
    EXPECT_NE(r.error.find("does not match"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace fc
