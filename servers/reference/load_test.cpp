// The reference server under a burst of connects larger than --max-sessions: every
// connection must be answered at once, 220 by a session or 421 by the listener, never left
// waiting for a banner. Starts the real `ftps-conform serve`; the suite is named *Slow*
// (ctest label slow) so the unit and scenario runs stay quick.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/core/socket.hpp"
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
using fc::UniqueFd;

constexpr int kMaxSessions = 50;
constexpr int kBurst = 300;

// `ftps-conform serve` on a free loopback port; stopped (SIGTERM, then SIGKILL) by RAII.
class Server {
public:
    /// `fd_limit` > 0: the server runs under that many file descriptors (soft and hard).
    explicit Server(const std::vector<std::string>& extra, int fd_limit = 0) : dir_("refload") {
        fs::create_directories(dir_.path() / "root");
        fc::PkiFiles pki = fc::make_test_pki(dir_.path() / "pki");
        fc::ProcessSpec spec;
        spec.argv = {FTPS_CONFORM_BINARY,
                     "serve",
                     "--port",
                     "0",
                     "--root",
                     (dir_.path() / "root").string(),
                     "--password",
                     "load-test-pw",
                     "--cert",
                     pki.server_cert.string(),
                     "--key",
                     pki.server_key.string(),
                     "--event-log",
                     (dir_.path() / "events.jsonl").string()};
        spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
        if (fd_limit > 0) {
            // sh sets both limits, then becomes the server: "$0" "$@" is the command.
            spec.argv.insert(spec.argv.begin(),
                             {"/bin/sh", "-c",
                              "ulimit -n " + std::to_string(fd_limit) + " && exec \"$0\" \"$@\""});
        }
        spec.stdout_path = dir_.path() / "stdout";
        spec.stderr_path = dir_.path() / "stderr";
        proc_ = fc::Process::start(spec);
    }
    ~Server() { proc_->stop(Millis(2000)); }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The port once the server printed "ready" (within 10 s), else 0.
    std::uint16_t wait_ready() {
        static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+))");
        std::uint16_t port = 0;
        fc::testing::eventually(
            [&] {
                std::string out = fc::testing::read_file(dir_.path() / "stdout");
                std::smatch m;
                if (out.find("\nready\n") != std::string::npos &&
                    std::regex_search(out, m, kListening)) {
                    port = static_cast<std::uint16_t>(std::stoi(m[1]));
                }
                return port != 0 || !proc_->running();
            },
            10s);
        return port;
    }
    std::string events() const { return fc::testing::read_file(dir_.path() / "events.jsonl"); }
    std::string output() const {
        return fc::testing::read_file(dir_.path() / "stdout") + proc_->stderr_tail();
    }

private:
    fc::testing::TempDir dir_;
    std::unique_ptr<fc::Process> proc_;
};

// A non-blocking connect to 127.0.0.1:port, left in progress; empty on failure.
UniqueFd start_connect(std::uint16_t port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
        fd.reset();
    }
    return fd;
}

// What each connection received first: its first reply line, or why there was none.
// Polls them all together until each has a line or `until` passes.
std::vector<std::string> first_lines(const std::vector<UniqueFd>& fds, Deadline until) {
    std::vector<std::string> got(fds.size());
    std::vector<bool> open(fds.size(), true);
    for (;;) {
        std::vector<pollfd> watch;
        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (open[i]) {
                watch.push_back(pollfd{fds[i].get(), POLLIN, 0});
                which.push_back(i);
            }
        }
        if (watch.empty() || until.expired()) {
            break;
        }
        if (::poll(watch.data(), watch.size(), until.poll_ms()) < 0 && errno != EINTR) {
            break;
        }
        for (std::size_t k = 0; k < watch.size(); ++k) {
            if (watch[k].revents == 0) {
                continue;
            }
            std::size_t i = which[k];
            char buf[512];
            ssize_t n = ::recv(fds[i].get(), buf, sizeof buf, 0);
            if (n > 0) {
                got[i].append(buf, static_cast<std::size_t>(n));
            }
            if (got[i].find("\r\n") != std::string::npos) {
                got[i].resize(got[i].find("\r\n"));
                open[i] = false;
            } else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                got[i] = "(closed without a reply: " + got[i] + ")";
                open[i] = false;
            }
        }
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (open[i]) {
            got[i] = "(no reply within the deadline)";
        }
    }
    return got;
}

TEST(RefServerLoadSlow, BurstAboveMaxSessionsIsAllServedOrRefusedAtOnce) {
    Server server({"--max-sessions", std::to_string(kMaxSessions), "--idle-timeout", "60"});
    std::uint16_t port = server.wait_ready();
    ASSERT_NE(port, 0) << "serve not ready: " << server.output();

    // All connects go out before any reply is read: the kernel completes them together,
    // the way a client's parallel test suite does.
    std::vector<UniqueFd> fds;
    for (int i = 0; i < kBurst; ++i) {
        fds.push_back(start_connect(port));
        ASSERT_TRUE(fds.back()) << "connect " << i << " failed at once";
    }
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> lines = first_lines(fds, Deadline::after(5s));
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::map<std::string, int> by_code;
    std::vector<std::string> others;
    for (const auto& line : lines) {
        std::string code = line.substr(0, 4);
        if (code == "220 " || code == "421 ") {
            ++by_code[code];
        } else if (others.size() < 5) {
            others.push_back(line);
        }
    }
    int answered = by_code["220 "] + by_code["421 "];
    EXPECT_EQ(answered, kBurst) << kBurst - answered << " connections got neither 220 nor 421 "
                                << "within 5 s; e.g. " << testing::PrintToString(others);
    // Every connection stays open, so exactly --max-sessions of them are sessions.
    EXPECT_EQ(by_code["220 "], kMaxSessions);
    EXPECT_EQ(by_code["421 "], kBurst - kMaxSessions);
    RecordProperty("answer_seconds", std::to_string(took));

    // Once the burst is gone the sessions end and a new client is served again.
    fds.clear();
    std::string last;
    bool served = fc::testing::eventually(
        [&] {
            std::vector<UniqueFd> one;
            one.push_back(start_connect(port));
            last = first_lines(one, Deadline::after(2s)).front();
            return last.rfind("220 ", 0) == 0;
        },
        5s);
    EXPECT_TRUE(served) << "after the burst, a new connection got: " << last;
}

TEST(RefServerLoadSlow, FewDescriptorsLowerTheSessionLimitAndTheRestGet421) {
    // Under 64 or 65 descriptors (either parity of "the last one") the server must keep
    // enough to accept and refuse: it serves as many sessions as its descriptors hold
    // (the listen event says how many) and answers the rest of the burst 421, none left
    // waiting in the accept queue.
    for (int limit : {64, 65}) {
        SCOPED_TRACE("ulimit -n " + std::to_string(limit));
        Server server({"--max-sessions", "1000", "--idle-timeout", "60"}, limit);
        std::uint16_t port = server.wait_ready();
        ASSERT_NE(port, 0) << "serve not ready: " << server.output();
        static const std::regex kLimit(R"re("event":"listen".*"max_sessions":(\d+))re");
        std::smatch m;
        std::string events = server.events();
        ASSERT_TRUE(std::regex_search(events, m, kLimit)) << events;
        int allowed = std::stoi(m[1]);
        EXPECT_LT(allowed, 50) << limit << " descriptors cannot hold more";
        std::vector<UniqueFd> fds;
        for (int i = 0; i < 150; ++i) {
            fds.push_back(start_connect(port));
            ASSERT_TRUE(fds.back()) << "connect " << i << " failed at once";
        }
        std::map<std::string, int> by_code;
        std::vector<std::string> others;
        for (const auto& line : first_lines(fds, Deadline::after(5s))) {
            std::string code = line.substr(0, 4);
            ++by_code[code == "220 " || code == "421 " ? code : "other"];
            if (code != "220 " && code != "421 " && others.size() < 5) {
                others.push_back(line);
            }
        }
        EXPECT_EQ(by_code["other"], 0) << "e.g. " << testing::PrintToString(others);
        EXPECT_EQ(by_code["220 "], allowed);
        EXPECT_EQ(by_code["421 "], 150 - allowed);
    }
}

}  // namespace
