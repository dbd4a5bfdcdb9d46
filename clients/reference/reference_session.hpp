#pragma once
// The reference client's scripted session: runs a scenario's steps against one server
// and judges each reply. Failures of the server are data (fail); broken environment or
// deadlines are errors.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/core/result.hpp"
#include "harness/ftp/transcript.hpp"
#include "harness/scenario/scenario.hpp"
#include "harness/tls/pki.hpp"

namespace fc {

/// Where the server under test listens and what it was configured with.
struct Target {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string user;
    std::string password;
    std::vector<std::string> features;  ///< features the server realises in this cell
    std::filesystem::path ca_file;      ///< verify the server certificate when set
    std::string verify_name;            ///< name or IP the certificate must match
    PkiFiles pki;                       ///< the run's PKI (client certificates)
};

struct SessionOptions {
    Millis step_timeout{10000};  ///< per step unless the step says otherwise
    CancelToken cancel;
    std::filesystem::path keylog_file;  ///< SSLKEYLOGFILE lines go here when set
};

/// The outcome of one session: pass, fail (with the failed step) or error.
struct SessionOutcome {
    Verdict verdict = Verdict::pass;
    std::optional<Failure> failure;
    std::string reason;
    std::map<std::string, std::string> properties;  ///< tls.version, tls.cipher, ...
    /// SHA-256 (hex) of each whole transfer, by "upload:NAME" / "download:NAME" (the
    /// builtin client's actions compare them with the server's files).
    std::map<std::string, std::string> digests;
};

/// Runs every step of `scenario` in order, stopping at the first failure or error.
SessionOutcome run_reference_session(const Scenario& scenario, const Target& target,
                                     const SessionOptions& options, Transcript& transcript);

/// Checks one reply against an expectation; returns "" when it holds, otherwise what
/// was wrong in words ("code 334", "no line matches /^ PBSZ/").
std::string check_reply(const ReplyExpectation& expect, int code, const std::string& text,
                        const std::vector<std::string>& lines);

}  // namespace fc
