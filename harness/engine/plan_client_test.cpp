// Planning of client scenarios: client-side cells (the reference server x each client),
// interop cells (each server x each client), FXP cells (each server x each client that
// can do fxp), and their negative controls (once per client).
#include <gtest/gtest.h>

#include "harness/core/error.hpp"
#include "harness/engine/plan.hpp"

namespace fc {
namespace {

Scenario client_scenario(std::string id, Role server_role, int servers = 1) {
    Scenario s;
    s.id = std::move(id);
    s.area = "client";
    s.server_role = server_role;
    s.client_role = Role::under_test;
    s.servers = servers;
    return s;
}

ServerManifest server(std::string name, std::string misbehave = "") {
    ServerManifest m;
    m.name = std::move(name);
    m.argv = "${binary}";
    m.misbehave = std::move(misbehave);
    return m;
}

ClientManifest client(std::string name, bool fxp = false) {
    ClientManifest c;
    c.name = std::move(name);
    c.builtin = c.name == "reference";
    if (fxp) {
        c.actions.push_back({"fxp", "x", "", false, {}});
    }
    return c;
}

std::vector<std::string> names(const std::vector<PlannedCell>& cells) {
    std::vector<std::string> out;
    for (const auto& c : cells) {
        out.push_back(c.scenario->id + ":" + c.server_name + "x" + c.client_name);
    }
    return out;
}

const std::vector<ServerManifest> kServers{server("proftpd"),
                                           server("reference", "--misbehave ${name}")};
const std::vector<ClientManifest> kClients{client("curl"), client("lftp", true),
                                           client("reference")};

TEST(ClientPlan, ClientSideInteropAndFxpCells) {
    Scenario side = client_scenario("side", Role::reference);
    side.misbehaviours = {"cert-untrusted"};
    side.server_features = {"tls-required"};
    std::vector<Scenario> scenarios{side, client_scenario("interop", Role::under_test),
                                    client_scenario("fxp", Role::under_test, 2)};
    auto cells = make_plan(scenarios, kServers, kClients, {});
    EXPECT_EQ(names(cells),
              (std::vector<std::string>{
                  "side:referencexcurl", "side:referencexlftp", "side:referencexreference",
                  "interop:proftpdxcurl", "interop:proftpdxlftp", "interop:proftpdxreference",
                  "interop:referencexcurl", "interop:referencexlftp", "interop:referencexreference",
                  // FXP for every client too: one without an fxp action is `unsupported`
                  // when the cell runs, never left out.
                  "fxp:proftpdxcurl", "fxp:proftpdxlftp", "fxp:proftpdxreference",
                  "fxp:referencexcurl", "fxp:referencexlftp", "fxp:referencexreference"}));
    EXPECT_EQ(cells[0].misbehaviours, std::vector<std::string>{"cert-untrusted"});
    EXPECT_EQ(cells[0].server_features, std::vector<std::string>{"tls-required"});
    EXPECT_FALSE(cells[0].under_control);
}

TEST(ClientPlan, SelectionNarrowsRowsAndColumns) {
    std::vector<Scenario> scenarios{client_scenario("side", Role::reference),
                                    client_scenario("interop", Role::under_test)};
    auto cells = make_plan(scenarios, kServers, kClients, {{"proftpd"}, {"curl"}, {}, {}});
    // Without the reference server selected, client-side scenarios have no row.
    EXPECT_EQ(names(cells), std::vector<std::string>{"interop:proftpdxcurl"});
}

TEST(ClientPlan, AServerAlreadyRunningStillHasItsClientCells) {
    ServerManifest target;  // as external_manifest() makes for --target: no argv
    target.name = "target";
    std::vector<Scenario> scenarios{client_scenario("interop", Role::under_test)};
    // Planned, so the report shows them; the runner makes them `unsupported` (the harness
    // cannot seed or read the files of a server it did not start).
    EXPECT_EQ(names(make_plan(scenarios, {target}, kClients, {})),
              (std::vector<std::string>{"interop:targetxcurl", "interop:targetxlftp",
                                        "interop:targetxreference"}));
}

TEST(ClientPlan, ControlsRunOncePerClientWithMisbehavioursAdjusted) {
    Scenario untrusted = client_scenario("untrusted", Role::reference);
    untrusted.misbehaviours = {"cert-untrusted", "replies-slow"};
    untrusted.negative_control.server = "reference";
    untrusted.negative_control.without_misbehave = "cert-untrusted";
    Scenario interop = client_scenario("interop", Role::under_test);
    interop.server_features = {"tls-required"};
    interop.negative_control = {.server = "reference", .misbehave = "upload-tail-lost"};
    Scenario fxp = client_scenario("fxp", Role::under_test, 2);
    fxp.server_features = {"foreign-data-allowed"};
    fxp.negative_control = {.server = "proftpd", .without = {"foreign-data-allowed"}};
    std::vector<Scenario> scenarios{untrusted, interop, fxp};
    std::vector<PendingControl> pending;
    auto cells = make_control_plan(scenarios, kServers, kClients, {}, &pending);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(names(cells),
              (std::vector<std::string>{"untrusted:referencexcurl", "untrusted:referencexlftp",
                                        "untrusted:referencexreference", "interop:referencexcurl",
                                        "interop:referencexlftp", "interop:referencexreference",
                                        "fxp:proftpdxlftp"}));
    for (const auto& c : cells) {
        EXPECT_TRUE(c.under_control);
    }
    EXPECT_EQ(cells[0].misbehaviours, std::vector<std::string>{"replies-slow"});
    EXPECT_EQ(cells[3].misbehaviours, std::vector<std::string>{"upload-tail-lost"});
    EXPECT_EQ(cells[3].server_features, std::vector<std::string>{"tls-required"});
    EXPECT_TRUE(cells[6].server_features.empty());
}

TEST(ClientPlan, ControlsThatCannotRunArePending) {
    Scenario a = client_scenario("a", Role::under_test);
    a.negative_control = {.server = "reference", .misbehave = "upload-tail-lost"};
    Scenario b = client_scenario("b", Role::under_test, 2);
    b.negative_control = {.server = "proftpd", .without = {"foreign-data-allowed"}};
    std::vector<Scenario> scenarios{a, b};
    std::vector<PendingControl> pending;
    auto cells =
        make_control_plan(scenarios, kServers, kClients, {{"proftpd"}, {"curl"}, {}, {}}, &pending);
    EXPECT_TRUE(cells.empty());
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].why, "needs server 'reference', which is not selected");
    // Without --clients, a scenario that no client at all can run is pending.
    pending.clear();
    const std::vector<ClientManifest> no_fxp{kClients[0]};
    ASSERT_FALSE(no_fxp[0].can("fxp"));
    cells = make_control_plan(scenarios, kServers, no_fxp, {{"proftpd"}, {}, {}, {}}, &pending);
    ASSERT_EQ(pending.size(), 2u);
    EXPECT_EQ(pending[1].why, "no selected client can run it");
}

TEST(ClientPlan, ControlsForClientsWithoutFxpLeaveFxpOut) {
    // `controls --clients curl`: curl cannot do FXP, so the FXP scenario is none of the
    // selection's (as `run --clients curl` shows it unsupported), not pending.
    Scenario fxp = client_scenario("fxp", Role::under_test, 2);
    fxp.negative_control = {.server = "proftpd", .without = {"foreign-data-allowed"}};
    std::vector<Scenario> scenarios{fxp};
    std::vector<PendingControl> pending;
    auto cells = make_control_plan(scenarios, kServers, kClients, {{}, {"curl"}, {}, {}}, &pending);
    EXPECT_TRUE(cells.empty());
    EXPECT_TRUE(pending.empty());
}

TEST(ClientPlan, ControlsForOneClientLeaveServerSideScenariosOut) {
    Scenario server_side = client_scenario("srv", Role::reference);
    server_side.server_role = Role::under_test;
    server_side.client_role = Role::reference;
    server_side.negative_control = {.server = "proftpd", .without = {"tls-required"}};
    Scenario interop = client_scenario("interop", Role::under_test);
    interop.negative_control = {.server = "reference", .misbehave = "upload-tail-lost"};
    std::vector<Scenario> scenarios{server_side, interop};
    std::vector<PendingControl> pending;
    // `controls --clients curl`: the reference client drives server-side scenarios, so they
    // are outside the selection, not controls that "cannot run here".
    auto cells = make_control_plan(scenarios, kServers, kClients, {{}, {"curl"}, {}, {}}, &pending);
    EXPECT_EQ(names(cells), std::vector<std::string>{"interop:referencexcurl"});
    EXPECT_TRUE(pending.empty());
}

}  // namespace
}  // namespace fc
