#pragma once
// The interop matrix: which server/client pairs pass which scenarios. Rendered from the result
// model only (DESIGN.md "Output"), as Markdown for a CI job summary (here) and as one
// self-contained HTML page (matrix_html.hpp). Both share the layout below.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

struct Comparison;  // reports/baseline.hpp

/// One server/client pair that ran at least one cell.
struct MatrixPair {
    std::string server;
    std::string client;
    VerdictCounts counts;  ///< over every cell of the pair
};

/// One row of the matrix: a scenario with its cell for each pair.
struct MatrixScenario {
    std::string area;
    std::string id;
    std::string title;  ///< title, level and spec refs of the scenario's first cell
    std::string level;
    std::vector<std::string> spec_refs;
    std::vector<const CellResult*> cells;  ///< parallel to MatrixLayout::pairs; nullptr: not run
};

/// Rows and columns of the matrix. Servers, clients and areas are in the order they first
/// appear in the run's cells; pairs are server-major over those; scenarios are grouped by area
/// (in that order) and sorted by id inside an area. Points into the RunResult it was made of.
struct MatrixLayout {
    std::vector<std::string> servers;
    std::vector<std::string> clients;
    std::vector<std::string> areas;
    std::vector<MatrixPair> pairs;
    std::vector<MatrixScenario> scenarios;

    /// Index in `pairs` of (server, client), or -1 when that pair ran nothing.
    int pair_index(std::string_view server, std::string_view client) const;
};

MatrixLayout matrix_layout(const RunResult& run);

/// The one-letter code of a verdict in the matrix: P pass, F fail, E error, U unsupported,
/// X xfail (known deviation), S xpass (stale deviation: passed although declared to fail).
char verdict_code(Verdict verdict);

/// Writes `run` as GitHub-flavoured Markdown small enough for a CI job summary: a heading and
/// the run's facts (run id, dates, host, tool version, every endpoint with its version, totals);
/// a servers x clients grid of counts ("✅ 94 ❌ 0 ⚠️ 0 ➖ 12 🟡 12", "❗ n" for xpass
/// when non-zero) with a legend; per area a table of scenarios (id, level, first spec ref) x pairs
/// with one verdict code per cell (see verdict_code; "–" when not run) and a legend; then every
/// fail, error and xpass cell with its step, expected and observed (or reason), one line each.
/// All text of the run is made one line, valid UTF-8 with visible control characters, escaped
/// for Markdown (pipes, emphasis, HTML) and shortened when very long. Deterministic.
/// With `since`, a "## Since the baseline" section (write_comparison_markdown) follows the
/// run's facts; without it the output does not change.
void write_matrix_markdown(const RunResult& run, std::ostream& os,
                           const Comparison* since = nullptr);

/// Text of a run as inline Markdown, as the matrix shows it: one line, valid UTF-8, visible
/// control characters, shortened when very long, Markdown and HTML characters escaped.
std::string markdown_inline(std::string_view raw);

}  // namespace fc
