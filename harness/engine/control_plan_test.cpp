// Planning of negative controls: which server a control runs on, with which features and
// misbehaviours, and why a control cannot run.
#include <gtest/gtest.h>

#include "harness/core/error.hpp"
#include "harness/engine/plan.hpp"

namespace fc {
namespace {

Scenario scenario(std::string id, NegativeControl nc, std::vector<std::string> features = {}) {
    Scenario s;
    s.id = std::move(id);
    s.area = "prot";
    s.server_features = std::move(features);
    s.negative_control = std::move(nc);
    return s;
}

ServerManifest server(std::string name, std::string misbehave = "") {
    ServerManifest m;
    m.name = std::move(name);
    m.misbehave = std::move(misbehave);
    return m;
}

std::vector<ClientManifest> reference_client() {
    ClientManifest c;
    c.name = "reference";
    c.builtin = true;
    return {c};
}

TEST(ControlPlan, MisbehaviourControlRunsOnTheNamedServerWithTheSwitchOn) {
    std::vector<Scenario> scenarios{scenario(
        "prot-without-pbsz-503", {.server = "reference", .misbehave = "prot-without-pbsz"})};
    std::vector<ServerManifest> servers{server("proftpd"),
                                        server("reference", "--misbehave ${name}")};
    std::vector<PendingControl> pending;
    auto cells = make_control_plan(scenarios, servers, reference_client(), {}, &pending);
    ASSERT_EQ(cells.size(), 1u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(cells[0].server_name, "reference");
    EXPECT_TRUE(cells[0].under_control);
    EXPECT_EQ(cells[0].misbehaviours, std::vector<std::string>{"prot-without-pbsz"});
}

TEST(ControlPlan, FeatureControlDropsAndAddsFeaturesWithoutMisbehaviours) {
    std::vector<Scenario> scenarios{
        scenario("clear-list-refused",
                 {.server = "proftpd", .without = {"data-tls-required"}, .with = {"ccc"}},
                 {"tls-required", "data-tls-required"})};
    std::vector<ServerManifest> servers{server("proftpd")};
    std::vector<PendingControl> pending;
    auto cells = make_control_plan(scenarios, servers, reference_client(), {}, &pending);
    ASSERT_EQ(cells.size(), 1u);
    EXPECT_EQ(cells[0].server_features, (std::vector<std::string>{"tls-required", "ccc"}));
    EXPECT_TRUE(cells[0].misbehaviours.empty());
}

TEST(ControlPlan, ServerWithoutMisbehaveSwitchOrNotSelectedIsPendingWithTheReason) {
    std::vector<Scenario> scenarios{
        scenario("a", {.server = "reference", .misbehave = "prot-without-pbsz"}),
        scenario("b", {.server = "vsftpd", .without = {"tls-required"}}, {"tls-required"})};
    std::vector<ServerManifest> servers{server("reference")};  // no <misbehave>
    std::vector<PendingControl> pending;
    auto cells = make_control_plan(scenarios, servers, reference_client(), {}, &pending);
    EXPECT_TRUE(cells.empty());
    ASSERT_EQ(pending.size(), 2u);
    EXPECT_NE(pending[0].why.find("no <misbehave> switch"), std::string::npos) << pending[0].why;
    EXPECT_NE(pending[1].why.find("'vsftpd'"), std::string::npos) << pending[1].why;
}

}  // namespace
}  // namespace fc
