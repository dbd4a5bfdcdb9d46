#include "harness/ftp/data_channel.hpp"

#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "harness/testing/temp_dir.hpp"
#include "harness/tls/pki.hpp"

namespace fc {
namespace {

Reply reply(int code, std::string line) {
    return Reply{code, {std::move(line)}};
}

TEST(DataChannel, ParsesPasvReplies) {
    std::string error;
    auto hp = parse_pasv_reply(reply(227, "227 Entering Passive Mode (127,0,0,1,117,48)."), &error);
    ASSERT_TRUE(hp) << error;
    EXPECT_EQ(hp->host, "127.0.0.1");
    EXPECT_EQ(hp->port, 117 * 256 + 48);
    // RFC 1123 4.1.2.6: the numbers without parentheses are valid too.
    hp = parse_pasv_reply(reply(227, "227 =127,0,0,2,4,1"), &error);
    ASSERT_TRUE(hp) << error;
    EXPECT_EQ(hp->host, "127.0.0.2");
    EXPECT_EQ(hp->port, 1025);
}

TEST(DataChannel, RejectsBadPasvReplies) {
    std::string error;
    EXPECT_FALSE(parse_pasv_reply(reply(500, "500 no"), &error));
    EXPECT_NE(error.find("not 227"), std::string::npos);
    EXPECT_FALSE(parse_pasv_reply(reply(227, "227 Entering Passive Mode"), &error));
    EXPECT_NE(error.find("no h1,h2"), std::string::npos);
    EXPECT_FALSE(parse_pasv_reply(reply(227, "227 (127,0,0,256,1,1)"), &error));
    EXPECT_FALSE(parse_pasv_reply(reply(227, "227 (127,0,0,1,0,0)"), &error));
}

TEST(DataChannel, ParsesEpsvReplies) {
    std::string error;
    auto port =
        parse_epsv_reply(reply(229, "229 Entering Extended Passive Mode (|||6446|)"), &error);
    ASSERT_TRUE(port) << error;
    EXPECT_EQ(*port, 6446);
    port = parse_epsv_reply(reply(229, "229 ok (!!!21000!)"), &error);
    ASSERT_TRUE(port) << error;
    EXPECT_EQ(*port, 21000);
    EXPECT_FALSE(parse_epsv_reply(reply(229, "229 (|||70000|)"), &error));
    EXPECT_FALSE(parse_epsv_reply(reply(229, "229 (||6446|)"), &error));
    EXPECT_FALSE(parse_epsv_reply(reply(229, "229 (|!|6446|)"), &error));
    EXPECT_FALSE(parse_epsv_reply(reply(500, "500 (|||6446|)"), &error));
}

TEST(DataChannel, FormatsPortAndEprt) {
    EXPECT_EQ(port_argument("127.0.0.1", 30000), "127,0,0,1,117,48");
    EXPECT_EQ(eprt_argument("127.0.0.1", 30000), "|1|127.0.0.1|30000|");
    EXPECT_EQ(eprt_argument("::1", 30000), "|2|::1|30000|");
    EXPECT_EQ(data_mode_from_string("epsv"), DataMode::epsv);
    EXPECT_FALSE(data_mode_from_string("EPSV"));
}

TEST(DataChannel, PayloadAndHash) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string p = make_payload(100000);
    EXPECT_EQ(p.size(), 100000u);
    EXPECT_NE(p.substr(0, 1000), p.substr(1000, 1000));
}

TEST(DataChannel, ClearTransferOverLoopbackCountsAndHashes) {
    std::string error;
    auto listener = DataListener::open("127.0.0.1", &error);
    ASSERT_TRUE(listener) << error;
    std::string payload = make_payload(300000);
    std::thread sender([&] {
        std::string e;
        auto c = DataConnection::connect({"127.0.0.1", listener->port()}, "127.0.0.2",
                                         Deadline::after(Millis(3000)), CancelToken(), &e);
        ASSERT_TRUE(c) << e;
        EXPECT_TRUE(c->send(payload, Deadline::after(Millis(3000))).ok());
        c->finish(Deadline::after(Millis(1000)));
    });
    auto conn = listener->accept(Deadline::after(Millis(3000)), CancelToken(), &error);
    ASSERT_TRUE(conn) << error;
    EXPECT_EQ(conn->peer(), "127.0.0.2");
    ReceiveResult r = conn->receive_all(Deadline::after(Millis(5000)));
    sender.join();
    EXPECT_EQ(r.status, IoStatus::ok) << r.error;
    EXPECT_EQ(r.bytes, payload.size());
    EXPECT_EQ(r.sha256, sha256_hex(payload));
}

TEST(DataChannel, ResetFinishEndsWithATcpResetAndDropsWhatWasNotTransmitted) {
    std::string error;
    UniqueFd listener = tcp_listen("127.0.0.1", 0, &error);
    ASSERT_TRUE(listener) << error;
    // The reader reads nothing until the sender has finished, so most of the upload is still
    // in the sender's kernel when it resets: that part never arrives.
    std::string payload = make_payload(512 * 1024);
    auto c = DataConnection::connect({"127.0.0.1", local_port(listener.get())}, "",
                                     Deadline::after(Millis(3000)), CancelToken(), &error);
    ASSERT_TRUE(c) << error;
    UniqueFd reader = tcp_accept(listener.get(), Deadline::after(Millis(3000)), {}, &error);
    ASSERT_TRUE(reader) << error;
    ASSERT_TRUE(c->send(payload, Deadline::after(Millis(3000))).ok());
    c->finish(Deadline::after(Millis(1000)), false, true);
    std::uint64_t got = 0;
    char buf[65536];
    IoResult r;
    while ((r = recv_some(reader.get(), buf, sizeof buf, Deadline::after(Millis(3000)), {})).ok()) {
        got += r.bytes;
    }
    EXPECT_EQ(r.status, IoStatus::closed);
    EXPECT_NE(r.error.find("reset"), std::string::npos) << r.error;  // not an orderly EOF
    EXPECT_LT(got, payload.size());
}

// Protected transfers: the data connection's TLS server is a TlsStream on a shared
// context (as a real server's data connections share its session cache).
class ProtectedData : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::signal(SIGPIPE, SIG_IGN);
        dir_ = new testing::TempDir("data-tls");
        pki_ = new PkiFiles(make_test_pki(dir_->path() / "pki"));
        TlsServerOptions o;
        o.cert_file = pki_->server_cert;
        o.key_file = pki_->server_key;
        context_ = new TlsServerContext(o);
    }
    static void TearDownTestSuite() {
        delete context_;
        delete pki_;
        delete dir_;
    }

    TlsClientOptions client() const {
        TlsClientOptions o;
        o.ca_file = pki_->ca_cert;
        o.verify_name = "127.0.0.1";
        o.max_version = TLS1_2_VERSION;  // sessions are ready right after the handshake
        return o;
    }

    // The server side sends `payload` (close_notify at the end unless `truncate`).
    struct Served {
        std::thread thread;
        std::uint16_t port = 0;
    };
    static Served serve(const std::string& payload, bool truncate) {
        std::string error;
        auto listener = std::make_shared<UniqueFd>(tcp_listen("127.0.0.1", 0, &error));
        Served s;
        s.port = local_port(listener->get());
        s.thread = std::thread([listener, payload, truncate] {
            std::string e;
            UniqueFd fd = tcp_accept(listener->get(), Deadline::after(Millis(5000)), {}, &e);
            ASSERT_TRUE(fd) << e;
            auto r = TlsStream::accept(fd.get(), *context_, Deadline::after(Millis(5000)), {});
            ASSERT_TRUE(r.stream) << r.error;
            EXPECT_TRUE(r.stream->write_all(payload, Deadline::after(Millis(5000)), {}).ok());
            if (!truncate) {
                r.stream->shutdown(Deadline::after(Millis(1000)), {}, false);
            }
        });
        return s;
    }

    static testing::TempDir* dir_;
    static PkiFiles* pki_;
    static TlsServerContext* context_;
};

testing::TempDir* ProtectedData::dir_ = nullptr;
PkiFiles* ProtectedData::pki_ = nullptr;
TlsServerContext* ProtectedData::context_ = nullptr;

TEST_F(ProtectedData, DownloadWithCloseNotifyIsCompleteAndResumesTheSession) {
    std::string payload = make_payload(200000);
    Served first = serve(payload, false);
    std::string error;
    auto c1 = DataConnection::connect({"127.0.0.1", first.port}, "", Deadline::after(Millis(5000)),
                                      {}, &error);
    ASSERT_TRUE(c1) << error;
    TlsHandshakeResult h1 = c1->protect(client(), Deadline::after(Millis(5000)));
    ASSERT_TRUE(c1->is_protected()) << h1.error;
    ReceiveResult r1 = c1->receive_all(Deadline::after(Millis(5000)));
    first.thread.join();
    EXPECT_EQ(r1.status, IoStatus::ok) << r1.error;
    EXPECT_TRUE(r1.close_notify);
    EXPECT_EQ(r1.bytes, payload.size());
    EXPECT_EQ(r1.sha256, sha256_hex(payload));
    EXPECT_FALSE(c1->tls_facts()->resumed);

    // A second data connection offering the first one's session resumes it.
    Served second = serve("x", false);
    auto c2 = DataConnection::connect({"127.0.0.1", second.port}, "", Deadline::after(Millis(5000)),
                                      {}, &error);
    ASSERT_TRUE(c2) << error;
    SslSessionPtr session = c1->tls_session();
    ASSERT_TRUE(session);
    TlsClientOptions resume = client();
    resume.resume = session.get();
    TlsHandshakeResult h2 = c2->protect(resume, Deadline::after(Millis(5000)));
    ASSERT_TRUE(c2->is_protected()) << h2.error;
    EXPECT_TRUE(c2->tls_facts()->resumed);
    c2->receive_all(Deadline::after(Millis(5000)));
    second.thread.join();
}

TEST_F(ProtectedData, DownloadWithoutCloseNotifyIsReportedAsTruncated) {
    std::string payload = make_payload(50000);
    Served s = serve(payload, true);
    std::string error;
    auto c = DataConnection::connect({"127.0.0.1", s.port}, "", Deadline::after(Millis(5000)), {},
                                     &error);
    ASSERT_TRUE(c) << error;
    c->protect(client(), Deadline::after(Millis(5000)));
    ASSERT_TRUE(c->is_protected());
    ReceiveResult r = c->receive_all(Deadline::after(Millis(5000)));
    s.thread.join();
    EXPECT_EQ(r.status, IoStatus::closed);
    EXPECT_FALSE(r.close_notify);
    EXPECT_EQ(r.bytes, payload.size());
    EXPECT_NE(r.error.find("without close_notify"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace fc
