#include "harness/engine/cell_files.hpp"

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

}  // namespace fc
