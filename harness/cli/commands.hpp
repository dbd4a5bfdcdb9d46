#pragma once
// The subcommands. Each takes its arguments (after the subcommand name) and the
// streams to write to, and returns the process exit code.
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/scenario/loader.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "reports/baseline.hpp"
#include "reports/console.hpp"

namespace fc {

int cmd_run(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
            std::ostream& err);
int cmd_list(std::span<const std::string> args, std::ostream& out, std::ostream& err);
int cmd_validate(std::span<const std::string> args, std::ostream& out, std::ostream& err);
int cmd_controls(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
                 std::ostream& err);
int cmd_report(std::span<const std::string> args, std::ostream& out, std::ostream& err);
/// Compares several runs of one matrix cell by cell (ci/soak).
int cmd_compare(std::span<const std::string> args, std::ostream& out, std::ostream& err);
/// Prints one cell folder's transcript and wire facts (wire.json).
int cmd_explain(std::span<const std::string> args, std::ostream& out, std::ostream& err);
/// Runs the reference FTPS server in the foreground until `cancel` is set.
int cmd_serve(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
              std::ostream& err);
/// Puts the real servers into the server prefix with the installed (or source tree's)
/// install-servers script.
int cmd_setup_servers(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
                      std::ostream& err);

struct ParsedArgs;
/// --out DIR (refused unless absent or empty) or results/<UTC timestamp>.
std::filesystem::path choose_out_dir(const ParsedArgs& a);
/// --timeout SECONDS (default 10).
Millis parse_timeout(const ParsedArgs& a);
/// --jobs N (1-64), or default_jobs() when absent. Throws UsageError.
unsigned parse_jobs(const ParsedArgs& a);
/// The servers x clients grid of the run's Markdown matrix (for the console).
std::string matrix_grid_markdown(const RunResult& run);
/// Writes results.json, junit.xml, matrix.html and matrix.md of `run` into `dir` (the
/// matrices with a "since the baseline" section when `since` is given); returns their
/// paths for the summary.
SummaryPaths write_run_reports(const RunResult& run, const std::filesystem::path& dir, bool strict,
                               const Comparison* since = nullptr);
/// Writes a report file; throws HarnessError if it cannot.
void write_report(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& write);

/// Scenarios and endpoints as the user pointed at them.
struct Workspace {
    std::vector<Scenario> scenarios;
    Endpoints endpoints;
};

/// `scenarios/` under the current directory if it exists, else the installed or source
/// tree's (data_layout()).
std::filesystem::path default_scenarios_dir();
/// The built-in endpoint folders (servers/, clients/) followed by `extra`.
std::vector<std::filesystem::path> endpoint_dirs(const std::vector<std::string>& extra);
/// Loads both; prints every diagnostic to `err` and throws UsageError if there was any.
Workspace load_workspace(const std::vector<std::filesystem::path>& scenario_paths,
                         const std::vector<std::string>& extra_endpoint_dirs, std::ostream& err);
/// load_workspace for a subcommand's arguments: its positionals (default: the
/// scenarios folder) and its --endpoints.
Workspace load_workspace_for(const ParsedArgs& a, std::ostream& err);
/// Problems that span files: deviations and negative controls naming unknown things.
std::vector<Diagnostic> cross_check(const Workspace& ws);

}  // namespace fc
