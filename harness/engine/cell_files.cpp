#include "harness/engine/cell_files.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <system_error>

namespace fc {

std::vector<std::filesystem::path> payload_paths(const std::filesystem::path& dir) {
    return {dir / kPayloadDir, dir / "work" / "home", dir / "work2" / "home"};
}

bool settled(Verdict verdict) {
    return verdict == Verdict::pass || verdict == Verdict::xfail || verdict == Verdict::unsupported;
}

bool discard_if_passed(const std::filesystem::path& path, const CellResult& result, bool keep) {
    if (keep || !settled(result.verdict)) {
        return false;
    }
    std::error_code ec;
    return std::filesystem::remove_all(path, ec) > 0 && !ec;
}

int trim_settled_logs(const std::filesystem::path& dir, const CellResult& result, bool keep) {
    if (keep || !settled(result.verdict)) {
        return 0;
    }
    constexpr std::uintmax_t kHead = 128 * 1024;
    constexpr std::uintmax_t kTail = 64 * 1024;
    int trimmed = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        const std::filesystem::path& path = it->path();
        std::error_code size_ec;
        std::uintmax_t size = std::filesystem::file_size(path, size_ec);
        if (!it->is_regular_file(size_ec) || path.extension() != ".log" || size_ec ||
            size <= kSettledLogLimit) {
            continue;
        }
        std::string head(kHead, '\0');
        std::string tail(kTail, '\0');
        {
            std::ifstream in(path, std::ios::binary);
            in.read(head.data(), static_cast<std::streamsize>(kHead));
            in.seekg(static_cast<std::streamoff>(size - kTail));
            in.read(tail.data(), static_cast<std::streamsize>(kTail));
            if (!in) {
                continue;  // unreadable as a whole: left as it is
            }
        }
        std::filesystem::path cut = path;
        cut += ".cut";
        {
            std::ofstream out(cut, std::ios::binary | std::ios::trunc);
            out << head << "\n[... " << (size - kHead - kTail)
                << " bytes cut by ftps-conform: the cell's verdict was settled (pass, xfail or "
                   "unsupported); "
                   "run with --keep to keep whole logs ...]\n"
                << tail;
            if (!out) {
                std::filesystem::remove(cut, size_ec);
                continue;
            }
        }
        std::filesystem::rename(cut, path, size_ec);
        if (size_ec) {
            std::filesystem::remove(cut, size_ec);
        } else {
            ++trimmed;
        }
    }
    return trimmed;
}

bool prune_settled_cell(const std::filesystem::path& dir, const CellResult& result, bool keep) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return false;
    }
    if (keep || !settled(result.verdict)) {
        return true;
    }
    const bool thin = result.verdict != Verdict::xfail;
    std::vector<fs::path> doomed;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        std::error_code entry_ec;
        bool is_dir = entry.is_directory(entry_ec);
        if (thin) {
            bool kept = !is_dir && std::find(std::begin(kPassedKeeps), std::end(kPassedKeeps),
                                             name) != std::end(kPassedKeeps);
            if (!kept || entry.file_size(entry_ec) == 0) {
                doomed.push_back(entry.path());
            }
        } else if (is_dir ? name == "work" || name == "work2"
                          : entry.file_size(entry_ec) == 0 && !entry_ec) {
            doomed.push_back(entry.path());
        }
    }
    for (const fs::path& path : doomed) {
        fs::remove_all(path, ec);
    }
    // Empty folders left (a client's empty home, an emptied config folder), deepest first.
    std::vector<fs::path> folders;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code entry_ec;
        if (it->is_directory(entry_ec)) {
            folders.push_back(it->path());
        }
    }
    for (auto it = folders.rbegin(); it != folders.rend(); ++it) {
        if (fs::is_empty(*it, ec)) {
            fs::remove(*it, ec);
        }
    }
    if (fs::is_empty(dir, ec) && !ec) {
        fs::remove(dir, ec);
        return false;
    }
    return true;
}

}  // namespace fc
