#pragma once
// A small scripted FTPS server for the harness's own tests. It answers the commands the
// shipped scenarios use, correctly by default, and wrongly when told to (the named
// misbehaviours of fc::known_misbehaviours()). It is a test fake, not an endpoint under
// test: the reference server (issue 6) will replace it as the negative-control peer.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/core/socket.hpp"
#include "harness/tls/pki.hpp"

namespace fc::testing {

class ScriptedPeer {
public:
    struct Config {
        const PkiFiles* pki = nullptr;
        std::string user = "alice";
        std::string password = "secret";
        std::set<std::string> misbehaviours;
        std::set<std::string> features;  ///< e.g. data-tls-required: PROT C gets 534
    };

    /// Listens on 127.0.0.1 (a free port) and serves sessions one after another on a
    /// background thread until destroyed.
    explicit ScriptedPeer(Config config);
    ~ScriptedPeer();
    ScriptedPeer(const ScriptedPeer&) = delete;
    ScriptedPeer& operator=(const ScriptedPeer&) = delete;

    /// The misbehaviours this peer can act out (a subset of the reference server's
    /// vocabulary; the reference server itself, issue 6, will act out all of them).
    static bool can_misbehave(const std::string& name);

    std::uint16_t port() const { return port_; }
    /// Commands received so far, in order, across sessions.
    std::vector<std::string> commands() const;

private:
    void serve();
    void session(UniqueFd fd);

    Config config_;
    UniqueFd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<std::string> commands_;
    std::thread thread_;
};

}  // namespace fc::testing
