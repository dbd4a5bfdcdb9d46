#pragma once
// What a cell leaves in its folder after the run: everything a person needs to judge a
// failure stays; bulk files that only matter when the cell did not pass (generated payload,
// packet captures) go for cells that passed, unless the run keeps everything (--keep).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

/// The folder of a cell's generated upload and download data (the client's local files).
inline constexpr const char* kPayloadDir = "local";

/// The payload in a cell folder `dir`: the client's local files and the servers' file roots
/// in their kept work dirs (work/home, work2/home); configs and logs there stay.
std::vector<std::filesystem::path> payload_paths(const std::filesystem::path& dir);

/// Whether a cell with this final verdict no longer needs its bulk files: pass, and xfail
/// (the failure is the one its endpoint declares, already judged; its transcript, logs and
/// event log still show it). Every other verdict keeps them for a person to judge.
bool settled(Verdict verdict);

/// Deletes `path` (a file or a folder, recursively) when the cell is settled (above) and
/// `keep` (--keep) is off. Call it once the verdict is final, i.e. after deviations are
/// applied. Returns whether it deleted something; a path that does not exist, or cannot be
/// removed, is left alone (a leftover file is not worth failing a cell for).
bool discard_if_passed(const std::filesystem::path& path, const CellResult& result, bool keep);

/// A settled cell's logs bigger than this are cut to their first and last parts (a client's
/// debug log of a 16 MiB upload dumps every byte: curl's trace holds about 5 MB).
inline constexpr std::uintmax_t kSettledLogLimit = 256 * 1024;

/// In a settled cell's folder `dir` (when `keep` is off): cuts every `*.log` file larger than
/// kSettledLogLimit to its first 128 KiB and last 64 KiB, with a line in between saying how
/// many bytes were cut and why. Returns how many files were cut.
int trim_settled_logs(const std::filesystem::path& dir, const CellResult& result, bool keep);

}  // namespace fc
