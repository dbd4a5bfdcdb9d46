#pragma once
// Which cells a run has: scenarios x servers x clients after selection.
#include <string>
#include <vector>

#include "harness/scenario/manifest.hpp"
#include "harness/scenario/scenario.hpp"

namespace fc {

/// The user's selection; empty lists mean "all".
struct Selection {
    std::vector<std::string> servers;
    std::vector<std::string> clients;
    std::vector<std::string> tags;       ///< a scenario is selected if it has any of these
    std::vector<std::string> scenarios;  ///< globs on "id" or "area/id"; any may match
};

struct PlannedCell {
    const Scenario* scenario = nullptr;
    const ServerManifest* server = nullptr;  ///< nullptr: the reference server
    const ClientManifest* client = nullptr;
    std::string server_name;
    std::string client_name;
    /// The features the server is configured with: the scenario's, or under a negative
    /// control the scenario's minus `without` plus `with`.
    std::vector<std::string> server_features;
    bool under_control = false;  ///< run under the scenario's negative control
    /// Deliberate misbehaviours the server acts out (a negative control's misbehave=).
    std::vector<std::string> misbehaviours;
};

/// A scenario whose negative control cannot run here, and why (e.g. it needs the
/// reference server's misbehaviour, or a server that is not selected).
struct PendingControl {
    const Scenario* scenario = nullptr;
    std::string why;
};

/// Cells that run each selected scenario under its negative control, on the server the
/// control names. Controls that need the reference server or an unselected server are
/// returned in `pending`. Throws UsageError like make_plan when nothing matches.
std::vector<PlannedCell> make_control_plan(const std::vector<Scenario>& scenarios,
                                           const std::vector<ServerManifest>& servers,
                                           const std::vector<ClientManifest>& clients,
                                           const Selection& selection,
                                           std::vector<PendingControl>* pending);

/// The scenario's features minus `without` plus `with` of its negative control.
std::vector<std::string> control_features(const Scenario& scenario);

/// Builds the cells. Throws UsageError for an unknown server or client name (listing
/// the known ones) and for a selection that matches no scenario or no cell: a typo
/// must never make a green run.
std::vector<PlannedCell> make_plan(const std::vector<Scenario>& scenarios,
                                   const std::vector<ServerManifest>& servers,
                                   const std::vector<ClientManifest>& clients,
                                   const Selection& selection);

/// True if `text` matches the shell-style glob (`*`, `?`, `[...]`).
bool glob_match(const std::string& glob, const std::string& text);

}  // namespace fc
