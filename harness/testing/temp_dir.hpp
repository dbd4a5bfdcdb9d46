#pragma once
// A temporary directory removed with everything in it when the object goes.
#include <filesystem>
#include <string>

namespace fc::testing {

class TempDir {
public:
    /// Creates a fresh directory under the system temp dir, named after `tag`.
    explicit TempDir(const std::string& tag);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace fc::testing
