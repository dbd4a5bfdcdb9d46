#pragma once
// What a person sees in the terminal during and after a run: one line per finished cell, then a
// summary that ends with the counts, after the failures (harness/README.md "From scenario file
// to report").
#include <ostream>
#include <string>

#include "harness/core/result.hpp"

namespace fc {

/// The verdict as the console shows it, padded to one width: "PASS  ", "FAIL  ", "ERROR ",
/// "UNSUP ", "XFAIL ", "XPASS ".
std::string verdict_label(Verdict verdict);

/// Why a cell did not pass, on one line: "step 4: expected code 234, observed 500" for a cell
/// with a Failure, else its reason. Sanitised for a terminal (no control characters).
std::string cell_detail(const CellResult& cell);

/// One line for a finished cell, without a trailing newline, e.g.
/// "PASS   proftpd x reference  control/auth-tls-234  (0.21 s)". Fail, error and xpass cells add
/// a second, indented line "       — <detail>". With `color`, the label is coloured with ANSI
/// escapes. All text of the run is sanitised for a terminal.
std::string format_cell_line(const CellResult& cell, bool color = false);

/// Where the run's reports were written; an empty path is not shown.
struct SummaryPaths {
    std::string results_json;  ///< its folder is the run directory that cell dirs are under
    std::string junit_xml;
    std::string matrix_html{};  ///< "" when not written
    std::string matrix_md{};
};

/// Writes the `n` longest cells (total seconds, then setup / steps / teardown when the run
/// has them), longest first, under "Slowest cells:"; nothing for a run without cells.
void write_slowest(const RunResult& run, std::ostream& os, std::size_t n = 5);

/// Writes the end-of-run summary: every cell that did not pass (fail, error and xpass first, then
/// unsupported and xfail, each group in run order) with its reason, cell dir, transcript and the
/// command that re-runs just that cell; then the endpoints and their versions; then the report
/// paths; and last one line of counts, e.g.
/// "3 cells: 2 pass, 1 fail, 0 error, 0 unsupported, 0 xfail, 0 xpass in 4.2 s".
void write_summary(const RunResult& run, std::ostream& os, const SummaryPaths& paths);

}  // namespace fc
