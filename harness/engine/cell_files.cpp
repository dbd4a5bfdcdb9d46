#include "harness/engine/cell_files.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "harness/engine/cell_capture.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

// The last `max` bytes of a file (from a line start when one is near), "" if unreadable.
std::string tail_of(const fs::path& path, std::uintmax_t max) {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    std::ifstream in(path, std::ios::binary);
    if (ec || !in) {
        return "";
    }
    const std::uintmax_t from = size > max ? size - max : 0;
    in.seekg(static_cast<std::streamoff>(from));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (from > 0) {
        auto nl = text.find('\n');
        text = "[... " + std::to_string(from + (nl == std::string::npos ? 0 : nl + 1)) +
               " bytes before this]\n" + (nl == std::string::npos ? text : text.substr(nl + 1));
    }
    if (!text.empty() && text.back() != '\n') {
        text += '\n';
    }
    return text;
}

// The cell folder's files whose name starts with `prefix` and ends with `suffix`, sorted.
std::vector<fs::path> files_like(const fs::path& dir, std::string_view prefix,
                                 std::string_view suffix) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        std::error_code entry_ec;
        if (entry.is_regular_file(entry_ec) && name.size() >= prefix.size() + suffix.size() &&
            name.starts_with(prefix) && name.ends_with(suffix)) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// What a settled cell's transcript gets appended before the rest of its folder goes.
std::string folded_parts(const fs::path& dir, const CellResult& result) {
    std::string out;
    std::error_code ec;
    if (fs::exists(dir / "wire.json", ec)) {
        out += "\n" + std::string(kWireFactsHeading) +
               " (wire.json, which a settled cell does not keep: run --keep for it)\n";
        try {
            std::ifstream in(dir / "wire.json", std::ios::binary);
            std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            out += wire_summary(text, false);
        } catch (const std::exception& e) {
            out += std::string("(unreadable: ") + e.what() + ")\n";
        }
    }
    if (result.verdict != Verdict::xfail) {
        return out;
    }
    if (fs::exists(dir / "events.jsonl", ec)) {
        out += "\n== events.jsonl (the reference server's event log of this cell)\n" +
               tail_of(dir / "events.jsonl", 64 * 1024);
    }
    for (const fs::path& p : files_like(dir, "client-", ".stderr")) {
        if (std::string t = tail_of(p, kFoldedStderrTail); !t.empty()) {
            out += "\n== " + p.filename().string() + "\n" + t;
        }
    }
    for (const fs::path& p : files_like(dir, "client-", ".debug.log")) {
        if (std::string t = tail_of(p, kFoldedDebugTail); !t.empty()) {
            out += "\n== " + p.filename().string() + " (its end)\n" + t;
        }
    }
    return out;
}

}  // namespace

bool settled(Verdict verdict) {
    return verdict == Verdict::pass || verdict == Verdict::xfail || verdict == Verdict::unsupported;
}

bool prune_settled_cell(const fs::path& dir, const CellResult& result, bool keep) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return false;
    }
    if (keep || !settled(result.verdict)) {
        return true;
    }
    const fs::path transcript = dir / "transcript.txt";
    const bool has_transcript = fs::exists(transcript, ec);
    if (has_transcript) {
        std::string folded = folded_parts(dir, result);
        if (!folded.empty()) {
            std::ofstream(transcript, std::ios::binary | std::ios::app) << folded;
        }
    }
    std::vector<fs::path> doomed;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
        if (!has_transcript || entry.path() != transcript) {
            doomed.push_back(entry.path());
        }
    }
    for (const fs::path& path : doomed) {
        fs::remove_all(path, ec);
    }
    if (!has_transcript) {
        fs::remove(dir, ec);
        return false;
    }
    return true;
}

}  // namespace fc
