#pragma once
// The interop matrix as one self-contained HTML5 page, rendered from the result model only
// (harness/README.md "Output layout"). Rows and columns from
// matrix_layout.hpp, shared with the Markdown matrix (matrix_md.hpp).
#include <ostream>

#include "harness/core/result.hpp"

namespace fc {

struct Comparison;  // reports/baseline.hpp

/// Writes `run` as one HTML5 file with inline CSS and a small inline script, and nothing the
/// browser would fetch: the run's facts; a servers x clients grid with coloured counts and one
/// verdict code per scenario (verdict_code in matrix_md.hpp); scenarios x server/client pairs
/// grouped by area, each with title, level and spec refs; every cell links to its folder
/// (href cell_dir + "/") and its transcript, and a failed cell shows the failed step, expected
/// and observed in a <details>; a list of failures, errors and stale deviations. Filters by
/// area, level and verdict appear only with scripts on; without them everything shows. Prints
/// and fits a phone (tables scroll sideways). Every text is sanitised (valid UTF-8, visible
/// control characters) and escaped; hrefs are percent-encoded relative paths. Deterministic.
/// With `since`, the comparison with a baseline (comparison_html) follows the run's facts;
/// without it the output does not change.
void write_matrix_html(const RunResult& run, std::ostream& os, const Comparison* since = nullptr);

}  // namespace fc
