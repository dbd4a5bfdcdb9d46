#pragma once
// Merging results of several runs, typically the shards of one matrix (`run --shard I/N` on
// several machines, then `ftps-conform report`), into one RunResult that every report renders.
#include <string>
#include <utility>
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

/// One input of a merge: a name for messages (e.g. the results.json path) and its run.
using NamedRun = std::pair<std::string, RunResult>;

/// Merges `runs` into one run:
/// - cells: all cells, sorted canonically by (server, client, area, scenario id); merging one
///   run therefore only reorders it. A cell (server, client, area, scenario id) present twice,
///   in two inputs or in one, is a UsageError naming the cell and both inputs.
/// - endpoints: the union by (kind, name), servers first then clients, each sorted by name.
///   One endpoint with two different versions is a UsageError naming it, both versions and
///   both inputs.
/// - started_utc: the earliest non-empty one; finished_utc: the latest (ISO 8601 UTC strings
///   compare as text).
/// - duration_s: the SUM of the inputs' durations, i.e. the time spent running over all
///   machines; for shards run in parallel the wall-clock span is finished_utc - started_utc.
/// - interrupted: any input was interrupted.
/// - host and tool_version: the distinct non-empty values, sorted, joined with ", ".
/// - run_id: "merged"; shard: "".
/// Cells, endpoints, times, host and tool_version do not depend on the order of `runs`
/// (duration_s only up to rounding). An empty `runs` gives an empty run.
RunResult merge_runs(const std::vector<NamedRun>& runs);

/// merge_runs with the inputs named "input 1", "input 2", ...
RunResult merge_runs(const std::vector<RunResult>& runs);

/// The canonical cell order of merge_runs: by server, client, area, scenario id.
bool canonical_cell_less(const CellResult& a, const CellResult& b);

}  // namespace fc
