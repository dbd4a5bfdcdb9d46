#pragma once
// The result model: plain data, written by one process and read or merged by another.
// Reporters read only these types (harness/README.md "From scenario file to report").
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/verdict.hpp"

namespace fc {

/// Where and how a check of the implementation under test failed.
struct Failure {
    int step_index = 0;    ///< 1-based index of the failed step in the scenario
    int line = 0;          ///< line of that step in the scenario file (0 when unknown)
    std::string step;      ///< the step as a person reads it, e.g. "expect code=234 after AUTH TLS"
    std::string expected;  ///< what the scenario asked for
    std::string observed;  ///< what the endpoint did
};

/// The one wording of a failed step in a cell's reason, for every kind of cell:
/// "step 3 (expect code=234 after AUTH TLS, line 12): expected code 234, observed code 500".
std::string failure_reason(const Failure& failure);

/// Where a cell's time went, in seconds: starting its servers (setup), running its steps or
/// client actions (steps), stopping the servers and writing its files (teardown); and when
/// it started, in seconds after the run did (negative: not known, e.g. an older file).
struct CellTiming {
    double setup_s = 0.0;
    double steps_s = 0.0;
    double teardown_s = 0.0;
    double started_s = -1.0;
};

/// One cell: a scenario run with one server and one client.
struct CellResult {
    std::string scenario_id;
    std::string area;  ///< the scenario's folder (JUnit classname)
    std::string title;
    std::string level;  ///< must / should / interop / info
    std::vector<std::string> spec_refs;
    /// The sentence each spec ref quotes (parallel to spec_refs; "" where the scenario has no
    /// quote; shorter in results.json files written before quotes were recorded).
    std::vector<std::string> spec_quotes;
    std::string server;
    std::string client;
    Verdict verdict = Verdict::error;
    /// Why, for error / unsupported / xfail / xpass (and a one-line summary for fail).
    std::string reason;
    std::optional<Failure> failure;  ///< set for fail and xfail
    double duration_s = 0.0;
    std::optional<CellTiming> timing;  ///< absent in results written before it existed
    std::string cell_dir;              ///< relative to the run directory
    std::string transcript_path;       ///< relative to the run directory; "" if none
    std::string transcript_excerpt;    ///< last lines of the transcript, raw bytes allowed
    /// Facts worth a column: "tls.version", "tls.cipher", ...
    std::map<std::string, std::string> properties;
    /// Under `run --repeat N` (N > 1): the verdict of each run, in order; `verdict` is the
    /// worst of them. Empty when the cell ran once.
    std::vector<Verdict> repeats;
    /// True when the repeats did not all agree (a cell under an intermittent deviation
    /// is xfail every time, so it is never flaky).
    bool flaky() const;
    /// "fail 2/5, pass 3/5" for a repeated cell, worst first; "" when it ran once.
    std::string repeat_counts() const;
};

/// A server or client that took part, with the version it reported.
struct EndpointInfo {
    std::string name;
    std::string kind;  ///< "server" or "client"
    std::string version;
    /// Absolute path of the manifest file the endpoint was loaded from; "" for an external
    /// --target server (and in results.json files written before provenance was recorded).
    std::string manifest{};
    std::string manifest_sha256{};  ///< lower-case hex SHA-256 of that file's bytes, or ""
    std::string target{};           ///< "host:port" of an external --target server, else ""
};

/// Where an endpoint came from, in the one wording every report uses:
/// "manifest /abs/servers/vsftpd/manifest.xml (sha256 0123456789ab)" (the first 12 hex),
/// "external target 127.0.0.1:2121", or "" when the result does not say.
std::string provenance_text(const EndpointInfo& endpoint);

/// A whole run (or a merge of shards).
struct RunResult {
    std::string tool_version;
    std::string run_id;
    std::string started_utc;  ///< ISO 8601, e.g. 2026-11-25T06:01:02Z
    std::string finished_utc;
    std::string host;
    double duration_s = 0.0;
    bool interrupted = false;  ///< Ctrl-C or SIGTERM stopped the run early
    std::string shard;         ///< "I/N" of `run --shard I/N`; "" when unsharded or merged
    std::vector<EndpointInfo> endpoints;
    std::vector<CellResult> cells;
    /// The arguments of `run` that decide what loads and how a cell runs (scenario folders,
    /// --endpoints, --target with --user/--password/--ca/--features, --timeout), as given,
    /// so that a cell's re-run line reproduces it. Set by `run`; not in results.json.
    std::vector<std::string> rerun_args;
};

/// Counts per verdict.
struct VerdictCounts {
    int pass = 0, fail = 0, error = 0, unsupported = 0, xfail = 0, xpass = 0;
    int total() const { return pass + fail + error + unsupported + xfail + xpass; }
    void add(Verdict v);
};
VerdictCounts count_verdicts(const std::vector<CellResult>& cells);

/// How bad a verdict is, for the worst of a cell's repeats: pass < unsupported < xfail <
/// xpass < error < fail.
int severity(Verdict v);

/// Exit status of a run: 3 if a cell errored or the run was interrupted (results are
/// incomplete), else 1 if a check failed (or, with `strict`, a declared deviation
/// passed or a repeated cell was flaky), else 0.
int exit_code_for(const RunResult& run, bool strict);

}  // namespace fc
