// Tests of wait_ready and PortAllocator (harness/proc).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/core/socket.hpp"
#include "harness/proc/ports.hpp"
#include "harness/proc/process.hpp"
#include "harness/testing/eventually.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

using namespace std::chrono_literals;

// A listener on 127.0.0.1 that greets every connection with `greeting` until destroyed.
class Greeter {
public:
    explicit Greeter(std::string greeting, Millis delay = Millis(0)) {
        std::string error;
        fd_ = tcp_listen("127.0.0.1", 0, &error);
        EXPECT_TRUE(fd_) << error;
        port_ = local_port(fd_.get());
        thread_ = std::thread([this, greeting, delay] {
            while (!stop_) {
                std::string err;
                UniqueFd c = tcp_accept(fd_.get(), Deadline::after(50ms), {}, &err);
                if (!c) {
                    continue;
                }
                ++accepted_;
                std::this_thread::sleep_for(delay);  // the slow greeting is the case under test
                send_all(c.get(), greeting, Deadline::after(1000ms), {});
                char buf[64];
                IoResult r = recv_some(c.get(), buf, sizeof buf, Deadline::after(1000ms), {});
                if (r.ok() && std::string(buf, r.bytes).rfind("QUIT", 0) == 0) {
                    ++quits_;
                }
            }
        });
    }
    ~Greeter() {
        stop_ = true;
        thread_.join();
    }
    std::uint16_t port() const { return port_; }
    int quits() const { return quits_; }

private:
    UniqueFd fd_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0}, quits_{0};
    std::thread thread_;
};

TEST(WaitReady, ReadyOnBanner) {
    Greeter g("220 hi\r\n");
    Readiness r = wait_ready("127.0.0.1", g.port(), "220", Deadline::after(2000ms), {}, nullptr);
    EXPECT_TRUE(r.ready) << r.error;
    EXPECT_EQ(r.error, "");
    EXPECT_LT(r.took, 500ms);
    EXPECT_TRUE(testing::eventually([&] { return g.quits() == 1; }, 2000ms)) << g.quits();
}

TEST(WaitReady, WrongBanner) {
    Greeter g("421 no\r\n");
    Readiness r = wait_ready("127.0.0.1", g.port(), "220", Deadline::after(2000ms), {}, nullptr);
    EXPECT_FALSE(r.ready);
    EXPECT_EQ(r.error.rfind("banner was '421 no', expected '220'", 0), 0u) << r.error;
}

TEST(WaitReady, NobodyListening) {
    PortAllocator ports;
    std::uint16_t port = ports.port();
    auto t = Clock::now();
    Readiness r = wait_ready("127.0.0.1", port, "220", Deadline::after(300ms), {}, nullptr);
    EXPECT_FALSE(r.ready);
    EXPECT_LT(Clock::now() - t, 600ms);
    EXPECT_EQ(
        r.error.rfind(
            "no connection accepted on 127.0.0.1:" + std::to_string(port) + " within 0.3 s", 0),
        0u)
        << r.error;
}

TEST(WaitReady, CancelIsPrompt) {
    PortAllocator ports;
    std::atomic<bool> flag{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(50ms);  // the cancel must arrive during the wait
        flag = true;
    });
    auto t = Clock::now();
    Readiness r = wait_ready("127.0.0.1", ports.port(), "220", Deadline::after(10000ms),
                             CancelToken(&flag), nullptr);
    EXPECT_LT(Clock::now() - t, 250ms);
    EXPECT_FALSE(r.ready);
    EXPECT_NE(r.error.find("cancelled"), std::string::npos);
    canceller.join();
}

TEST(WaitReady, ProcessExitsEarly) {
    testing::TempDir dir("ready");
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "echo 'bind: Address already in use' >&2; exit 2"};
    spec.stderr_path = dir.path() / "err.log";
    auto p = Process::start(spec);
    PortAllocator ports;
    auto t = Clock::now();
    Readiness r =
        wait_ready("127.0.0.1", ports.port(), "220", Deadline::after(5000ms), {}, p.get());
    EXPECT_LT(Clock::now() - t, 1000ms);
    EXPECT_FALSE(r.ready);
    EXPECT_EQ(r.error, "exited with status 2 before it was ready: bind: Address already in use");
}

TEST(WaitReady, SlowGreetingIsWaitedFor) {
    Greeter g("220-multi\r\n220 line\r\n", 200ms);
    Readiness r = wait_ready("127.0.0.1", g.port(), "220", Deadline::after(3000ms), {}, nullptr);
    EXPECT_TRUE(r.ready) << r.error;
    EXPECT_GE(r.took, 190ms);
}

TEST(PortAllocator, HandsOutDistinctFreePorts) {
    PortAllocator ports;
    std::set<std::uint16_t> seen;
    for (int i = 0; i < 50; ++i) {
        std::uint16_t p = ports.port();
        EXPECT_GE(p, PortAllocator::window_first);
        EXPECT_LE(p, PortAllocator::window_last);
        EXPECT_TRUE(seen.insert(p).second);
    }
    auto [lo, hi] = ports.range(16);
    EXPECT_EQ(hi - lo, 15);
    EXPECT_FALSE(seen.count(lo));
}

TEST(PortAllocator, SkipsTakenPorts) {
    std::string error;
    UniqueFd taken;
    std::uint16_t first = 0;
    for (std::uint16_t p = 25000; p < 25100 && !taken; ++p) {
        taken = tcp_listen("127.0.0.1", p, &error);
        first = p;
    }
    ASSERT_TRUE(taken);
    PortAllocator ports(first);
    EXPECT_NE(ports.port(), first);
    PortAllocator low(21);
    EXPECT_GE(low.port(), 1024);
}

// A handed-out port is leased: not handed out again, even though nothing listens on it
// (a passive range before its PASV), until released.
TEST(PortAllocator, LeasedPortsComeBackOnlyWhenReleased) {
    PortAllocator ports(PortAllocator::window_first);
    auto [lo, hi] = ports.range(16);
    std::set<std::uint16_t> seen;
    for (unsigned i = 0; i < 10000 - 16 - 2; ++i) {
        std::uint16_t p = 0;
        try {
            p = ports.port();
        } catch (const HarnessError&) {
            break;  // the window is used up (some ports may be busy on this machine)
        }
        EXPECT_TRUE(p < lo || p > hi) << p;
        if (!seen.insert(p).second) {
            ADD_FAILURE() << "port " << p << " handed out twice";
            break;
        }
    }
    ports.release(lo, hi);
    auto [lo2, hi2] = ports.range(16);
    EXPECT_EQ(lo2, lo);
    EXPECT_EQ(hi2, hi);
}

TEST(PortAllocator, RangeWrapsAtWindowEnd) {
    PortAllocator ports(PortAllocator::window_last - 3);
    auto [lo, hi] = ports.range(8);
    EXPECT_GE(lo, PortAllocator::window_first);
    EXPECT_LE(hi, PortAllocator::window_last);
    EXPECT_EQ(hi - lo, 7);
}

// Two allocators alive at once (two harness processes, or two in one process) hold
// different slices, so neither can hand out a port the other handed out; a slice is free
// again once its allocator is gone.
TEST(PortAllocator, ConcurrentAllocatorsHoldDisjointSlices) {
    std::set<std::uint16_t> a_ports;
    std::pair<std::uint16_t, std::uint16_t> a_bounds;
    {
        PortAllocator a;
        PortAllocator b;
        a_bounds = a.bounds();
        auto [alo, ahi] = a.bounds();
        auto [blo, bhi] = b.bounds();
        EXPECT_EQ(ahi - alo + 1, PortAllocator::slice_size);
        EXPECT_EQ(bhi - blo + 1, PortAllocator::slice_size);
        EXPECT_TRUE(ahi < blo || bhi < alo) << alo << "-" << ahi << " vs " << blo << "-" << bhi;
        for (int i = 0; i < 20; ++i) {
            std::uint16_t p = a.port();
            EXPECT_GE(p, alo);
            EXPECT_LE(p, ahi);
            std::uint16_t q = b.port();
            EXPECT_GE(q, blo);
            EXPECT_LE(q, bhi);
        }
    }
    PortAllocator c;
    EXPECT_EQ(c.bounds().second - c.bounds().first + 1, PortAllocator::slice_size);
}

TEST(PortAllocator, ThreadSafe) {
    PortAllocator ports;
    std::vector<std::uint16_t> got(200);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                got[t * 50 + i] = ports.port();
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(std::set<std::uint16_t>(got.begin(), got.end()).size(), got.size());
}

}  // namespace
}  // namespace fc
