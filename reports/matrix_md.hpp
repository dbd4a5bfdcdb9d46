#pragma once
// The interop matrix as Markdown for a CI job summary, rendered from the result model only
// (harness/README.md "Output layout"); the HTML page is matrix_html.hpp. Both draw the rows and
// columns of matrix_layout.hpp.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/result.hpp"
#include "reports/matrix_layout.hpp"

namespace fc {

struct Comparison;  // reports/baseline.hpp

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

/// The servers x clients grid of write_matrix_markdown alone: its "## Servers × clients"
/// heading, one row per server with each pair's counts, and the legend; ends with a blank line.
/// The console prints it after a run.
void write_matrix_grid_markdown(const MatrixLayout& layout, std::ostream& os);

/// Text of a run as inline Markdown, as the matrix shows it: one line, valid UTF-8, visible
/// control characters, shortened when very long, Markdown and HTML characters escaped.
std::string markdown_inline(std::string_view raw);

}  // namespace fc
