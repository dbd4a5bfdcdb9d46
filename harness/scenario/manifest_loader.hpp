#pragma once
// Endpoint manifests (servers/<name>/manifest.xml, clients/<name>/manifest.xml) -> the
// immutable models of manifest.hpp. Every problem is a Diagnostic with file:line:col.
// The format is described in scenarios/README.md and scenarios/schema/{server,client}.xsd.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/manifest.hpp"
#include "harness/scenario/xml_diag.hpp"

namespace fc {

/// Loads a server manifest (root element <server>). Appends every problem found to
/// `diags`; returns nullopt if there was any.
std::optional<ServerManifest> load_server_manifest(const std::filesystem::path& file,
                                                   std::vector<Diagnostic>& diags);

/// Loads a client manifest (root element <client>). As load_server_manifest.
std::optional<ClientManifest> load_client_manifest(const std::filesystem::path& file,
                                                   std::vector<Diagnostic>& diags);

/// As load_server_manifest and load_client_manifest, from a manifest's text already in
/// memory (the fuzz target's entry point). `file` names it in diagnostics; files the manifest
/// refers to (templates) are still looked for beside it.
std::optional<ServerManifest> load_server_manifest_text(const std::filesystem::path& file,
                                                        std::string text,
                                                        std::vector<Diagnostic>& diags);
std::optional<ClientManifest> load_client_manifest_text(const std::filesystem::path& file,
                                                        std::string text,
                                                        std::vector<Diagnostic>& diags);

/// Every server and client found under a set of endpoint folders.
struct Endpoints {
    std::vector<ServerManifest> servers;
    std::vector<ClientManifest> clients;
};

/// The manifests in `dir`: DIR/<name>/manifest.xml, DIR/servers/<name>/manifest.xml and
/// DIR/clients/<name>/manifest.xml (the repository's own layout), each group sorted.
std::vector<std::filesystem::path> manifest_files(const std::filesystem::path& dir);

/// Loads manifest_files(dir) for each dir, in order; the root
/// element (<server> or <client>) decides the kind. Subfolders without manifest.xml are
/// skipped (servers/reference may hold only source), and so are dirs that do not exist.
/// A later manifest with the same name and kind replaces the earlier one in place (so an
/// --endpoints dir given after the built-in ones overrides them). Problems go to `diags`;
/// manifests with problems are left out.
Endpoints load_endpoints(const std::vector<std::filesystem::path>& dirs,
                         std::vector<Diagnostic>& diags);

/// Placeholders a manifest string may use: ${prefix}, ${binary}, ${rundir}, ...
std::span<const std::string_view> manifest_placeholders();
/// Placeholders every client manifest string may use (its <vars> come on top):
/// ${binary}, ${script}, ${host}, ... (clients/README.md).
std::span<const std::string_view> client_placeholders();

}  // namespace fc
