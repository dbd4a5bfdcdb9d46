#include "harness/cli/progress.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ostream>
#include <sstream>

#include "reports/console.hpp"

namespace fc {

namespace {

std::string duration_text(double seconds) {
    auto s = static_cast<long>(seconds + 0.5);
    if (s < 90) {
        return std::to_string(s) + " s";
    }
    return std::to_string((s + 30) / 60) + " min";
}

}  // namespace

Progress::Progress(std::ostream& out, bool live, Verbosity verbosity)
    : out_(out), live_(live), verbosity_(verbosity), started_(std::chrono::steady_clock::now()) {}

bool Progress::stdout_is_live() {
    const char* term = std::getenv("TERM");
    return ::isatty(STDOUT_FILENO) == 1 && term != nullptr && std::strcmp(term, "dumb") != 0;
}

void Progress::clear_status() {
    if (status_shown_) {
        out_ << "\r\033[K";
        status_shown_ = false;
    }
}

void Progress::note(const std::string& text) {
    if (verbosity_ == Verbosity::quiet) {
        return;
    }
    clear_status();
    out_ << "  .. " << text << "\n" << std::flush;
}

std::string Progress::status(std::size_t done, std::size_t total) const {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::ostringstream s;
    s << "[" << done << "/" << total << "] " << pass_ << " pass, " << fail_ << " fail, " << error_
      << " error";
    if (other_ > 0) {
        s << ", " << other_ << " other";
    }
    s << "; " << duration_text(elapsed) << " elapsed";
    if (done > 0 && done < total) {
        s << ", ~"
          << duration_text(elapsed / static_cast<double>(done) * static_cast<double>(total - done))
          << " left";
    }
    return s.str();
}

void Progress::cell(const CellResult& cell, std::size_t done, std::size_t total) {
    switch (cell.verdict) {
        case Verdict::pass: ++pass_; break;
        case Verdict::fail: ++fail_; break;
        case Verdict::error: ++error_; break;
        default: ++other_; break;
    }
    if (verbosity_ == Verbosity::quiet) {
        return;
    }
    bool notable = cell.verdict != Verdict::pass;
    if (!live_ || notable || verbosity_ == Verbosity::verbose) {
        clear_status();
        out_ << "[" << done << "/" << total << "] " << format_cell_line(cell, live_) << "\n";
        if (verbosity_ == Verbosity::verbose && notable && !cell.transcript_excerpt.empty()) {
            std::istringstream lines(cell.transcript_excerpt);
            for (std::string line; std::getline(lines, line);) {
                out_ << "         | " << line << "\n";
            }
        }
    }
    if (live_) {
        out_ << "\r\033[K" << status(done, total);
        status_shown_ = true;
    }
    out_ << std::flush;
}

void Progress::finish() {
    clear_status();
    out_ << std::flush;
}

}  // namespace fc
