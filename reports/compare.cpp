#include "reports/compare.hpp"

#include <map>
#include <ostream>
#include <tuple>

#include "harness/core/text_sanitize.hpp"

namespace fc {

RunDifferences compare_runs(const std::vector<RunResult>& runs) {
    using Key = std::tuple<std::string, std::string, std::string>;
    std::map<Key, CellHistory> cells;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        for (const CellResult& cell : runs[i].cells) {
            CellHistory& h = cells[Key{cell.server, cell.client, cell.scenario_id}];
            if (h.verdicts.empty()) {
                h.server = cell.server;
                h.client = cell.client;
                h.scenario_id = cell.scenario_id;
                h.verdicts.resize(runs.size());
            }
            h.verdicts[i] = cell.verdict;
            if (auto it = cell.properties.find("deviation.intermittent");
                it != cell.properties.end()) {
                ++h.intermittent_runs;
                h.intermittent_occurred += it->second == "occurred" ? 1 : 0;
            }
        }
    }
    RunDifferences diff;
    diff.cells = cells.size();
    for (auto& [key, h] : cells) {
        bool differs = false;
        for (const auto& v : h.verdicts) {
            differs = differs || v != h.verdicts.front();
        }
        if (differs) {
            diff.differing.push_back(h);
        } else if (h.intermittent_runs > 0) {
            diff.intermittent.push_back(h);
        }
    }
    return diff;
}

void write_differences(const RunDifferences& diff, std::size_t runs, std::ostream& os) {
    if (!diff.differing.empty()) {
        os << "Cells whose verdict differed between runs:\n";
        for (const CellHistory& h : diff.differing) {
            os << "  " << one_line(h.server) << " x " << one_line(h.client) << "  "
               << one_line(h.scenario_id) << ":";
            for (std::size_t i = 0; i < h.verdicts.size(); ++i) {
                os << (i == 0 ? " " : ", ") << "run " << i + 1 << " "
                   << (h.verdicts[i] ? std::string(to_string(*h.verdicts[i])) : "missing");
            }
            os << "\n";
        }
        os << "\n";
    }
    if (!diff.intermittent.empty()) {
        os << "Declared intermittent deviations (xfail every run; how often each occurred):\n";
        for (const CellHistory& h : diff.intermittent) {
            os << "  " << one_line(h.server) << " x " << one_line(h.client) << "  "
               << one_line(h.scenario_id) << ": occurred in " << h.intermittent_occurred << " of "
               << h.intermittent_runs << " runs\n";
        }
        os << "\n";
    }
    os << diff.cells << " cells over " << runs << " runs: " << diff.differing.size()
       << " differed (undeclared), " << diff.intermittent.size()
       << " under declared intermittent deviations\n";
}

}  // namespace fc
