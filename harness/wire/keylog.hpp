#pragma once
// NSS key log files (SSLKEYLOGFILE), as OpenSSL, GnuTLS, curl and the harness's own TLS
// layer write them: "<LABEL> <client_random hex> <secret hex>" per line.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fc::wire {

/// Secrets by client random (raw 32 bytes) and label ("CLIENT_RANDOM",
/// "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0", ...).
class KeyLog {
public:
    /// Parses key log text. Comment and blank lines are skipped; a malformed line is
    /// reported in errors() as "<origin>:<line>: <why>" and otherwise ignored.
    static KeyLog parse(std::string_view text, const std::string& origin = "keylog");
    /// Reads a key log file; a missing file gives an empty log with one error.
    static KeyLog read(const std::filesystem::path& path);

    /// The secret (raw bytes) for this connection and label, or nullptr.
    const std::string* find(std::string_view client_random, std::string_view label) const;
    bool empty() const { return secrets_.empty(); }
    std::size_t size() const { return secrets_.size(); }
    const std::vector<std::string>& errors() const { return errors_; }

private:
    std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> secrets_;
    std::vector<std::string> errors_;
};

/// Decodes hex (either case); false on odd length or a non-hex digit.
bool from_hex(std::string_view hex, std::string& out);

}  // namespace fc::wire
