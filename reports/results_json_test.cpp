#include "reports/results_json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "harness/core/error.hpp"

namespace fc {
namespace {

RunResult sample_run() {
    RunResult run;
    run.tool_version = "0.1.0";
    run.run_id = "20261125-060102";
    run.started_utc = "2026-11-25T06:01:02Z";
    run.finished_utc = "2026-11-25T06:01:06Z";
    run.host = "ci-1";
    run.duration_s = 4.2;
    run.interrupted = true;
    run.endpoints = {
        {"proftpd", "server", "1.3.8", "/x/servers/proftpd/manifest.xml", std::string(64, 'a'), ""},
        {"target", "server", "external", "", "", "[::1]:2121"},
        {"reference", "client", "0.1.0"}};
    CellResult pass;
    pass.scenario_id = "control/auth-tls-234";
    pass.area = "control";
    pass.title = "AUTH TLS answers 234";
    pass.level = "must";
    pass.spec_refs = {"RFC 4217 4.1", "RFC 2228"};
    pass.server = "proftpd";
    pass.client = "reference";
    pass.verdict = Verdict::pass;
    pass.duration_s = 0.21;
    pass.timing = CellTiming{0.05, 0.125, 0.035};
    pass.cell_dir = "proftpd__reference/control/auth-tls-234";
    pass.transcript_path = pass.cell_dir + "/transcript.txt";
    pass.transcript_excerpt = "C> AUTH TLS\r\nS> 234 ok \x01 \"quoted\" \\ caf\xC3\xA9\n";
    pass.properties = {{"tls.version", "TLSv1.3"}, {"tls.cipher", "TLS_AES_128_GCM_SHA256"}};
    run.cells.push_back(pass);
    CellResult fail = pass;
    fail.scenario_id = "control/pbsz-0";
    fail.verdict = Verdict::xfail;
    fail.reason = "known";
    fail.failure = Failure{4, 17, "expect code=200", "code 200", "code 500"};
    fail.spec_refs.clear();
    fail.properties.clear();
    fail.duration_s = 1e-9;
    fail.timing.reset();
    run.cells.push_back(fail);
    return run;
}

std::string to_json(const RunResult& run) {
    std::ostringstream out;
    write_results_json(run, out);
    return out.str();
}

RunResult from_json(const std::string& text, const std::string& name = "results.json") {
    std::istringstream in(text);
    return read_results_json(in, name);
}

void expect_equal(const CellResult& a, const CellResult& b) {
    EXPECT_EQ(a.scenario_id, b.scenario_id);
    EXPECT_EQ(a.area, b.area);
    EXPECT_EQ(a.title, b.title);
    EXPECT_EQ(a.level, b.level);
    EXPECT_EQ(a.spec_refs, b.spec_refs);
    EXPECT_EQ(a.server, b.server);
    EXPECT_EQ(a.client, b.client);
    EXPECT_EQ(a.verdict, b.verdict);
    EXPECT_EQ(a.reason, b.reason);
    ASSERT_EQ(a.failure.has_value(), b.failure.has_value());
    if (a.failure) {
        EXPECT_EQ(a.failure->step_index, b.failure->step_index);
        EXPECT_EQ(a.failure->line, b.failure->line);
        EXPECT_EQ(a.failure->step, b.failure->step);
        EXPECT_EQ(a.failure->expected, b.failure->expected);
        EXPECT_EQ(a.failure->observed, b.failure->observed);
    }
    EXPECT_EQ(a.duration_s, b.duration_s);  // exact: the writer uses shortest round-trip text
    ASSERT_EQ(a.timing.has_value(), b.timing.has_value());
    if (a.timing) {
        EXPECT_EQ(a.timing->setup_s, b.timing->setup_s);
        EXPECT_EQ(a.timing->steps_s, b.timing->steps_s);
        EXPECT_EQ(a.timing->teardown_s, b.timing->teardown_s);
        EXPECT_EQ(a.timing->started_s, b.timing->started_s);
    }
    EXPECT_EQ(a.cell_dir, b.cell_dir);
    EXPECT_EQ(a.transcript_path, b.transcript_path);
    EXPECT_EQ(a.transcript_excerpt, b.transcript_excerpt);
    EXPECT_EQ(a.properties, b.properties);
    EXPECT_EQ(a.repeats, b.repeats);
}

void expect_equal(const RunResult& a, const RunResult& b) {
    EXPECT_EQ(a.tool_version, b.tool_version);
    EXPECT_EQ(a.run_id, b.run_id);
    EXPECT_EQ(a.started_utc, b.started_utc);
    EXPECT_EQ(a.finished_utc, b.finished_utc);
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.duration_s, b.duration_s);
    EXPECT_EQ(a.interrupted, b.interrupted);
    ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
    for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
        EXPECT_EQ(a.endpoints[i].name, b.endpoints[i].name);
        EXPECT_EQ(a.endpoints[i].kind, b.endpoints[i].kind);
        EXPECT_EQ(a.endpoints[i].version, b.endpoints[i].version);
        EXPECT_EQ(a.endpoints[i].manifest, b.endpoints[i].manifest);
        EXPECT_EQ(a.endpoints[i].manifest_sha256, b.endpoints[i].manifest_sha256);
        EXPECT_EQ(a.endpoints[i].target, b.endpoints[i].target);
    }
    ASSERT_EQ(a.cells.size(), b.cells.size());
    for (std::size_t i = 0; i < a.cells.size(); ++i) {
        SCOPED_TRACE("cell " + std::to_string(i));
        expect_equal(a.cells[i], b.cells[i]);
    }
}

TEST(ResultsJson, RoundTripKeepsEverything) {
    const RunResult run = sample_run();
    const std::string text = to_json(run);
    expect_equal(from_json(text), run);
    EXPECT_EQ(to_json(from_json(text)), text);
    EXPECT_EQ(text.back(), '\n');
}

TEST(ResultsJson, EveryVerdictRoundTrips) {
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::error, Verdict::unsupported,
                      Verdict::xfail, Verdict::xpass}) {
        RunResult run = sample_run();
        run.cells[0].verdict = v;
        EXPECT_EQ(from_json(to_json(run)).cells[0].verdict, v);
    }
}

TEST(ResultsJson, RepeatsRoundTripAndAreAbsentForOneRun) {
    RunResult run = sample_run();
    EXPECT_EQ(to_json(run).find("\"repeats\""), std::string::npos);
    run.cells[0].repeats = {Verdict::pass, Verdict::fail, Verdict::pass};
    const std::string text = to_json(run);
    EXPECT_NE(text.find("\"repeat_counts\": \"fail 1/3, pass 2/3\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"flaky\": true"), std::string::npos);
    const RunResult back = from_json(text);
    EXPECT_EQ(back.cells[0].repeats, run.cells[0].repeats);
    EXPECT_TRUE(back.cells[0].flaky());
}

TEST(ResultsJson, EmptyRunRoundTrips) {
    expect_equal(from_json(to_json(RunResult{})), RunResult{});
}

TEST(ResultsJson, InvalidUtf8IsWrittenAsReplacementCharacter) {
    RunResult run = sample_run();
    run.cells[0].transcript_excerpt =
        "a\xff"
        "b";
    EXPECT_EQ(from_json(to_json(run)).cells[0].transcript_excerpt,
              "a\xEF\xBF\xBD"
              "b");
}

TEST(ResultsJson, NonFiniteDurationReadsBackAsZero) {
    RunResult run = sample_run();
    run.duration_s = std::numeric_limits<double>::quiet_NaN();
    run.cells[0].duration_s = std::numeric_limits<double>::infinity();
    const RunResult back = from_json(to_json(run));
    EXPECT_EQ(back.duration_s, 0.0);
    EXPECT_EQ(back.cells[0].duration_s, 0.0);
}

std::string usage_error(const std::string& text, const std::string& name) {
    try {
        from_json(text, name);
    } catch (const UsageError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no UsageError for: " << text;
    return "";
}

TEST(ResultsJson, MalformedJsonNamesFileAndPosition) {
    // The second comma is on line 2, column 36.
    const std::string text = "{\n  \"format\": \"ftps-conform-results\",,\n}";
    const std::string message = usage_error(text, "run/results.json");
    EXPECT_EQ(message.rfind("run/results.json:2:36: ", 0), 0u) << message;
    EXPECT_NE(message.find("unexpected ','"), std::string::npos) << message;
    EXPECT_EQ(usage_error("", "r.json").rfind("r.json:1:1: ", 0), 0u);
    EXPECT_EQ(usage_error("[1, 2", "r.json").rfind("r.json:1:6: ", 0), 0u)
        << usage_error("[1, 2", "r.json");
    // Raw bytes of a broken file never reach the terminal.
    const std::string raw = usage_error("{\"a\": \"\x1b[2J\xff", "r.json");
    EXPECT_EQ(raw.find('\x1b'), std::string::npos) << raw;
}

TEST(ResultsJson, WrongContentNamesFileAndMember) {
    std::string text = to_json(sample_run());
    const std::string from = "\"verdict\": \"pass\"";
    text.replace(text.find(from), from.size(), "\"verdict\": \"passed\"");
    EXPECT_EQ(usage_error(text, "results.json"),
              "results.json: cells[0].verdict: unknown verdict \"passed\"");

    EXPECT_NE(usage_error("{\"format\": \"other\"}", "x.json").find("not an ftps-conform"),
              std::string::npos);
    EXPECT_NE(usage_error("{\"format\": \"ftps-conform-results\", \"format_version\": 2}", "x.json")
                  .find("format_version 2 is not supported"),
              std::string::npos);
    std::string missing = to_json(sample_run());
    missing.replace(missing.find("\"host\""), 6, "\"hast\"");
    EXPECT_EQ(usage_error(missing, "x.json"), "x.json: host: missing");

    std::string wrong_type = to_json(sample_run());
    const std::string line = "\"line\": 17";
    wrong_type.replace(wrong_type.find(line), line.size(), "\"line\": \"17\"");
    EXPECT_EQ(usage_error(wrong_type, "x.json"),
              "x.json: cells[1].failure.line: expected an integer, found a string");
    std::string fraction = to_json(sample_run());
    fraction.replace(fraction.find(line), line.size(), "\"line\": 17.5");
    EXPECT_EQ(usage_error(fraction, "x.json"),
              "x.json: cells[1].failure.line: expected an integer, found 17.5");
    std::string ref = to_json(sample_run());
    const std::string spec = "\"RFC 2228\"";
    ref.replace(ref.find(spec), spec.size(), "7");
    EXPECT_EQ(usage_error(ref, "x.json"),
              "x.json: cells[0].spec_refs[1]: expected a string, found a number");
}

TEST(ResultsJson, DuplicateKeysAndDeepNestingAreRejected) {
    std::string dup = to_json(sample_run());
    dup.replace(dup.find("\"host\""), 6, "\"run_id\"");
    EXPECT_NE(usage_error(dup, "x.json").find("duplicate key \"run_id\""), std::string::npos)
        << usage_error(dup, "x.json");
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    EXPECT_NE(usage_error(deep, "x.json").find("nesting deeper than"), std::string::npos);
}

// A file as the writer before nlohmann wrote it (whole numbers without ".0", a float
// line number, no "shard"): it must still read.
TEST(ResultsJson, FilesOfEarlierWritersStillRead) {
    const std::string text = R"({
  "format": "ftps-conform-results",
  "format_version": 1,
  "tool_version": "0.1.0",
  "run_id": "r1",
  "started_utc": "2026-11-25T06:01:02Z",
  "finished_utc": "2026-11-25T06:01:06Z",
  "host": "ci-1",
  "duration_s": 4,
  "interrupted": false,
  "endpoints": [{"name": "vsftpd", "kind": "server", "version": "3.0.3"}],
  "cells": [
    {"scenario_id": "a", "area": "control", "title": "t", "level": "must", "spec_refs": [],
     "server": "s", "client": "c", "verdict": "fail", "reason": "",
     "failure": {"step_index": 1, "line": 9.0, "step": "x", "expected": "e", "observed": "o"},
     "duration_s": 1e-09, "cell_dir": "d", "transcript_path": "p",
     "transcript_excerpt": "caf\u00e9 \ud83d\ude00", "properties": {}, "later": [1]}
  ]
}
)";
    const RunResult run = from_json(text);
    EXPECT_EQ(run.duration_s, 4.0);
    EXPECT_EQ(run.shard, "");
    ASSERT_EQ(run.endpoints.size(), 1u);
    EXPECT_EQ(run.endpoints[0].version, "3.0.3");
    EXPECT_EQ(run.endpoints[0].manifest, "");
    EXPECT_EQ(run.endpoints[0].target, "");
    EXPECT_EQ(provenance_text(run.endpoints[0]), "");
    ASSERT_EQ(run.cells.size(), 1u);
    EXPECT_EQ(run.cells[0].failure->line, 9);
    EXPECT_EQ(run.cells[0].duration_s, 1e-9);
    EXPECT_FALSE(run.cells[0].timing.has_value());  // written before per-cell timing
    EXPECT_EQ(run.cells[0].transcript_excerpt, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(ResultsJson, EndpointsNameTheirManifestOrTarget) {
    const std::string text = to_json(sample_run());
    EXPECT_NE(text.find("\"manifest\": \"/x/servers/proftpd/manifest.xml\""), std::string::npos)
        << text;
    EXPECT_NE(text.find("\"manifest_sha256\": \"" + std::string(64, 'a') + "\""),
              std::string::npos);
    EXPECT_NE(text.find("\"target\": \"[::1]:2121\""), std::string::npos);
    const RunResult run = from_json(text);
    EXPECT_EQ(provenance_text(run.endpoints[0]),
              "manifest /x/servers/proftpd/manifest.xml (sha256 aaaaaaaaaaaa)");
    EXPECT_EQ(provenance_text(run.endpoints[1]), "external target [::1]:2121");
}

TEST(ResultsJson, AProvenanceMemberOfTheWrongTypeIsNamed) {
    std::string text = to_json(sample_run());
    const std::string from = "\"manifest_sha256\": \"" + std::string(64, 'a') + "\"";
    text.replace(text.find(from), from.size(), "\"manifest_sha256\": 7");
    try {
        from_json(text);
        FAIL() << "read a number as the sha256";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("endpoints[0].manifest_sha256: expected a string"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ResultsJson, WholeSecondsAreWrittenWithoutFraction) {
    RunResult run = sample_run();
    run.duration_s = 3.0;
    run.cells[0].duration_s = 0.21;
    const std::string text = to_json(run);
    EXPECT_NE(text.find("\n  \"duration_s\": 3,\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\"duration_s\": 0.21,"), std::string::npos) << text;
}

TEST(ResultsJson, TimingIsWrittenToTheMillisecond) {
    RunResult run = sample_run();
    run.cells[0].timing = CellTiming{0.0123456, 1.9996, 0.25};
    const std::string text = to_json(run);
    EXPECT_NE(text.find("\"setup_s\": 0.012,"), std::string::npos) << text;
    EXPECT_NE(text.find("\"steps_s\": 2,"), std::string::npos) << text;
    EXPECT_NE(text.find("\"teardown_s\": 0.25\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\"timing\": null"), std::string::npos) << text;  // the second cell
    EXPECT_EQ(text.find("started_s"), std::string::npos) << "not known, not written: " << text;
    run.cells[0].timing->started_s = 12.3456;
    const std::string with_start = to_json(run);
    EXPECT_NE(with_start.find("\"teardown_s\": 0.25,\n"), std::string::npos) << with_start;
    EXPECT_NE(with_start.find("\"started_s\": 12.346\n"), std::string::npos) << with_start;
    EXPECT_DOUBLE_EQ(from_json(with_start).cells[0].timing->started_s, 12.346);
    EXPECT_LT(from_json(text).cells[0].timing->started_s, 0.0);  // a file without it
    std::string wrong = text;
    wrong.replace(wrong.find("\"steps_s\": 2"), 12, "\"steps_s\": \"2\"");
    try {
        from_json(wrong);
        FAIL() << "a string for steps_s was accepted";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("cells[0].timing.steps_s: expected a number"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace fc
