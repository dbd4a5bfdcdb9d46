#pragma once
// Scenario files -> immutable fc::Scenario. Every problem is reported as a Diagnostic with
// file, line and column; loading goes on after an error so one pass shows them all.
// The format is described in scenarios/README.md and scenarios/schema/scenario.xsd.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/scenario.hpp"
#include "harness/scenario/xml_diag.hpp"

namespace fc {

/// Loads one scenario file. Appends every problem found (not just the first) to `diags`;
/// returns nullopt if there was any.
std::optional<Scenario> load_scenario_file(const std::filesystem::path& file,
                                           std::vector<Diagnostic>& diags);

/// As load_scenario_file, from a file's text already in memory (the fuzz target's entry
/// point); `file` names it in diagnostics and gives the area (its folder's name).
std::optional<Scenario> load_scenario_text(const std::filesystem::path& file, std::string text,
                                           std::vector<Diagnostic>& diags);

/// Loads files and folders (folders recursively: every *.xml, in sorted order, skipping
/// any folder named "schema"). A path that does not exist, a file that fails to load and
/// a duplicate id (reported at the second file, naming the first) are diagnostics; the
/// scenarios that loaded are returned in the order found.
std::vector<Scenario> load_scenarios(const std::vector<std::filesystem::path>& paths,
                                     std::vector<Diagnostic>& diags);

}  // namespace fc
