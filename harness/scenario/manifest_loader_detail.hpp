#pragma once
// Internal to the manifest loader: pieces shared by the server part
// (manifest_loader.cpp) and the client part (manifest_loader_client.cpp).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "harness/scenario/manifest.hpp"
#include "harness/scenario/xml_diag.hpp"

namespace fc::detail {

/// Reports every ${name} in `text` that is not in `allowed`, at attribute `attr` of
/// `node` (at the element when `attr` is empty), with a did-you-mean hint.
void check_placeholders(XmlFile& file, pugi::xml_node node, std::string_view attr,
                        std::string_view text, std::span<const std::string_view> allowed);

/// <version command= regex= stdin-from-stdout=>.
struct ManifestVersion {
    std::string command;
    std::string regex;
    bool stdin_from_stdout = false;
};
/// Reads a <version> (an empty result for a null node); every problem is reported.
ManifestVersion load_version(XmlFile& file, pugi::xml_node node,
                             std::span<const std::string_view> placeholders);
/// Every <deviation> child of `root`; every problem is reported.
/// `client`: a client manifest's, which may carry server="name".
std::vector<Deviation> load_deviations(XmlFile& file, pugi::xml_node root, bool client = false);

/// The body of a <client> manifest; every problem is reported.
void load_client_body(XmlFile& file, pugi::xml_node root, ClientManifest& manifest);

}  // namespace fc::detail
