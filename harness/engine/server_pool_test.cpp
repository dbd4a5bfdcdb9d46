// Server pooling with the real reference server (`ftps-conform serve`): a later cell of the
// same configuration gets the same server with an empty root and only its own logs; a
// server still busy when its cell ends is stopped, not kept; another configuration gets
// another server. Named *RealServer* so ctest labels it "scenario".
#include "harness/engine/server_pool.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "harness/core/socket.hpp"
#include "harness/proc/ports.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

// A control connection that has read the greeting.
UniqueFd greeted(std::uint16_t port) {
    std::string error;
    UniqueFd fd = tcp_connect("127.0.0.1", port, Deadline::after(Millis(3000)), {}, &error);
    char buf[512];
    if (fd) {
        recv_some(fd.get(), buf, sizeof buf, Deadline::after(Millis(3000)), {});
    }
    return fd;
}

// One whole session: greeting, NOOP, QUIT, the server's close.
void one_session(std::uint16_t port) {
    UniqueFd fd = greeted(port);
    ASSERT_TRUE(fd);
    send_all(fd.get(), "NOOP\r\nQUIT\r\n", Deadline::after(Millis(3000)), {});
    char buf[512];
    while (recv_some(fd.get(), buf, sizeof buf, Deadline::after(Millis(3000)), {}).ok()) {
    }
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

class ServerPoolRealServer : public ::testing::Test {
protected:
    void SetUp() override {
        std::vector<Diagnostic> diags;
        auto m = load_server_manifest(
            fs::path(FTPS_CONFORM_SOURCE_DIR) / "servers" / "reference" / "manifest.xml", diags);
        ASSERT_TRUE(m) << (diags.empty() ? "" : diags[0].str());
        manifest_ = std::make_unique<ServerManifest>(*m);
        pki_ = make_test_pki(dir_.path() / "pki");
        credentials_ = make_credentials();
    }

    InstanceRequest request(const std::string& cell, std::vector<std::string> features = {}) {
        std::vector<std::string> missing;
        auto text = realise_features(*manifest_, features, &missing);
        fs::path log_dir = dir_.path() / cell;
        fs::create_directories(log_dir);
        return InstanceRequest{manifest_.get(),  features, text.value_or(""), &pki_, &credentials_,
                               default_prefix(), log_dir,  &ports_,           {}};
    }

    testing::TempDir dir_{"pool"};
    std::unique_ptr<ServerManifest> manifest_;
    PkiFiles pki_;
    Credentials credentials_;
    PortAllocator ports_;
};

TEST_F(ServerPoolRealServer, ALaterCellGetsTheSameServerWithAnEmptyRootAndOnlyItsOwnLogs) {
    ServerPool pool(dir_.path() / "pool", 4);
    std::uint16_t port = 0;
    {
        auto lease = ServerPool::acquire(&pool, request("cell1"));
        EXPECT_EQ(lease->description(), "reference#1, its 1st cell");
        port = lease->instance().target().port;
        std::ofstream(lease->instance().home() / "left-behind.txt") << "x";
        one_session(port);
        one_session(port);
        lease->finish();
    }
    {
        auto lease = ServerPool::acquire(&pool, request("cell2"));
        EXPECT_EQ(lease->description(), "reference#1, its 2nd cell");
        EXPECT_EQ(lease->instance().target().port, port);
        EXPECT_TRUE(fs::is_empty(lease->instance().home()));
        one_session(port);
        lease->finish();
    }
    ServerPool::Counts c = pool.counts();
    EXPECT_EQ(c.started, 1);
    EXPECT_EQ(c.reused, 1);
    EXPECT_EQ(c.retired, 0);
    // Each cell folder has the server's log from when its cell took the server: the first
    // its two sessions (and the readiness probe's), the second its one; both the config.
    const std::string first = fc::testing::read_file(dir_.path() / "cell1" / "events.jsonl");
    const std::string second = fc::testing::read_file(dir_.path() / "cell2" / "events.jsonl");
    EXPECT_GE(count(first, R"("verb":"NOOP")"), 2u) << first;
    EXPECT_EQ(count(second, R"("verb":"NOOP")"), 1u) << second;
    EXPECT_EQ(count(second, R"("event":"listen")"), 0u) << second;
    EXPECT_TRUE(fs::exists(dir_.path() / "cell2" / "server.stdout.log"));
}

TEST_F(ServerPoolRealServer, AServerStillBusyWhenItsCellEndsIsStoppedNotKept) {
    ServerPool pool(dir_.path() / "pool", 4);
    UniqueFd held;
    {
        auto lease = ServerPool::acquire(&pool, request("cell1"));
        held = greeted(lease->instance().target().port);  // a session that stays open
        ASSERT_TRUE(held);
        lease->finish();
    }
    auto lease = ServerPool::acquire(&pool, request("cell2"));
    EXPECT_EQ(lease->description(), "reference#2, its 1st cell");
    lease->finish();
    EXPECT_EQ(pool.counts().retired, 1);
    EXPECT_EQ(pool.counts().started, 2);
}

TEST_F(ServerPoolRealServer, AnotherConfigurationGetsAnotherServer) {
    ServerPool pool(dir_.path() / "pool", 4);
    auto plain = ServerPool::acquire(&pool, request("cell1"));
    plain->finish();
    auto strict = ServerPool::acquire(&pool, request("cell2", {"tls-required"}));
    EXPECT_EQ(strict->description(), "reference#2, its 1st cell");
    strict->finish();
    // Features in another order are the same configuration.
    auto both = ServerPool::acquire(&pool, request("cell3", {"tls-required", "mlsd"}));
    both->finish();
    auto again = ServerPool::acquire(&pool, request("cell4", {"mlsd", "tls-required"}));
    EXPECT_EQ(again->description(), "reference#3, its 2nd cell");
    again->finish();
    // Without a pool a cell's server is its own and stops with it.
    auto own = ServerPool::acquire(nullptr, request("cell5"));
    EXPECT_FALSE(own->pooled());
    EXPECT_EQ(own->description(), "");
    own->finish();
    EXPECT_TRUE(own->instance().exited().has_value());
}

TEST_F(ServerPoolRealServer, IdleServersBeyondTheLimitAreStopped) {
    ServerPool pool(dir_.path() / "pool", 1);
    auto a = ServerPool::acquire(&pool, request("cell1"));
    auto b = ServerPool::acquire(&pool, request("cell2"));
    a->finish();
    b->finish();  // two idle, one kept: the least recently used goes
    auto c = ServerPool::acquire(&pool, request("cell3"));
    EXPECT_EQ(c->description(), "reference#2, its 2nd cell");
    auto d = ServerPool::acquire(&pool, request("cell4"));
    EXPECT_EQ(d->description(), "reference#3, its 1st cell");
    c->finish();
    d->finish();
    pool.close();
}

}  // namespace
}  // namespace fc
