#pragma once
// Splitting a plan into shards that run on different machines and are merged afterwards
// (`run --shard I/N`, then `ftps-conform report`).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "harness/engine/plan.hpp"

namespace fc {

/// The largest N of --shard I/N.
inline constexpr int kMaxShards = 1000;

/// Parses "I/N" (decimal digits only, 1 <= I <= N <= kMaxShards) into {I, N}. Throws
/// UsageError naming the text and the expected form for anything else.
std::pair<int, int> parse_shard(const std::string& text);

/// FNV-1a 64 of "server/client/area/scenario_id": the same on every machine and build.
std::uint64_t shard_key_hash(const std::string& server, const std::string& client,
                             const std::string& area, const std::string& scenario_id);

/// The 1-based shard (of `count`) a cell belongs to. It depends only on the cell's own
/// names, so adding or removing other scenarios never moves a cell to another shard.
int shard_of(const PlannedCell& cell, int count);

/// The cells of shard `index` of `count` (1-based), in plan order. Every cell of `cells`
/// is in exactly one shard; a shard may be empty. Throws UsageError for a bad index/count.
std::vector<PlannedCell> shard_cells(const std::vector<PlannedCell>& cells, int index, int count);

}  // namespace fc
