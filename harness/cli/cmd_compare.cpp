// `ftps-conform compare`: the same matrix run several times (ci/soak), cell by cell.
#include <fstream>
#include <ostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/core/verdict.hpp"
#include "reports/compare.hpp"
#include "reports/results_json.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

const OptionSpec kCompareOptions[] = {
    {"help", false, "", "show this help"},
};

void print_help(std::ostream& out) {
    out << "usage: ftps-conform compare RESULTS.json RESULTS.json... [options]\n\n"
           "Reads two or more runs of the same matrix (a folder means FOLDER/results.json)\n"
           "and prints every cell (server, client, scenario) whose verdict differed between\n"
           "them, with its verdict in each run, and the cells under a declared intermittent\n"
           "deviation with how often it occurred (those are xfail every run and do not count).\n"
           "ci/soak runs the default matrix N times and calls this.\n\n"
        << options_help(kCompareOptions)
        << "\nexit status: 0 every cell had the same verdict in every run, 1 some cell's\n"
           "verdict differed (or a cell is missing from a run), 2 usage error or an\n"
           "unreadable input.\n";
}

}  // namespace

int cmd_compare(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
    ParsedArgs a = parse_args(args, kCompareOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    if (a.positionals.size() < 2) {
        throw UsageError("compare wants at least two runs (results.json files or run folders)");
    }
    std::vector<RunResult> runs;
    for (const std::string& arg : a.positionals) {
        fs::path p = arg;
        if (fs::is_directory(p)) {
            p /= "results.json";
        }
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            throw UsageError(p.string() + ": no such results file");
        }
        runs.push_back(read_results_json(in, p.string()));
        out << "run " << runs.size() << ": " << p.string() << " (" << runs.back().cells.size()
            << " cells" << (runs.back().interrupted ? ", interrupted" : "") << ")\n";
    }
    out << "\n";
    const RunDifferences diff = compare_runs(runs);
    write_differences(diff, runs.size(), out);
    (void)err;
    return diff.differing.empty() ? exit_ok : exit_failed;
}

}  // namespace fc
