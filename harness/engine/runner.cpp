#include "harness/engine/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "harness/core/error.hpp"
#include "harness/engine/client_action.hpp"
#include "harness/engine/client_cell.hpp"
#include "harness/engine/reference_session.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/proc/process.hpp"

namespace fc {

namespace fs = std::filesystem;

std::string utc_timestamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

namespace {

std::string trim(std::string text) {
    const char* space = " \t\r\n";
    text.erase(0, text.find_first_not_of(space));
    text.erase(text.find_last_not_of(space) + 1);
    return text;
}

}  // namespace

std::string probe_version(const std::string& command, const std::string& regex,
                          bool stdin_from_stdout, const Variables& vars, CancelToken cancel,
                          std::string* error) {
    std::istringstream words(substitute(command, vars, "version command"));
    std::vector<std::string> argv;
    for (std::string w; words >> w;) {
        argv.push_back(w);
    }
    CommandOutput out =
        run_command(argv, Deadline::after(Millis(10000)), cancel, stdin_from_stdout);
    if (out.timed_out || !out.exit_code) {
        *error = "version command did not finish: " + out.error;
        return "";
    }
    std::string text = out.output;
    if (!regex.empty()) {
        std::smatch m;
        if (std::regex_search(text, m, std::regex(regex)) && m.size() > 1) {
            return trim(m[1].str());
        }
        *error = "version output does not match /" + regex + "/: " + text.substr(0, 200);
        return "";
    }
    return trim(text.substr(0, text.find('\n')));
}

namespace {

// Per-run state shared by the cells: PKI, credentials, ports, endpoint checks.
class RunState {
public:
    explicit RunState(const RunConfig& config) : config_(config) {}

    void prepare(const std::vector<PlannedCell>& cells, RunResult& run) {
        note("making the test PKI");
        try {
            pki_ = make_test_pki(config_.out_dir / "pki");
            credentials_ = make_credentials();
        } catch (const HarnessError& e) {
            setup_error_ = std::string("cannot prepare the run: ") + e.what();
            return;
        }
        for (const PlannedCell& cell : cells) {
            check_server(*cell.server, run);
            check_client(*cell.client, run);
        }
    }

    CellResult run_cell(const PlannedCell& cell) {
        const Scenario& s = *cell.scenario;
        CellResult r;
        r.scenario_id = s.id;
        r.area = s.area;
        r.title = s.title;
        r.level = std::string(to_string(s.level));
        for (const auto& spec : s.specs) {
            r.spec_refs.push_back(spec.ref);
        }
        r.server = cell.server_name;
        r.client = cell.client_name;
        fs::path rel = fs::path(cell.server_name + "__" + cell.client_name) / s.id;
        r.cell_dir = rel.string();
        fs::path dir = config_.out_dir / rel;
        fs::create_directories(dir);
        auto started = Clock::now();
        execute(cell, dir, r);
        if (!cell.misbehaviours.empty()) {
            std::string names;
            for (const auto& m : cell.misbehaviours) {
                names += (names.empty() ? "" : " ") + m;
            }
            r.properties["server.misbehaviours"] = names;
        }
        r.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
        // Under a negative control the scenario must fail: a declared deviation says
        // nothing about that.
        if (const Deviation* d = cell.under_control ? nullptr : deviation_for(cell)) {
            apply_deviation(*d, r);
        }
        return r;
    }

private:
    void note(const std::string& text) const {
        if (config_.on_note) {
            config_.on_note(text);
        }
    }

    void check_server(const ServerManifest& m, RunResult& run) {
        if (endpoint_errors_.count("server:" + m.name) != 0 || checked_.count("server:" + m.name)) {
            return;
        }
        checked_.insert("server:" + m.name);
        if (config_.external) {
            const ExternalTarget& t = *config_.external;
            note("server " + m.name + ": already listening on " + t.host + ":" +
                 std::to_string(t.port) + ", not started or configured by ftps-conform" +
                 (t.ca_file.empty() ? "; its certificate is NOT verified (no --ca)" : ""));
            run.endpoints.push_back({m.name, "server", "external"});
            return;
        }
        Variables vars = manifest_variables(m, config_.prefix);
        std::string error;
        std::string version;
        if (::access(vars["binary"].c_str(), X_OK) != 0) {
            error = "binary not found or not executable: " + vars["binary"] +
                    " (ci/install-servers puts it there, or point <binary> elsewhere)";
        } else if (!m.version_command.empty()) {
            version = probe_version(m.version_command, m.version_regex, m.version_stdin_from_stdout,
                                    vars, config_.cancel, &error);
        }
        if (!error.empty()) {
            endpoint_errors_["server:" + m.name] = m.name + ": " + error;
        }
        note("server " + m.name + ": " + (error.empty() ? "version " + version : error));
        run.endpoints.push_back({m.name, "server", version});
    }

    // The declared deviation of the endpoint under test: the client's in client
    // scenarios (then the server's, for interop), else the server's.
    static const Deviation* deviation_for(const PlannedCell& cell) {
        const std::string& id = cell.scenario->id;
        if (cell.scenario->client_under_test()) {
            if (const Deviation* d = cell.client->deviation_for(id, cell.server_name)) {
                return d;
            }
            return cell.scenario->server_role == Role::under_test ? cell.server->deviation_for(id)
                                                                  : nullptr;
        }
        return cell.server->deviation_for(id);
    }

    void check_client(const ClientManifest& m, RunResult& run) {
        if (checked_.count("client:" + m.name)) {
            return;
        }
        checked_.insert("client:" + m.name);
        if (m.builtin) {
            run.endpoints.push_back({m.name, "client", FTPS_CONFORM_VERSION});
            return;
        }
        std::string error;
        std::string version;
        std::string binary = resolve_client_binary(m, config_.prefix);
        if (binary.empty()) {
            error = "binary not found or not executable: " +
                    (m.binary.empty() ? std::string("(no <binary> in the manifest)") : m.binary) +
                    " (install package " + (m.package.empty() ? m.name : m.package) +
                    ", or point <binary> elsewhere)";
        } else if (!m.version_command.empty()) {
            Variables vars{{"binary", binary}, {"prefix", config_.prefix.string()}};
            version = probe_version(m.version_command, m.version_regex, m.version_stdin_from_stdout,
                                    vars, config_.cancel, &error);
        }
        client_binaries_[m.name] = binary;
        if (!error.empty()) {
            endpoint_errors_["client:" + m.name] = "client " + m.name + ": " + error;
        }
        note("client " + m.name + ": " + (error.empty() ? "version " + version : error));
        run.endpoints.push_back({m.name, "client", version});
    }

    // A client-side, interop or FXP cell (client_cell.hpp).
    void execute_client(const PlannedCell& cell, const fs::path& dir, CellResult& r,
                        const std::string& features_text) {
        Transcript transcript;
        if (config_.external) {
            r.verdict = Verdict::error;
            r.reason =
                "client scenarios cannot run against --target: the harness seeds and "
                "reads the server's files, so it must start the server";
            return;
        }
        if (auto it = endpoint_errors_.find("client:" + cell.client->name);
            it != endpoint_errors_.end()) {
            r.verdict = Verdict::error;
            r.reason = it->second;
            return;
        }
        if (std::string why = client_unsupported(*cell.client, *cell.scenario); !why.empty()) {
            r.verdict = Verdict::unsupported;
            r.reason = why;
            return;
        }
        ClientCellContext ctx;
        ctx.cell = &cell;
        ctx.dir = dir;
        ctx.features_text = features_text;
        ctx.pki = &pki_;
        ctx.credentials = &credentials_;
        ctx.ports = &ports_;
        ctx.prefix = config_.prefix;
        ctx.cancel = config_.cancel;
        ctx.step_timeout = config_.step_timeout;
        ctx.client_binary = client_binaries_[cell.client->name];
        ctx.keep = config_.keep;
        run_client_cell(ctx, r, transcript);
        finish_transcript(transcript, dir, r);
    }

    void execute(const PlannedCell& cell, const fs::path& dir, CellResult& r) {
        const ServerManifest& server = *cell.server;
        if (!setup_error_.empty()) {
            r.verdict = Verdict::error;
            r.reason = setup_error_;
            return;
        }
        if (auto it = endpoint_errors_.find("server:" + server.name);
            it != endpoint_errors_.end()) {
            r.verdict = Verdict::error;
            r.reason = it->second;
            return;
        }
        std::vector<std::string> missing;
        auto features = realise_features(server, cell.server_features, &missing);
        if (!features) {
            r.verdict = Verdict::unsupported;
            r.reason = config_.external ? "needs feature(s) not declared with --features:"
                                        : server.name + " cannot realise feature(s):";
            for (const auto& f : missing) {
                r.reason += " " + f;
            }
            return;
        }
        if (cell.scenario->client_under_test()) {
            execute_client(cell, dir, r, *features);
            return;
        }
        Transcript transcript;
        if (config_.external) {
            run_external(cell, dir, r, transcript);
            finish_transcript(transcript, dir, r);
            return;
        }
        std::unique_ptr<ServerInstance> instance;
        try {
            InstanceRequest req{&server,       cell.server_features, *features, &pki_,
                                &credentials_, config_.prefix,       dir,       &ports_,
                                config_.cancel};
            req.misbehaviours = cell.misbehaviours;
            instance = ServerInstance::start(req);
            SessionOptions options{config_.step_timeout, config_.cancel, dir / "tls-keys.log"};
            transcript.note("", "server " + server.name + " ready on 127.0.0.1:" +
                                    std::to_string(instance->target().port));
            SessionOutcome outcome =
                run_reference_session(*cell.scenario, instance->target(), options, transcript);
            r.verdict = outcome.verdict;
            r.reason = outcome.reason;
            r.failure = outcome.failure;
            r.properties = outcome.properties;
            if (auto status = instance->exited()) {
                // A crash is the implementation's fault, whatever the steps saw.
                std::string crash = "server process exited with status " + std::to_string(*status) +
                                    " during the session";
                transcript.note("", crash);
                if (r.verdict == Verdict::pass) {
                    r.verdict = Verdict::fail;
                    r.failure = Failure{0, 0, "server process", "still running", crash};
                }
                r.reason = r.reason.empty() ? crash : r.reason + "; " + crash;
            }
        } catch (const HarnessError& e) {
            r.verdict = Verdict::error;
            r.reason = e.what();
            transcript.note("", std::string("ERROR ") + e.what());
        }
        if (instance) {
            instance->stop();
            if (config_.keep || r.verdict != Verdict::pass) {
                instance->keep_work_dir(dir / "work");
            }
        }
        finish_transcript(transcript, dir, r);
    }

    static void finish_transcript(const Transcript& transcript, const fs::path& dir,
                                  CellResult& r) {
        if (!transcript.entries().empty()) {
            transcript.write(dir / "transcript.txt");
            r.transcript_path = (fs::path(r.cell_dir) / "transcript.txt").string();
            r.transcript_excerpt = transcript.excerpt(40);
        }
    }

    void run_external(const PlannedCell& cell, const fs::path& dir, CellResult& r,
                      Transcript& transcript) {
        const ExternalTarget& ext = *config_.external;
        Target target;
        target.host = ext.host;
        target.port = ext.port;
        target.user = ext.user;
        target.password = ext.password;
        target.features = cell.server_features;
        target.ca_file = ext.ca_file;
        target.verify_name = ext.host;
        target.pki = pki_;
        if (ext.ca_file.empty()) {
            r.properties["tls.server_certificate"] = "not verified (no --ca)";
        }
        transcript.note("", "external server " + ext.host + ":" + std::to_string(ext.port));
        SessionOptions options{config_.step_timeout, config_.cancel, dir / "tls-keys.log"};
        SessionOutcome outcome = run_reference_session(*cell.scenario, target, options, transcript);
        r.verdict = outcome.verdict;
        r.reason = outcome.reason;
        r.failure = outcome.failure;
        r.properties.insert(outcome.properties.begin(), outcome.properties.end());
    }

    static void apply_deviation(const Deviation& d, CellResult& r) {
        std::string declared = "declared deviation (" + d.source + "): " + d.reason;
        if (r.verdict == Verdict::fail) {
            r.verdict = Verdict::xfail;
            r.reason = declared + " — " + r.reason;
        } else if (r.verdict == Verdict::pass) {
            r.verdict = Verdict::xpass;
            r.reason = "passed although " + declared;
        }
    }

    const RunConfig& config_;
    PkiFiles pki_;
    Credentials credentials_;
    PortAllocator ports_;
    std::string setup_error_;
    std::map<std::string, std::string> endpoint_errors_;
    std::map<std::string, std::string> client_binaries_;  // resolved, by client name
    std::set<std::string> checked_;
};

}  // namespace

ServerManifest external_manifest(const ExternalTarget& target) {
    ServerManifest m;
    m.name = target.name;
    m.title = "server already listening on " + target.host + ":" + std::to_string(target.port);
    for (const auto& f : target.features) {
        m.features.push_back(FeatureFragment{{f}, "", SourcePos{}});
    }
    return m;
}

RunResult run_plan(const std::vector<PlannedCell>& cells, const RunConfig& given) {
    // Cell folders are absolute: clients and servers run in their own working folders and
    // get paths into the cell folder (scripts, logs, files), so a relative --out (the
    // default results/<UTC>) would point nowhere for them.
    RunConfig config = given;
    config.out_dir = fs::absolute(given.out_dir);
    RunResult run;
    run.tool_version = FTPS_CONFORM_VERSION;
    run.run_id = config.out_dir.filename().string();
    run.started_utc = utc_timestamp();
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    run.host = host;
    auto started = Clock::now();

    RunState state(config);
    state.prepare(cells, run);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (config.cancel.cancelled()) {
            run.interrupted = true;
            break;
        }
        run.cells.push_back(state.run_cell(cells[i]));
        if (config.on_cell) {
            config.on_cell(run.cells.back(), i + 1, cells.size());
        }
    }
    if (config.cancel.cancelled()) {
        run.interrupted = true;
    }
    run.finished_utc = utc_timestamp();
    run.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
    return run;
}

}  // namespace fc
