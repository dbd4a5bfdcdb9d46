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
#include "harness/engine/cell.hpp"
#include "harness/engine/plan.hpp"

namespace fc {

struct RunConfig {
    std::filesystem::path out_dir;  ///< exists and is empty; cells go below it
    Millis step_timeout{10000};
    /// Keep every cell's server work dir, payload and capture, not only failed ones.
    bool keep = false;
    /// Capture each cell's traffic (when tcpdump is there): wire.json and <wire-expect>.
    bool capture = true;
    /// Run the actions of clients whose manifest has a <resident> in that one process per
    /// run (harness/engine/resident.hpp); false: each action is a process (--no-resident).
    bool resident = true;
    std::filesystem::path prefix;  ///< where server binaries live (default_prefix())
    CancelToken cancel;
    /// Pool servers (harness/engine/server_pool.hpp): a server started for a configuration
    /// serves the later cells that ask for the same one, one at a time (`run` pools unless
    /// --no-pool; never with repeat > 1, whose runs each start their own servers).
    bool pool = false;
    /// Cells run at once (each with its own servers, ports and folders); 1 = one by one.
    unsigned jobs = 1;
    /// Runs of each cell (`run --repeat N`); the cell's verdict is the worst of them, each
    /// run in its own folder (CELL/run-K) when N > 1.
    unsigned repeat = 1;
    /// Called after each cell with its result and how many are done of how many; calls
    /// come one at a time, in the order cells finish.
    std::function<void(const CellResult&, std::size_t done, std::size_t total)> on_cell;
    /// Run against this already-running server instead of starting servers.
    std::optional<ExternalTarget> external;
    /// Called with short progress notes ("checking proftpd: 1.3.8").
    std::function<void(const std::string&)> on_note;
};

/// Runs every cell, `config.jobs` at a time, and returns the results (endpoints with
/// their versions, one CellResult per cell in plan order; `interrupted` if the cancel
/// token was set, with only the cells that ran).
RunResult run_plan(const std::vector<PlannedCell>& cells, const RunConfig& config);

/// The number of cells to run at once when the user does not say: measured fastest on a
/// 2-core machine (cells mostly wait on their endpoints).
unsigned default_jobs();

/// "2026-11-25T06:01:02Z" for now.
std::string utc_timestamp();

}  // namespace fc
