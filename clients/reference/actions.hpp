#pragma once
// The reference client doing a client action (clients/README.md) natively: the action
// becomes reference-client steps, run by run_reference_session like any scenario.
#include <string>
#include <vector>

#include "harness/scenario/scenario.hpp"

namespace fc {

/// The reference-client steps the builtin client runs for one action: connect, AUTH TLS
/// and handshake (versions, certificate and verification from the settings), login,
/// PBSZ/PROT, TYPE I, the transfers with EPSV or PORT and resume=control or none (the
/// session sends QUIT at its end).
Scenario builtin_action_scenario(const Scenario& scenario, const ClientActionStep& step,
                                 const std::vector<std::string>& settings);

}  // namespace fc
