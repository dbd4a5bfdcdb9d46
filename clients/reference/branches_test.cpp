// The reference client's ways to accept every reply a spec allows (if-reply branches, a
// refused <data-open> that makes the transfer moot) and to refuse what it forbids
// (preliminary="forbidden"), run by `ftps-conform run` against the real reference server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

void write_scenario(const fs::path& dir, const std::string& id, const std::string& steps) {
    std::ofstream(dir / (id + ".xml"))
        << "<?xml version=\"1.0\"?>\n<scenario id=\"" << id << "\" level=\"info\">\n"
        << "<title>" << id << "</title>\n<steps>\n<connect/>\n<expect code=\"220\"/>\n"
        << "<send>AUTH TLS</send>\n<expect code=\"234\"/>\n<tls-handshake/>\n<login/>\n"
        << steps << "</steps>\n"
        << "<negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n</scenario>\n";
}

/// scenario id -> verdict, from results.json (one cell per scenario here).
std::map<std::string, std::string> verdicts(const fs::path& results) {
    std::ifstream in(results);
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    std::map<std::string, std::string> out;
    std::regex cell(R"re("scenario_id": "([^"]+)"[\s\S]*?"verdict": "([a-z]+)")re");
    for (std::sregex_iterator it(all.begin(), all.end(), cell), end; it != end; ++it) {
        out[(*it)[1]] = (*it)[2];
    }
    return out;
}

TEST(ReferenceBranchesRealServer, AllowedRepliesPassForbiddenOnesFail) {
    testing::TempDir dir("branches");
    fs::path scen = dir.path() / "scenarios" / "branches";
    fs::create_directories(scen);
    // The reference server refuses a second AUTH with 503: the 234 branch is skipped
    // (its impossible expectation never runs), the 5xx branch runs.
    write_scenario(scen, "branch-skipped",
                   "<send>AUTH TLS</send>\n"
                   "<expect code=\"234|5xx\" reason=\"either\"/>\n"
                   "<send if-reply=\"234\">PWD</send>\n"
                   "<expect if-reply=\"234\" code=\"599\"/>\n"
                   "<send if-reply=\"5xx\">PWD</send>\n"
                   "<expect if-reply=\"5xx\" code=\"257\"/>\n");
    write_scenario(scen, "branch-taken",
                   "<send>AUTH TLS</send>\n"
                   "<expect code=\"234|5xx\" reason=\"either\"/>\n"
                   "<send if-reply=\"5xx\">PWD</send>\n"
                   "<expect if-reply=\"5xx\" code=\"599\"/>\n");
    // PASV after EPSV ALL is refused: the refusal is allowed, the LIST is moot.
    write_scenario(scen, "data-open-refused-moot",
                   "<send>EPSV ALL</send>\n<expect code=\"200\"/>\n"
                   "<data-open mode=\"pasv\" code=\"227|5xx\" reason=\"either\"/>\n"
                   "<transfer command=\"LIST\" code=\"599\"/>\n"
                   "<send>NOOP</send>\n<expect code=\"200\"/>\n");
    // Clear data is allowed here, so LIST gets 150 first: forbidden.
    write_scenario(scen, "preliminary-forbidden",
                   "<send>PBSZ 0</send>\n<expect code=\"200\"/>\n"
                   "<data-open mode=\"pasv\"/>\n"
                   "<transfer command=\"LIST\" protect=\"false\" preliminary=\"forbidden\"/>\n");
    write_scenario(scen, "preliminary-allowed",
                   "<send>PBSZ 0</send>\n<expect code=\"200\"/>\n"
                   "<data-open mode=\"pasv\"/>\n"
                   "<transfer command=\"LIST\" protect=\"false\"/>\n");
    fs::path out = dir.path() / "run";
    std::string cmd = std::string(FTPS_CONFORM_BINARY) + " run '" + scen.string() +
                      "' --servers reference --clients reference --jobs 2 --quiet --out '" +
                      out.string() + "' > '" + (dir.path() / "log.txt").string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream log(dir.path() / "log.txt");
    std::stringstream log_text;
    log_text << log.rdbuf();
    EXPECT_NE(rc, -1);
    auto v = verdicts(out / "results.json");
    EXPECT_EQ(v["branch-skipped"], "pass") << log_text.str();
    EXPECT_EQ(v["branch-taken"], "fail") << log_text.str();
    EXPECT_EQ(v["data-open-refused-moot"], "pass") << log_text.str();
    EXPECT_EQ(v["preliminary-forbidden"], "fail") << log_text.str();
    EXPECT_EQ(v["preliminary-allowed"], "pass") << log_text.str();
}

}  // namespace
}  // namespace fc
