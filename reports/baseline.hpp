#pragma once
// Comparing a run with a previous one (`ftps-conform report --baseline OLD.json`): which cells
// regressed, which were fixed, what else changed, and which cells exist in one run only.
#include <ostream>
#include <string>
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

/// A cell whose verdict differs between the baseline and the current run.
struct CellChange {
    std::string server, client, area, scenario_id;  ///< area of the current run's cell
    Verdict before = Verdict::pass;                 ///< verdict in the baseline
    Verdict after = Verdict::pass;                  ///< verdict in the current run
    std::string after_reason;                       ///< the current cell's reason
};

/// How a verdict transition counts. A cell whose verdict did not change is no change at all.
/// For before != after:
/// - regression: `after` is fail, error or xpass (something is newly wrong): pass, xfail,
///   unsupported or xpass -> fail; anything else -> error; anything else -> xpass;
///   fail <-> error also counts (the cell is still or newly broken in a different way).
/// - fix: `before` is fail or error and `after` is pass or xfail.
/// - other: every remaining change: pass <-> xfail, pass/xfail <-> unsupported,
///   fail/error -> unsupported, xpass -> pass/xfail/unsupported.
enum class ChangeKind { none, regression, fix, other };
ChangeKind classify_change(Verdict before, Verdict after);

/// The result of compare_runs. Each list is sorted by server, client, area, scenario id.
struct Comparison {
    std::vector<CellChange> regressions;
    std::vector<CellChange> fixes;
    std::vector<CellChange> other_changes;
    /// Cell keys "server / client / scenario id" only in the current run (added) or only in
    /// the baseline (removed), sorted.
    std::vector<std::string> added, removed;
};

/// Compares `current` with `baseline` cell by cell, keyed by (server, client, scenario id);
/// area is not part of the key. When a run holds one key twice its first cell counts.
Comparison compare_runs(const RunResult& baseline, const RunResult& current);

/// The key of a cell as in Comparison::added / removed.
std::string cell_key(const CellResult& cell);

/// Console text: "Since the baseline: 2 regressions, 1 fix, 0 other changes, 0 added, 0
/// removed" then one line per change, regressions first, then fixes, other changes, added and
/// removed cells. Text of the runs is made one line with visible control characters.
void write_comparison_text(const Comparison& comparison, std::ostream& os);

/// A Markdown "## Since the baseline" section (same content as the text), every text of the
/// runs escaped as in the matrix (markdown_inline in matrix_md.hpp). Ends with a blank line.
void write_comparison_markdown(const Comparison& comparison, std::ostream& os);

/// The same as an HTML <section id="since-baseline">, every text escaped.
std::string comparison_html(const Comparison& comparison);

}  // namespace fc
