#pragma once
// One cell of a client-side, interop or FXP scenario: the server instance(s) started
// from their manifests, files seeded into their roots, each <client> step run by the
// client under test (a real program from its manifest, or the builtin reference client
// natively), and every check made from exit statuses, file digests and the reference
// server's event log.
#include <filesystem>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/core/result.hpp"
#include "harness/engine/plan.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/ftp/transcript.hpp"

namespace fc {

/// What a client cell needs from the run.
struct ClientCellContext {
    const PlannedCell* cell = nullptr;
    std::filesystem::path dir;  ///< the cell folder (exists)
    std::string features_text;  ///< the server's realised feature fragments
    const PkiFiles* pki = nullptr;
    const Credentials* credentials = nullptr;
    PortAllocator* ports = nullptr;
    std::filesystem::path prefix;
    CancelToken cancel;
    Millis step_timeout{10000};  ///< the run's; a client action gets 3 times this by default
    std::string client_binary;   ///< resolved binary of a real client; "" for the builtin
    bool keep = false;           ///< keep the servers' work dirs even when the cell passes
};

/// Why this client cannot run this scenario (an action it has no <action> for, settings
/// it has no fragment for), or "" when it can. Such a cell is `unsupported`.
std::string client_unsupported(const ClientManifest& client, const Scenario& scenario);

/// Runs the cell and fills the verdict, reason, failure and properties of `result`.
/// Never throws for harness trouble: that is the cell's `error`.
void run_client_cell(const ClientCellContext& context, CellResult& result, Transcript& transcript);

/// The reference-client steps the builtin client runs for one action: connect, AUTH TLS
/// and handshake (versions, certificate and verification from the settings), login,
/// PBSZ/PROT, TYPE I, the transfers with EPSV or PORT and resume=control or none (the
/// session sends QUIT at its end).
Scenario builtin_action_scenario(const Scenario& scenario, const ClientActionStep& step,
                                 const std::vector<std::string>& settings);

/// The bytes the harness seeds for a file: pseudo-random, the same for the same name and
/// size on every run.
std::string seed_bytes(const std::string& name, std::uint64_t size);

}  // namespace fc
