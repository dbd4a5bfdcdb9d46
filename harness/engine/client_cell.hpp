#pragma once
// One cell of a client-side, interop or FXP scenario: the server instance(s) started
// from their manifests, files seeded into their roots, each <client> step run by the
// client under test (a real program from its manifest, or the builtin reference client
// natively), and every check made from exit statuses, file digests and the reference
// server's event log.
#include <filesystem>
#include <string>
#include <vector>

#include "harness/engine/cell.hpp"

namespace fc {

/// Why this client cannot run this scenario (an action it has no <action> for, settings
/// it has no fragment for), or "" when it can. Such a cell is `unsupported`.
std::string client_unsupported(const ClientManifest& client, const Scenario& scenario);

/// Runs the cell and fills the verdict, reason, failure and properties of `result`.
/// Never throws for harness trouble: that is the cell's `error`.
void run_client_cell(const CellContext& context, CellResult& result, Transcript& transcript);

/// The bytes the harness seeds for a file: pseudo-random, the same for the same name and
/// size on every run.
std::string seed_bytes(const std::string& name, std::uint64_t size);

}  // namespace fc
