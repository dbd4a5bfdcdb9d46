#include "harness/core/result.hpp"

#include <functional>

namespace fc {

std::string failure_reason(const Failure& f) {
    std::string where = f.step;
    if (f.line > 0) {
        where += (where.empty() ? "line " : ", line ") + std::to_string(f.line);
    }
    std::string text = "step " + std::to_string(f.step_index);
    if (!where.empty()) {
        text += " (" + where + ")";
    }
    return text + ": expected " + f.expected + ", observed " + f.observed;
}

int severity(Verdict v) {
    switch (v) {
        case Verdict::pass: return 0;
        case Verdict::unsupported: return 1;
        case Verdict::xfail: return 2;
        case Verdict::xpass: return 3;
        case Verdict::error: return 4;
        case Verdict::fail: return 5;
    }
    return 5;
}

bool CellResult::flaky() const {
    for (Verdict v : repeats) {
        if (v != repeats.front()) {
            return true;
        }
    }
    return false;
}

std::string CellResult::repeat_counts() const {
    if (repeats.empty()) {
        return "";
    }
    std::map<int, std::pair<Verdict, int>, std::greater<>> counts;  // worst first
    for (Verdict v : repeats) {
        auto& entry = counts[severity(v)];
        entry.first = v;
        ++entry.second;
    }
    std::string text;
    for (const auto& [rank, entry] : counts) {
        text += (text.empty() ? "" : ", ") + std::string(to_string(entry.first)) + " " +
                std::to_string(entry.second) + "/" + std::to_string(repeats.size());
    }
    return text;
}

std::string provenance_text(const EndpointInfo& e) {
    if (!e.target.empty()) {
        return "external target " + e.target;
    }
    if (e.manifest.empty()) {
        return "";
    }
    return "manifest " + e.manifest + " (sha256 " + e.manifest_sha256.substr(0, 12) + ")";
}

void VerdictCounts::add(Verdict v) {
    switch (v) {
        case Verdict::pass: ++pass; break;
        case Verdict::fail: ++fail; break;
        case Verdict::error: ++error; break;
        case Verdict::unsupported: ++unsupported; break;
        case Verdict::xfail: ++xfail; break;
        case Verdict::xpass: ++xpass; break;
    }
}

VerdictCounts count_verdicts(const std::vector<CellResult>& cells) {
    VerdictCounts counts;
    for (const auto& cell : cells) {
        counts.add(cell.verdict);
    }
    return counts;
}

int exit_code_for(const RunResult& run, bool strict) {
    VerdictCounts c = count_verdicts(run.cells);
    if (run.interrupted || c.error > 0) {
        return exit_harness;
    }
    bool flaky = false;
    for (const auto& cell : run.cells) {
        flaky = flaky || cell.flaky();
    }
    if (c.fail > 0 || (strict && (c.xpass > 0 || flaky))) {
        return exit_failed;
    }
    return exit_ok;
}

}  // namespace fc
