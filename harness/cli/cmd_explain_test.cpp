// `ftps-conform explain CELL`: the transcript and the wire facts of one cell folder.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

int explain(const std::vector<std::string>& args, std::string& out, std::string& err) {
    std::ostringstream o, e;
    int code = cmd_explain(args, o, e);
    out = o.str();
    err = e.str();
    return code;
}

TEST(Explain, PrintsTheTranscriptTheWireTableAndEachAssertion) {
    testing::TempDir dir{"explain"};
    fs::path cell = dir.path() / "proftpd__curl" / "interop-list";
    fs::create_directories(cell);
    std::ofstream(cell / "transcript.txt") << "   0.010      ** server proftpd ready\n";
    std::ofstream(cell / "wire.json") << R"j({
  "capture": "capture.pcap",
  "filter": "tcp and (host 127.0.0.1) and (port 2121 or portrange 30000-30015)",
  "facts": {"table": "#2 data 127.0.0.1:40123 -> 127.0.0.1:30001  CLEAR: '-rw-r--r--'\n"},
  "assertions": [{"assertion": "wire-expect data-protected", "line": 19, "outcome": "fail",
                  "reason": "data connection #2 127.0.0.1:40123 -> 127.0.0.1:30001 began in clear"}]
})j";
    std::string out, err;
    ASSERT_EQ(explain({cell.string()}, out, err), 0) << err;
    EXPECT_NE(out.find("server proftpd ready"), std::string::npos) << out;
    EXPECT_NE(out.find("(capture.pcap deleted: the cell passed)"), std::string::npos) << out;
    EXPECT_NE(out.find("#2 data 127.0.0.1:40123 -> 127.0.0.1:30001  CLEAR"), std::string::npos)
        << out;
    EXPECT_NE(out.find("wire-expect data-protected (line 19): fail: data connection #2"),
              std::string::npos)
        << out;
    ASSERT_EQ(explain({cell.string(), "--wire"}, out, err), 0) << err;
    EXPECT_EQ(out.find("server proftpd ready"), std::string::npos) << out;
}

// A settled cell keeps one file: its wire facts are the transcript's end (cell_files.hpp).
TEST(Explain, FindsTheWireFactsASettledCellFoldedIntoItsTranscript) {
    testing::TempDir dir{"explain"};
    std::ofstream(dir.path() / "transcript.txt")
        << "   0.010      ** server proftpd ready\n"
           "\n== wire facts (wire.json, which a settled cell does not keep: run --keep for it)\n"
           "12 frames; key log loaded (TLS records decrypted)\n"
           "#1 control 127.0.0.1:40000 -> 127.0.0.1:21000  clear 'AUTH TLS' then 234, then TLS\n"
           "\n== events.jsonl (the reference server's event log of this cell)\n"
           "{\"event\":\"connect\"}\n";
    std::string out, err;
    ASSERT_EQ(explain({dir.path().string(), "--wire"}, out, err), 0) << err;
    EXPECT_NE(out.find("== wire (" + (dir.path() / "transcript.txt").string() + ")\n12 frames"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("clear 'AUTH TLS' then 234, then TLS\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("server proftpd ready"), std::string::npos) << out;
    EXPECT_EQ(out.find("events.jsonl"), std::string::npos) << out;  // the next part
    // With the transcript printed, the facts are not printed twice.
    ASSERT_EQ(explain({dir.path().string()}, out, err), 0) << err;
    EXPECT_NE(out.find("in transcript.txt above"), std::string::npos) << out;
    auto first = out.find("12 frames");
    EXPECT_EQ(out.find("12 frames", first + 1), std::string::npos) << out;
}

TEST(Explain, SaysWhyThereAreNoFacts) {
    testing::TempDir dir{"explain"};
    std::ofstream(dir.path() / "wire.json")
        << R"j({"capture_unavailable": "capture unavailable: switched off (--no-capture)",
               "assertions": []})j";
    std::string out, err;
    ASSERT_EQ(explain({dir.path().string(), "--wire"}, out, err), 0) << err;
    EXPECT_NE(out.find("capture unavailable: switched off"), std::string::npos) << out;
    EXPECT_EQ(explain({(dir.path() / "nope").string()}, out, err), exit_usage);
    EXPECT_THROW(explain({}, out, err), UsageError);
}

}  // namespace
}  // namespace fc
