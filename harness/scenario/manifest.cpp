#include "harness/scenario/manifest.hpp"

#include <algorithm>
#include <regex>

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

bool Deviation::matches(const Failure& failure) const {
    if (failure.step_index != step) {
        return false;
    }
    try {
        return std::regex_search(failure.observed, std::regex(observed, std::regex::ECMAScript));
    } catch (const std::regex_error&) {
        return false;  // the loader refuses bad patterns; never a match by accident
    }
}

std::vector<const Deviation*> ServerManifest::deviations_for(const std::string& scenario_id) const {
    std::vector<const Deviation*> out;
    for (const auto& d : deviations) {
        if (d.scenario == scenario_id) {
            out.push_back(&d);
        }
    }
    return out;
}

std::vector<const Deviation*> ClientManifest::deviations_for(const std::string& scenario_id,
                                                             const std::string& server) const {
    std::vector<const Deviation*> out;
    for (const auto& d : deviations) {
        if (d.scenario == scenario_id &&
            (d.servers.empty() ||
             std::find(d.servers.begin(), d.servers.end(), server) != d.servers.end())) {
            out.push_back(&d);
        }
    }
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
        if (d.scenario == scenario_id &&
            (d.servers.empty() ||
             std::find(d.servers.begin(), d.servers.end(), server) != d.servers.end())) {
            return &d;
        }
    }
    return nullptr;
}

}  // namespace fc
