#pragma once
// Declared deviations applied to a cell's verdict: a failure that matches a deviation's
// signature (its step and observation) is `xfail`; any other failure stays `fail`.
#include <vector>

#include "harness/core/result.hpp"
#include "harness/engine/plan.hpp"

namespace fc {

/// The declared deviations of the endpoint(s) under test in `cell`: the client's in client
/// scenarios (and the server's too, for interop), else the server's.
std::vector<const Deviation*> deviations_for(const PlannedCell& cell);

/// Applies `declared` to a finished cell: a matching failure becomes `xfail`; a failure
/// elsewhere stays `fail` and its reason names the signatures it missed; a pass becomes
/// `xpass` (the declaration is stale), or `xfail` "did not occur" when a deviation is
/// intermittent. `error` and `unsupported` are left alone.
void apply_deviations(const std::vector<const Deviation*>& declared, CellResult& result);

}  // namespace fc
