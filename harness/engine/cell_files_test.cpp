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

TEST(CellFiles, BigLogsOfASettledCellAreCutToHeadAndTailOthersStayWhole) {
    testing::TempDir tmp("cell-files");
    const fs::path cell = tmp.path();
    fs::create_directories(cell / "work");
    std::string big;
    for (int i = 0; big.size() < 1024 * 1024; ++i) {
        big += "line " + std::to_string(i) + "\n";
    }
    std::ofstream(cell / "client-1-put.debug.log") << big;
    std::ofstream(cell / "work" / "server.log") << big;
    std::ofstream(cell / "transcript.txt") << big;  // not a .log: never cut
    std::ofstream(cell / "small.log") << "short";
    CellResult r;
    for (Verdict v : {Verdict::fail, Verdict::error, Verdict::xpass, Verdict::unsupported}) {
        r.verdict = v;
        EXPECT_EQ(trim_settled_logs(cell, r, false), 0) << to_string(v);
    }
    r.verdict = Verdict::pass;
    EXPECT_EQ(trim_settled_logs(cell, r, true), 0);  // --keep
    EXPECT_EQ(fs::file_size(cell / "client-1-put.debug.log"), big.size());

    r.verdict = Verdict::xfail;
    EXPECT_EQ(trim_settled_logs(cell, r, false), 2);
    for (const fs::path& log : {cell / "client-1-put.debug.log", cell / "work" / "server.log"}) {
        std::ifstream in(log, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        EXPECT_LT(text.size(), kSettledLogLimit) << log;
        EXPECT_EQ(text.substr(0, 1000), big.substr(0, 1000)) << log;
        EXPECT_EQ(text.substr(text.size() - 1000), big.substr(big.size() - 1000)) << log;
        EXPECT_NE(text.find("bytes cut by ftps-conform"), std::string::npos) << log;
    }
    EXPECT_EQ(fs::file_size(cell / "transcript.txt"), big.size());
    EXPECT_EQ(fs::file_size(cell / "small.log"), 5U);
    EXPECT_EQ(trim_settled_logs(cell, r, false), 0);  // already small enough
}

}  // namespace
}  // namespace fc
