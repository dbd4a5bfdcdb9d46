#include "harness/core/result.hpp"

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
    if (c.fail > 0 || (strict && c.xpass > 0)) {
        return exit_failed;
    }
    return exit_ok;
}

}  // namespace fc
