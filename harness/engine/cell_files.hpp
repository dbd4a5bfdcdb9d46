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

/// Whether a cell with this final verdict no longer needs its bulk files: pass; xfail (the
/// failure is the one its endpoint declares, already judged; its transcript, logs and event
/// log still show it); unsupported (nothing was judged, and its reason says why). fail,
/// error and xpass keep everything for a person to judge.
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

/// What a passing or unsupported cell's folder keeps (unless --keep): what shows what
/// happened. The transcript (every step, reply and client action), the wire facts and the
/// reference endpoints' event log. The rest (client and server logs, rendered configs, the
/// servers' working files, empty files) can be had again with the re-run line and --keep: at
/// about 60 KB on disk per cell it made a full run's folder 97 MB in 16,500 files.
inline constexpr const char* kPassedKeeps[] = {"transcript.txt", "wire.json", "events.jsonl"};

/// Thins a settled cell's folder `dir` (when `keep` is off) once its verdict is final: a
/// pass or unsupported cell keeps only kPassedKeeps; an xfail keeps its logs and configs but
/// not the servers' working folders (work, work2: copies of configs, user databases, a
/// /etc/pam.d), and no empty file or folder. A folder left with nothing in it goes too.
/// Returns false when the folder no longer exists.
bool prune_settled_cell(const std::filesystem::path& dir, const CellResult& result, bool keep);

}  // namespace fc
