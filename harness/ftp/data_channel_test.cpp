#include "harness/ftp/data_channel.hpp"

#include <thread>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fc
