// Pieces of per-cell captures that need no capture: the wire-expect kinds the loader takes
// are the ones harness/wire judges, active-mode detection, and what passing cells discard.
#include "harness/engine/cell_capture.hpp"
#include "harness/engine/cell_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/testing/temp_dir.hpp"
#include "harness/wire/check.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

TEST(CellCapture, LoaderKindsAreTheKindsTheWireLayerJudges) {
    for (std::string_view kind : wire_expect_kinds()) {
        auto parsed = wire::parse_wire_kind(kind);
        ASSERT_TRUE(parsed) << kind;
        EXPECT_EQ(std::string(wire::to_string(*parsed)), kind);
    }
    EXPECT_EQ(wire_expect_kinds().size(), 6u);
}

TEST(CellCapture, ActiveModeFromStepsOrSettings) {
    Scenario server_side;
    Step open;
    DataOpenStep data;
    data.mode = DataMode::epsv;
    open.body = data;
    server_side.steps.push_back(open);
    EXPECT_FALSE(uses_active_mode(server_side));
    data.mode = DataMode::eprt;
    open.body = data;
    server_side.steps.push_back(open);
    EXPECT_TRUE(uses_active_mode(server_side));

    Scenario client_side;
    client_side.client_settings = {"explicit", "passive"};
    ClientActionStep get;
    get.action = "get";
    ClientStep step;
    step.body = get;
    client_side.client_steps.push_back(step);
    EXPECT_FALSE(uses_active_mode(client_side));
    get.settings = {"active"};
    step.body = get;
    client_side.client_steps.push_back(step);
    EXPECT_TRUE(uses_active_mode(client_side));
}

TEST(CellCapture, SwitchedOffSaysSo) {
    EXPECT_EQ(capture_off_reason(false), "capture unavailable: switched off (--no-capture)");
}

}  // namespace
}  // namespace fc
