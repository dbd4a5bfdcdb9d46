#include "harness/engine/cell_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

fs::path payload_in(const fs::path& cell) {
    fs::path dir = cell / kPayloadDir;
    fs::create_directories(dir);
    std::ofstream(dir / "a.bin") << "bytes";
    std::ofstream(cell / "transcript.txt") << "C> AUTH TLS";
    return dir;
}

TEST(CellFiles, PayloadOfAPassingOrDeclaredCellGoesTheRestStays) {
    for (Verdict v : {Verdict::pass, Verdict::xfail}) {
        testing::TempDir tmp("cell-files");
        fs::path dir = payload_in(tmp.path());
        CellResult r;
        r.verdict = v;
        EXPECT_TRUE(discard_if_passed(dir, r, false)) << to_string(v);
        EXPECT_FALSE(fs::exists(dir));
        EXPECT_TRUE(fs::exists(tmp.path() / "transcript.txt"));
        EXPECT_FALSE(discard_if_passed(dir, r, false));  // already gone: nothing to do
    }
}

TEST(CellFiles, PayloadIsTheLocalFilesAndTheServersRootsOnly) {
    std::vector<fs::path> paths = payload_paths("/run/cell");
    EXPECT_EQ(paths, (std::vector<fs::path>{"/run/cell/local", "/run/cell/work/home",
                                            "/run/cell/work2/home"}));
}

TEST(CellFiles, EveryOtherVerdictAndKeepLeaveThePayload) {
    testing::TempDir tmp("cell-files");
    fs::path dir = payload_in(tmp.path());
    CellResult r;
    for (Verdict v : {Verdict::fail, Verdict::error, Verdict::xpass, Verdict::unsupported}) {
        r.verdict = v;
        EXPECT_FALSE(discard_if_passed(dir, r, false)) << to_string(v);
        EXPECT_TRUE(fs::exists(dir / "a.bin")) << to_string(v);
    }
    r.verdict = Verdict::pass;
    EXPECT_FALSE(discard_if_passed(dir, r, true));
    EXPECT_TRUE(fs::exists(dir / "a.bin"));
    // A single file (a packet capture) goes the same way.
    EXPECT_TRUE(discard_if_passed(dir / "a.bin", r, false));
    EXPECT_FALSE(fs::exists(dir / "a.bin"));
    EXPECT_TRUE(fs::exists(dir));
}

}  // namespace
}  // namespace fc
