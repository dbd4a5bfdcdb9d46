#pragma once
// The scenario model: what the loader builds from one scenario file. Immutable after
// loading; strings may still hold ${variables}, which the engine substitutes per cell.
#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace fc {

/// Where something stood in its source file (1-based; 0 = unknown).
struct SourcePos {
    int line = 0;
    int column = 0;
};

enum class Level { must, should, interop, info };
std::string_view to_string(Level level);

/// Which implementation fills a role: the one under test, or ftps-conform's reference.
enum class Role { under_test, reference };

struct SpecRef {
    std::string ref;   ///< e.g. "RFC4217 4.2"
    std::string note;  ///< the element's text, may be empty
};

/// One acceptable reply code: exact ("234"), a class ("5xx") or a decade ("53x").
/// Well-formedness is checked by the loader.
struct CodePattern {
    std::string pattern;
    bool matches(int code) const;
};

/// What a reply must look like. Every listed condition must hold.
struct ReplyExpectation {
    std::vector<CodePattern> codes;  ///< any one may match; never empty
    std::string text_regex;          ///< ECMAScript regex searched in the whole text; "" = any
    std::vector<std::string> line_regexes;  ///< each must match some line of the reply
    std::string reason;                     ///< why a set of codes is allowed (required when >1)
    std::string describe() const;           ///< "code 234", "code 534|536 and text /.../"
};

// ---- Reference-client steps ---------------------------------------------------------

/// Open the control connection; read nothing (use <expect> for the banner).
struct ConnectStep {
    bool implicit = false;  ///< implicit FTPS: TLS handshake right after TCP connect
};
/// Send one command line; CRLF is appended.
struct SendStep {
    std::string line;
};
/// Read one reply and check it.
struct ExpectStep {
    ReplyExpectation reply;
};
/// TLS handshake as client on the control connection.
struct TlsHandshakeStep {
    bool expect_success = true;
};
/// USER then PASS (PASS only if USER answered 3xx); passes on 230 (or 202 to PASS).
struct LoginStep {
    std::string user = "${user}";
    std::string password = "${password}";
};

using StepBody = std::variant<ConnectStep, SendStep, ExpectStep, TlsHandshakeStep, LoginStep>;

struct Step {
    StepBody body;
    SourcePos pos;
    std::optional<std::chrono::milliseconds> timeout;  ///< overrides the run's step timeout
    std::vector<std::string> if_features;              ///< run only if the server has all of these
    std::vector<std::string> unless_features;          ///< skip if the server has any of these
    /// The element name: "connect", "send", ...
    std::string_view kind() const;
};

/// The setting under which the scenario must fail (DESIGN.md "Scenarios").
struct NegativeControl {
    std::string server;                ///< "reference" or a server name
    std::string misbehave;             ///< reference-server misbehaviour; "" if none
    std::vector<std::string> without;  ///< features withheld from the server
    std::vector<std::string> with;     ///< features added to the server
    SourcePos pos;
};

struct Scenario {
    std::filesystem::path file;
    std::string id;    ///< equals the file stem
    std::string area;  ///< the folder below scenarios/, e.g. "control"
    std::string title;
    std::string description;
    Level level = Level::must;
    std::vector<SpecRef> specs;
    std::vector<std::string> tags;
    Role server_role = Role::under_test;
    Role client_role = Role::reference;
    std::vector<std::string> server_features;  ///< features the server must be configured with
    std::vector<Step> steps;
    NegativeControl negative_control;
};

/// Variables a scenario may use in step text; others are a load error.
std::span<const std::string_view> known_variables();

}  // namespace fc
