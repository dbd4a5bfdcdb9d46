#include "reports/junit.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/testing/files.hpp"
#include "harness/testing/sample_results.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

CellResult make_cell(std::string server, std::string client, std::string id, Verdict verdict,
                     double seconds) {
    CellResult c =
        testing::sample_cell(std::move(server), std::move(client), std::move(id), verdict);
    c.duration_s = seconds;
    return c;
}

// One cell of each verdict over two server/client pairs, with hostile bytes in the text.
RunResult sample_run() {
    RunResult run = testing::sample_run_facts();
    run.duration_s = 4.2;
    run.endpoints = {{"proftpd", "server", "1.3.8"},
                     {"vsftpd", "server", "3.0.3"},
                     {"reference", "client", "0.1.0"}};

    CellResult pass =
        make_cell("proftpd", "reference", "control/auth-tls-234", Verdict::pass, 0.21);
    pass.spec_refs = {"RFC 4217 section 4.1"};
    pass.transcript_path = pass.cell_dir + "/transcript.txt";
    pass.properties = {{"tls.version", "TLSv1.3"}, {"tls.cipher", "TLS_AES_256_GCM_SHA384"}};
    run.cells.push_back(pass);

    CellResult fail = make_cell("proftpd", "reference", "control/pbsz-0", Verdict::fail, 0.1234);
    fail.spec_refs = {"RFC 4217 section 9", "RFC 2228"};
    // A quote for the first reference only: the second scenario has none yet.
    fail.spec_quotes = {"The PBSZ command <MUST> be issued.", ""};
    fail.reason = "step 4 failed";
    fail.failure = Failure{4, 17, "expect code=200 after PBSZ 0", "code 200", "code 500 <\"&'>"};
    fail.transcript_path = fail.cell_dir + "/transcript.txt";
    fail.transcript_excerpt =
        "C> PBSZ 0\r\nS> 500 bad\x01 byte \xff here\r\nS> ]]> end\tof\x1b[31m\n";
    fail.properties = {{"tls.version", "TLSv1.2"}};
    run.cells.push_back(fail);

    CellResult error = make_cell("vsftpd", "reference", "data/prot-p", Verdict::error, 30.0);
    error.reason = "server vsftpd not ready within 10 s\x02";
    run.cells.push_back(error);

    CellResult unsupported =
        make_cell("vsftpd", "reference", "control/ccc", Verdict::unsupported, 0.0);
    unsupported.reason = "needs feature ccc (server vsftpd lacks it)";
    run.cells.push_back(unsupported);

    CellResult xfail = make_cell("proftpd", "reference", "data/resume", Verdict::xfail, 1.5);
    xfail.reason = "proftpd#1234: no session reuse on data";
    xfail.failure = Failure{2, 9, "expect session reused", "reused", "new session"};
    run.cells.push_back(xfail);

    CellResult xpass = make_cell("vsftpd", "reference", "data/resume", Verdict::xpass, 0.0005);
    xpass.reason = "declared deviation vsftpd-resume no longer happens";
    run.cells.push_back(xpass);
    return run;
}

std::string junit(const RunResult& run, bool strict) {
    std::ostringstream out;
    write_junit(run, out, strict);
    return out.str();
}

const fs::path kGolden = fs::path(FTPS_CONFORM_SOURCE_DIR) / "reports/testdata/junit_golden.xml";
const char* const kXmllint = "/usr/bin/xmllint";

int xmllint(const fs::path& file) {
    const std::string command = std::string(kXmllint) + " --noout '" + file.string() + "'";
    return std::system(command.c_str());
}

TEST(JUnit, MatchesGolden) {
    const std::string text = junit(sample_run(), false);
    testing::expect_matches_golden(text, kGolden);
}

TEST(JUnit, GoldenIsWellFormedForXmllint) {
    ASSERT_TRUE(fs::exists(kXmllint)) << "libxml2-utils is a dependency of the project";
    EXPECT_EQ(xmllint(kGolden), 0);
}

TEST(JUnit, StrictOutputIsWellFormedForXmllint) {
    ASSERT_TRUE(fs::exists(kXmllint)) << "libxml2-utils is a dependency of the project";
    testing::TempDir dir("junit");
    const fs::path file = dir.path() / "junit.xml";
    std::ofstream(file, std::ios::binary) << junit(sample_run(), true);
    EXPECT_EQ(xmllint(file), 0);
}

int count_children(const pugi::xml_node& node, const char* name) {
    int n = 0;
    for ([[maybe_unused]] auto child : node.children(name)) {
        ++n;
    }
    return n;
}

// What Jenkins, GitLab and GitHub reporters read, checked on a parsed document.
void check_structure(const std::string& text) {
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed = doc.load_string(text.c_str());
    ASSERT_TRUE(parsed) << parsed.description() << " at " << parsed.offset;
    const pugi::xml_node root = doc.document_element();
    ASSERT_STREQ(root.name(), "testsuites");
    EXPECT_STREQ(root.attribute("name").value(), "ftps-conform");
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    long long ms = 0;
    for (const pugi::xml_node suite : root.children("testsuite")) {
        int s_failures = 0, s_errors = 0, s_skipped = 0;
        long long s_ms = 0;
        for (const pugi::xml_node tc : suite.children("testcase")) {
            EXPECT_FALSE(tc.attribute("classname").empty());
            EXPECT_FALSE(tc.attribute("name").empty());
            ASSERT_FALSE(tc.attribute("time").empty());
            s_ms += std::llround(tc.attribute("time").as_double() * 1000);
            s_failures += count_children(tc, "failure");
            s_errors += count_children(tc, "error");
            s_skipped += count_children(tc, "skipped");
        }
        const int s_tests = count_children(suite, "testcase");
        EXPECT_EQ(suite.attribute("tests").as_int(-1), s_tests);
        EXPECT_EQ(suite.attribute("failures").as_int(-1), s_failures);
        EXPECT_EQ(suite.attribute("errors").as_int(-1), s_errors);
        EXPECT_EQ(suite.attribute("skipped").as_int(-1), s_skipped);
        EXPECT_EQ(std::llround(suite.attribute("time").as_double() * 1000), s_ms);
        EXPECT_FALSE(suite.attribute("timestamp").empty());
        EXPECT_STREQ(suite.attribute("hostname").value(), "localhost");
        tests += s_tests;
        failures += s_failures;
        errors += s_errors;
        skipped += s_skipped;
        ms += s_ms;
    }
    EXPECT_EQ(root.attribute("tests").as_int(-1), tests);
    EXPECT_EQ(root.attribute("failures").as_int(-1), failures);
    EXPECT_EQ(root.attribute("errors").as_int(-1), errors);
    EXPECT_EQ(root.attribute("skipped").as_int(-1), skipped);
    EXPECT_EQ(std::llround(root.attribute("time").as_double() * 1000), ms);
}

TEST(JUnit, CountsAddUpForCiReaders) {
    check_structure(junit(sample_run(), false));
    check_structure(junit(sample_run(), true));
}

TEST(JUnit, OneSuitePerPairInRunOrder) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(junit(sample_run(), false).c_str()));
    const pugi::xml_node root = doc.document_element();
    EXPECT_EQ(root.attribute("tests").as_int(), 6);
    EXPECT_EQ(root.attribute("failures").as_int(), 1);
    EXPECT_EQ(root.attribute("errors").as_int(), 1);
    EXPECT_EQ(root.attribute("skipped").as_int(), 2);
    pugi::xml_node first = root.child("testsuite");
    EXPECT_STREQ(first.attribute("name").value(), "proftpd__reference");
    EXPECT_STREQ(first.next_sibling("testsuite").attribute("name").value(), "vsftpd__reference");
    EXPECT_STREQ(first.attribute("timestamp").value(), "2026-11-25T06:01:02");
    const pugi::xml_node props = first.child("properties");
    EXPECT_STREQ(props.find_child_by_attribute("property", "name", "server.version")
                     .attribute("value")
                     .value(),
                 "1.3.8");
    const pugi::xml_node tc = first.child("testcase");
    EXPECT_STREQ(tc.attribute("classname").value(), "control");
    EXPECT_STREQ(tc.attribute("name").value(), "control/auth-tls-234");
    EXPECT_STREQ(tc.attribute("time").value(), "0.210");
    EXPECT_STREQ(tc.child("properties")
                     .find_child_by_attribute("property", "name", "tls.cipher")
                     .attribute("value")
                     .value(),
                 "TLS_AES_256_GCM_SHA384");
}

TEST(JUnit, FailureCarriesStepExpectedObserved) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(junit(sample_run(), false).c_str()));
    const pugi::xml_node failure = doc.select_node("//failure").node();
    ASSERT_TRUE(failure);
    EXPECT_STREQ(failure.attribute("type").value(), "fail");
    EXPECT_STREQ(failure.attribute("message").value(),
                 "RFC 4217 section 9, RFC 2228: step 4 (expect code=200 after PBSZ 0, line 17): "
                 "expected code 200, observed code 500 <\"&'>");
    const std::string body = failure.text().get();
    EXPECT_NE(body.find("spec: RFC 4217 section 9\n  \"The PBSZ command <MUST> be issued.\"\n"
                        "spec: RFC 2228\nstep 4"),
              std::string::npos)
        << body;
    const std::string out =
        doc.select_node("//testcase[@name='control/pbsz-0']/system-out").node().text().get();
    EXPECT_NE(out.find("bad\\x01 byte \xEF\xBF\xBD here"), std::string::npos) << out;
    EXPECT_NE(out.find("]]> end\tof\\x1b[31m"), std::string::npos) << out;
}

TEST(JUnit, SkippedMessagesNameTheirKind) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(junit(sample_run(), false).c_str()));
    const std::string unsupported =
        doc.select_node("//testcase[@name='control/ccc']/skipped/@message").attribute().value();
    EXPECT_EQ(unsupported, "unsupported: needs feature ccc (server vsftpd lacks it)");
    const std::string xfail =
        doc.select_node(
               "//testsuite[@name='proftpd__reference']/testcase[@name='data/resume']"
               "/skipped/@message")
            .attribute()
            .value();
    EXPECT_EQ(xfail, "xfail: proftpd#1234: no session reuse on data");
}

TEST(JUnit, XpassPassesUnlessStrict) {
    const char* xpath = "//testsuite[@name='vsftpd__reference']/testcase[@name='data/resume']";
    pugi::xml_document lax;
    ASSERT_TRUE(lax.load_string(junit(sample_run(), false).c_str()));
    const pugi::xml_node tc = lax.select_node(xpath).node();
    ASSERT_TRUE(tc);
    EXPECT_FALSE(tc.child("failure"));
    EXPECT_FALSE(tc.child("skipped"));
    EXPECT_STREQ(tc.child("properties")
                     .find_child_by_attribute("property", "name", "verdict")
                     .attribute("value")
                     .value(),
                 "xpass");

    pugi::xml_document strict;
    ASSERT_TRUE(strict.load_string(junit(sample_run(), true).c_str()));
    const pugi::xml_node failure = strict.select_node(xpath).node().child("failure");
    ASSERT_TRUE(failure);
    EXPECT_STREQ(failure.attribute("type").value(), "xpass");
    EXPECT_NE(std::string(failure.attribute("message").value()).find("stale"), std::string::npos);
    EXPECT_EQ(strict.document_element().attribute("failures").as_int(), 2);
}

TEST(JUnit, EmptyRunIsAValidDocument) {
    const std::string text = junit(RunResult{}, false);
    check_structure(text);
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(text.c_str()));
    EXPECT_EQ(doc.document_element().attribute("tests").as_int(-1), 0);
    EXPECT_STREQ(doc.document_element().attribute("time").value(), "0.000");
}

TEST(JUnit, HostileNamesStayWellFormed) {
    RunResult run;
    CellResult c = make_cell("s\x01<&\"", "c\xc3\x28", "a/\xff\x7f]]>", Verdict::error, -1.0);
    c.reason = std::string("nul \0 here", 10);
    c.properties = {{"k\x1b", "v\xfe"}};
    run.cells.push_back(c);
    const std::string text = junit(run, true);
    check_structure(text);
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(text.c_str()));
    EXPECT_STREQ(doc.select_node("//testsuite/@name").attribute().value(),
                 "s\\x01<&\"__c\xEF\xBF\xBD(");
    EXPECT_STREQ(doc.select_node("//error/@message").attribute().value(), "nul \\x00 here");
}

}  // namespace
}  // namespace fc
