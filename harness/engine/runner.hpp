#pragma once
// Runs planned cells and produces the run's results. One cell's infrastructure trouble
// is that cell's `error`, never the run's end.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/core/result.hpp"
#include "harness/engine/plan.hpp"
#include "harness/engine/variables.hpp"

namespace fc {

/// A server that already listens (--target): the harness neither starts nor configures
/// it; scenarios run with the features the user declared.
struct ExternalTarget {
    std::string name = "target";  ///< its row in the results
    std::string host;
    std::uint16_t port = 0;
    std::string user, password;
    std::filesystem::path ca_file;  ///< empty: the server certificate is not verified
    std::vector<std::string> features;
};

/// A manifest standing for an external target: it "realises" exactly the declared
/// features (with empty fragments) and has no binary.
ServerManifest external_manifest(const ExternalTarget& target);

struct RunConfig {
    std::filesystem::path out_dir;  ///< exists and is empty; cells go below it
    Millis step_timeout{10000};
    bool keep = false;             ///< keep every cell's server work dir, not only failed ones
    std::filesystem::path prefix;  ///< where server binaries live (default_prefix())
    CancelToken cancel;
    /// Called after each cell with its result and how many are done of how many.
    std::function<void(const CellResult&, std::size_t done, std::size_t total)> on_cell;
    /// Run against this already-running server instead of starting servers.
    std::optional<ExternalTarget> external;
    /// Called with short progress notes ("checking proftpd: 1.3.8").
    std::function<void(const std::string&)> on_note;
};

/// Runs every cell in order and returns the results (endpoints with their versions,
/// one CellResult per cell; `interrupted` if the cancel token was set).
RunResult run_plan(const std::vector<PlannedCell>& cells, const RunConfig& config);

/// The version an endpoint reports through its version command ("" + error if none).
std::string probe_version(const std::string& command, const std::string& regex,
                          bool stdin_from_stdout, const Variables& vars, CancelToken cancel,
                          std::string* error);

/// "2026-11-25T06:01:02Z" for now.
std::string utc_timestamp();

}  // namespace fc
