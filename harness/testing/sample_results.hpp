#pragma once
// Hand-made results for reporter tests: the same run facts and cell basics everywhere, so a
// test states only what it is about.
#include <string>

#include "harness/core/result.hpp"

namespace fc::testing {

/// A cell for scenario `id` ("area/name"): area from the prefix, title "title of <id>",
/// level must, cell dir "<server>__<client>/<id>"; no duration, transcript or failure.
CellResult sample_cell(std::string server, std::string client, std::string id, Verdict verdict);

/// Run facts: tool 0.1.0, run 20261125-060102, 2026-11-25T06:01:02Z to 06:01:06Z, host
/// ci-1; no endpoints, cells or duration.
RunResult sample_run_facts();

}  // namespace fc::testing
