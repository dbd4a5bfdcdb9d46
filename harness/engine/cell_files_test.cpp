#include "harness/engine/cell_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
    for (Verdict v : {Verdict::pass, Verdict::xfail, Verdict::unsupported}) {
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
    for (Verdict v : {Verdict::fail, Verdict::error, Verdict::xpass}) {
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
    for (Verdict v : {Verdict::fail, Verdict::error, Verdict::xpass}) {
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

// A cell folder as a client cell leaves it: transcript, wire facts, event log, logs, an empty
// stderr, a rendered config, the server's working folder and the client's empty home.
void fill_cell(const fs::path& cell) {
    fs::create_directories(cell / "config");
    fs::create_directories(cell / "work" / "run" / "etc" / "pam.d");
    fs::create_directories(cell / "client-home");
    std::ofstream(cell / "transcript.txt") << "C> AUTH TLS";
    std::ofstream(cell / "wire.json") << "{}";
    std::ofstream(cell / "events.jsonl") << "{}";
    std::ofstream(cell / "client-1-get.debug.log") << "debug";
    std::ofstream(cell / "client-1-get.stderr");
    std::ofstream(cell / "config" / "vsftpd.conf") << "listen=YES";
    std::ofstream(cell / "work" / "run" / "etc" / "pam.d" / "su") << "auth";
}

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
        out.push_back(fs::relative(it->path(), dir).string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(CellFiles, APassingOrUnsupportedCellKeepsWhatShowsWhatHappened) {
    for (Verdict v : {Verdict::pass, Verdict::unsupported}) {
        testing::TempDir tmp("cell-files");
        fill_cell(tmp.path() / "cell");
        CellResult r;
        r.verdict = v;
        EXPECT_TRUE(prune_settled_cell(tmp.path() / "cell", r, false)) << to_string(v);
        EXPECT_EQ(listing(tmp.path() / "cell"),
                  (std::vector<std::string>{"events.jsonl", "transcript.txt", "wire.json"}))
            << to_string(v);
    }
}

TEST(CellFiles, ADeclaredFailureKeepsLogsAndConfigsButNotTheServersWorkingFiles) {
    testing::TempDir tmp("cell-files");
    fill_cell(tmp.path());
    CellResult r;
    r.verdict = Verdict::xfail;
    EXPECT_TRUE(prune_settled_cell(tmp.path(), r, false));
    EXPECT_EQ(listing(tmp.path()),
              (std::vector<std::string>{"client-1-get.debug.log", "config", "config/vsftpd.conf",
                                        "events.jsonl", "transcript.txt", "wire.json"}));
}

TEST(CellFiles, FailuresAndKeepLeaveTheFolderWhole) {
    for (Verdict v : {Verdict::fail, Verdict::error, Verdict::xpass, Verdict::pass}) {
        testing::TempDir tmp("cell-files");
        fill_cell(tmp.path());
        std::vector<std::string> before = listing(tmp.path());
        CellResult r;
        r.verdict = v;
        EXPECT_TRUE(prune_settled_cell(tmp.path(), r, v == Verdict::pass)) << to_string(v);
        EXPECT_EQ(listing(tmp.path()), before) << to_string(v);
    }
}

TEST(CellFiles, AFolderLeftEmptyGoesAndSaysSo) {
    testing::TempDir tmp("cell-files");
    fs::create_directories(tmp.path() / "cell");
    std::ofstream(tmp.path() / "cell" / "server.stderr.log");  // empty
    CellResult r;
    r.verdict = Verdict::unsupported;  // a cell that never ran
    EXPECT_FALSE(prune_settled_cell(tmp.path() / "cell", r, false));
    EXPECT_FALSE(fs::exists(tmp.path() / "cell"));
    EXPECT_FALSE(prune_settled_cell(tmp.path() / "none", r, false));
}

}  // namespace
}  // namespace fc
