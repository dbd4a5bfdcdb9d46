#pragma once
// Wire facts as JSON (a cell's wire.json), and back to the short table for `explain`.
#include <string>

#include "harness/core/json_util.hpp"
#include "harness/wire/facts.hpp"

namespace fc::wire {

/// The facts, one object per connection (role, endpoints, how it began, TLS version,
/// suite, resumption, client certificate, close_notify each side, application and clear
/// bytes each way, reset), plus the capture's frames, warnings and error, and
/// wire_table()'s text as "table".
json::Value facts_to_json(const WireFacts& facts);

}  // namespace fc::wire
