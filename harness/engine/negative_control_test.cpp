// Every shipped scenario must be able to pass and to fail, checked here without starting a
// process: a scripted peer plays the server. Answering correctly, the scenario must pass;
// with the misbehaviour its negative control names, it must fail. The same check against the
// real reference server is the `controls` ctest (ftps-conform controls).
#include <gtest/gtest.h>

#include <filesystem>

#include "clients/reference/reference_session.hpp"
#include "harness/scenario/loader.hpp"
#include "harness/testing/scripted_peer.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

class ShippedScenarios : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new testing::TempDir("negctl");
        pki_ = new PkiFiles(make_test_pki(dir_->path() / "pki"));
        std::vector<Diagnostic> diags;
        scenarios_ = new std::vector<Scenario>(
            load_scenarios({fs::path(FTPS_CONFORM_SOURCE_DIR) / "scenarios"}, diags));
        for (const auto& d : diags) {
            ADD_FAILURE() << d.str();
        }
    }
    static void TearDownTestSuite() {
        delete scenarios_;
        delete pki_;
        delete dir_;
    }

    static SessionOutcome run_against(const Scenario& s, std::set<std::string> misbehaviours,
                                      Transcript& transcript) {
        testing::ScriptedPeer::Config config;
        config.pki = pki_;
        config.misbehaviours = std::move(misbehaviours);
        config.features.insert(s.server_features.begin(), s.server_features.end());
        testing::ScriptedPeer peer(config);
        Target target;
        target.port = peer.port();
        target.user = config.user;
        target.password = config.password;
        target.features = s.server_features;
        target.ca_file = pki_->ca_cert;
        target.verify_name = "127.0.0.1";
        SessionOptions options;
        options.step_timeout = Millis(5000);
        return run_reference_session(s, target, options, transcript);
    }

    static testing::TempDir* dir_;
    static PkiFiles* pki_;
    static std::vector<Scenario>* scenarios_;
};

testing::TempDir* ShippedScenarios::dir_ = nullptr;
PkiFiles* ShippedScenarios::pki_ = nullptr;
std::vector<Scenario>* ShippedScenarios::scenarios_ = nullptr;

TEST_F(ShippedScenarios, EachPassesAgainstACorrectPeerAndFailsUnderItsNegativeControl) {
    ASSERT_FALSE(scenarios_->empty());
    int proven = 0;
    for (const Scenario& s : *scenarios_) {
        const NegativeControl& nc = s.negative_control;
        if (nc.server != "reference" || !testing::ScriptedPeer::can_misbehave(nc.misbehave)) {
            // Controls on real servers are proven by `ftps-conform controls` (a real-server
            // test); the other misbehaviours need the reference server (issue 6).
            continue;
        }
        SCOPED_TRACE(s.id + " (control: " + nc.misbehave + ")");
        Transcript good;
        SessionOutcome ok = run_against(s, {}, good);
        EXPECT_EQ(ok.verdict, Verdict::pass) << ok.reason << "\n" << good.render();
        Transcript bad;
        SessionOutcome broken = run_against(s, {nc.misbehave}, bad);
        EXPECT_EQ(broken.verdict, Verdict::fail)
            << "scenario still " << to_string(broken.verdict) << " under its negative control\n"
            << bad.render();
        ++proven;
    }
    EXPECT_GE(proven, 3);
}

TEST_F(ShippedScenarios, FailureNamesStepLineExpectedAndObserved) {
    auto it = std::find_if(scenarios_->begin(), scenarios_->end(),
                           [](const Scenario& s) { return s.id == "auth-tls-234"; });
    ASSERT_NE(it, scenarios_->end());
    Transcript transcript;
    SessionOutcome out = run_against(*it, {"auth-tls-334"}, transcript);
    ASSERT_EQ(out.verdict, Verdict::fail);
    ASSERT_TRUE(out.failure.has_value());
    EXPECT_EQ(out.failure->step_index, 4);
    EXPECT_GT(out.failure->line, 0);
    EXPECT_EQ(out.failure->expected, "code 234");
    EXPECT_NE(out.failure->observed.find("334"), std::string::npos);
    EXPECT_NE(out.failure->step.find("AUTH TLS"), std::string::npos);
}

TEST_F(ShippedScenarios, UnreachableServerIsAnErrorNotAFailure) {
    Transcript transcript;
    Target target;
    std::string error;
    {
        UniqueFd probe = tcp_listen("127.0.0.1", 0, &error);
        target.port = local_port(probe.get());
    }  // closed: nothing listens there now
    SessionOptions options;
    options.step_timeout = Millis(2000);
    SessionOutcome out = run_reference_session(scenarios_->front(), target, options, transcript);
    EXPECT_EQ(out.verdict, Verdict::error) << out.reason;
    EXPECT_NE(out.reason.find("cannot connect"), std::string::npos) << out.reason;
}

// A live server that accepts and never answers has failed the step (its behaviour), within
// the step's deadline: `error` is only for a test that could not run.
TEST_F(ShippedScenarios, SilentServerFailsWithinTheStepDeadline) {
    std::string error;
    UniqueFd listener = tcp_listen("127.0.0.1", 0, &error);  // accepts, never speaks
    Target target;
    target.port = local_port(listener.get());
    SessionOptions options;
    options.step_timeout = Millis(300);
    Transcript transcript;
    auto started = Clock::now();
    SessionOutcome out = run_reference_session(scenarios_->front(), target, options, transcript);
    EXPECT_EQ(out.verdict, Verdict::fail) << out.reason;
    ASSERT_TRUE(out.failure);
    EXPECT_EQ(out.failure->observed, "no reply within 0.3 s");
    EXPECT_NE(out.reason.find("no reply within 0.3 s"), std::string::npos) << out.reason;
    EXPECT_LT(Clock::now() - started, Millis(3000));
}

}  // namespace
}  // namespace fc
