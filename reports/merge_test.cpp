#include "reports/merge.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "harness/core/error.hpp"
#include "harness/testing/files.hpp"
#include "reports/junit.hpp"
#include "reports/results_json.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(FTPS_CONFORM_SOURCE_DIR) / "reports/testdata/merge_golden.json";

CellResult make_cell(const std::string& server, const std::string& client, const std::string& area,
                     const std::string& id, Verdict verdict, double seconds) {
    CellResult c;
    c.server = server;
    c.client = client;
    c.area = area;
    c.scenario_id = id;
    c.title = "title of " + id;
    c.level = "must";
    c.spec_refs = {"RFC 4217 section 4"};
    c.verdict = verdict;
    c.duration_s = seconds;
    c.cell_dir = server + "__" + client + "/" + area + "/" + id;
    c.transcript_path = c.cell_dir + "/transcript.txt";
    c.properties = {{"tls.version", "TLSv1.3"}};
    if (verdict == Verdict::fail || verdict == Verdict::xfail) {
        c.reason = "step 2 failed";
        c.failure = Failure{2, 11, "expect code=234 after AUTH TLS", "code 234", "code 500"};
    } else if (verdict != Verdict::pass) {
        c.reason = "reason of " + id;
    }
    return c;
}

// 12 cells over 2 servers and 2 clients in run (not canonical) order, fixed durations.
RunResult whole_run() {
    RunResult run;
    run.tool_version = "0.1.0";
    run.run_id = "20261125T060102Z";
    run.started_utc = "2026-11-25T06:01:02Z";
    run.finished_utc = "2026-11-25T06:01:09Z";
    run.host = "ci-1";
    run.duration_s = 4.5;  // the sum of the shards' durations below
    run.endpoints = {{"vsftpd", "server", "3.0.5"},
                     {"proftpd", "server", "1.3.8"},
                     {"reference", "client", "0.1.0"},
                     {"curl", "client", "8.5.0"}};
    const Verdict verdicts[] = {Verdict::pass,        Verdict::fail,  Verdict::pass, Verdict::error,
                                Verdict::unsupported, Verdict::xfail, Verdict::pass, Verdict::xpass,
                                Verdict::pass,        Verdict::pass,  Verdict::fail, Verdict::pass};
    const char* scenarios[][2] = {
        {"control", "auth-tls-234"}, {"data", "prot-p"}, {"control", "pbsz-0"}};
    int i = 0;
    for (const char* server : {"vsftpd", "proftpd"}) {
        for (const auto& scenario : scenarios) {
            for (const char* client : {"reference", "curl"}) {
                run.cells.push_back(make_cell(server, client, scenario[0], scenario[1], verdicts[i],
                                              0.125 * (i + 1)));
                ++i;
            }
        }
    }
    return run;
}

// The whole run split by cell index modulo 3, as three machines would have run it.
std::vector<RunResult> shards_of(const RunResult& whole) {
    std::vector<RunResult> shards(3);
    const char* started[] = {"2026-11-25T06:01:03Z", "2026-11-25T06:01:02Z",
                             "2026-11-25T06:01:04Z"};
    const char* finished[] = {"2026-11-25T06:01:08Z", "2026-11-25T06:01:09Z",
                              "2026-11-25T06:01:05Z"};
    const double durations[] = {1.5, 2.25, 0.75};
    for (int k = 0; k < 3; ++k) {
        RunResult& s = shards[k];
        s.tool_version = whole.tool_version;
        s.run_id = "shard-" + std::to_string(k + 1);
        s.started_utc = started[k];
        s.finished_utc = finished[k];
        s.host = whole.host;
        s.duration_s = durations[k];
        s.shard = std::to_string(k + 1) + "/3";
    }
    for (std::size_t i = 0; i < whole.cells.size(); ++i) {
        RunResult& s = shards[i % 3];
        const CellResult& c = whole.cells[i];
        s.cells.push_back(c);
        // Each shard lists only the endpoints its cells used, in its own order.
        for (const EndpointInfo& e : whole.endpoints) {
            const bool used = (e.kind == "server" && e.name == c.server) ||
                              (e.kind == "client" && e.name == c.client);
            bool listed = false;
            for (const EndpointInfo& have : s.endpoints) {
                listed = listed || (have.kind == e.kind && have.name == e.name);
            }
            if (used && !listed) {
                s.endpoints.insert(s.endpoints.begin(), e);
            }
        }
    }
    return shards;
}

std::string json_text(const RunResult& run) {
    std::ostringstream out;
    write_results_json(run, out);
    return out.str();
}

std::string junit_text(const RunResult& run, bool strict) {
    std::ostringstream out;
    write_junit(run, out, strict);
    return out.str();
}

std::string usage_error(const std::vector<NamedRun>& runs) {
    try {
        merge_runs(runs);
    } catch (const UsageError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no UsageError";
    return "";
}

TEST(Merge, ShardsMergeToTheSameBytesAsTheWholeRun) {
    const RunResult whole = whole_run();
    const RunResult from_shards = merge_runs(shards_of(whole));
    const RunResult from_whole = merge_runs(std::vector<RunResult>{whole});
    EXPECT_EQ(from_shards.cells.size(), 12u);
    EXPECT_EQ(json_text(from_shards), json_text(from_whole));
    EXPECT_EQ(junit_text(from_shards, false), junit_text(from_whole, false));
    EXPECT_EQ(junit_text(from_shards, true), junit_text(from_whole, true));
}

TEST(Merge, OrderOfInputsDoesNotMatter) {
    std::vector<RunResult> shards = shards_of(whole_run());
    const std::string forward = json_text(merge_runs(shards));
    std::swap(shards[0], shards[2]);
    EXPECT_EQ(json_text(merge_runs(shards)), forward);
}

TEST(Merge, RunLevelFields) {
    const RunResult m = merge_runs(shards_of(whole_run()));
    EXPECT_EQ(m.run_id, "merged");
    EXPECT_EQ(m.shard, "");
    EXPECT_EQ(m.started_utc, "2026-11-25T06:01:02Z");
    EXPECT_EQ(m.finished_utc, "2026-11-25T06:01:09Z");
    EXPECT_EQ(m.duration_s, 4.5);
    EXPECT_EQ(m.host, "ci-1");
    EXPECT_FALSE(m.interrupted);
    ASSERT_EQ(m.endpoints.size(), 4u);
    EXPECT_EQ(m.endpoints[0].name, "proftpd");
    EXPECT_EQ(m.endpoints[1].name, "vsftpd");
    EXPECT_EQ(m.endpoints[2].name, "curl");
    EXPECT_EQ(m.endpoints[3].name, "reference");
    EXPECT_EQ(m.cells.front().server, "proftpd");
    EXPECT_EQ(m.cells.front().client, "curl");
    EXPECT_EQ(m.cells.front().scenario_id, "auth-tls-234");
}

TEST(Merge, HostsJoinedAndInterruptedIsAny) {
    std::vector<RunResult> shards = shards_of(whole_run());
    shards[1].host = "ci-2";
    shards[2].interrupted = true;
    const RunResult m = merge_runs(shards);
    EXPECT_EQ(m.host, "ci-1, ci-2");
    EXPECT_TRUE(m.interrupted);
    EXPECT_EQ(exit_code_for(m, false), exit_code_for(shards[2], false));
}

TEST(Merge, MatchesGolden) {
    const std::string text = json_text(merge_runs(shards_of(whole_run())));
    testing::expect_matches_golden(text, kGolden);
}

TEST(Merge, GoldenReadsBackAndMergesToItself) {
    std::ifstream in(kGolden, std::ios::binary);
    const RunResult golden = read_results_json(in, kGolden.string());
    EXPECT_EQ(json_text(merge_runs(std::vector<RunResult>{golden})), testing::read_file(kGolden));
}

TEST(Merge, DuplicateCellNamesTheCellAndBothFiles) {
    std::vector<RunResult> shards = shards_of(whole_run());
    shards[2].cells.push_back(shards[0].cells.front());
    const std::string what = usage_error({{"a/results.json", shards[0]},
                                          {"b/results.json", shards[1]},
                                          {"c/results.json", shards[2]}});
    const CellResult& c = shards[0].cells.front();
    EXPECT_NE(what.find(c.area + "/" + c.scenario_id), std::string::npos) << what;
    EXPECT_NE(what.find(c.server), std::string::npos) << what;
    EXPECT_NE(what.find(c.client), std::string::npos) << what;
    EXPECT_NE(what.find("a/results.json"), std::string::npos) << what;
    EXPECT_NE(what.find("c/results.json"), std::string::npos) << what;
    EXPECT_EQ(what.find("b/results.json"), std::string::npos) << what;
}

TEST(Merge, SameRunTwiceIsADuplicate) {
    const RunResult whole = whole_run();
    const std::string what = usage_error({{"x/results.json", whole}, {"y/results.json", whole}});
    EXPECT_NE(what.find("x/results.json"), std::string::npos) << what;
    EXPECT_NE(what.find("y/results.json"), std::string::npos) << what;
}

TEST(Merge, ConflictingVersionNamesTheEndpointAndBothFiles) {
    std::vector<RunResult> shards = shards_of(whole_run());
    for (EndpointInfo& e : shards[1].endpoints) {
        if (e.name == "proftpd") {
            e.version = "1.3.9";
        }
    }
    const std::string what =
        usage_error({{"one.json", shards[0]}, {"two.json", shards[1]}, {"three.json", shards[2]}});
    EXPECT_NE(what.find("proftpd"), std::string::npos) << what;
    EXPECT_NE(what.find("1.3.8"), std::string::npos) << what;
    EXPECT_NE(what.find("1.3.9"), std::string::npos) << what;
    EXPECT_NE(what.find("one.json"), std::string::npos) << what;
    EXPECT_NE(what.find("two.json"), std::string::npos) << what;
}

TEST(Merge, KeepsProvenanceAndRefusesShardsOfDifferentManifests) {
    std::vector<RunResult> shards = shards_of(whole_run());
    for (RunResult& shard : shards) {
        for (EndpointInfo& e : shard.endpoints) {
            e.manifest = "/src/" + e.name + "/manifest.xml";
            e.manifest_sha256 = std::string(64, 'a');
        }
    }
    ASSERT_EQ(merge_runs(shards).endpoints.front().manifest,
              "/src/" + merge_runs(shards).endpoints.front().name + "/manifest.xml");
    for (EndpointInfo& e : shards[1].endpoints) {
        if (e.name == "proftpd") {
            e.manifest_sha256 = std::string(64, 'b');
        }
    }
    const std::string what =
        usage_error({{"one.json", shards[0]}, {"two.json", shards[1]}, {"three.json", shards[2]}});
    EXPECT_NE(what.find("proftpd"), std::string::npos) << what;
    EXPECT_NE(what.find("sha256 bbbbbbbbbbbb"), std::string::npos) << what;
    EXPECT_NE(what.find("two.json"), std::string::npos) << what;
}

TEST(Merge, SameNameDifferentKindIsNoConflict) {
    RunResult a, b;
    a.endpoints = {{"reference", "server", "0.1.0"}};
    b.endpoints = {{"reference", "client", "0.2.0"}};
    EXPECT_EQ(merge_runs(std::vector<RunResult>{a, b}).endpoints.size(), 2u);
}

TEST(Merge, EmptyShardsAreFine) {
    std::vector<RunResult> shards = shards_of(whole_run());
    RunResult empty;
    empty.shard = "4/4";
    empty.host = "ci-1";
    empty.tool_version = "0.1.0";
    shards.push_back(empty);
    EXPECT_EQ(json_text(merge_runs(shards)), json_text(merge_runs(shards_of(whole_run()))));
}

TEST(Merge, ShardFieldRoundTripsAndIsOptionalWhenReading) {
    RunResult shard = shards_of(whole_run())[1];
    const std::string text = json_text(shard);
    std::istringstream in(text);
    EXPECT_EQ(read_results_json(in, "shard.json").shard, "2/3");
    const std::string line = "  \"shard\": \"2/3\",\n";
    std::string older = text;
    ASSERT_NE(older.find(line), std::string::npos) << text;
    older.erase(older.find(line), line.size());
    std::istringstream older_in(older);
    EXPECT_EQ(read_results_json(older_in, "older.json").shard, "");
}

}  // namespace
}  // namespace fc
