#include "harness/core/atomic_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "harness/core/error.hpp"
#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const HarnessError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no HarnessError";
    return "";
}

// Everything in `dir` but the names given.
std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST(AtomicFile, WritesTheWholeFileAndLeavesNoTemporary) {
    TempDir dir("atomic");
    const fs::path file = dir.path() / "results.json";
    write_file_atomically(file, std::string_view("first\n"));
    write_file_atomically(file, [](std::ostream& o) { o << "second\n"; });
    EXPECT_EQ(testing::read_file(file), "second\n");
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"results.json"});
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                  fs::perms::others_read);
}

TEST(AtomicFile, AFullDiskNamesTheFileAndTheOsError) {
    const std::string what =
        error_of([] { write_whole_file("/dev/full", std::string(100000, 'x')); });
    EXPECT_NE(what.find("cannot write /dev/full: No space left on device"), std::string::npos)
        << what;
}

TEST(AtomicFile, AParentThatIsAFileNamesTheFileAndTheOsError) {
    TempDir dir("atomic");
    std::ofstream(dir.path() / "plain") << "a file, not a folder";
    const fs::path file = dir.path() / "plain" / "results.json";
    const std::string what = error_of([&] { write_file_atomically(file, std::string_view("x")); });
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find("Not a directory"), std::string::npos) << what;
}

TEST(AtomicFile, ARenderThatThrowsLeavesTheEarlierFileAlone) {
    TempDir dir("atomic");
    const fs::path file = dir.path() / "results.json";
    write_file_atomically(file, std::string_view("complete\n"));
    EXPECT_THROW(write_file_atomically(file,
                                       [](std::ostream& o) {
                                           o << "half";
                                           throw std::runtime_error("renderer broke");
                                       }),
                 std::runtime_error);
    EXPECT_EQ(testing::read_file(file), "complete\n");
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"results.json"});
}

TEST(AtomicFile, ARenameThatFailsRemovesTheTemporary) {
    TempDir dir("atomic");
    // A non-empty folder where the file should go: rename(2) cannot replace it.
    fs::create_directories(dir.path() / "results.json" / "inside");
    const std::string what = error_of(
        [&] { write_file_atomically(dir.path() / "results.json", std::string_view("x")); });
    EXPECT_NE(what.find("cannot write " + (dir.path() / "results.json").string()),
              std::string::npos)
        << what;
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"results.json"});
}

TEST(AtomicFile, PrepareOutputDirCreatesOrRefusesEarly) {
    TempDir dir("atomic");
    prepare_output_dir(dir.path() / "a" / "b");
    EXPECT_TRUE(fs::is_directory(dir.path() / "a" / "b"));
    EXPECT_TRUE(fs::is_empty(dir.path() / "a" / "b"));
    std::ofstream(dir.path() / "plain") << "x";
    const std::string what = error_of([&] { prepare_output_dir(dir.path() / "plain" / "run"); });
    EXPECT_NE(what.find((dir.path() / "plain" / "run").string()), std::string::npos) << what;
    EXPECT_NE(what.find("Not a directory"), std::string::npos) << what;
}

}  // namespace
}  // namespace fc
