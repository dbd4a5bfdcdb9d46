#pragma once
// `ftps-conform compare`: the same matrix run several times, cell by cell: which verdicts
// moved between runs (ci/soak).
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

/// One cell (server, client, scenario) across the compared runs.
struct CellHistory {
    std::string server, client, scenario_id;
    /// The verdict in each run, in the order the runs were given; nullopt where the cell
    /// is missing from that run.
    std::vector<std::optional<Verdict>> verdicts;
    /// How many runs saw its declared intermittent deviation occur, of how many ran it
    /// under one (0 of 0 for a cell without one).
    int intermittent_occurred = 0, intermittent_runs = 0;
};

/// The cells whose verdicts differ between runs (or that some runs lack), and the cells
/// under an intermittent deviation (their verdict is xfail either way: declared, not counted).
struct RunDifferences {
    std::size_t cells = 0;  ///< distinct cells over all runs
    std::vector<CellHistory> differing;
    std::vector<CellHistory> intermittent;
};

/// Compares the runs cell by cell, keyed by server, client and scenario id; the lists are
/// sorted by server, client and scenario.
RunDifferences compare_runs(const std::vector<RunResult>& runs);

/// The comparison as text: one line per differing cell with its verdict in each run
/// ("run 1 pass, run 2 fail, ..."), then the intermittent cells with how often their
/// deviation occurred, then a count line.
void write_differences(const RunDifferences& diff, std::size_t runs, std::ostream& os);

}  // namespace fc
