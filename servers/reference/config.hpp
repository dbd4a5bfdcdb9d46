#pragma once
// Everything `ftps-conform serve` parses: the reference server's whole configuration.
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

namespace fc::ref {

struct ServerConfig {
    std::string host = "127.0.0.1";            ///< loopback only
    std::uint16_t port = 0;                    ///< 0 = any free port
    std::uint16_t pasv_min = 0, pasv_max = 0;  ///< 0 = any free port for PASV/EPSV
    std::filesystem::path root;
    std::string user = "alice", password;
    std::filesystem::path cert, key, ca;
    std::filesystem::path event_log;  ///< empty = no event log
    std::set<std::string> features;
    std::set<std::string> misbehaviours;
    int idle_timeout_seconds = 120;
    int max_sessions = 256;

    bool has(const std::string& feature) const { return features.count(feature) != 0; }
    bool bad(const std::string& misbehaviour) const {
        return misbehaviours.count(misbehaviour) != 0;
    }
};

}  // namespace fc::ref
