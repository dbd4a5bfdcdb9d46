#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/cli/progress.hpp"
#include "harness/core/atomic_file.hpp"
#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/text.hpp"
#include "harness/engine/runner.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/engine/shard.hpp"
#include "reports/console.hpp"
#include "reports/junit.hpp"
#include "reports/matrix_html.hpp"
#include "reports/matrix_md.hpp"
#include "reports/results_json.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

const OptionSpec kRunOptions[] = {
    {"servers", true, "a,b", "servers to test (default: every server manifest)"},
    {"clients", true, "a,b", "clients to use (default: every client manifest)"},
    {"tags", true, "t1,t2", "only scenarios that have one of these tags"},
    {"scenario", true, "GLOB", "only scenarios whose id or area/id matches (repeatable as a,b)"},
    {"out", true, "DIR", "write the run here; must be empty or absent (default results/<UTC>)"},
    {"timeout", true, "SECONDS", "deadline of each step unless the step sets one (default 10)"},
    {"jobs", true, "N",
     "cells to run at once, each with its own servers, ports and folders (default: 4 per core, "
     "at most 16)"},
    {"repeat", true, "N",
     "run each cell N times (1-100); its verdict is the worst, with the counts; cells whose "
     "runs disagree are flaky"},
    {"keep", false, "",
     "keep every cell's server work dir, payload (upload/download data) and capture.pcap, not "
     "only failed ones"},
    {"no-capture", false, "",
     "capture no cell's traffic (default: each cell's, when tcpdump is installed); wire "
     "assertions are then unsupported"},
    {"no-resident", false, "",
     "start every client action as a process of its own, also for clients whose manifest has "
     "a <resident> driver (default: one such process per client serves the whole run)"},
    {"no-pool", false, "",
     "start a server of its own for every cell (default: a server started for a configuration "
     "serves, one cell at a time, the later cells that ask for the same one; cells of "
     "misbehaving servers, FXP and scenarios tagged fresh-server always get their own, and so "
     "does every run of --repeat)"},
    {"strict", false, "",
     "an xpass (a declared deviation that passed) or a flaky cell (--repeat) fails the run"},
    {"quiet", false, "", "print only the summary: failures, report paths and counts"},
    {"verbose", false, "", "print every cell, and the transcript excerpt of each that failed"},
    {"shard", true, "I/N",
     "run only shard I of N (1 <= I <= N <= 1000); merge with `ftps-conform report`"},
    {"endpoints", true, "DIR",
     "also load manifests from DIR/<name>/manifest.xml or DIR/servers|clients/<name>/manifest.xml"
     " (same name: replaces the shipped one; the run names each manifest and its SHA-256)"},
    {"target", true, "HOST:PORT", "test a server that already listens there (no servers started)"},
    {"user", true, "USER", "--target: the user to log in as"},
    {"password", true, "PASSWORD", "--target: that user's password"},
    {"ca", true, "FILE",
     "--target: verify the server certificate with this CA (else: not verified)"},
    {"features", true, "f1,f2", "--target: the features the server is configured with"},
    {"help", false, "", "show this help"},
};

// What a cell's re-run line must repeat: the scenario folders and the options that change
// which endpoints load or how a cell runs (reports/console.cpp rerun_command).
std::vector<std::string> rerun_args(const ParsedArgs& a) {
    std::vector<std::string> out(a.positionals.begin(), a.positionals.end());
    for (const char* name :
         {"endpoints", "target", "user", "password", "ca", "features", "timeout"}) {
        if (auto v = a.value(name)) {
            out.push_back(std::string("--") + name);
            out.push_back(*v);
        }
    }
    return out;
}

// --target HOST:PORT (IPv6 as [::1]:PORT) and its companions.
std::optional<ExternalTarget> parse_target(const ParsedArgs& a) {
    auto text = a.value("target");
    for (const char* companion : {"user", "password", "ca", "features"}) {
        if (!text && a.value(companion)) {
            throw UsageError(std::string("--") + companion + " only goes with --target");
        }
    }
    if (!text) {
        return std::nullopt;
    }
    if (a.value("servers")) {
        throw UsageError(
            "--target and --servers exclude each other: --target tests one server "
            "that is already running");
    }
    ExternalTarget t;
    std::string hostport = *text;
    std::size_t colon = hostport.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == hostport.size()) {
        throw UsageError("--target wants HOST:PORT with a numeric address, not '" + hostport + "'");
    }
    t.host = hostport.substr(0, colon);
    if (t.host.size() > 2 && t.host.front() == '[' && t.host.back() == ']') {
        t.host = t.host.substr(1, t.host.size() - 2);
    }
    try {
        std::size_t used = 0;
        int port = std::stoi(hostport.substr(colon + 1), &used);
        if (used != hostport.size() - colon - 1 || port < 1 || port > 65535) {
            throw std::out_of_range("port");
        }
        t.port = static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
        throw UsageError("--target port must be 1-65535, not '" + hostport.substr(colon + 1) + "'");
    }
    if (!a.value("user") || !a.value("password")) {
        throw UsageError("--target needs --user and --password");
    }
    t.user = *a.value("user");
    t.password = *a.value("password");
    if (auto ca = a.value("ca")) {
        if (!fs::is_regular_file(*ca)) {
            throw UsageError("--ca " + *ca + " is not a file");
        }
        t.ca_file = fs::absolute(*ca);
    }
    for (const auto& f : a.list("features")) {
        if (!is_known_server_feature(f)) {
            std::string guess = closest_match(f, known_server_features());
            throw UsageError("unknown feature '" + f + "' in --features" +
                             (guess.empty() ? "" : "; did you mean '" + guess + "'?"));
        }
        t.features.push_back(f);
    }
    return t;
}

void print_help(std::ostream& out) {
    out << "usage: ftps-conform run [PATH...] [options]\n\n"
           "Runs the scenarios under PATH (files or folders; default: scenarios/) against\n"
           "real servers started on loopback, and writes results.json, junit.xml and\n"
           "per-cell transcripts, logs, rendered configs, TLS key logs and packet captures\n"
           "(capture.pcap; wire.json: what each TCP connection carried) into the run folder.\n"
           "A cell that did not pass keeps all of it; one that passed, was unsupported or\n"
           "failed as its endpoint declares keeps only transcript.txt, with its wire facts\n"
           "(and a declared failure's client output) at its end (--keep keeps everything).\n\n"
        << options_help(kRunOptions)
        << "\nexit status: 0 nothing failed or errored, 1 a check failed, 2 usage or\n"
           "scenario/manifest error, 3 harness or infrastructure error (results incomplete),\n"
           "including an --out folder or report file that cannot be written.\n";
}

}  // namespace

fs::path choose_out_dir(const ParsedArgs& a) {
    if (auto out = a.value("out")) {
        fs::path dir = *out;
        if (fs::exists(dir) && (!fs::is_directory(dir) || !fs::is_empty(dir))) {
            throw UsageError("--out " + dir.string() +
                             " is not an empty folder: nothing of an earlier run is overwritten");
        }
        return dir;
    }
    std::string stamp = utc_timestamp();  // 2026-11-25T06:01:02Z -> 20261125T060102Z
    std::string compact;
    for (char c : stamp) {
        if (c != '-' && c != ':') {
            compact += c;
        }
    }
    fs::path dir = fs::path("results") / compact;
    for (int n = 2; fs::exists(dir); ++n) {
        dir = fs::path("results") / (compact + "-" + std::to_string(n));
    }
    return dir;
}

Millis parse_timeout(const ParsedArgs& a) {
    auto text = a.value("timeout");
    if (!text) {
        return Millis(10000);
    }
    try {
        std::size_t used = 0;
        double seconds = std::stod(*text, &used);
        if (used == text->size() && seconds > 0 && seconds <= 3600) {
            return Millis(static_cast<long long>(seconds * 1000));
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--timeout wants seconds between 0 and 3600, not '" + *text + "'");
}

unsigned parse_jobs(const ParsedArgs& a) {
    auto text = a.value("jobs");
    if (!text) {
        return default_jobs();
    }
    try {
        std::size_t used = 0;
        int jobs = std::stoi(*text, &used);
        if (used == text->size() && jobs >= 1 && jobs <= 64) {
            return static_cast<unsigned>(jobs);
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--jobs wants a whole number from 1 to 64, not '" + *text + "'");
}

unsigned parse_repeat(const ParsedArgs& a) {
    auto text = a.value("repeat");
    if (!text) {
        return 1;
    }
    try {
        std::size_t used = 0;
        int n = std::stoi(*text, &used);
        if (used == text->size() && n >= 1 && n <= 100) {
            return static_cast<unsigned>(n);
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--repeat wants a whole number from 1 to 100, not '" + *text + "'");
}

std::string matrix_grid_markdown(const RunResult& run) {
    // Only the servers x clients grid of matrix.md; the per-scenario tables stay in the file.
    std::ostringstream md;
    write_matrix_grid_markdown(matrix_layout(run), md);
    return md.str();
}

SummaryPaths write_run_reports(const RunResult& run, const fs::path& dir, bool strict,
                               const Comparison* since) {
    SummaryPaths paths{(dir / "results.json").string(), (dir / "junit.xml").string(),
                       (dir / "matrix.html").string(), (dir / "matrix.md").string()};
    write_report(paths.results_json, [&](std::ostream& o) { write_results_json(run, o); });
    write_report(paths.junit_xml, [&](std::ostream& o) { write_junit(run, o, strict); });
    write_report(paths.matrix_html, [&](std::ostream& o) { write_matrix_html(run, o, since); });
    write_report(paths.matrix_md, [&](std::ostream& o) { write_matrix_markdown(run, o, since); });
    return paths;
}

void write_report(const fs::path& path, const std::function<void(std::ostream&)>& write) {
    // Whole or not at all: a reader never finds a half-written results.json.
    write_file_atomically(path, write);
}

int cmd_run(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
            std::ostream& err) {
    ParsedArgs a = parse_args(args, kRunOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    std::optional<std::pair<int, int>> shard;
    if (auto text = a.value("shard")) {
        shard = parse_shard(*text);
    }
    Workspace ws = load_workspace_for(a, err);
    Selection sel{a.list("servers"), a.list("clients"), a.list("tags"), a.list("scenario")};
    std::optional<ExternalTarget> external = parse_target(a);
    std::vector<ServerManifest> external_servers;
    if (external) {
        external_servers.push_back(external_manifest(*external));
    }
    std::vector<PlannedCell> cells =
        make_plan(ws.scenarios, external ? external_servers : ws.endpoints.servers,
                  ws.endpoints.clients, sel);
    std::string shard_text;
    std::size_t planned = cells.size();
    if (shard) {
        // After make_plan: the selection as a whole must match something; one shard of it
        // may be empty.
        shard_text = std::to_string(shard->first) + "/" + std::to_string(shard->second);
        cells = shard_cells(cells, shard->first, shard->second);
    }

    RunConfig config;
    config.out_dir = choose_out_dir(a);
    config.step_timeout = parse_timeout(a);
    config.keep = a.has("keep");
    config.capture = !a.has("no-capture");
    config.resident = !a.has("no-resident");
    config.pool = !a.has("no-pool");
    config.jobs = parse_jobs(a);
    config.repeat = parse_repeat(a);
    config.external = external;
    config.prefix = default_prefix();
    config.cancel = cancel;
    if (a.has("quiet") && a.has("verbose")) {
        throw UsageError("--quiet and --verbose exclude each other");
    }
    // Before any cell runs: an --out that cannot be written fails now, not after the run.
    prepare_output_dir(config.out_dir);
    Progress progress(out, &out == &std::cout && Progress::stdout_is_live(),
                      a.has("quiet")     ? Verbosity::quiet
                      : a.has("verbose") ? Verbosity::verbose
                                         : Verbosity::normal);
    config.on_note = [&](const std::string& text) { progress.note(text); };
    config.on_cell = [&](const CellResult& cell, std::size_t done, std::size_t total) {
        progress.cell(cell, done, total);
    };
    out << "ftps-conform " << FTPS_CONFORM_VERSION << ": " << cells.size() << " cell(s)";
    if (shard) {
        out << " (shard " << shard_text << " of " << planned << ")";
    }
    out << " from " << ws.scenarios.size() << " scenario(s)";
    if (config.repeat > 1) {
        out << ", each run " << config.repeat << " times";
    }
    out << ", " << config.jobs << " at a time; writing to " << config.out_dir.string() << "\n";
    if (shard && cells.empty()) {
        out << "  .. shard " << shard_text << " has no cells\n";
    }

    RunResult run = run_plan(cells, config);
    progress.finish();
    run.shard = shard_text;
    run.rerun_args = rerun_args(a);
    bool strict = a.has("strict");
    SummaryPaths paths = write_run_reports(run, config.out_dir, strict);
    out << "\n" << matrix_grid_markdown(run) << "\n";
    write_slowest(run, out);
    write_summary(run, out, paths);
    if (run.interrupted) {
        err << "interrupted: the run stopped early; every server it started was stopped\n";
    }
    return exit_code_for(run, strict);
}

}  // namespace fc
