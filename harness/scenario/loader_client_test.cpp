// Client scenarios: roles, <requires misbehave=>, <settings>, and the client steps
// <seed>, <client>, <log-expect>, <log-order>; every problem at its exact place.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/scenario/loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

// Lines 1-3 of every test file; the test's text starts on line 4.
const char* kHead = R"m(<?xml version="1.0" encoding="UTF-8"?>
<scenario id="s" level="interop">
  <title>t</title>
)m";

class ClientLoader : public ::testing::Test {
protected:
    std::optional<Scenario> load(const std::string& body) {
        fs::path file = dir_.path() / "client" / "s.xml";
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
    struct Expected {
        int line;
        int column;
        const char* fragment;
    };
    void expect_diags(const std::vector<Expected>& want) {
        ASSERT_EQ(diags_.size(), want.size()) << dump();
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(diags_[i].line, want[i].line) << diags_[i].str();
            EXPECT_EQ(diags_[i].column, want[i].column) << diags_[i].str();
            EXPECT_NE(diags_[i].message.find(want[i].fragment), std::string::npos)
                << diags_[i].str();
        }
    }

    testing::TempDir dir_{"client-loader"};
    std::vector<Diagnostic> diags_;
};

TEST_F(ClientLoader, ReadsAClientSideScenario) {
    auto s = load(R"m(  <roles server="reference" client="under-test"/>
  <requires server="tls-required" misbehave="cert-untrusted replies-slow"/>
  <settings>verify prot-p  passive</settings>
  <steps>
    <seed remote="d/a.bin" size="64k"/>
    <client action="get" remote="d/a.bin b" local="x y" settings="tls13" timeout="30s"/>
    <client action="put" remote="up" size="1k" expect="failure"/>
    <client action="list" contains="a.bin"/>
    <client action="login" expect="any"/>
    <log-expect event="command" where="verb=PBSZ protected=true" count="1+"/>
    <log-expect event="tls" where="channel=data" require="resumed=true" count="2"/>
    <log-order first="command verb=PBSZ" then="command verb=PROT" optional="true"/>
  </steps>
  <negative-control server="reference" without-misbehave="cert-untrusted"/>
)m");
    ASSERT_TRUE(s) << dump();
    EXPECT_TRUE(s->client_under_test());
    EXPECT_EQ(s->server_role, Role::reference);
    EXPECT_EQ(s->servers, 1);
    EXPECT_EQ(s->misbehaviours, (std::vector<std::string>{"cert-untrusted", "replies-slow"}));
    EXPECT_EQ(s->client_settings, (std::vector<std::string>{"verify", "prot-p", "passive"}));
    EXPECT_TRUE(s->steps.empty());
    ASSERT_EQ(s->client_steps.size(), 8u);
    const auto& seed = std::get<SeedStep>(s->client_steps[0].body);
    EXPECT_EQ(seed.remote, "d/a.bin");
    EXPECT_EQ(seed.size, 65536u);
    EXPECT_EQ(s->client_steps[0].pos.line, 8);
    EXPECT_EQ(s->client_steps[0].pos.column, 5);
    const auto& get = std::get<ClientActionStep>(s->client_steps[1].body);
    EXPECT_EQ(get.remote, (std::vector<std::string>{"d/a.bin", "b"}));
    EXPECT_EQ(get.local, (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(get.settings, std::vector<std::string>{"tls13"});
    EXPECT_TRUE(get.expect_success);
    EXPECT_EQ(s->client_steps[1].guard.timeout, std::chrono::milliseconds(30000));
    const auto& put = std::get<ClientActionStep>(s->client_steps[2].body);
    EXPECT_EQ(put.local, std::vector<std::string>{"up"});
    EXPECT_EQ(put.size, 1024u);
    EXPECT_FALSE(put.expect_success);
    EXPECT_EQ(std::get<ClientActionStep>(s->client_steps[3].body).contains, "a.bin");
    EXPECT_EQ(s->client_steps[4].kind(), "client");
    EXPECT_TRUE(std::get<ClientActionStep>(s->client_steps[4].body).expect_any);
    EXPECT_FALSE(get.expect_any);
    const auto& pbsz = std::get<LogExpectStep>(s->client_steps[5].body);
    EXPECT_EQ(pbsz.select.describe(), "command verb=PBSZ protected=true");
    EXPECT_TRUE(pbsz.at_least);
    EXPECT_EQ(pbsz.count, 1u);
    const auto& data = std::get<LogExpectStep>(s->client_steps[6].body);
    EXPECT_FALSE(data.at_least);
    EXPECT_EQ(data.count, 2u);
    ASSERT_EQ(data.require.size(), 1u);
    EXPECT_EQ(data.require[0].name, "resumed");
    EXPECT_EQ(data.require[0].value, "true");
    const auto& order = std::get<LogOrderStep>(s->client_steps[7].body);
    EXPECT_EQ(order.first.describe(), "command verb=PBSZ");
    EXPECT_EQ(order.then.describe(), "command verb=PROT");
    EXPECT_TRUE(order.optional);
    EXPECT_EQ(s->negative_control.without_misbehave, "cert-untrusted");
}

TEST_F(ClientLoader, ReadsAnFxpScenario) {
    auto s = load(R"m(  <roles server="under-test" client="under-test" servers="2"/>
  <requires server="foreign-data-allowed"/>
  <steps>
    <seed remote="f"/>
    <client action="fxp" remote="f" remote2="g" settings="prot-c"/>
    <client action="fxp" remote="f"/>
  </steps>
  <negative-control server="proftpd" without="foreign-data-allowed"/>
)m");
    ASSERT_TRUE(s) << dump();
    EXPECT_TRUE(s->fxp());
    EXPECT_EQ(std::get<ClientActionStep>(s->client_steps[1].body).remote2, "g");
    EXPECT_EQ(std::get<ClientActionStep>(s->client_steps[2].body).remote2, "f");
    EXPECT_TRUE(std::get<ClientActionStep>(s->client_steps[1].body).local.empty());
}

TEST_F(ClientLoader, MixingStepKindsIsAnError) {
    EXPECT_FALSE(load(R"m(  <roles server="reference" client="under-test"/>
  <steps>
    <seed remote="a"/>
    <connect/>
    <client action="login"/>
  </steps>
  <negative-control server="reference" misbehave="auth-refused"/>
)m"));
    expect_diags({{7, 5, "<connect> is a reference-client step, and this scenario has client"}});
}

TEST_F(ClientLoader, RolesMustMatchTheSteps) {
    EXPECT_FALSE(load(R"m(  <settings>verify</settings>
  <steps>
    <client action="login"/>
  </steps>
  <negative-control server="reference" misbehave="auth-refused"/>
)m"));
    expect_diags({{2, 1,
                   "client steps (<seed>, <client>, <log-expect>, <log-order>) need "
                   "<roles client=\"under-test\">"}});
    diags_.clear();
    EXPECT_FALSE(load(R"m(  <roles server="under-test" client="under-test"/>
  <settings>verify</settings>
  <steps>
    <connect/>
  </steps>
  <negative-control server="reference" misbehave="auth-refused"/>
)m"));
    expect_diags({
        {4, 3, "client=\"under-test\" scenarios use client steps"},
        {5, 3, "<settings> applies to <client> steps, and this scenario has none"},
    });
}

TEST_F(ClientLoader, ReportsEveryProblemAtItsPlace) {
    EXPECT_FALSE(load(R"m(  <roles server="under-test" client="under-test" servers="3"/>
  <requires misbehave="cert-untrusted cert-expird"/>
  <settings>verfy prot-p</settings>
  <steps>
    <seed remote="../x" size="lots"/>
    <client action="gett"/>
    <client action="get" remote="a b" local="x" contains="a" expect="maybe"/>
    <client action="mkdir"/>
    <client action="fxp" remote="a"/>
    <log-expect event="command" where="verb" count="2++"/>
    <log-order first="verb=PBSZ" then="command verb=PROT"/>
  </steps>
  <negative-control server="reference" without-misbehave="cert-expired"/>
)m"));
    expect_diags({
        {4, 50, "bad value '3' for 'servers' (use 1, or 2 for FXP)"},
        {5, 13, "unknown misbehaviour 'cert-expird' (did you mean 'cert-expired'?)"},
        {5, 13, "misbehave= needs <roles server=\"reference\">"},
        {6, 3, "unknown client setting 'verfy' (did you mean 'verify'?)"},
        {8, 11, "bad file name '../x' has an empty, '.' or '..' component"},
        {8, 25, "bad size 'lots'"},
        {9, 13, "unknown action 'gett' (did you mean 'get'?)"},
        {10, 49, "'contains' does not apply to action 'get'"},
        {10, 39, "'local' names 1 file(s) and 'remote' 2"},
        {10, 62, "bad value 'maybe' for 'expect'; use success, failure or any"},
        {11, 5, "missing required attribute 'remote' on <client action=\"mkdir\">"},
        {13, 33, "bad condition 'verb' (write field=value, e.g. verb=PBSZ)"},
        {13, 46, "bad count '2++'"},
        {14, 16, "'first' starts with the event name"},
        {12, 13, "action 'fxp' needs two servers: <roles servers=\"2\">"},
        {13, 5,
         "<log-expect> reads the reference server's event log: it needs <roles "
         "server=\"reference\">"},
        {14, 5, "<log-order> reads the reference server's event log"},
        {16, 40, "'cert-expired' is not one of the scenario's <requires misbehave=...>"},
    });
}

TEST_F(ClientLoader, ContradictingSettingsAreReportedAtTheStep) {
    EXPECT_FALSE(load(R"m(  <roles server="under-test" client="under-test"/>
  <settings>passive tls12</settings>
  <steps>
    <client action="login" settings="tls13"/>
    <client action="login"/>
    <client action="login" settings="active implicit explicit"/>
  </steps>
  <negative-control server="reference" misbehave="auth-refused"/>
)m"));
    expect_diags({
        {7, 28, "contradicting settings: tls12 and tls13 (with the scenario's <settings>)"},
        {9, 28, "contradicting settings: explicit and implicit"},
        {9, 28, "contradicting settings: passive and active"},
    });
}

TEST_F(ClientLoader, MisbehaveNeedsTheReferenceServer) {
    EXPECT_FALSE(load(R"m(  <roles server="under-test" client="under-test"/>
  <requires misbehave="cert-untrusted"/>
  <steps>
    <client action="login"/>
  </steps>
  <negative-control server="reference" misbehave="auth-refused"/>
)m"));
    expect_diags({{5, 13, "misbehave= needs <roles server=\"reference\">"}});
}

}  // namespace
}  // namespace fc
