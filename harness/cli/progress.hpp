#pragma once
// What the console shows while a matrix runs. On a terminal: a status line that updates in
// place (cells done/total, failures so far, elapsed, estimate) with a line per cell that
// did not pass; elsewhere (CI logs): one plain line per cell. --quiet and --verbose adjust.
#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

#include "harness/core/result.hpp"

namespace fc {

enum class Verbosity { quiet, normal, verbose };

class Progress {
public:
    /// `live`: `out` is a terminal that understands "\r" and "erase line".
    Progress(std::ostream& out, bool live, Verbosity verbosity);

    /// A short harness note ("server proftpd: version 1.3.8").
    void note(const std::string& text);
    /// A finished cell, `done` of `total`.
    void cell(const CellResult& cell, std::size_t done, std::size_t total);
    /// Clears the status line; call before printing the summary.
    void finish();

    /// The status text, e.g. "[37/321] 35 pass, 2 fail, 0 error; 21 s elapsed, ~2 min left".
    std::string status(std::size_t done, std::size_t total) const;

    /// True if standard output is a terminal worth redrawing (not TERM=dumb).
    static bool stdout_is_live();

private:
    void clear_status();

    std::ostream& out_;
    bool live_;
    Verbosity verbosity_;
    std::chrono::steady_clock::time_point started_;
    std::size_t pass_ = 0, fail_ = 0, error_ = 0, other_ = 0;
    bool status_shown_ = false;
};

}  // namespace fc
