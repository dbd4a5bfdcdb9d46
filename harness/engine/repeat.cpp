#include "harness/engine/repeat.hpp"

#include <cassert>

namespace fc {

CellResult combine_repeats(std::vector<CellResult> runs) {
    assert(!runs.empty());
    if (runs.size() == 1) {
        return std::move(runs.front());
    }
    std::size_t worst = 0;
    double total = 0.0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        total += runs[i].duration_s;
        if (severity(runs[i].verdict) > severity(runs[worst].verdict)) {
            worst = i;
        }
    }
    CellResult combined = std::move(runs[worst]);
    combined.repeats.clear();
    for (const auto& run : runs) {
        combined.repeats.push_back(run.verdict);
    }
    combined.verdict = combined.repeats[worst];
    combined.duration_s = total;
    std::string counts = combined.repeat_counts();
    combined.reason = combined.reason.empty() ? counts : counts + ": " + combined.reason;
    combined.properties["repeat.worst_run"] = std::to_string(worst + 1);
    return combined;
}

}  // namespace fc
