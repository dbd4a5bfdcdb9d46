#pragma once
// The fixed vocabularies that scenarios ask for and endpoints realise.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fc {

/// Server features a scenario may require (servers/reference/README.md "Features";
/// adding one: harness/README.md "Recipes").
std::span<const std::string_view> known_server_features();
/// Deliberate misbehaviours of the reference server, named by negative controls.
std::span<const std::string_view> known_misbehaviours();
bool is_known_server_feature(std::string_view name);
/// Whether `features` (a server's, or a scenario's list) names `feature`.
bool has_feature(const std::vector<std::string>& features, std::string_view feature);
bool is_known_misbehaviour(std::string_view name);
/// Settings a client-side or interop scenario may ask of a client (clients/README.md).
std::span<const std::string_view> known_client_settings();
bool is_known_client_setting(std::string_view name);
/// Pairs of client settings that contradict each other ("passive and active"), in the
/// order of clients/README.md; empty when none do.
std::vector<std::string> conflicting_client_settings(const std::vector<std::string>& settings);
/// Actions a client manifest may realise (clients/README.md).
std::span<const std::string_view> known_client_actions();
bool is_known_client_action(std::string_view name);

}  // namespace fc
