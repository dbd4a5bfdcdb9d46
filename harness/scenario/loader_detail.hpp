#pragma once
// Internal to the scenario loader: pieces shared between its source files.
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "harness/scenario/scenario.hpp"
#include "harness/scenario/xml_diag.hpp"

namespace fc::detail {

/// Server feature names in attribute `attr` of `node`; each unknown one is reported with a
/// did-you-mean hint and left out. An absent attribute gives an empty list.
std::vector<std::string> feature_list(XmlFile& file, pugi::xml_node node, std::string_view attr);

/// The steps inside <steps>; every problem is reported. An empty <steps> is an error.
std::vector<Step> load_steps(XmlFile& file, pugi::xml_node steps);

}  // namespace fc::detail
