#pragma once
// Report files written whole or not at all: the bytes go to a temporary file in the target's
// folder, are flushed to disk, and only then renamed over the target (rename(2) is atomic
// within a file system). A reader never sees a half-written results.json.
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string_view>

namespace fc {

/// Writes `bytes` to `file` (created or truncated, mode 0644) and flushes it to disk. Throws
/// HarnessError naming the file and the OS error ("cannot write /dev/full: No space left on
/// device"). Not atomic on its own: see write_file_atomically.
void write_whole_file(const std::filesystem::path& file, std::string_view bytes);

/// Writes `bytes` to `file` atomically: a temporary file beside it (".<name>.tmp-XXXXXX"),
/// then rename. On any error the temporary file is removed, `file` keeps its earlier content
/// (or stays absent), and HarnessError names `file` and the OS error.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

/// Renders with `render` into memory, then write_file_atomically. An exception from `render`
/// leaves nothing on disk.
void write_file_atomically(const std::filesystem::path& file,
                           const std::function<void(std::ostream&)>& render);

/// Creates `dir` (and its parents) if needed and checks that a file can be created in it, so
/// a run finds an unusable --out before any cell runs. Throws HarnessError naming the folder
/// and the OS error.
void prepare_output_dir(const std::filesystem::path& dir);

}  // namespace fc
