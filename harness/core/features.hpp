#pragma once
// The fixed vocabularies that scenarios ask for and endpoints realise.
#include <span>
#include <string>
#include <string_view>

namespace fc {

/// Server features a scenario may require (DESIGN.md "Endpoints").
std::span<const std::string_view> known_server_features();
/// Deliberate misbehaviours of the reference server, named by negative controls.
std::span<const std::string_view> known_misbehaviours();
bool is_known_server_feature(std::string_view name);
bool is_known_misbehaviour(std::string_view name);

/// The candidate closest to `word` by edit distance, or "" when none is close enough
/// to be a plausible typo. Used for "did you mean" hints.
std::string closest_match(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace fc
