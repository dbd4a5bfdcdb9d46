// The HTML interop matrix in a real browser: headless Chromium loads it from a file with no
// errors and no network, and draws the grid. Lives here, not in reports/, because it runs a
// command (harness/proc), which the reports layer must not depend on.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/proc/command.hpp"
#include "harness/testing/sample_results.hpp"
#include "harness/testing/temp_dir.hpp"
#include "reports/matrix_html.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

const char* const kChromium = "/usr/bin/chromium";

CellResult cell(std::string server, std::string id, Verdict verdict) {
    CellResult c = testing::sample_cell(std::move(server), "reference", std::move(id), verdict);
    c.spec_refs = {"RFC 4217 section 9"};
    c.transcript_path = c.cell_dir + "/transcript.txt";
    return c;
}

// Every verdict over two servers, with hostile text in a failure.
RunResult sample_run() {
    RunResult run = testing::sample_run_facts();
    run.endpoints = {{"proftpd", "server", "1.3.8"},
                     {"vsftpd", "server", "3.0.3"},
                     {"reference", "client", "0.1.0"}};
    run.cells.push_back(cell("proftpd", "control/auth-tls-234", Verdict::pass));
    CellResult fail = cell("proftpd", "control/pbsz-0", Verdict::fail);
    fail.failure = Failure{4, 17, "expect code=200 after PBSZ 0", "code 200",
                           "500 <script>alert(1)</script> |\r\nbad\x01\xff"};
    run.cells.push_back(fail);
    run.cells.push_back(cell("vsftpd", "data/prot-p", Verdict::error));
    run.cells.push_back(cell("vsftpd", "control/ccc", Verdict::unsupported));
    run.cells.push_back(cell("proftpd", "data/resume", Verdict::xfail));
    run.cells.push_back(cell("vsftpd", "data/resume", Verdict::xpass));
    return run;
}

CommandOutput chromium(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kChromium, "--headless", "--no-sandbox", "--disable-gpu"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, Deadline::after(std::chrono::seconds(60)), CancelToken());
}

TEST(MatrixHtmlSlow, LoadsInChromiumWithoutErrorsOrNetwork) {
    if (!fs::exists(kChromium)) {
        GTEST_SKIP() << "chromium is not installed (ci/bootstrap installs it)";
    }
    testing::TempDir dir("matrix-html");
    const fs::path page = dir.path() / "matrix.html";
    {
        std::ofstream out(page, std::ios::binary);
        write_matrix_html(sample_run(), out);
        ASSERT_TRUE(out.good());
    }
    const std::string url = "file://" + page.string();
    const fs::path png = dir.path() / "matrix.png";

    const CommandOutput shot =
        chromium({"--screenshot=" + png.string(), "--window-size=1280,900", url});
    ASSERT_FALSE(shot.timed_out) << shot.error << "\n" << shot.output;
    EXPECT_EQ(shot.exit_code, 0) << shot.error << "\n" << shot.output;
    ASSERT_TRUE(fs::exists(png)) << shot.output;
    EXPECT_GT(fs::file_size(png), 1000u);

    const CommandOutput dom = chromium({"--enable-logging=stderr", "--v=0", "--dump-dom", url});
    ASSERT_FALSE(dom.timed_out) << dom.error << "\n" << dom.output;
    EXPECT_EQ(dom.exit_code, 0) << dom.error << "\n" << dom.output;
    EXPECT_NE(dom.output.find("id=\"grid\""), std::string::npos) << dom.output;
    EXPECT_NE(dom.output.find("control/pbsz-0"), std::string::npos);
    // The script ran: it shows the filters, which are hidden without scripts.
    EXPECT_EQ(dom.output.find("<form id=\"filters\" class=\"filters\" hidden"), std::string::npos);
    // Console errors of the page's script are logged to stderr, which is in the output.
    EXPECT_EQ(dom.output.find("Uncaught"), std::string::npos) << dom.output;
    // Hostile text stayed text: no element came of it.
    EXPECT_EQ(dom.output.find("<script>alert"), std::string::npos);
}

}  // namespace
}  // namespace fc
