#include "reports/console.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <vector>

#include "harness/core/text_sanitize.hpp"

namespace fc {

namespace {

constexpr std::string_view kIndent = "       ";     // lines up with the text after the label
constexpr std::string_view kDash = "\xE2\x80\x94";  // U+2014 EM DASH

std::string fixed(double value, int decimals) {
    if (!std::isfinite(value) || value < 0.0) {
        value = 0.0;
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string_view ansi_color(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return "\x1b[32m";
        case Verdict::fail: return "\x1b[31m";
        case Verdict::error: return "\x1b[1;31m";
        case Verdict::unsupported: return "\x1b[33m";
        case Verdict::xfail: return "\x1b[36m";
        case Verdict::xpass: return "\x1b[1;35m";
    }
    return "";
}

bool has_detail_line(Verdict verdict) {
    return verdict == Verdict::fail || verdict == Verdict::error || verdict == Verdict::xpass;
}

// The order of the summary: what needs attention first.
int summary_rank(Verdict verdict) {
    switch (verdict) {
        case Verdict::fail: return 0;
        case Verdict::error: return 1;
        case Verdict::xpass: return 2;
        case Verdict::unsupported: return 3;
        case Verdict::xfail: return 4;
        case Verdict::pass: return 5;
    }
    return 5;
}

// A word for a POSIX shell: as is when it is plainly safe, else single-quoted.
std::string shell_word(const std::string& text) {
    const bool safe = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("-_./:=+,@%").find(c) != std::string_view::npos;
    });
    if (safe) {
        return text;
    }
    std::string out = "'";
    for (char c : text) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// The run's own arguments (scenario folders, --endpoints, --target ...) come first, then the
// cell's selection; with --target the server is the target, so no --servers.
std::string rerun_command(const CellResult& cell, const std::vector<std::string>& run_args) {
    std::string out = "ftps-conform run";
    bool target = false;
    for (const std::string& arg : run_args) {
        target = target || arg == "--target";
        out += " " + shell_word(arg);
    }
    if (!target) {
        out += " --servers " + shell_word(cell.server);
    }
    return out + " --clients " + shell_word(cell.client) + " --scenario " +
           shell_word(cell.scenario_id);
}

// A path of the run directory as the user can open it: under the folder of results.json.
std::string run_path(const SummaryPaths& paths, const std::string& relative) {
    if (paths.results_json.empty()) {
        return relative;
    }
    const std::filesystem::path dir = std::filesystem::path(paths.results_json).parent_path();
    return (dir / relative).string();
}

void summary_entry(std::ostream& os, const CellResult& cell, const SummaryPaths& paths,
                   const std::vector<std::string>& run_args) {
    os << "  " << verdict_label(cell.verdict) << " " << one_line(cell.server) << " x "
       << one_line(cell.client) << "  " << one_line(cell.scenario_id) << "\n";
    const std::string detail = cell_detail(cell);
    if (!detail.empty()) {
        os << "  " << kIndent << detail << "\n";
    }
    if (!cell.cell_dir.empty()) {
        os << "  " << kIndent << "cell dir:   " << one_line(run_path(paths, cell.cell_dir)) << "\n";
    }
    if (!cell.transcript_path.empty()) {
        os << "  " << kIndent << "transcript: " << one_line(run_path(paths, cell.transcript_path))
           << "\n";
    }
    os << "  " << kIndent << "re-run:     " << one_line(rerun_command(cell, run_args)) << "\n";
}

void count_line(std::ostream& os, const RunResult& run) {
    const VerdictCounts c = count_verdicts(run.cells);
    os << c.total() << (c.total() == 1 ? " cell: " : " cells: ") << c.pass << " pass, " << c.fail
       << " fail, " << c.error << " error, " << c.unsupported << " unsupported, " << c.xfail
       << " xfail, " << c.xpass << " xpass";
    const auto flaky = std::count_if(run.cells.begin(), run.cells.end(),
                                     [](const CellResult& cell) { return cell.flaky(); });
    if (flaky > 0) {
        os << ", " << flaky << " flaky";
    }
    os << " in " << fixed(run.duration_s, 1) << " s"
       << (run.interrupted ? " (interrupted: results incomplete)" : "") << "\n";
}

}  // namespace

std::string verdict_label(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return "PASS  ";
        case Verdict::fail: return "FAIL  ";
        case Verdict::error: return "ERROR ";
        case Verdict::unsupported: return "UNSUP ";
        case Verdict::xfail: return "XFAIL ";
        case Verdict::xpass: return "XPASS ";
    }
    return "ERROR ";
}

std::string cell_detail(const CellResult& cell) {
    if (cell.failure) {
        const Failure& f = *cell.failure;
        const std::string counts = cell.repeats.empty() ? "" : cell.repeat_counts() + ": ";
        return one_line(counts + "step " + std::to_string(f.step_index) + ": expected " +
                        f.expected + ", observed " + f.observed);
    }
    if (cell.verdict == Verdict::xpass && cell.reason.empty()) {
        return "passed although declared as a known deviation: the declaration is stale";
    }
    return one_line(cell.reason);
}

std::string format_cell_line(const CellResult& cell, bool color) {
    std::string line;
    if (color) {
        line += ansi_color(cell.verdict);
        line += verdict_label(cell.verdict);
        line += "\x1b[0m";
    } else {
        line += verdict_label(cell.verdict);
    }
    line += " " + one_line(cell.server) + " x " + one_line(cell.client) + "  " +
            one_line(cell.scenario_id) + "  (" + fixed(cell.duration_s, 2) + " s)";
    const std::string detail = cell_detail(cell);
    if (has_detail_line(cell.verdict) && !detail.empty()) {
        line += "\n";
        line += kIndent;
        line += kDash;
        line += " " + detail;
    }
    return line;
}

void write_slowest(const RunResult& run, std::ostream& os, std::size_t n) {
    std::vector<const CellResult*> cells;
    for (const auto& cell : run.cells) {
        cells.push_back(&cell);
    }
    n = std::min(n, cells.size());
    if (n == 0) {
        return;
    }
    std::partial_sort(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(n), cells.end(),
                      [](const auto* a, const auto* b) { return a->duration_s > b->duration_s; });
    os << "Slowest cells:\n";
    for (std::size_t i = 0; i < n; ++i) {
        const CellResult& c = *cells[i];
        os << "  " << fixed(c.duration_s, 2) << " s  " << one_line(c.server) << " x "
           << one_line(c.client) << "  " << one_line(c.scenario_id);
        if (c.timing) {
            os << "  (setup " << fixed(c.timing->setup_s, 2) << ", steps "
               << fixed(c.timing->steps_s, 2) << ", teardown " << fixed(c.timing->teardown_s, 2)
               << ")";
        }
        os << "\n";
    }
    os << "\n";
}

void write_summary(const RunResult& run, std::ostream& os, const SummaryPaths& paths) {
    std::vector<const CellResult*> attention;
    for (const auto& cell : run.cells) {
        if (cell.verdict != Verdict::pass) {
            attention.push_back(&cell);
        }
    }
    std::stable_sort(attention.begin(), attention.end(), [](const auto* a, const auto* b) {
        return summary_rank(a->verdict) < summary_rank(b->verdict);
    });
    if (!attention.empty()) {
        os << "Cells that did not pass:\n";
        for (const CellResult* cell : attention) {
            summary_entry(os, *cell, paths, run.rerun_args);
        }
        os << "\n";
    }
    std::vector<const CellResult*> flaky;
    for (const auto& cell : run.cells) {
        if (cell.flaky()) {
            flaky.push_back(&cell);
        }
    }
    if (!flaky.empty()) {
        os << "Flaky cells (their runs disagree, and no intermittent deviation is declared):\n";
        for (const CellResult* cell : flaky) {
            os << "  " << one_line(cell->server) << " x " << one_line(cell->client) << "  "
               << one_line(cell->scenario_id) << "  " << cell->repeat_counts() << "\n";
        }
        os << "\n";
    }
    if (!run.endpoints.empty()) {
        os << "Endpoints:\n";
        for (const auto& e : run.endpoints) {
            const std::string from = provenance_text(e);
            os << "  " << one_line(e.kind) << " " << one_line(e.name) << " "
               << (e.version.empty() ? std::string("(version unknown)") : one_line(e.version))
               << (from.empty() ? "" : ": " + one_line(from)) << "\n";
        }
        os << "\n";
    }
    if (!paths.results_json.empty() || !paths.junit_xml.empty()) {
        os << "Reports:\n";
        if (!paths.results_json.empty()) {
            os << "  results.json: " << one_line(paths.results_json) << "\n";
        }
        if (!paths.junit_xml.empty()) {
            os << "  junit.xml:    " << one_line(paths.junit_xml) << "\n";
        }
        if (!paths.matrix_html.empty()) {
            os << "  matrix.html:  " << one_line(paths.matrix_html) << "\n";
        }
        if (!paths.matrix_md.empty()) {
            os << "  matrix.md:    " << one_line(paths.matrix_md) << "\n";
        }
        os << "\n";
    }
    count_line(os, run);
}

}  // namespace fc
