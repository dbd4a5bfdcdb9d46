#pragma once
// One cell of a server-side scenario: the reference client's scripted session against
// the server under test, either an instance started from its manifest or a server that
// already listens (--target).
#include "harness/engine/cell.hpp"

namespace fc {

/// Runs the cell and fills the verdict, reason, failure and properties of `result`.
/// Harness trouble throws (guard_cell turns it into the cell's error).
void run_server_cell(const CellContext& context, CellResult& result, Transcript& transcript);

}  // namespace fc
