#pragma once
// Verdicts of one cell (scenario x server x client) and the run's exit status.
#include <optional>
#include <string_view>

namespace fc {

/// The outcome of one cell. The rules: harness/README.md "Verdicts".
enum class Verdict {
    pass,         ///< every check held
    fail,         ///< the implementation under test broke a check
    error,        ///< the harness or environment broke (never the implementation's fault)
    unsupported,  ///< a required feature is not realisable by an endpoint
    xfail,        ///< failed, as a declared known deviation says it will
    xpass,        ///< passed although a known deviation says it fails: the declaration is stale
};

/// Lower-case name as written in results.json ("pass", "xfail", ...).
std::string_view to_string(Verdict v);
/// Inverse of to_string; nullopt for an unknown name.
std::optional<Verdict> verdict_from_string(std::string_view name);

/// Process exit codes (harness/README.md "Verdicts").
enum ExitCode : int {
    exit_ok = 0,       ///< nothing failed or errored
    exit_failed = 1,   ///< a check failed (or an xpass under --strict)
    exit_usage = 2,    ///< usage, scenario or manifest error
    exit_harness = 3,  ///< harness or infrastructure error (results incomplete)
};

}  // namespace fc
