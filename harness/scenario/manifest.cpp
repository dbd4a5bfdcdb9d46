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

const ClientAction* ClientManifest::action(std::string_view name) const {
    for (const auto& a : actions) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

bool ClientManifest::can(std::string_view name) const {
    return builtin ? name != "fxp" : action(name) != nullptr;
}

std::vector<std::string> ClientManifest::realisable_settings() const {
    std::vector<std::string> out;
    for (const auto& fragment : settings) {
        for (const auto& s : fragment.settings) {
            if (std::find(out.begin(), out.end(), s) == out.end()) {
                out.push_back(s);
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

const Deviation* ClientManifest::deviation_for(const std::string& scenario_id,
                                               const std::string& server) const {
    for (const auto& d : deviations) {
        if (d.scenario == scenario_id && (d.server.empty() || d.server == server)) {
            return &d;
        }
    }
    return nullptr;
}

}  // namespace fc
