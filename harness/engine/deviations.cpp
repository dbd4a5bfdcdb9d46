#include "harness/engine/deviations.hpp"

namespace fc {

std::vector<const Deviation*> deviations_for(const PlannedCell& cell) {
    const std::string& id = cell.scenario->id;
    std::vector<const Deviation*> out;
    if (cell.scenario->client_under_test()) {
        out = cell.client->deviations_for(id, cell.server_name);
        if (cell.scenario->server_role == Role::reference) {
            return out;
        }
    }
    auto server = cell.server->deviations_for(id);
    out.insert(out.end(), server.begin(), server.end());
    return out;
}

void apply_deviations(const std::vector<const Deviation*>& declared, CellResult& r) {
    // A cell whose steps passed but whose wire assertions could not be judged.
    const bool unjudged =
        r.verdict == Verdict::unsupported && r.properties.count("wire.unjudged") != 0;
    if (declared.empty() ||
        (r.verdict != Verdict::fail && r.verdict != Verdict::pass && !unjudged)) {
        return;
    }
    auto text = [](const Deviation& d) {
        return "declared deviation (" + d.source + "): " + d.reason;
    };
    if (r.verdict == Verdict::fail) {
        for (const Deviation* d : declared) {
            if (r.failure && d->matches(*r.failure)) {
                r.verdict = Verdict::xfail;
                r.reason = text(*d) + " — " + r.reason;
                if (d->intermittent) {
                    r.properties["deviation.intermittent"] = "occurred";
                }
                return;
            }
        }
        std::string expected;
        for (const Deviation* d : declared) {
            expected += (expected.empty() ? "" : "; or ") + std::string("step ") +
                        std::to_string(d->step) + ", observed /" + d->observed + "/";
        }
        r.reason += " (not a declared deviation, which expects " + expected + ")";
        return;
    }
    for (const Deviation* d : declared) {
        if (d->intermittent) {
            std::string unjudged_reason = unjudged ? "; " + r.reason : std::string();
            r.verdict = Verdict::xfail;
            r.reason = "intermittent " + text(*d) + " — did not occur this time" + unjudged_reason;
            r.properties["deviation.intermittent"] = "did not occur";
            return;
        }
    }
    if (unjudged) {
        return;  // unsupported stays: only a pass can be an xpass
    }
    r.verdict = Verdict::xpass;
    r.reason = "passed although " + text(*declared.front());
}

}  // namespace fc
