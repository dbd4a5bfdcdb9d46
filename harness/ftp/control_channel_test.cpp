// The control channel against small loopback peers: implicit FTPS (TLS from the first
// byte), plaintext smuggled in before a handshake, and CCC's TLS shutdown.
#include "harness/ftp/control_channel.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <thread>

#include "harness/testing/temp_dir.hpp"
#include "harness/tls/pki.hpp"

namespace fc {
namespace {

Deadline soon() {
    return Deadline::after(Millis(5000));
}

class ControlChannelTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::signal(SIGPIPE, SIG_IGN);
        dir_ = new testing::TempDir("ctrl");
        pki_ = new PkiFiles(make_test_pki(dir_->path() / "pki"));
    }
    static void TearDownTestSuite() {
        delete pki_;
        delete dir_;
    }

    // Runs `serve` on the accepted server side of a loopback connection.
    void start_peer(std::function<void(int fd)> serve) {
        std::string error;
        listener_ = tcp_listen("127.0.0.1", 0, &error);
        ASSERT_TRUE(listener_) << error;
        port_ = local_port(listener_.get());
        peer_ = std::thread([this, serve] {
            std::string e;
            UniqueFd fd = tcp_accept(listener_.get(), soon(), {}, &e);
            if (fd) {
                serve(fd.get());
            }
        });
    }
    void TearDown() override {
        if (peer_.joinable()) {
            peer_.join();
        }
    }

    static std::unique_ptr<TlsStream> tls_accept(int fd) {
        TlsServerOptions o;
        o.cert_file = pki_->server_cert;
        o.key_file = pki_->server_key;
        TlsHandshakeResult r = TlsStream::accept(fd, o, soon(), {});
        EXPECT_TRUE(r.stream) << r.error;
        return std::move(r.stream);
    }
    static std::string read_line(TlsStream& s) {
        std::string line;
        char c;
        while (line.empty() || line.back() != '\n') {
            IoResult r = s.read_some(&c, 1, soon(), {});
            if (!r.ok()) {
                break;
            }
            line += c;
        }
        return line;
    }
    TlsClientOptions client() const {
        TlsClientOptions o;
        o.ca_file = pki_->ca_cert;
        o.verify_name = "127.0.0.1";
        return o;
    }

    static testing::TempDir* dir_;
    static PkiFiles* pki_;
    UniqueFd listener_;
    std::uint16_t port_ = 0;
    std::thread peer_;
    Transcript transcript_;
};

testing::TempDir* ControlChannelTest::dir_ = nullptr;
PkiFiles* ControlChannelTest::pki_ = nullptr;

TEST_F(ControlChannelTest, ImplicitFtpsGreetsInsideTls) {
    start_peer([](int fd) {
        auto tls = tls_accept(fd);
        ASSERT_TRUE(tls);
        tls->write_all("220 implicit hello\r\n", soon(), {});
        EXPECT_EQ(read_line(*tls), "NOOP\r\n");
        tls->write_all("200 ok\r\n", soon(), {});
        tls->shutdown(soon(), {}, false);
    });
    ControlChannel channel(transcript_, {});
    ASSERT_EQ(channel.connect("127.0.0.1", port_, soon()), "");
    channel.start_tls(client(), soon());
    ASSERT_TRUE(channel.is_protected());
    ReplyResult greeting = channel.read_reply(soon());
    ASSERT_TRUE(greeting.reply) << greeting.error;
    EXPECT_EQ(greeting.reply->code, 220);
    ASSERT_TRUE(channel.send_line("NOOP", soon()).ok());
    ReplyResult ok = channel.read_reply(soon());
    ASSERT_TRUE(ok.reply) << ok.error;
    EXPECT_EQ(ok.reply->code, 200);
    EXPECT_NE(transcript_.render().find("<= 220 implicit hello"), std::string::npos)
        << transcript_.render();
}

TEST_F(ControlChannelTest, PlaintextAfter234RefusesTheHandshake) {
    start_peer([](int fd) {
        send_all(fd, "220 hi\r\n", soon(), {});
        char buf[64];
        recv_some(fd, buf, sizeof buf, soon(), {});
        // A reply smuggled in clear right behind the 234 (STARTTLS injection's mirror).
        send_all(fd, "234 go\r\n200 injected\r\n", soon(), {});
        recv_some(fd, buf, sizeof buf, Deadline::after(Millis(1000)), {});
    });
    ControlChannel channel(transcript_, {});
    ASSERT_EQ(channel.connect("127.0.0.1", port_, soon()), "");
    ASSERT_TRUE(channel.read_reply(soon()).reply);
    ASSERT_TRUE(channel.send_line("AUTH TLS", soon()).ok());
    ReplyResult go = channel.read_reply(soon());
    ASSERT_TRUE(go.reply);
    EXPECT_EQ(go.reply->code, 234);
    TlsHandshakeResult r = channel.start_tls(client(), soon());
    EXPECT_FALSE(channel.is_protected());
    EXPECT_NE(r.error.find("arrived in clear before the TLS handshake"), std::string::npos)
        << r.error;
    channel.close(soon());
}

TEST_F(ControlChannelTest, EndTlsAfterCccContinuesInClear) {
    start_peer([](int fd) {
        auto tls = tls_accept(fd);
        ASSERT_TRUE(tls);
        EXPECT_EQ(read_line(*tls), "CCC\r\n");
        tls->write_all("200 clear from now on\r\n", soon(), {});
        tls->shutdown(soon(), {}, true);  // both close_notify alerts, then clear text
        tls.reset();
        char buf[64];
        IoResult r = recv_some(fd, buf, sizeof buf, soon(), {});
        EXPECT_EQ(std::string(buf, r.bytes), "PWD\r\n");
        send_all(fd, "257 \"/\"\r\n", soon(), {});
    });
    ControlChannel channel(transcript_, {});
    ASSERT_EQ(channel.connect("127.0.0.1", port_, soon()), "");
    channel.start_tls(client(), soon());
    ASSERT_TRUE(channel.is_protected());
    ASSERT_TRUE(channel.send_line("CCC", soon()).ok());
    ASSERT_TRUE(channel.read_reply(soon()).reply);
    TlsFacts ended;
    IoResult r = channel.end_tls(soon(), &ended);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(ended.close_notify_received);
    EXPECT_FALSE(channel.is_protected());
    ASSERT_TRUE(channel.send_line("PWD", soon()).ok());
    ReplyResult pwd = channel.read_reply(soon());
    ASSERT_TRUE(pwd.reply) << pwd.error;
    EXPECT_EQ(pwd.reply->code, 257);
}

}  // namespace
}  // namespace fc
