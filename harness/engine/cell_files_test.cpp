#include "harness/engine/cell_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

// wire.json as a cell's capture writes it (cell_capture.cpp), cut down.
constexpr const char* kWireJson = R"j({
  "packets": 12,
  "capture": "capture.pcap",
  "filter": "tcp and (host 127.0.0.1) and (port 21000)",
  "facts": {"frames": 12, "keylog_loaded": true, "connections": [],
            "table": "#1 control 127.0.0.1:40000 -> 127.0.0.1:21000  clear 'AUTH TLS' then 234, then TLS\n"},
  "assertions": [{"assertion": "wire-expect data-protected", "line": 20, "outcome": "pass",
                  "reason": "data-protected: 1 data connection checked"}]
})j";

// A cell folder as a client cell leaves it: transcript, wire facts, event log, logs, a
// stderr, a payload, a capture, a rendered config, the server's working folder and the
// client's empty home.
void fill_cell(const fs::path& cell) {
    fs::create_directories(cell / "config");
    fs::create_directories(cell / "work" / "home" / "alice");
    fs::create_directories(cell / "client-home");
    fs::create_directories(cell / "local");
    std::ofstream(cell / "transcript.txt") << "   0.001 ctrl -> AUTH TLS\n";
    std::ofstream(cell / "wire.json") << kWireJson;
    std::ofstream(cell / "events.jsonl") << R"({"t":0.1,"session":1,"event":"connect"})"
                                         << "\n";
    std::string debug;
    for (int i = 0; debug.size() < 64 * 1024; ++i) {
        debug += "debug line " + std::to_string(i) + "\n";
    }
    std::ofstream(cell / "client-1-get.debug.log") << debug;
    std::ofstream(cell / "client-1-get.stderr") << "curl: (28) timed out\n";
    std::ofstream(cell / "capture.pcap") << "pcap";
    std::ofstream(cell / "tls-keys.log") << "CLIENT_RANDOM x y";
    std::ofstream(cell / "local" / "a.bin") << "bytes";
    std::ofstream(cell / "config" / "vsftpd.conf") << "listen=YES";
    std::ofstream(cell / "work" / "home" / "alice" / "a.bin") << "bytes";
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

TEST(CellFiles, APassingOrUnsupportedCellKeepsItsTranscriptWithItsWireFacts) {
    for (Verdict v : {Verdict::pass, Verdict::unsupported}) {
        testing::TempDir tmp("cell-files");
        fill_cell(tmp.path() / "cell");
        CellResult r;
        r.verdict = v;
        EXPECT_TRUE(prune_settled_cell(tmp.path() / "cell", r, false)) << to_string(v);
        EXPECT_EQ(listing(tmp.path() / "cell"), (std::vector<std::string>{"transcript.txt"}))
            << to_string(v);
        const std::string t = testing::read_file(tmp.path() / "cell" / "transcript.txt");
        EXPECT_EQ(t.rfind("   0.001 ctrl -> AUTH TLS\n", 0), 0u) << t;
        EXPECT_NE(t.find("\n== wire facts (wire.json, which a settled cell does not keep"),
                  std::string::npos)
            << t;
        EXPECT_NE(t.find("capture filter: tcp and (host 127.0.0.1) and (port 21000) (capture.pcap "
                         "deleted: the cell passed)"),
                  std::string::npos)
            << t;
        EXPECT_NE(t.find("12 frames; key log loaded (TLS records decrypted)"), std::string::npos)
            << t;
        EXPECT_NE(t.find("clear 'AUTH TLS' then 234, then TLS"), std::string::npos) << t;
        EXPECT_NE(t.find("wire-expect data-protected (line 20): pass"), std::string::npos) << t;
        // A pass shows what happened; the client's own output is for failures.
        EXPECT_EQ(t.find("events.jsonl"), std::string::npos) << t;
        EXPECT_EQ(t.find("curl: (28)"), std::string::npos) << t;
    }
}

TEST(CellFiles, ADeclaredFailureAlsoKeepsTheEventLogAndTheClientsLastWords) {
    testing::TempDir tmp("cell-files");
    fill_cell(tmp.path());
    CellResult r;
    r.verdict = Verdict::xfail;
    EXPECT_TRUE(prune_settled_cell(tmp.path(), r, false));
    EXPECT_EQ(listing(tmp.path()), (std::vector<std::string>{"transcript.txt"}));
    const std::string t = testing::read_file(tmp.path() / "transcript.txt");
    EXPECT_NE(t.find("== wire facts"), std::string::npos) << t;
    EXPECT_NE(t.find("== events.jsonl (the reference server's event log of this cell)\n"
                     R"({"t":0.1,"session":1,"event":"connect"})"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("== client-1-get.stderr\ncurl: (28) timed out\n"), std::string::npos) << t;
    // The debug log's end only, from a line start, saying how much came before.
    auto at = t.find("== client-1-get.debug.log (its end)\n[... ");
    ASSERT_NE(at, std::string::npos) << t;
    EXPECT_NE(t.find(" bytes before this]\ndebug line ", at), std::string::npos) << t;
    EXPECT_LT(t.size() - at, kFoldedDebugTail + 200);
    EXPECT_EQ(t.back(), '\n');
}

TEST(CellFiles, FailuresAndKeepLeaveTheFolderWhole) {
    for (Verdict v : {Verdict::fail, Verdict::error, Verdict::xpass, Verdict::pass}) {
        testing::TempDir tmp("cell-files");
        fill_cell(tmp.path());
        std::vector<std::string> before = listing(tmp.path());
        const std::string transcript = testing::read_file(tmp.path() / "transcript.txt");
        CellResult r;
        r.verdict = v;
        EXPECT_TRUE(prune_settled_cell(tmp.path(), r, v == Verdict::pass)) << to_string(v);
        EXPECT_EQ(listing(tmp.path()), before) << to_string(v);
        EXPECT_EQ(testing::read_file(tmp.path() / "transcript.txt"), transcript) << to_string(v);
    }
}

TEST(CellFiles, AFolderWithoutATranscriptGoesAndSaysSo) {
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
