// The requirements table: its loader, and its consistency with the shipped scenarios.
#include "harness/scenario/requirements.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/scenario/loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;

std::string dump(const std::vector<Diagnostic>& diags) {
    std::string out;
    for (const auto& d : diags) {
        out += d.str() + "\n";
    }
    return out;
}

TEST(Requirements, TheShippedTableAndScenariosAgree) {
    const fs::path file = kSource / "scenarios" / "requirements.xml";
    std::vector<Diagnostic> diags;
    std::vector<Requirement> rows = load_requirements(file, diags);
    EXPECT_TRUE(diags.empty()) << dump(diags);
    ASSERT_GT(rows.size(), 100U);
    std::vector<Scenario> scenarios = load_scenarios({kSource / "scenarios"}, diags);
    ASSERT_TRUE(diags.empty()) << dump(diags);
    EXPECT_EQ(dump(check_requirements(rows, scenarios, file)), "");
}

TEST(Requirements, ACitationWithoutARowAndAnUnknownScenarioAreReported) {
    testing::TempDir dir("requirements");
    const fs::path file = dir.path() / "requirements.xml";
    std::ofstream(file) << "<requirements>\n"
                           "  <requirement ref=\"RFC4217 9\" level=\"must\" side=\"server\">\n"
                           "    <quote>The initial state of the data connection MUST be "
                           "'Clear'.</quote>\n"
                           "    <tested-by>prot-initial-clear no-such-scenario</tested-by>\n"
                           "  </requirement>\n"
                           "</requirements>\n";
    std::vector<Diagnostic> diags;
    std::vector<Requirement> rows = load_requirements(file, diags);
    ASSERT_TRUE(diags.empty()) << dump(diags);
    Scenario s;
    s.id = "prot-initial-clear";
    s.file = "prot-initial-clear.xml";
    s.specs.push_back(SpecRef{"RFC4217 9", "", "", SourcePos{4, 3}});
    s.specs.push_back(SpecRef{"RFC4217 8", "", "", SourcePos{5, 3}});
    s.specs.push_back(SpecRef{"RFC8446", "", "", SourcePos{6, 3}});  // whole RFC: no row needed
    const std::string text = dump(check_requirements(rows, {s}, file));
    EXPECT_NE(text.find("prot-initial-clear.xml:5:3: error: cites RFC4217 8, which has no row"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("requirements.xml:2:3: error: RFC4217 9: tested-by names "
                        "no-such-scenario, which is not a scenario"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("RFC8446"), std::string::npos) << text;
}

TEST(Requirements, MalformedRowsNameFileAndLine) {
    testing::TempDir dir("requirements-bad");
    const fs::path file = dir.path() / "requirements.xml";
    std::ofstream(file) << "<requirements>\n"
                           "  <requirement ref=\"4217\" level=\"MUST\" side=\"server\">\n"
                           "    <quote>x</quote>\n"
                           "  </requirement>\n"
                           "  <requirement ref=\"RFC4217 9\" level=\"must\" side=\"both\">\n"
                           "    <quote>y</quote><untested kind=\"later\">soon</untested>\n"
                           "  </requirement>\n"
                           "</requirements>\n";
    std::vector<Diagnostic> diags;
    load_requirements(file, diags);
    const std::string text = dump(diags);
    EXPECT_NE(text.find("requirements.xml:2:16: error: ref must name an RFC"), std::string::npos)
        << text;
    EXPECT_NE(text.find("requirements.xml:2:27: error: level must be one of"), std::string::npos)
        << text;
    EXPECT_NE(text.find("requirements.xml:2:3: error: a requirement has either <tested-by>"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("requirements.xml:6:31: error: kind must be one of"), std::string::npos)
        << text;
}

}  // namespace
}  // namespace fc
