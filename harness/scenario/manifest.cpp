#include "harness/scenario/manifest.hpp"

#include <algorithm>

namespace fc {

std::vector<std::string> ServerManifest::realisable_features() const {
    std::vector<std::string> out;
    for (const auto& fragment : features) {
        for (const auto& f : fragment.features) {
            if (std::find(out.begin(), out.end(), f) == out.end()) {
                out.push_back(f);
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

const Deviation* ServerManifest::deviation_for(const std::string& scenario_id) const {
    for (const auto& d : deviations) {
        if (d.scenario == scenario_id) {
            return &d;
        }
    }
    return nullptr;
}

}  // namespace fc
