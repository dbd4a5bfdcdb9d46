// `ftps-conform report`: reads the results.json of one or more runs (typically the shards of
// one matrix, `run --shard I/N`), merges them and writes the reports of the merged run.
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/atomic_file.hpp"
#include "harness/core/error.hpp"
#include "harness/core/verdict.hpp"
#include "reports/baseline.hpp"
#include "reports/console.hpp"
#include "reports/junit.hpp"
#include "reports/matrix_html.hpp"
#include "reports/matrix_md.hpp"
#include "reports/merge.hpp"
#include "reports/results_json.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

const OptionSpec kReportOptions[] = {
    {"out", true, "DIR", "write the reports here; must be empty or absent (default results/<UTC>)"},
    {"strict", false, "", "an xpass (a declared deviation that passed) fails the run"},
    {"baseline", true, "FILE|DIR",
     "compare with a previous run's results.json (a folder means DIR/results.json)"},
    {"fail-on", true, "any|regressions",
     "exit status from every failure (any, default) or only from regressions (needs --baseline)"},
    {"help", false, "", "show this help"},
};

void print_help(std::ostream& out) {
    out << "usage: ftps-conform report RESULTS.json... [options]\n\n"
           "Reads the results.json of one or more runs (a folder means FOLDER/results.json),\n"
           "typically the shards of one matrix (`run --shard I/N` on several machines), merges\n"
           "them and writes results.json and junit.xml of the merged run into the --out folder.\n"
           "Cells are sorted by server, client, area and scenario; a cell in two inputs or an\n"
           "endpoint with two versions is an error. Cell folders and transcripts stay where\n"
           "they are: the merged results.json points at them relative to the --out folder.\n\n"
           "With --baseline, the merged run is compared with that run cell by cell, keyed by\n"
           "server, client and scenario id; the changes are printed before the summary and put\n"
           "into matrix.md and matrix.html. A regression is a cell that is now fail, error or\n"
           "xpass and was not the same before; a fix was fail or error and is now pass or\n"
           "xfail; cells in one run only are listed as added or removed.\n\n"
        << options_help(kReportOptions)
        << "\nexit status: 0 nothing failed or errored, 1 a check failed, 2 usage error or an\n"
           "unreadable or conflicting input, 3 a cell errored or an input run was interrupted\n"
           "(results incomplete).\n"
           "With --fail-on regressions: 0 no regression since the baseline (old failures and\n"
           "errors, and removed cells, do not count), 1 at least one regression, 2 usage error,\n"
           "3 an input run was interrupted (the comparison is incomplete).\n";
}

// The results.json a positional names: itself, or FOLDER/results.json.
fs::path results_file(const std::string& arg) {
    fs::path p = arg;
    if (fs::is_directory(p)) {
        p /= "results.json";
    }
    if (!fs::is_regular_file(p)) {
        throw UsageError(p.string() + ": no such results file");
    }
    return p;
}

// A path relative to the run folder `from`, made relative to the folder `to`.
std::string rebase(const std::string& path, const fs::path& from, const fs::path& to) {
    if (path.empty()) {
        return path;
    }
    return (from / path).lexically_normal().lexically_relative(to).generic_string();
}

// Warns when the inputs are shards of different splits or shards are missing.
void check_shards(const std::vector<NamedRun>& runs, std::ostream& err) {
    std::map<int, std::set<int>> seen;  // N -> the I given
    for (const auto& [name, run] : runs) {
        const std::size_t slash = run.shard.find('/');
        if (slash == std::string::npos) {
            continue;
        }
        try {
            seen[std::stoi(run.shard.substr(slash + 1))].insert(
                std::stoi(run.shard.substr(0, slash)));
        } catch (const std::exception&) {
            err << "warning: " << name << ": unreadable shard '" << run.shard << "'\n";
        }
    }
    if (seen.size() > 1) {
        err << "warning: the inputs are shards of " << seen.size()
            << " different splits (I/N with different N)\n";
    }
    for (const auto& [count, given] : seen) {
        std::string missing;
        for (int i = 1; i <= count; ++i) {
            if (!given.contains(i)) {
                missing +=
                    (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(count);
            }
        }
        if (!missing.empty()) {
            err << "warning: shard(s) " << missing << " not given: the merged matrix is partial\n";
        }
    }
}

}  // namespace

int cmd_report(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
    ParsedArgs a = parse_args(args, kReportOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    if (a.positionals.empty()) {
        throw UsageError(
            "report needs at least one results.json or run folder; see `ftps-conform report "
            "--help`");
    }
    const std::string fail_on = a.value("fail-on").value_or("any");
    if (fail_on != "any" && fail_on != "regressions") {
        throw UsageError("--fail-on must be any or regressions, not '" + fail_on + "'");
    }
    if (fail_on == "regressions" && !a.value("baseline")) {
        throw UsageError("--fail-on regressions needs --baseline");
    }
    std::optional<RunResult> baseline;
    if (auto arg = a.value("baseline")) {
        const fs::path file = results_file(*arg);
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            throw UsageError(file.string() + ": cannot open");
        }
        baseline = read_results_json(in, file.string());
    }
    const fs::path out_dir = choose_out_dir(a);
    const fs::path out_abs = fs::absolute(out_dir).lexically_normal();

    std::vector<NamedRun> runs;
    for (const std::string& arg : a.positionals) {
        const fs::path file = results_file(arg);
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            throw UsageError(file.string() + ": cannot open");
        }
        RunResult run = read_results_json(in, file.string());
        // Cell folders stay in the input run folder; point at them from the --out folder.
        const fs::path run_dir = fs::absolute(file).lexically_normal().parent_path();
        for (CellResult& c : run.cells) {
            c.cell_dir = rebase(c.cell_dir, run_dir, out_abs);
            c.transcript_path = rebase(c.transcript_path, run_dir, out_abs);
        }
        runs.emplace_back(file.string(), std::move(run));
    }
    check_shards(runs, err);
    const RunResult merged = merge_runs(runs);

    const bool strict = a.has("strict");
    prepare_output_dir(out_dir);
    std::optional<Comparison> since;
    if (baseline) {
        since = compare_runs(*baseline, merged);
    }
    const SummaryPaths paths =
        write_run_reports(merged, out_dir, strict, since ? &*since : nullptr);

    out << "ftps-conform " << FTPS_CONFORM_VERSION << " report: merged " << runs.size()
        << " run(s), " << merged.cells.size() << " cell(s); writing to " << out_dir.string()
        << "\n\n";
    if (since) {
        write_comparison_text(*since, out);
        out << "\n";
    }
    write_summary(merged, out, paths);
    if (merged.interrupted) {
        err << "interrupted: at least one input run stopped early; its results are incomplete\n";
    }
    if (fail_on == "regressions") {
        if (merged.interrupted) {
            return exit_harness;
        }
        return since->regressions.empty() ? exit_ok : exit_failed;
    }
    return exit_code_for(merged, strict);
}

}  // namespace fc
