#include "reports/baseline.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/testing/files.hpp"
#include "reports/matrix_html.hpp"
#include "reports/matrix_md.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

constexpr Verdict P = Verdict::pass, F = Verdict::fail, E = Verdict::error,
                  U = Verdict::unsupported, X = Verdict::xfail, S = Verdict::xpass;
constexpr ChangeKind none = ChangeKind::none, reg = ChangeKind::regression, fix = ChangeKind::fix,
                     oth = ChangeKind::other;

CellResult cell(std::string server, std::string id, Verdict verdict, std::string reason = "") {
    CellResult c;
    c.server = std::move(server);
    c.client = "reference";
    c.scenario_id = std::move(id);
    c.area = c.scenario_id.substr(0, c.scenario_id.find('/'));
    c.verdict = verdict;
    c.reason = std::move(reason);
    return c;
}

RunResult run_of(std::vector<CellResult> cells) {
    RunResult run;
    run.cells = std::move(cells);
    return run;
}

// Every transition, before (rows) -> after (columns), in the order P F E U X S.
TEST(Baseline, ClassifiesEveryTransition) {
    const Verdict order[] = {P, F, E, U, X, S};
    const ChangeKind expected[6][6] = {
        /* P -> */ {none, reg, reg, oth, oth, reg},
        /* F -> */ {fix, none, reg, oth, fix, reg},
        /* E -> */ {fix, reg, none, oth, fix, reg},
        /* U -> */ {oth, reg, reg, none, oth, reg},
        /* X -> */ {oth, reg, reg, oth, none, reg},
        /* S -> */ {oth, reg, reg, oth, oth, none},
    };
    for (int b = 0; b < 6; ++b) {
        for (int a = 0; a < 6; ++a) {
            EXPECT_EQ(classify_change(order[b], order[a]), expected[b][a])
                << to_string(order[b]) << " -> " << to_string(order[a]);
        }
    }
}

TEST(Baseline, ComparesCellByCellAndListsAddedAndRemoved) {
    const RunResult before =
        run_of({cell("vsftpd", "control/a", P), cell("vsftpd", "control/b", F),
                cell("proftpd", "control/a", P), cell("proftpd", "data/gone", P),
                cell("proftpd", "data/c", U)});
    const RunResult after =
        run_of({cell("vsftpd", "control/b", X), cell("vsftpd", "control/a", E, "not ready"),
                cell("proftpd", "control/a", F, "step 3 failed"), cell("proftpd", "data/c", P),
                cell("proftpd", "data/new", P)});
    const Comparison c = compare_runs(before, after);
    ASSERT_EQ(c.regressions.size(), 2u);
    EXPECT_EQ(c.regressions[0].server, "proftpd");  // sorted by server first
    EXPECT_EQ(c.regressions[0].before, P);
    EXPECT_EQ(c.regressions[0].after, F);
    EXPECT_EQ(c.regressions[0].after_reason, "step 3 failed");
    EXPECT_EQ(c.regressions[1].server, "vsftpd");
    EXPECT_EQ(c.regressions[1].after, E);
    ASSERT_EQ(c.fixes.size(), 1u);
    EXPECT_EQ(c.fixes[0].scenario_id, "control/b");
    ASSERT_EQ(c.other_changes.size(), 1u);
    EXPECT_EQ(c.other_changes[0].scenario_id, "data/c");
    EXPECT_EQ(c.added, std::vector<std::string>{"proftpd / reference / data/new"});
    EXPECT_EQ(c.removed, std::vector<std::string>{"proftpd / reference / data/gone"});
}

TEST(Baseline, IdenticalRunsHaveNoChanges) {
    const RunResult run = run_of({cell("vsftpd", "control/a", F), cell("vsftpd", "control/b", E)});
    const Comparison c = compare_runs(run, run);
    EXPECT_TRUE(c.regressions.empty() && c.fixes.empty() && c.other_changes.empty() &&
                c.added.empty() && c.removed.empty());
    std::ostringstream text;
    write_comparison_text(c, text);
    EXPECT_EQ(text.str(),
              "Since the baseline: 0 regressions, 0 fixes, 0 other changes, 0 added, 0 removed\n");
}

TEST(Baseline, AreaIsNotPartOfTheKey) {
    CellResult moved = cell("vsftpd", "control/a", F);
    moved.area = "elsewhere";
    const Comparison c = compare_runs(run_of({cell("vsftpd", "control/a", P)}), run_of({moved}));
    ASSERT_EQ(c.regressions.size(), 1u);
    EXPECT_EQ(c.regressions[0].area, "elsewhere");
    EXPECT_TRUE(c.added.empty() && c.removed.empty());
}

// A comparison with something in every list.
Comparison sample_comparison() {
    const RunResult before =
        run_of({cell("proftpd", "control/auth-tls-234", P), cell("proftpd", "control/pbsz-0", F),
                cell("vsftpd", "data/prot-p", P), cell("vsftpd", "data/resume", X),
                cell("vsftpd", "control/ccc", E), cell("vsftpd", "data/old", P)});
    const RunResult after = run_of(
        {cell("proftpd", "control/auth-tls-234", F, "step 2 failed: code 500\r\nsecond line"),
         cell("proftpd", "control/pbsz-0", P), cell("vsftpd", "data/prot-p", E, "not ready"),
         cell("vsftpd", "data/resume", P), cell("vsftpd", "control/ccc", U, "needs ccc"),
         cell("vsftpd", "data/new", S, "stale deviation")});
    return compare_runs(before, after);
}

// Compares `actual` with testdata/`name`; FTPS_CONFORM_UPDATE_GOLDEN=1 rewrites the file.
void expect_golden(const std::string& actual, const std::string& name) {
    testing::expect_matches_golden(actual,
                                   fs::path(FTPS_CONFORM_SOURCE_DIR) / "reports/testdata" / name);
}

TEST(Baseline, TextMatchesGolden) {
    std::ostringstream out;
    write_comparison_text(sample_comparison(), out);
    expect_golden(out.str(), "baseline_golden.txt");
}

TEST(Baseline, MarkdownMatchesGolden) {
    std::ostringstream out;
    write_comparison_markdown(sample_comparison(), out);
    expect_golden(out.str(), "baseline_golden.md");
}

TEST(Baseline, HtmlMatchesGolden) {
    expect_golden(comparison_html(sample_comparison()), "baseline_golden.html");
}

Comparison hostile_comparison() {
    return compare_runs(
        run_of({cell("<b>srv|*x*", "control/<script>alert(1)</script>", P),
                cell("gone", "a/<img src=x onerror=1>", P)}),
        run_of({cell("<b>srv|*x*", "control/<script>alert(1)</script>", F, "a | b `c` <i>&\x1b")}));
}

TEST(Baseline, HostileTextIsEscapedInMarkdown) {
    std::ostringstream out;
    write_comparison_markdown(hostile_comparison(), out);
    const std::string md = out.str();
    for (std::size_t i = 0; i < md.size(); ++i) {
        if (md[i] == '<' || md[i] == '>' || md[i] == '&') {
            EXPECT_TRUE(i > 0 && md[i - 1] == '\\') << "unescaped at " << i << ":\n" << md;
        }
    }
    EXPECT_NE(md.find("\\<script\\>"), std::string::npos) << md;
    EXPECT_NE(md.find("a \\| b \\`c\\` \\<i\\>\\&"), std::string::npos) << md;
    EXPECT_EQ(md.find('\x1b'), std::string::npos);
    // Every table row still has its six pipes: none from the text is unescaped.
    std::istringstream lines(md);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("| control")) {
            int pipes = 0;
            for (std::size_t i = 0; i < line.size(); ++i) {
                pipes += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
            }
            EXPECT_EQ(pipes, 6) << line;
        }
    }
}

TEST(Baseline, HostileTextIsEscapedInHtml) {
    const std::string html = comparison_html(hostile_comparison());
    EXPECT_EQ(html.find("<script>"), std::string::npos) << html;
    EXPECT_EQ(html.find("<img"), std::string::npos) << html;
    EXPECT_EQ(html.find("<b>"), std::string::npos) << html;
    EXPECT_EQ(html.find("<i>"), std::string::npos) << html;
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << html;
    EXPECT_EQ(html.find('\x1b'), std::string::npos);
    EXPECT_TRUE(html.starts_with("<section id=\"since-baseline\">"));
    EXPECT_TRUE(html.ends_with("</section>\n"));
}

RunResult matrix_run() {
    RunResult run = run_of({cell("proftpd", "control/a", P), cell("proftpd", "control/b", F)});
    run.run_id = "r1";
    return run;
}

TEST(Baseline, MatrixMarkdownHasTheSectionOnlyWhenGiven) {
    const RunResult run = matrix_run();
    const Comparison c = compare_runs(run_of({cell("proftpd", "control/a", F)}), run);
    std::ostringstream plain, defaulted, with;
    write_matrix_markdown(run, plain);
    write_matrix_markdown(run, defaulted, nullptr);
    write_matrix_markdown(run, with, &c);
    EXPECT_EQ(plain.str(), defaulted.str());
    EXPECT_EQ(plain.str().find("Since the baseline"), std::string::npos);
    std::ostringstream section;
    write_comparison_markdown(c, section);
    // The section comes right after the facts; the rest is unchanged.
    std::string expected = plain.str();
    const std::size_t grid = expected.find("## Servers");
    ASSERT_NE(grid, std::string::npos);
    expected.insert(grid, section.str());
    EXPECT_EQ(with.str(), expected);
}

TEST(Baseline, MatrixHtmlHasTheSectionOnlyWhenGiven) {
    const RunResult run = matrix_run();
    const Comparison c = compare_runs(run_of({cell("proftpd", "control/a", F)}), run);
    std::ostringstream plain, with;
    write_matrix_html(run, plain);
    write_matrix_html(run, with, &c);
    EXPECT_EQ(plain.str().find("since-baseline"), std::string::npos);
    std::string expected = plain.str();
    const std::size_t after_header = expected.find("</header>\n") + 10;
    expected.insert(after_header, comparison_html(c));
    EXPECT_EQ(with.str(), expected);
}

}  // namespace
}  // namespace fc
