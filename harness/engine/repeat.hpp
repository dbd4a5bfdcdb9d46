#pragma once
// `run --repeat N`: one cell's N runs folded into one result.
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

/// The cell's result over its runs (in the order they ran): the first run with the worst
/// verdict (severity()) gives verdict, reason, failure, transcript and properties; the
/// reason starts with the counts ("fail 2/5, pass 3/5: ..."); `repeats` lists every
/// run's verdict; the duration is their sum. One run is returned as it is.
CellResult combine_repeats(std::vector<CellResult> runs);

}  // namespace fc
