#pragma once
// What a cell leaves in its folder after the run: a cell that did not pass keeps everything
// a person needs to judge the failure; a settled one keeps one file, its transcript with
// its wire facts (and a declared failure's client output) folded in, unless the run keeps
// everything (--keep).
#include <cstdint>
#include <filesystem>

#include "harness/core/result.hpp"

namespace fc {

/// The folder of a cell's generated upload and download data (the client's local files).
inline constexpr const char* kPayloadDir = "local";

/// Whether a cell with this final verdict no longer needs more than its transcript: pass;
/// xfail (the failure is the one its endpoint declares, already judged); unsupported
/// (nothing was judged, and its reason says why). fail, error and xpass keep everything for
/// a person to judge.
bool settled(Verdict verdict);

/// Where a settled cell's transcript.txt holds its wire facts (`explain` finds them there).
inline constexpr const char* kWireFactsHeading = "== wire facts";

/// Tails of a declared failure's client output folded into its transcript: enough for the
/// client's own words about the failure (the re-run line with --keep gives them whole).
inline constexpr std::uintmax_t kFoldedStderrTail = 2 * 1024;
inline constexpr std::uintmax_t kFoldedDebugTail = 4 * 1024;

/// Leaves a settled cell's folder `dir` (when `keep` is off) once its verdict is final with
/// one file: transcript.txt, to which it first appends, each under a "== " heading, the wire
/// facts as `explain` prints them (from wire.json) and, for an xfail, the reference server's
/// event log and the last lines of each client action's stderr and debug log. Everything
/// else goes (logs, rendered configs, scripts, the key log, the servers' working folders):
/// the re-run line with --keep brings it back. At one file per cell a full run's folder is
/// under 20 MB; kept whole, a passing cell was about 16 KB on disk in 3 files and a declared
/// failure 53 KB in 8. A cell without a transcript (it never ran) loses its folder.
/// Returns false when the folder no longer exists.
bool prune_settled_cell(const std::filesystem::path& dir, const CellResult& result, bool keep);

}  // namespace fc
