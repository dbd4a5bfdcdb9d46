#include "harness/scenario/loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;
const fs::path kData = kSource / "harness/scenario/testdata";

std::string dump(const std::vector<Diagnostic>& diags) {
    std::string out;
    for (const auto& d : diags) {
        out += d.str() + "\n";
    }
    return out;
}

TEST(Loader, EveryShippedScenarioLoadsClean) {
    std::vector<Diagnostic> diags;
    auto scenarios = load_scenarios({kSource / "scenarios"}, diags);
    EXPECT_TRUE(diags.empty()) << dump(diags);
    EXPECT_GE(scenarios.size(), 3u);
    for (const auto& s : scenarios) {
        EXPECT_EQ(s.id, s.file.stem().string());
        EXPECT_FALSE(s.steps.empty() && s.client_steps.empty()) << s.id;
    }
}

TEST(Loader, ReadsEveryPartOfTheFormat) {
    std::vector<Diagnostic> diags;
    auto s = load_scenario_file(kData / "good/everything.xml", diags);
    ASSERT_TRUE(s) << dump(diags);
    EXPECT_TRUE(diags.empty());
    EXPECT_EQ(s->id, "everything");
    EXPECT_EQ(s->area, "good");
    EXPECT_EQ(s->level, Level::should);
    EXPECT_EQ(s->title, "Every element of the format");
    EXPECT_EQ(s->description, "Line one line two.");
    ASSERT_EQ(s->specs.size(), 2u);
    EXPECT_EQ(s->specs[0].ref, "RFC4217 9");
    EXPECT_EQ(s->specs[0].note, "PBSZ before PROT");
    EXPECT_EQ(s->specs[1].note, "");
    EXPECT_EQ(s->tags, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(s->server_role, Role::reference);
    EXPECT_EQ(s->client_role, Role::reference);
    EXPECT_EQ(s->server_features, (std::vector<std::string>{"tls-required", "reuse-optional"}));
    ASSERT_EQ(s->steps.size(), 8u);

    const Step& connect = s->steps[0];
    EXPECT_EQ(connect.kind(), "connect");
    EXPECT_TRUE(std::get<ConnectStep>(connect.body).implicit);
    EXPECT_EQ(connect.guard.timeout, std::chrono::milliseconds(2500));
    EXPECT_EQ(connect.pos.line, 14);
    EXPECT_EQ(connect.pos.column, 5);
    EXPECT_EQ(s->steps[1].guard.timeout, std::chrono::milliseconds(500));
    EXPECT_EQ(std::get<SendStep>(s->steps[2].body).line, "AUTH TLS");

    const auto& alt = std::get<ExpectStep>(s->steps[3].body).reply;
    ASSERT_EQ(alt.codes.size(), 2u);
    EXPECT_TRUE(alt.codes[1].matches(334));
    EXPECT_EQ(alt.reason, "only to test alternatives");
    EXPECT_EQ(alt.text_regex, "^234");

    const Step& hs = s->steps[4];
    EXPECT_FALSE(std::get<TlsHandshakeStep>(hs.body).expect_success);
    EXPECT_EQ(hs.guard.if_features, (std::vector<std::string>{"tls-required", "ccc"}));
    EXPECT_EQ(hs.guard.unless_features, (std::vector<std::string>{"implicit"}));
    EXPECT_EQ(std::get<LoginStep>(s->steps[5].body).user, "${user}");

    const auto& lines = std::get<ExpectStep>(s->steps[7].body).reply;
    EXPECT_EQ(lines.line_regexes, (std::vector<std::string>{"^5", "[a-z]+"}));
    EXPECT_TRUE(lines.codes[0].matches(530));

    EXPECT_EQ(s->negative_control.server, "reference");
    EXPECT_EQ(s->negative_control.misbehave, "prot-without-pbsz");
    EXPECT_EQ(s->negative_control.without, (std::vector<std::string>{"reuse-optional"}));
    EXPECT_EQ(s->negative_control.with, (std::vector<std::string>{"ccc"}));
    EXPECT_EQ(s->negative_control.pos.line, 26);
}

TEST(Loader, ReadsTlsRawAndDataSteps) {
    std::vector<Diagnostic> diags;
    auto s = load_scenario_file(kData / "good/tls-and-data.xml", diags);
    ASSERT_TRUE(s) << dump(diags);
    EXPECT_TRUE(diags.empty()) << dump(diags);
    std::vector<std::string_view> kinds;
    for (const auto& step : s->steps) {
        kinds.push_back(step.kind());
    }
    ASSERT_EQ(kinds, (std::vector<std::string_view>{
                         "connect", "send-raw", "tls-handshake", "tls-handshake", "tls-shutdown",
                         "tls-shutdown", "data-open", "data-open", "transfer", "transfer",
                         "transfer", "tls-assert", "tls-assert", "expect-close", "expect-close"}));

    // Untrimmed, entities and escapes decoded, variables kept for the engine.
    EXPECT_EQ(std::get<SendRawStep>(s->steps[1].body).bytes, " AUTH TLS\r\n&A\t\\${user}\r\n");
    EXPECT_EQ(s->steps[1].pos.line, 8);

    const auto& hs = std::get<TlsHandshakeStep>(s->steps[2].body);
    EXPECT_TRUE(hs.expect_success);
    EXPECT_EQ(hs.min_version, "1.2");
    EXPECT_EQ(hs.max_version, "1.3");
    EXPECT_EQ(hs.client_cert, "wrong-eku");
    EXPECT_EQ(hs.sni, "${host}");
    EXPECT_FALSE(hs.verify);
    EXPECT_EQ(hs.ciphers, "ECDHE-RSA-AES128-GCM-SHA256:!aNULL");
    const auto& plain = std::get<TlsHandshakeStep>(s->steps[3].body);
    EXPECT_TRUE(plain.expect_success);
    EXPECT_EQ(plain.min_version, "");
    EXPECT_EQ(plain.client_cert, "");
    EXPECT_EQ(plain.sni, "");
    EXPECT_TRUE(plain.verify);

    EXPECT_FALSE(std::get<TlsShutdownStep>(s->steps[4].body).expect_peer_close_notify);
    EXPECT_EQ(s->steps[4].guard.timeout, std::chrono::milliseconds(1000));
    EXPECT_TRUE(std::get<TlsShutdownStep>(s->steps[5].body).expect_peer_close_notify);

    const auto& pasv = std::get<DataOpenStep>(s->steps[6].body);
    EXPECT_EQ(pasv.mode, DataMode::pasv);
    EXPECT_EQ(pasv.source, "127.0.0.2");
    ASSERT_TRUE(pasv.reply);
    EXPECT_TRUE(pasv.reply->codes.at(0).matches(227));
    EXPECT_EQ(pasv.reply->text_regex, "Entering");
    const auto& eprt = std::get<DataOpenStep>(s->steps[7].body);
    EXPECT_EQ(eprt.mode, DataMode::eprt);
    EXPECT_EQ(eprt.source, "::1");
    EXPECT_FALSE(eprt.reply);

    const auto& up = std::get<TransferStep>(s->steps[8].body);
    EXPECT_EQ(up.command, "stor up-${user}.bin");
    EXPECT_TRUE(up.upload);
    EXPECT_FALSE(up.protect);
    EXPECT_EQ(up.resume, ResumeFrom::other);
    EXPECT_EQ(up.size, 65536u);
    EXPECT_FALSE(up.close_notify);
    EXPECT_EQ(up.data, DataExpect::failure);
    ASSERT_TRUE(up.reply);
    EXPECT_EQ(up.reply->codes.size(), 2u);
    EXPECT_EQ(up.reply->reason, "any refusal");
    const auto& down = std::get<TransferStep>(s->steps[9].body);
    EXPECT_FALSE(down.upload);
    EXPECT_TRUE(down.verify);
    EXPECT_TRUE(down.protect);
    EXPECT_EQ(down.resume, ResumeFrom::none);
    EXPECT_EQ(down.size, 4096u);
    EXPECT_EQ(down.data, DataExpect::any);
    EXPECT_FALSE(down.reply);
    const auto& appe = std::get<TransferStep>(s->steps[10].body);
    EXPECT_TRUE(appe.upload);
    EXPECT_EQ(appe.size, 1024u * 1024 * 1024);
    EXPECT_EQ(appe.resume, ResumeFrom::control);
    EXPECT_EQ(appe.data, DataExpect::success);

    const auto& data = std::get<TlsAssertStep>(s->steps[11].body);
    EXPECT_EQ(data.channel, TlsChannel::data);
    EXPECT_EQ(data.version, "TLSv1.3");
    EXPECT_EQ(data.resumed, true);
    EXPECT_EQ(data.close_notify, false);
    EXPECT_EQ(data.peer_subject, "CN=localhost");
    const auto& control = std::get<TlsAssertStep>(s->steps[12].body);
    EXPECT_EQ(control.channel, TlsChannel::control);
    EXPECT_EQ(control.resumed, false);
    EXPECT_FALSE(control.close_notify);
    EXPECT_EQ(control.version, "");

    const auto& close = std::get<ExpectCloseStep>(s->steps[13].body);
    ASSERT_TRUE(close.allow);
    EXPECT_TRUE(close.allow->codes.at(0).matches(421));
    EXPECT_EQ(close.allow->text_regex, "^Bye");
    EXPECT_EQ(close.allow->reason, "idle");
    EXPECT_FALSE(std::get<ExpectCloseStep>(s->steps[14].body).allow);
    EXPECT_EQ(s->steps[14].guard.if_features, (std::vector<std::string>{"ccc"}));
}

struct BadCase {
    const char* file;  ///< under testdata/bad/
    int line;
    int column;
    const char* fragment;
};

// Names the case in test output and ctest names instead of dumping its bytes.
void PrintTo(const BadCase& c, std::ostream* os) {
    *os << c.file;
}

class BadScenario : public ::testing::TestWithParam<BadCase> {};

// Each file has exactly one problem, reported at an exact place.
TEST_P(BadScenario, ReportsOneProblemAtItsPlace) {
    const BadCase& c = GetParam();
    std::vector<Diagnostic> diags;
    fs::path file = kData / "bad" / c.file;
    EXPECT_FALSE(load_scenario_file(file, diags));
    ASSERT_EQ(diags.size(), 1u) << dump(diags);
    EXPECT_EQ(diags[0].file, file);
    EXPECT_EQ(diags[0].line, c.line) << dump(diags);
    EXPECT_EQ(diags[0].column, c.column) << dump(diags);
    EXPECT_NE(diags[0].message.find(c.fragment), std::string::npos) << dump(diags);
    EXPECT_NE(diags[0].str().find(":" + std::to_string(c.line) + ":" + std::to_string(c.column) +
                                  ": error: "),
              std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, BadScenario,
    ::testing::Values(
        BadCase{"unknown-step.xml", 7, 5,
                "unknown element <sned> in <steps> (did you mean 'send'?)"},
        BadCase{"missing-id.xml", 2, 1, "missing required attribute 'id' on <scenario>"},
        BadCase{"missing-title.xml", 2, 1, "missing required element <title>"},
        BadCase{"missing-control.xml", 2, 1, "missing required element <negative-control>"},
        BadCase{"bad-code.xml", 7, 13, "bad code pattern '2x0'"},
        BadCase{"codes-without-reason.xml", 7, 13, "allows more than one reply code"},
        BadCase{"id-mismatch.xml", 2, 11, "does not match the file name 'id-mismatch.xml'"},
        BadCase{"unknown-level.xml", 2, 30, "unknown level 'mustt' (did you mean 'must'?)"},
        BadCase{"unknown-feature.xml", 5, 13,
                "unknown feature 'tls-requierd' (did you mean 'tls-required'?)"},
        BadCase{"unknown-if-feature.xml", 7, 24,
                "unknown feature 'data-tls-requried' (did you mean 'data-tls-required'?)"},
        BadCase{"unknown-control-feature.xml", 9, 40, "did you mean 'tls-required'?"},
        BadCase{"unknown-misbehaviour.xml", 9, 40,
                "unknown misbehaviour 'auth-tls-343' (did you mean 'auth-tls-334'?)"},
        BadCase{"undefined-variable.xml", 7, 5,
                "undefined variable '${usr}' (did you mean '${user}'?)"},
        BadCase{"bad-timeout.xml", 6, 14, "bad timeout '5 sec'"},
        BadCase{"bad-regex.xml", 7, 24, "bad regex /([/"},
        BadCase{"empty-steps.xml", 5, 3, "empty <steps>"},
        BadCase{"control-changes-nothing.xml", 9, 3, "<negative-control> changes nothing"},
        BadCase{"wrong-root.xml", 2, 1, "root element is <server>, expected <scenario>"},
        BadCase{"malformed.xml", 8, 5, "malformed XML: Start-end tags mismatch"},
        BadCase{"truncated.xml", 4, 16, "malformed XML"},
        BadCase{"empty.xml", 1, 1, "malformed XML: No document element found"},
        // TLS, raw and data-connection steps.
        BadCase{"unknown-data-mode.xml", 7, 16,
                "bad value 'psav' for 'mode' (did you mean 'pasv'?); use pasv, epsv, port or eprt"},
        BadCase{"data-open-without-mode.xml", 7, 5,
                "missing required attribute 'mode' on <data-open>"},
        BadCase{"bad-raw-escape.xml", 7, 28, "bad escape '\\q' (use \\r \\n \\t"},
        BadCase{"bad-raw-escape-line.xml", 8, 3, "\\x needs two hex digits"},
        BadCase{"empty-send-raw.xml", 7, 5, "empty <send-raw>"},
        BadCase{"raw-undefined-variable.xml", 7, 5,
                "undefined variable '${pasword}' (did you mean '${password}'?)"},
        BadCase{"size-on-download.xml", 7, 32, "size on a download ('RETR f')"},
        BadCase{"abort-after-on-upload.xml", 7, 32, "abort-after on an upload ('STOR f')"},
        BadCase{"abort-after-zero.xml", 7, 32, "bad abort-after '0'"},
        BadCase{"stat-after-with-verify.xml", 7, 46, "stat-after with verify=\"true\""},
        BadCase{"garbage-expects-success.xml", 7, 30, "handshake=\"garbage\" needs expect-data"},
        BadCase{"handshake-on-clear.xml", 7, 46, "with protect=\"false\": only a protected"},
        BadCase{"handshake-unknown.xml", 7, 30, "bad value 'early' for 'handshake'"},
        BadCase{"alert-on-success.xml", 7, 20, "alert with a handshake expected to succeed"},
        BadCase{"abort-and-stat-after.xml", 7, 49, "abort-after and stat-after together"},
        BadCase{"verify-on-upload.xml", 7, 32, "verify on an upload ('STOR f')"},
        BadCase{"bad-size.xml", 7, 32, "bad size '2G'"},
        BadCase{"reset-on-download.xml", 7, 32, "close=\"reset\" on a download ('RETR f')"},
        BadCase{"close-unknown.xml", 7, 32, "bad value 'rst' for 'close'"},
        BadCase{"unknown-transfer-attribute.xml", 7, 30,
                "unknown attribute 'protection' on <transfer> (did you mean 'protect'?)"},
        BadCase{"non-loopback-source.xml", 7, 28,
                "source '10.0.0.1' is not a loopback address literal"},
        BadCase{"text-without-code.xml", 7, 19, "'text' on <expect-close> needs a code"},
        BadCase{"tls-assert-nothing.xml", 7, 5, "<tls-assert> asserts nothing"},
        BadCase{"early-data-on-data.xml", 7, 32, "early-data looks at the control connection"},
        BadCase{"unknown-tls-version.xml", 7, 17,
                "bad value 'TLS1.3' for 'version' (did you mean 'TLSv1.3'?)"},
        BadCase{"min-above-max.xml", 7, 20, "min 1.3 is above max 1.2"},
        BadCase{"renegotiate-with-min.xml", 7, 39,
                "min with renegotiate=\"true\": a renegotiation keeps the settings"},
        BadCase{"unknown-cert.xml", 7, 20,
                "bad value 'expird' for 'cert' (did you mean 'expired'?)"}),
    [](const auto& info) {
        std::string name = fs::path(info.param.file).stem().string();
        for (char& c : name) {
            c = c == '-' ? '_' : c;
        }
        return name;
    });

TEST(Loader, UnknownElementAndAttributeSuggestAndReportWhatIsThenMissing) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_scenario_file(kData / "bad/unknown-element.xml", diags));
    ASSERT_EQ(diags.size(), 2u) << dump(diags);
    EXPECT_EQ(diags[0].line, 3);
    EXPECT_EQ(diags[0].column, 3);
    EXPECT_EQ(diags[0].message, "unknown element <titel> in <scenario> (did you mean 'title'?)");
    EXPECT_NE(diags[1].message.find("missing required element <title>"), std::string::npos);

    diags.clear();
    EXPECT_FALSE(load_scenario_file(kData / "bad/unknown-attribute.xml", diags));
    ASSERT_EQ(diags.size(), 2u) << dump(diags);
    EXPECT_EQ(diags[0].str(), (kData / "bad/unknown-attribute.xml").string() +
                                  ":2:34: error: unknown attribute 'levl' on <scenario> "
                                  "(did you mean 'level'?)");
}

TEST(Loader, ReportsEveryProblemNotJustTheFirst) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_scenario_file(kData / "bad/three-problems.xml", diags));
    ASSERT_EQ(diags.size(), 3u) << dump(diags);
    EXPECT_EQ(diags[0].line, 2);
    EXPECT_NE(diags[0].message.find("unknown attribute 'colour'"), std::string::npos);
    EXPECT_EQ(diags[1].line, 7);
    EXPECT_NE(diags[1].message.find("bad code pattern '22'"), std::string::npos);
    EXPECT_EQ(diags[2].line, 8);
    EXPECT_NE(diags[2].message.find("'${pass}'"), std::string::npos);
}

// A scenario's text with these roles/requires lines and steps (the loader reads it from
// memory; `id` is also the file's stem, as the loader insists).
std::string scenario_text(const std::string& id, const std::string& head,
                          const std::string& steps) {
    return "<?xml version=\"1.0\"?>\n<scenario id=\"" + id +
           "\" level=\"info\">\n<title>t</title>\n" + head + "<steps>\n" + steps +
           "</steps>\n<negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
           "</scenario>\n";
}

TEST(Loader, Ipv6IsForScenariosTheReferenceClientDrives) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(
        load_scenario_text("mem/v6.xml",
                           scenario_text("v6",
                                         "<roles server=\"under-test\" client=\"under-test\"/>\n"
                                         "<requires server=\"ipv6\"/>\n",
                                         "<client action=\"login\"/>\n"),
                           diags));
    ASSERT_FALSE(diags.empty());
    EXPECT_EQ(diags[0].line, 5) << dump(diags);
    EXPECT_NE(diags[0].message.find("ipv6 is for scenarios the reference client drives"),
              std::string::npos)
        << dump(diags);
}

TEST(Loader, HelloProbeTakesAnOfferAndEndsTheSteps) {
    std::vector<Diagnostic> diags;
    auto ok = load_scenario_text(
        "mem/ok.xml",
        scenario_text("ok", "",
                      "<connect/>\n<send>AUTH TLS</send>\n<tls-hello-probe offer=\"3des\"/>\n"),
        diags);
    ASSERT_TRUE(ok) << dump(diags);
    ASSERT_EQ(ok->steps.size(), 3u);
    const auto* probe = std::get_if<TlsHelloProbeStep>(&ok->steps[2].body);
    ASSERT_NE(probe, nullptr);
    EXPECT_EQ(probe->offer, "3des");
    EXPECT_EQ(ok->steps[2].kind(), "tls-hello-probe");

    diags.clear();
    EXPECT_FALSE(load_scenario_text(
        "mem/bad.xml", scenario_text("bad", "", "<connect/>\n<tls-hello-probe offer=\"rc5\"/>\n"),
        diags));
    ASSERT_FALSE(diags.empty());
    EXPECT_EQ(diags[0].line, 6) << dump(diags);
    EXPECT_NE(diags[0].message.find("bad value 'rc5'"), std::string::npos) << dump(diags);

    diags.clear();
    EXPECT_FALSE(load_scenario_text(
        "mem/bad.xml",
        scenario_text("bad", "",
                      "<connect/>\n<tls-hello-probe offer=\"rc4\"/>\n<send>NOOP</send>\n"),
        diags));
    ASSERT_FALSE(diags.empty());
    EXPECT_EQ(diags[0].line, 7) << dump(diags);
    EXPECT_NE(diags[0].message.find("<send> after <tls-hello-probe>"), std::string::npos)
        << dump(diags);
}

TEST(Loader, PauseTakesADurationUpToAMinute) {
    std::vector<Diagnostic> diags;
    auto ok = load_scenario_text(
        "mem/ok.xml",
        scenario_text("ok", "",
                      "<connect/>\n<pause duration=\"2.5s\"/>\n<data-open mode=\"epsv\"/>\n"
                      "<transfer command=\"RETR f\" expect-data=\"if-accepted\" "
                      "code=\"226|5xx\" reason=\"r\"/>\n"),
        diags);
    ASSERT_TRUE(ok) << dump(diags);
    ASSERT_EQ(ok->steps.size(), 4u);
    const auto* pause = std::get_if<PauseStep>(&ok->steps[1].body);
    ASSERT_NE(pause, nullptr);
    EXPECT_EQ(pause->duration, std::chrono::milliseconds(2500));
    EXPECT_EQ(ok->steps[1].kind(), "pause");
    const auto* transfer = std::get_if<TransferStep>(&ok->steps[3].body);
    ASSERT_NE(transfer, nullptr);
    EXPECT_EQ(transfer->data, DataExpect::if_accepted);

    for (const std::string bad : {"0s", "61s", "soon"}) {
        diags.clear();
        EXPECT_FALSE(load_scenario_text(
            "mem/bad.xml",
            scenario_text("bad", "", "<connect/>\n<pause duration=\"" + bad + "\"/>\n"), diags));
        ASSERT_FALSE(diags.empty()) << bad;
        EXPECT_EQ(diags[0].line, 6) << dump(diags);
        EXPECT_NE(diags[0].message.find("bad duration '" + bad + "'"), std::string::npos)
            << dump(diags);
    }
}

TEST(Loader, RawEscapeErrorsPointIntoTheSourceText) {
    testing::TempDir dir("loader-raw");
    fs::path file = dir.path() / "raw.xml";
    // Line 7: a character reference (3 UTF-8 bytes), CR LF line ends, CDATA, two bad escapes.
    std::ofstream(file, std::ios::binary)
        << "<?xml version=\"1.0\"?>\r\n<scenario id=\"raw\" level=\"must\">\r\n"
           "<title>t</title>\r\n<steps>\r\n<connect/>\r\n<send-raw>A\\r\\n\r\n"
           "&#x20AC;&amp;\\y<![CDATA[<&\\z]]></send-raw>\r\n</steps>\r\n"
           "<negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\r\n"
           "</scenario>\r\n";
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_scenario_file(file, diags));
    ASSERT_EQ(diags.size(), 2u) << dump(diags);
    EXPECT_EQ(diags[0].line, 7);
    EXPECT_EQ(diags[0].column, 14);
    EXPECT_NE(diags[0].message.find("'\\y'"), std::string::npos);
    EXPECT_EQ(diags[1].line, 7);
    EXPECT_EQ(diags[1].column, 27);
    EXPECT_NE(diags[1].message.find("'\\z'"), std::string::npos);
}

TEST(Loader, GarbageNeverCrashes) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_scenario_file(kData / "bad/garbage.xml", diags));
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_NE(diags[0].message.find("malformed XML"), std::string::npos);
    // Every prefix of a good file fails cleanly (or loads, for the whole file).
    for (const char* name : {"everything.xml", "tls-and-data.xml"}) {
        std::ifstream in(kData / "good" / name);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (std::size_t n = 0; n < text.size(); n += 7) {
            std::vector<Diagnostic> d;
            EXPECT_FALSE(load_scenario_text(kData / "good" / name, text.substr(0, n), d))
                << name << " " << n;
            EXPECT_FALSE(d.empty()) << name << " " << n;
        }
    }
}

TEST(Loader, TextInMemoryLoadsAsTheFileDoesAndNamesIt) {
    const fs::path file = kData / "good" / "everything.xml";
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<Diagnostic> diags;
    auto from_file = load_scenario_file(file, diags);
    auto from_text = load_scenario_text(file, text, diags);
    ASSERT_TRUE(from_file && from_text) << dump(diags);
    EXPECT_EQ(from_text->id, from_file->id);
    EXPECT_EQ(from_text->area, "good");
    EXPECT_EQ(from_text->steps.size(), from_file->steps.size());
    EXPECT_FALSE(load_scenario_text("mem/x.xml", "<scenario", diags));
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_EQ(diags[0].str().rfind("mem/x.xml:1:", 0), 0u) << diags[0].str();
}

TEST(Loader, MissingFileIsADiagnostic) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_scenario_file(kData / "no-such.xml", diags));
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_NE(diags[0].message.find("cannot read"), std::string::npos);
}

TEST(Loader, DuplicateIdIsReportedAtTheSecondFileNamingTheFirst) {
    testing::TempDir dir("loader-dup");
    fs::create_directories(dir.path() / "a");
    fs::create_directories(dir.path() / "b");
    fs::create_directories(dir.path() / "schema");
    fs::copy_file(kData / "good/everything.xml", dir.path() / "a/everything.xml");
    fs::copy_file(kData / "good/everything.xml", dir.path() / "b/everything.xml");
    std::ofstream(dir.path() / "schema/ignored.xml") << "<not-a-scenario/>";
    std::ofstream(dir.path() / "a/notes.txt") << "ignored";
    std::vector<Diagnostic> diags;
    auto scenarios = load_scenarios({dir.path()}, diags);
    ASSERT_EQ(scenarios.size(), 1u);
    EXPECT_EQ(scenarios[0].file, dir.path() / "a/everything.xml");
    ASSERT_EQ(diags.size(), 1u) << dump(diags);
    EXPECT_EQ(diags[0].file, dir.path() / "b/everything.xml");
    EXPECT_EQ(diags[0].line, 3);
    EXPECT_EQ(diags[0].column, 11);
    EXPECT_NE(diags[0].message.find("duplicate scenario id 'everything' (first in " +
                                    (dir.path() / "a/everything.xml").string()),
              std::string::npos);
}

TEST(Loader, LoadsFilesAndFoldersAndReportsMissingPaths) {
    std::vector<Diagnostic> diags;
    auto scenarios = load_scenarios(
        {kData / "good/everything.xml", kSource / "scenarios/prot", kData / "nowhere"}, diags);
    ASSERT_GE(scenarios.size(), 2u);
    EXPECT_EQ(scenarios[0].id, "everything");
    for (std::size_t i = 1; i < scenarios.size(); ++i) {
        EXPECT_EQ(scenarios[i].area, "prot") << scenarios[i].id;
        if (i > 1) {
            EXPECT_LT(scenarios[i - 1].file, scenarios[i].file) << "not sorted";
        }
    }
    EXPECT_TRUE(std::any_of(scenarios.begin(), scenarios.end(),
                            [](const Scenario& s) { return s.id == "prot-levels"; }));
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_NE(diags[0].message.find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace fc
