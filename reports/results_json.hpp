#pragma once
// results.json: the source of truth of a run (harness/README.md "Output layout"). Every other
// report is rendered from it, and `ftps-conform report` reads it back to re-render and merge
// shards.
//
// Schema (format_version 1); every member is always written, readers ignore unknown ones:
//   { "format": "ftps-conform-results", "format_version": 1,
//     "tool_version": str, "run_id": str, "started_utc": str, "finished_utc": str,
//     "host": str, "duration_s": num, "interrupted": bool,
//     "shard": str ("I/N" of a sharded run, else ""; optional when reading),
//     "endpoints": [ { "name": str, "kind": "server"|"client", "version": str,
//                      "manifest": str (absolute path of the manifest file, "" for --target),
//                      "manifest_sha256": str (hex SHA-256 of its bytes, or ""),
//                      "target": str ("host:port" of a --target server, else "") } ],
//       (manifest, manifest_sha256 and target are optional when reading: older files)
//     "cells": [ { "scenario_id": str, "area": str, "title": str, "level": str,
//                  "spec_refs": [str],
//                  "spec_quotes": [str] (the sentence each spec ref quotes, "" if none;
//                                        optional when reading),
//                  "server": str, "client": str,
//                  "verdict": "pass"|"fail"|"error"|"unsupported"|"xfail"|"xpass",
//                  "reason": str,
//                  "failure": null | { "step_index": int, "line": int, "step": str,
//                                      "expected": str, "observed": str },
//                  "duration_s": num,
//                  "timing": null | { "setup_s": num, "steps_s": num, "teardown_s": num,
//                              "started_s": num (after the run started; optional) }
//                            (seconds to 3 decimals; optional when reading),
//                  "cell_dir": str, "transcript_path": str,
//                  "transcript_excerpt": str, "properties": { str: str } } ] }
// Durations that are not finite are written as null and read back as 0.
#include <istream>
#include <ostream>
#include <string>

#include "harness/core/result.hpp"

namespace fc {

/// The value of "format" in results.json.
inline constexpr const char* kResultsFormat = "ftps-conform-results";
/// The schema version this build writes and reads.
inline constexpr int kResultsFormatVersion = 1;

/// Writes `run` as results.json (UTF-8, two-space indented, newline-terminated). Strings are
/// written as valid UTF-8: raw bytes that are not (e.g. in a transcript excerpt) become U+FFFD,
/// so such text reads back changed. Stream failures are left for the caller to check.
void write_results_json(const RunResult& run, std::ostream& out);

/// Reads results.json written by write_results_json. Throws fc::UsageError whose message names
/// `name_for_errors` and what is wrong: for malformed JSON the line and column
/// ("results.json:2:36: syntax error ..."); for a file that is not ftps-conform results, an
/// unsupported format_version, or a member that is missing or has the wrong type, the
/// member's path ("results.json: cells[3].failure.line: expected an integer, found a string").
RunResult read_results_json(std::istream& in, const std::string& name_for_errors);

}  // namespace fc
