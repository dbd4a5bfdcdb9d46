// <wire-expect>: assertions on the cell's capture; every problem at its exact place.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/scenario/loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

// Lines 1-8; the <wire-expect> elements start on line 9.
const char* kHead = R"m(<?xml version="1.0" encoding="UTF-8"?>
<scenario id="s" level="interop">
  <title>t</title>
  <roles server="under-test" client="under-test"/>
  <steps>
    <client action="list"/>
  </steps>
  <negative-control server="reference" misbehave="data-no-tls"/>
)m";

class WireLoader : public ::testing::Test {
protected:
    std::optional<Scenario> load(const std::string& body) {
        fs::path file = dir_.path() / "interop" / "s.xml";
        fs::create_directories(file.parent_path());
        std::ofstream(file) << kHead << body << "</scenario>\n";
        return load_scenario_file(file, diags_);
    }
    std::string dump() const {
        std::string out;
        for (const auto& d : diags_) {
            out += d.str() + "\n";
        }
        return out;
    }
    testing::TempDir dir_{"wire-loader"};
    std::vector<Diagnostic> diags_;
};

TEST_F(WireLoader, ReadsEveryKind) {
    auto s = load(R"m(  <wire-expect kind="data-protected"/>
  <wire-expect kind="tls-version" version="1.2" scope="control"/>
  <wire-expect kind="data-resumed"/>
  <wire-expect kind="client-cert-sent"/>
  <wire-expect kind="close-notify" side="client" uploads-only="true"/>
  <wire-expect kind="no-clear-data"/>
)m");
    ASSERT_TRUE(s) << dump();
    ASSERT_EQ(s->wire_expect.size(), 6u);
    EXPECT_EQ(s->wire_expect[0].kind, "data-protected");
    EXPECT_EQ(s->wire_expect[0].pos.line, 9);
    EXPECT_EQ(s->wire_expect[1].version, "1.2");
    EXPECT_EQ(s->wire_expect[1].scope, "control");
    EXPECT_EQ(s->wire_expect[4].side, "client");
    EXPECT_TRUE(s->wire_expect[4].uploads_only);
    EXPECT_FALSE(s->wire_expect[0].uploads_only);
}

TEST_F(WireLoader, ReportsBadAssertionsAtTheirPlace) {
    EXPECT_FALSE(load(R"m(  <wire-expect kind="data-protectd"/>
  <wire-expect kind="tls-version"/>
  <wire-expect kind="data-resumed" version="1.3"/>
  <wire-expect kind="tls-version" version="1.1"/>
  <wire-expect kind="data-protected" side="server"/>
)m"));
    ASSERT_EQ(diags_.size(), 5u) << dump();
    EXPECT_EQ(diags_[0].line, 9);
    EXPECT_NE(diags_[0].message.find("did you mean 'data-protected'"), std::string::npos) << dump();
    EXPECT_EQ(diags_[1].line, 10);
    EXPECT_NE(diags_[1].message.find("needs version="), std::string::npos) << dump();
    EXPECT_EQ(diags_[2].line, 11);
    EXPECT_NE(diags_[2].message.find("version= only goes with"), std::string::npos) << dump();
    EXPECT_EQ(diags_[3].line, 12);
    EXPECT_EQ(diags_[4].line, 13);
    EXPECT_NE(diags_[4].message.find("side= only goes with"), std::string::npos) << dump();
}

}  // namespace
}  // namespace fc
