// Client actions from manifests: settings realised as fragments and variables, scripts
// rendered with @each blocks, and the builtin client's equivalent steps.
#include "harness/engine/client_action.hpp"
#include "harness/core/features.hpp"

#include <gtest/gtest.h>

#include "clients/reference/actions.hpp"
#include "harness/core/error.hpp"
#include "harness/engine/client_cell.hpp"
#include "harness/ftp/data_channel.hpp"

namespace fc {
namespace {

SettingFragment fragment(std::vector<std::string> settings, std::string text,
                         std::vector<std::pair<std::string, std::string>> vars = {}) {
    return SettingFragment{std::move(settings), std::move(text), std::move(vars), {}};
}

ClientManifest curl_like() {
    ClientManifest m;
    m.name = "curl";
    m.file = "/m/curl/manifest.xml";
    m.binary = "/usr/bin/curl";
    m.vars = {{"scheme", "ftp"}, {"ssl", "ssl-reqd"}};
    m.settings = {
        fragment({"explicit"}, "", {{"scheme", "ftp"}}),
        fragment({"implicit"}, "", {{"scheme", "ftps"}}),
        fragment({"prot-c"}, "", {{"ssl", "ftp-ssl-control"}}),
        fragment({"verify"}, "cacert = \"${ca_cert}\"\n"),
        fragment({"tls12"}, "tlsv1.2\ntls-max = \"1.2\"\n"),
        fragment({"tls12", "verify"}, "# both at once\n"),
    };
    m.actions = {ClientAction{"get",
                              "${binary} --config ${script}",
                              "${ssl}\n${settings}\n@each\nurl = \"${scheme}://${host}:${port}/"
                              "${remote}\"\noutput = \"${local}\"\n@end\n",
                              false,
                              {}}};
    return m;
}

TEST(ClientSettings, ExplicitIsTheDefaultAndListsAreMerged) {
    EXPECT_EQ(effective_settings({"verify", "passive"}, {"tls13", "verify"}),
              (std::vector<std::string>{"explicit", "passive", "tls13", "verify"}));
    EXPECT_EQ(effective_settings({"implicit"}, {}), (std::vector<std::string>{"implicit"}));
    EXPECT_EQ(conflicting_client_settings({"active", "explicit", "passive", "tls12", "tls13"}),
              (std::vector<std::string>{"passive and active", "tls12 and tls13"}));
    EXPECT_TRUE(conflicting_client_settings({"explicit", "verify"}).empty());
}

TEST(ClientSettings, FragmentsForASetWinAndAttributesOverrideVars) {
    ClientManifest m = curl_like();
    std::vector<std::string> missing;
    auto r = realise_settings(m, {"implicit", "prot-c", "tls12", "verify"}, &missing);
    ASSERT_TRUE(r);
    // The set fragment replaces both members'; the rest come in manifest order.
    EXPECT_EQ(r->text, "# both at once\n");
    EXPECT_EQ(r->vars, (std::vector<std::pair<std::string, std::string>>{
                           {"scheme", "ftps"}, {"ssl", "ftp-ssl-control"}}));
    auto plain = realise_settings(m, {"explicit", "verify"}, &missing);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->text, "cacert = \"${ca_cert}\"\n");
    EXPECT_EQ(plain->vars[0].second, "ftp");
}

TEST(ClientSettings, AMissingFragmentNamesTheSettings) {
    std::vector<std::string> missing;
    EXPECT_FALSE(realise_settings(curl_like(), {"explicit", "no-reuse", "active"}, &missing));
    EXPECT_EQ(missing, (std::vector<std::string>{"active", "no-reuse"}));
}

TEST(ClientScript, EachBlockRepeatsPerFileAndOutsideSeesTheFirst) {
    Variables vars{{"host", "127.0.0.1"}};
    std::string out = render_script(
        "open ${host} ${remote}\n@each\nget ${remote} -o ${local}\n@end\n"
        "bye\n",
        vars, {{"a.bin", "/l/a"}, {"d/b.bin", "/l/b"}}, "test");
    EXPECT_EQ(out, "open 127.0.0.1 a.bin\nget a.bin -o /l/a\nget d/b.bin -o /l/b\nbye\n");
    EXPECT_THROW(render_script("${nope}\n", vars, {}, "test"), HarnessError);
}

TEST(ClientScript, RenderActionFillsSettingsVarsAndArgv) {
    ClientManifest m = curl_like();
    std::vector<std::string> missing;
    auto settings = realise_settings(m, {"explicit", "verify"}, &missing);
    ASSERT_TRUE(settings);
    Variables vars{{"binary", "/usr/bin/curl"},
                   {"script", "/c/s.cfg"},
                   {"host", "127.0.0.1"},
                   {"port", "2121"},
                   {"ca_cert", "/pki/ca.pem"}};
    RenderedAction a = render_action(m, m.actions[0], *settings, vars, {{"x", "/l/x"}});
    EXPECT_EQ(a.argv, (std::vector<std::string>{"/usr/bin/curl", "--config", "/c/s.cfg"}));
    EXPECT_EQ(a.script,
              "ssl-reqd\ncacert = \"/pki/ca.pem\"\nurl = \"ftp://127.0.0.1:2121/x\"\n"
              "output = \"/l/x\"\n");
}

TEST(ClientSeed, BytesDependOnNameAndSizeOnly) {
    EXPECT_EQ(seed_bytes("a.bin", 1000), seed_bytes("a.bin", 1000));
    EXPECT_NE(seed_bytes("a.bin", 1000), seed_bytes("b.bin", 1000));
    EXPECT_EQ(seed_bytes("a.bin", 13).size(), 13u);
    EXPECT_EQ(seed_bytes("a.bin", 1000).substr(0, 13), seed_bytes("a.bin", 13));
}

TEST(ClientUnsupported, NamesMissingActionsAndSettings) {
    ClientManifest m = curl_like();
    Scenario s;
    s.client_role = Role::under_test;
    s.client_settings = {"verify"};
    ClientActionStep get;
    get.action = "get";
    get.remote = {"a"};
    get.settings = {"no-reuse"};
    ClientActionStep fxp;
    fxp.action = "fxp";
    s.client_steps = {ClientStep{get, {}, {}}, ClientStep{fxp, {}, {}}};
    EXPECT_EQ(client_unsupported(m, s),
              "curl has no action: fxp; curl cannot realise setting(s): no-reuse");
    ClientManifest builtin;
    builtin.name = "reference";
    builtin.builtin = true;
    EXPECT_EQ(client_unsupported(builtin, s), "reference has no action: fxp");
    s.client_steps.pop_back();
    EXPECT_EQ(client_unsupported(builtin, s), "");
    s.client_settings = {"implicit", "tls13"};
    EXPECT_EQ(client_unsupported(builtin, s),
              "reference cannot realise setting(s): tls13 (with implicit)");
}

// A client that logs in per file cannot do a step of several files (one login by the action
// table): the cell is unsupported with that reason, never a pass that proves nothing.
TEST(ClientUnsupported, PerFileLoginsCannotDoSeveralFilesOnOneLogin) {
    ClientManifest m = curl_like();
    m.name = "wget";
    m.actions[0].login_per_file = true;
    Scenario s;
    s.client_role = Role::under_test;
    ClientActionStep get;
    get.action = "get";
    get.remote = {"a"};
    s.client_steps = {ClientStep{get, {}, {}}};
    EXPECT_EQ(client_unsupported(m, s), "");
    get.remote = {"a", "b"};
    ClientActionStep put;
    put.action = "put";
    put.remote = {"c"};
    s.client_steps = {ClientStep{get, {}, {}}, ClientStep{put, {}, {}}};
    EXPECT_EQ(client_unsupported(m, s),
              "wget has no action: put; wget logs in once per file (get): it cannot keep the "
              "step's several files on one login");
    m.actions[0].login_per_file = false;
    EXPECT_EQ(client_unsupported(m, s), "wget has no action: put");
}

// The reason line: the manifest's <error-pattern> picks the client's own error out of stderr,
// else out of its debug log; without one (or without a match) the last line of stderr.
TEST(ClientReason, ErrorPatternPicksTheClientsOwnErrorLine) {
    const std::string err = "connecting...\nGnuTLS: The certificate is NOT trusted.\nbye\n\n";
    EXPECT_EQ(client_error_reason("", err, ""), "bye");
    EXPECT_EQ(client_error_reason("^GnuTLS: .*", err, ""),
              "GnuTLS: The certificate is NOT trusted.");
    EXPECT_EQ(client_error_reason("^GnuTLS: (.*)$", err, ""), "The certificate is NOT trusted.");
    const std::string log = "DEBUG : dial\nERROR : a.bin: 550 No such file\nFailed to copy\n";
    EXPECT_EQ(client_error_reason("ERROR : (.*)", "", log), "a.bin: 550 No such file");
    EXPECT_EQ(client_error_reason("ERROR : (.*)", "stderr line\n", log), "a.bin: 550 No such file");
    EXPECT_EQ(client_error_reason("nothing like this", "stderr line\r\n", log), "stderr line");
    EXPECT_EQ(client_error_reason("no match", std::string(300, 'x'), "").size(), 203u);
}

TEST(ClientBuiltin, ActionsBecomeReferenceSteps) {
    Scenario s;
    s.id = "x";
    ClientActionStep put;
    put.action = "put";
    put.remote = {"a", "b"};
    put.size = 1234;
    Scenario steps =
        builtin_action_scenario(s, put, {"active", "client-cert", "explicit", "no-reuse", "tls12"});
    std::vector<std::string_view> kinds;
    for (const auto& step : steps.steps) {
        kinds.push_back(step.kind());
    }
    EXPECT_EQ(kinds, (std::vector<std::string_view>{"connect", "expect", "send", "expect",
                                                    "tls-handshake", "login", "send", "expect",
                                                    "send", "expect", "send", "expect", "data-open",
                                                    "transfer", "data-open", "transfer"}));
    const auto& hs = std::get<TlsHandshakeStep>(steps.steps[4].body);
    EXPECT_EQ(hs.max_version, "1.2");
    EXPECT_EQ(hs.client_cert, "valid");
    EXPECT_FALSE(hs.verify);
    EXPECT_EQ(std::get<SendStep>(steps.steps[8].body).line, "PROT P");
    EXPECT_EQ(std::get<DataOpenStep>(steps.steps[12].body).mode, DataMode::port);
    const auto& t = std::get<TransferStep>(steps.steps[15].body);
    EXPECT_EQ(t.command, "STOR b");
    EXPECT_TRUE(t.upload);
    EXPECT_EQ(t.resume, ResumeFrom::none);
    EXPECT_EQ(t.size, 1234u);

    ClientActionStep mkdir;
    mkdir.action = "mkdir";
    mkdir.remote = {"d"};
    Scenario implicit = builtin_action_scenario(s, mkdir, {"implicit", "prot-c", "verify"});
    EXPECT_TRUE(std::get<ConnectStep>(implicit.steps[0].body).implicit);
    EXPECT_EQ(std::get<SendStep>(implicit.steps[5].body).line, "PROT C");
    EXPECT_EQ(std::get<SendStep>(implicit.steps.at(9).body).line, "MKD d");
}

}  // namespace
}  // namespace fc
