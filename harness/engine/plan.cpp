#include "harness/engine/plan.hpp"

#include <fnmatch.h>

#include <algorithm>

#include "harness/core/error.hpp"
#include "harness/core/features.hpp"

namespace fc {

bool glob_match(const std::string& glob, const std::string& text) {
    return ::fnmatch(glob.c_str(), text.c_str(), 0) == 0;
}

namespace {

template <typename Manifest>
std::vector<const Manifest*> pick(const std::vector<Manifest>& all,
                                  const std::vector<std::string>& names, const char* what) {
    std::vector<const Manifest*> out;
    if (names.empty()) {
        for (const auto& m : all) {
            out.push_back(&m);
        }
        return out;
    }
    for (const auto& name : names) {
        auto it =
            std::find_if(all.begin(), all.end(), [&](const auto& m) { return m.name == name; });
        if (it == all.end()) {
            std::string known;
            std::vector<std::string_view> names_known;
            for (const auto& m : all) {
                known += (known.empty() ? "" : ", ") + m.name;
                names_known.push_back(m.name);
            }
            std::string guess = closest_match(name, names_known);
            throw UsageError(std::string("unknown ") + what + " '" + name + "'" +
                             (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
                             " (known: " + (known.empty() ? "none" : known) + ")");
        }
        out.push_back(&*it);
    }
    return out;
}

bool selected(const Scenario& s, const Selection& sel) {
    if (!sel.tags.empty() &&
        std::none_of(sel.tags.begin(), sel.tags.end(), [&](const std::string& t) {
            return std::find(s.tags.begin(), s.tags.end(), t) != s.tags.end();
        })) {
        return false;
    }
    if (!sel.scenarios.empty() &&
        std::none_of(sel.scenarios.begin(), sel.scenarios.end(), [&](const std::string& g) {
            return glob_match(g, s.id) || glob_match(g, s.area + "/" + s.id);
        })) {
        return false;
    }
    return true;
}

// The selected scenarios; none is a usage error that names the selection, so a typo
// never makes a green run.
std::vector<const Scenario*> select_scenarios(const std::vector<Scenario>& scenarios,
                                              const Selection& selection) {
    std::vector<const Scenario*> chosen;
    for (const Scenario& s : scenarios) {
        if (selected(s, selection)) {
            chosen.push_back(&s);
        }
    }
    if (chosen.empty()) {
        auto join = [](const std::vector<std::string>& v) {
            std::string out;
            for (const auto& x : v) {
                out += (out.empty() ? "" : ",") + x;
            }
            return out;
        };
        std::string what;
        if (!selection.scenarios.empty()) {
            what += " --scenario " + join(selection.scenarios);
        }
        if (!selection.tags.empty()) {
            what += " --tags " + join(selection.tags);
        }
        throw UsageError("the selection" + what + " matches none of the " +
                         std::to_string(scenarios.size()) + " scenario(s) loaded");
    }
    return chosen;
}

// The reference client among the chosen ones, if it was chosen.
const ClientManifest* builtin_client(const std::vector<const ClientManifest*>& clients) {
    for (const ClientManifest* c : clients) {
        if (c->builtin) {
            return c;
        }
    }
    return nullptr;
}

}  // namespace

std::vector<PlannedCell> make_plan(const std::vector<Scenario>& scenarios,
                                   const std::vector<ServerManifest>& servers,
                                   const std::vector<ClientManifest>& clients,
                                   const Selection& selection) {
    auto chosen_servers = pick(servers, selection.servers, "server");
    auto chosen_clients = pick(clients, selection.clients, "client");
    const ClientManifest* reference_client = builtin_client(chosen_clients);

    std::vector<const Scenario*> chosen = select_scenarios(scenarios, selection);
    std::vector<PlannedCell> cells;
    for (const Scenario* sp : chosen) {
        const Scenario& s = *sp;
        // Server-side scenarios: each server under test, driven by the reference client.
        if (s.server_role == Role::under_test && s.client_role == Role::reference &&
            reference_client != nullptr) {
            for (const ServerManifest* server : chosen_servers) {
                cells.push_back({&s, server, reference_client, server->name, reference_client->name,
                                 s.server_features, false});
            }
        }
        // Client-side and interop scenarios need the reference server and the real-client
        // adapters (issues 6 and 7): no cells are planned for them yet.
    }
    if (cells.empty()) {
        throw UsageError("the selection matches " + std::to_string(chosen.size()) +
                         " scenario(s) but no cell: no selected server/client pair can run them");
    }
    return cells;
}

std::vector<std::string> control_features(const Scenario& scenario) {
    const NegativeControl& nc = scenario.negative_control;
    std::vector<std::string> out;
    for (const auto& f : scenario.server_features) {
        if (std::find(nc.without.begin(), nc.without.end(), f) == nc.without.end()) {
            out.push_back(f);
        }
    }
    for (const auto& f : nc.with) {
        if (std::find(out.begin(), out.end(), f) == out.end()) {
            out.push_back(f);
        }
    }
    return out;
}

std::vector<PlannedCell> make_control_plan(const std::vector<Scenario>& scenarios,
                                           const std::vector<ServerManifest>& servers,
                                           const std::vector<ClientManifest>& clients,
                                           const Selection& selection,
                                           std::vector<PendingControl>* pending) {
    auto chosen_servers = pick(servers, selection.servers, "server");
    auto chosen_clients = pick(clients, selection.clients, "client");
    const ClientManifest* reference_client = builtin_client(chosen_clients);
    std::vector<PlannedCell> cells;
    for (const Scenario* sp : select_scenarios(scenarios, selection)) {
        const Scenario& s = *sp;
        const NegativeControl& nc = s.negative_control;
        if (nc.server == "reference") {
            pending->push_back({&s, "needs the reference server misbehaving (" + nc.misbehave +
                                        "), which does not exist yet"});
            continue;
        }
        auto it = std::find_if(chosen_servers.begin(), chosen_servers.end(),
                               [&](const ServerManifest* m) { return m->name == nc.server; });
        if (it == chosen_servers.end() || reference_client == nullptr) {
            pending->push_back({&s, "needs server '" + nc.server + "', which is not selected"});
            continue;
        }
        cells.push_back({&s, *it, reference_client, (*it)->name, reference_client->name,
                         control_features(s), true});
    }
    return cells;
}

}  // namespace fc
