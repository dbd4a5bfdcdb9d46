#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/testing/files.hpp"
#include "harness/testing/sample_results.hpp"
#include "reports/matrix_html.hpp"
#include "reports/matrix_md.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

CellResult make_cell(std::string server, std::string client, std::string id, Verdict verdict) {
    CellResult c =
        testing::sample_cell(std::move(server), std::move(client), std::move(id), verdict);
    c.transcript_path = c.cell_dir + "/transcript.txt";
    return c;
}

// Every verdict, two servers, one client, two areas, hostile text from the wire.
RunResult sample_run() {
    RunResult run = testing::sample_run_facts();
    run.duration_s = 4.2;
    // The client between the servers, as results.json of older runs have it.
    run.endpoints = {{"proftpd", "server", "1.3.8", "/src/servers/proftpd/manifest.xml",
                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
                     {"reference", "client", "0.1.0"},
                     {"vsftpd", "server", "3.0.3 <b>|x", "", "", "127.0.0.1:2121"}};
    CellResult pass = make_cell("proftpd", "reference", "data/prot-p", Verdict::pass);
    pass.spec_refs = {"RFC 4217 section 9"};
    pass.level = "should";
    run.cells.push_back(pass);

    CellResult fail = make_cell("proftpd", "reference", "control/pbsz-0", Verdict::fail);
    fail.spec_refs = {"RFC 4217 section 9 | PBSZ", "RFC 2228"};
    fail.spec_quotes = {"The PBSZ command <MUST> be | issued.", ""};
    fail.reason = "step 4 failed";
    fail.failure = Failure{4, 17, "expect code=200 after PBSZ 0", "code 200 *or* `201`",
                           "500 <script>alert(1)</script> |\r\nbad\x01\xff"};
    run.cells.push_back(fail);

    CellResult auth = make_cell("proftpd", "reference", "control/auth-tls-234", Verdict::pass);
    auth.spec_refs = {"RFC 4217 section 4.1"};
    run.cells.push_back(auth);

    CellResult error = make_cell("vsftpd", "reference", "data/prot-p", Verdict::error);
    error.reason = "server vsftpd not ready within 10 s\x02";
    error.transcript_path.clear();
    run.cells.push_back(error);

    CellResult unsupported = make_cell("vsftpd", "reference", "control/ccc", Verdict::unsupported);
    unsupported.reason = "needs feature ccc";
    run.cells.push_back(unsupported);

    CellResult xfail = make_cell("proftpd", "reference", "data/resume", Verdict::xfail);
    xfail.reason = "proftpd#1234: no session reuse";
    xfail.failure = Failure{2, 9, "expect session reused", "reused", "new session"};
    run.cells.push_back(xfail);

    CellResult xpass = make_cell("vsftpd", "reference", "data/resume", Verdict::xpass);
    xpass.title = "resume <script>alert('t')</script> & \"q\"";
    xpass.reason = "declared deviation vsftpd-resume no longer happens";
    run.cells.push_back(xpass);

    CellResult pbsz = make_cell("vsftpd", "reference", "control/pbsz-0", Verdict::pass);
    run.cells.push_back(pbsz);
    return run;
}

std::string markdown(const RunResult& run) {
    std::ostringstream out;
    write_matrix_markdown(run, out);
    return out.str();
}

std::string html(const RunResult& run) {
    std::ostringstream out;
    write_matrix_html(run, out);
    return out.str();
}

const fs::path kTestdata = fs::path(FTPS_CONFORM_SOURCE_DIR) / "reports/testdata";

TEST(MatrixMarkdown, MatchesGolden) {
    testing::expect_matches_golden(markdown(sample_run()), kTestdata / "matrix_golden.md");
}

TEST(MatrixHtml, MatchesGolden) {
    testing::expect_matches_golden(html(sample_run()), kTestdata / "matrix_golden.html");
}

// The console prints the grid on its own: it is the grid section of matrix.md, to the byte.
TEST(MatrixMarkdown, GridAloneIsTheGridOfTheFullPage) {
    std::ostringstream grid;
    write_matrix_grid_markdown(matrix_layout(sample_run()), grid);
    const std::string page = markdown(sample_run());
    ASSERT_EQ(grid.str().rfind("## Servers \xC3\x97 clients\n", 0), 0u) << grid.str();
    EXPECT_NE(page.find("\n" + grid.str() + "## Scenarios\n"), std::string::npos) << grid.str();
    EXPECT_EQ(grid.str().find("## Scenarios"), std::string::npos);
}

TEST(MatrixLayout, OrdersByFirstAppearanceAndSortsScenariosById) {
    const MatrixLayout layout = matrix_layout(sample_run());
    EXPECT_EQ(layout.servers, (std::vector<std::string>{"proftpd", "vsftpd"}));
    EXPECT_EQ(layout.areas, (std::vector<std::string>{"data", "control"}));
    ASSERT_EQ(layout.scenarios.size(), 5u);
    EXPECT_EQ(layout.scenarios[0].id, "data/prot-p");
    EXPECT_EQ(layout.scenarios[1].id, "data/resume");
    EXPECT_EQ(layout.scenarios[2].id, "control/auth-tls-234");
    EXPECT_EQ(layout.scenarios[2].cells[1], nullptr);  // not run on vsftpd
    EXPECT_EQ(layout.pairs[1].counts.xpass, 1);
}

TEST(MatrixMarkdown, EscapesHostileTextOnOneLine) {
    const std::string md = markdown(sample_run());
    EXPECT_EQ(md.find("<script>"), std::string::npos);
    EXPECT_EQ(md.find('\x01'), std::string::npos);
    EXPECT_EQ(md.find('\xff'), std::string::npos);
    EXPECT_EQ(md.find('\r'), std::string::npos);
    EXPECT_NE(md.find("- Observed: 500 \\<script\\>alert(1)\\</script\\> \\| bad\\\\x01"),
              std::string::npos);
    EXPECT_NE(md.find("| control/pbsz-0 | must | RFC 4217 section 9 \\| PBSZ | F | P |"),
              std::string::npos);
}

TEST(MatrixMarkdown, IsDeterministicAndHandlesAnEmptyRun) {
    EXPECT_EQ(markdown(sample_run()), markdown(sample_run()));
    EXPECT_NE(markdown(RunResult{}).find("No cells ran."), std::string::npos);
    EXPECT_NE(html(RunResult{}).find("No cells ran."), std::string::npos);
}

TEST(MatrixHtml, IsSelfContained) {
    const std::string page = html(sample_run());
    EXPECT_EQ(page.find("http://"), std::string::npos);
    EXPECT_EQ(page.find("https://"), std::string::npos);
    EXPECT_EQ(page.find("src="), std::string::npos);
    EXPECT_EQ(page.find("<script src"), std::string::npos);
    EXPECT_EQ(page.find("<link"), std::string::npos);
    EXPECT_EQ(page.find("@import"), std::string::npos);
    EXPECT_EQ(page.find("url("), std::string::npos);
    EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST(MatrixHtml, EscapesHostileText) {
    const std::string page = html(sample_run());
    EXPECT_EQ(page.find("<script>alert"), std::string::npos);
    EXPECT_EQ(page.find("<b>"), std::string::npos);
    EXPECT_EQ(page.find('\x01'), std::string::npos);
    EXPECT_EQ(page.find('\xff'), std::string::npos);
    EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(page.find("bad\\x01\xEF\xBF\xBD"), std::string::npos);
    // The only script is the page's own.
    EXPECT_EQ(page.find("<script>"), page.rfind("<script>"));
}

TEST(MatrixHtml, EveryCellLinksToItsFolderAndTranscript) {
    const RunResult run = sample_run();
    const std::string page = html(run);
    for (const CellResult& cell : run.cells) {
        EXPECT_NE(page.find("href=\"" + cell.cell_dir + "/\""), std::string::npos) << cell.cell_dir;
        if (!cell.transcript_path.empty()) {
            EXPECT_NE(page.find("href=\"" + cell.transcript_path + "\""), std::string::npos);
        }
    }
}

// A cell that never ran keeps no folder (its cell_dir is ""): its code links nowhere, not
// to the run folder.
TEST(MatrixHtml, ACellWithoutAFolderLinksNowhere) {
    RunResult run = sample_run();
    for (CellResult& cell : run.cells) {
        cell.cell_dir.clear();
        cell.transcript_path.clear();
    }
    const std::string page = html(run);
    EXPECT_EQ(page.find("href=\"./\""), std::string::npos);
    EXPECT_EQ(page.find("href=\"/\""), std::string::npos);
    EXPECT_EQ(page.find("href=\"\""), std::string::npos);
    EXPECT_NE(page.find("<a class=\"code v-pass\" title="), std::string::npos);
}

TEST(MatrixHtml, HrefsStayRelative) {
    RunResult run = sample_run();
    run.cells[0].cell_dir = "//evil.example/x";
    run.cells[1].cell_dir = "javascript:alert(1)\"><x";
    const std::string page = html(run);
    EXPECT_NE(page.find("href=\".//evil.example/x/\""), std::string::npos);
    EXPECT_NE(page.find("href=\"javascript%3Aalert%281%29%22%3E%3Cx/\""), std::string::npos);
    EXPECT_EQ(page.find("href=\"javascript:"), std::string::npos);
}

TEST(MatrixHtml, HasFiltersFailureDetailsAndPrintStyles) {
    const std::string page = html(sample_run());
    EXPECT_NE(page.find("<form id=\"filters\""), std::string::npos);
    EXPECT_NE(page.find("name=\"area\" value=\"control\""), std::string::npos);
    EXPECT_NE(page.find("name=\"level\" value=\"should\""), std::string::npos);
    EXPECT_NE(page.find("name=\"verdict\" value=\"xpass\""), std::string::npos);
    EXPECT_NE(page.find("<details><summary>step 4</summary>"), std::string::npos);
    EXPECT_NE(page.find("@media print"), std::string::npos);
    EXPECT_NE(page.find("overflow-x:auto"), std::string::npos);
    EXPECT_NE(page.find("id=\"grid\""), std::string::npos);
}

TEST(MatrixHtml, ListsServersThenClientsWithTheirManifests) {
    const std::string page = html(sample_run());
    const auto proftpd = page.find("<dt>Server</dt><dd>proftpd 1.3.8");
    const auto vsftpd = page.find("<dt>Server</dt><dd>vsftpd");
    const auto client = page.find("<dt>Client</dt><dd>reference");
    ASSERT_NE(proftpd, std::string::npos);
    ASSERT_NE(vsftpd, std::string::npos);
    ASSERT_NE(client, std::string::npos);
    EXPECT_LT(proftpd, vsftpd);
    EXPECT_LT(vsftpd, client);
    EXPECT_NE(page.find("manifest /src/servers/proftpd/manifest.xml (sha256 0123456789ab)"),
              std::string::npos);
    EXPECT_NE(page.find("external target 127.0.0.1:2121"), std::string::npos);
}

TEST(MatrixHtml, AFailedCellShowsItsSpecAndQuote) {
    const std::string page = html(sample_run());
    EXPECT_NE(page.find("<dt>Spec</dt><dd>RFC 4217 section 9 | PBSZ<blockquote class=\"quote\">"
                        "The PBSZ command &lt;MUST&gt; be | issued.</blockquote></dd>"
                        "<dt>Spec</dt><dd>RFC 2228</dd>"),
              std::string::npos);
}

TEST(MatrixMarkdown, AFailedCellShowsItsSpecAndQuote) {
    const std::string text = markdown(sample_run());
    EXPECT_NE(text.find("- Spec: RFC 4217 section 9 \\| PBSZ: \xE2\x80\x9CThe PBSZ command "),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("- Spec: RFC 2228\n"), std::string::npos) << text;
}

TEST(MatrixMarkdown, NamesEachEndpointsManifest) {
    const std::string text = markdown(sample_run());
    EXPECT_NE(text.find("proftpd 1.3.8 (manifest /src/servers/proftpd/manifest.xml (sha256 "
                        "0123456789ab))"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("(external target 127.0.0.1:2121)"), std::string::npos);
}

}  // namespace
}  // namespace fc
