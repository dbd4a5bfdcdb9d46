#include "harness/engine/plan.hpp"

#include <fnmatch.h>

#include <algorithm>

#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/text.hpp"

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
        std::string what;
        if (!selection.scenarios.empty()) {
            what += " --scenario " + join(selection.scenarios, ",");
        }
        if (!selection.tags.empty()) {
            what += " --tags " + join(selection.tags, ",");
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

PlannedCell make_cell(const Scenario& s, const ServerManifest* server,
                      const ClientManifest* client) {
    PlannedCell cell;
    cell.scenario = &s;
    cell.server = server;
    cell.client = client;
    cell.server_name = server->name;
    cell.client_name = client->name;
    cell.server_features = s.server_features;
    cell.misbehaviours = s.misbehaviours;
    return cell;
}

const ServerManifest* find_server(const std::vector<const ServerManifest*>& servers,
                                  const std::string& name) {
    auto it = std::find_if(servers.begin(), servers.end(),
                           [&](const ServerManifest* m) { return m->name == name; });
    return it == servers.end() ? nullptr : *it;
}

// Client-side (the reference server x each client), interop (each server x each client)
// and FXP (each server, twice, x each client that can do fxp) cells of one scenario.
void plan_client_scenario(const Scenario& s, const std::vector<const ServerManifest*>& servers,
                          const std::vector<const ClientManifest*>& clients,
                          std::vector<PlannedCell>& cells) {
    std::vector<const ServerManifest*> rows;
    if (s.server_role == Role::reference) {
        if (const ServerManifest* reference = find_server(servers, "reference")) {
            rows.push_back(reference);
        }
    } else {
        rows = servers;
    }
    for (const ServerManifest* server : rows) {
        // Every pair is a cell, also a client that cannot do the scenario's actions (FXP
        // without an fxp action): the cell says `unsupported` and why.
        for (const ClientManifest* client : clients) {
            cells.push_back(make_cell(s, server, client));
        }
    }
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
                cells.push_back(make_cell(s, server, reference_client));
            }
        }
        if (s.client_role == Role::under_test) {
            plan_client_scenario(s, chosen_servers, chosen_clients, cells);
        }
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

namespace {

// A client scenario's control runs once per chosen client, on the server the control
// names (both instances of it for FXP), with the scenario's misbehaviours minus
// without-misbehave plus misbehave.
void plan_client_control(const Scenario& s, const std::vector<const ServerManifest*>& servers,
                         const std::vector<const ClientManifest*>& clients, bool clients_named,
                         std::vector<PlannedCell>& cells, std::vector<PendingControl>* pending) {
    const NegativeControl& nc = s.negative_control;
    if (clients_named && s.fxp() &&
        std::none_of(clients.begin(), clients.end(),
                     [](const ClientManifest* c) { return c->can("fxp"); })) {
        // `controls --clients X` where none of X can do FXP: the scenario is none of
        // theirs (as server-side scenarios are not), so it is outside the selection, not
        // a control that cannot run here. Without --clients it stays pending below.
        return;
    }
    const ServerManifest* server = find_server(servers, nc.server);
    if (server == nullptr) {
        pending->push_back({&s, "needs server '" + nc.server + "', which is not selected"});
        return;
    }
    std::vector<std::string> misbehaviours;
    for (const auto& m : s.misbehaviours) {
        if (m != nc.without_misbehave) {
            misbehaviours.push_back(m);
        }
    }
    if (!nc.misbehave.empty()) {
        misbehaviours.push_back(nc.misbehave);
    }
    if (!misbehaviours.empty() && server->misbehave.empty()) {
        pending->push_back({&s, "needs server '" + nc.server +
                                    "' to misbehave, and it has no <misbehave> switch"});
        return;
    }
    bool any = false;
    for (const ClientManifest* client : clients) {
        if (s.fxp() && !client->can("fxp")) {
            continue;
        }
        PlannedCell cell = make_cell(s, server, client);
        cell.server_features = control_features(s);
        cell.misbehaviours = misbehaviours;
        cell.under_control = true;
        cells.push_back(std::move(cell));
        any = true;
    }
    if (!any) {
        pending->push_back({&s, "no selected client can run it"});
    }
}

}  // namespace

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
        if (s.client_under_test()) {
            plan_client_control(s, chosen_servers, chosen_clients, !selection.clients.empty(),
                                cells, pending);
            continue;
        }
        if (reference_client == nullptr) {
            // --clients without the reference client: the selection leaves out the
            // server-side scenarios (the reference client drives them), as `run` does.
            continue;
        }
        auto it = std::find_if(chosen_servers.begin(), chosen_servers.end(),
                               [&](const ServerManifest* m) { return m->name == nc.server; });
        if (it == chosen_servers.end()) {
            pending->push_back({&s, "needs server '" + nc.server + "', which is not selected"});
            continue;
        }

        if (!nc.misbehave.empty() && (*it)->misbehave.empty()) {
            pending->push_back({&s, "needs server '" + nc.server + "' to act out '" + nc.misbehave +
                                        "', and it has no <misbehave> switch"});
            continue;
        }
        PlannedCell cell = make_cell(s, *it, reference_client);
        cell.server_features = control_features(s);
        cell.under_control = true;
        cell.misbehaviours.clear();
        if (!nc.misbehave.empty()) {
            cell.misbehaviours.push_back(nc.misbehave);
        }
        cells.push_back(std::move(cell));
    }
    return cells;
}

}  // namespace fc
