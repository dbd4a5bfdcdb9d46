#include "harness/engine/cell_files.hpp"

#include <fstream>
#include <string>
#include <system_error>

namespace fc {

std::vector<std::filesystem::path> payload_paths(const std::filesystem::path& dir) {
    return {dir / kPayloadDir, dir / "work" / "home", dir / "work2" / "home"};
}

bool settled(Verdict verdict) {
    return verdict == Verdict::pass || verdict == Verdict::xfail;
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
                << " bytes cut by ftps-conform: the cell's verdict was settled (pass or xfail); "
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

}  // namespace fc
