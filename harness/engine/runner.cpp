#include "harness/engine/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <future>
#include <mutex>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/socket.hpp"
#include "harness/core/text.hpp"
#include "harness/core/variables.hpp"
#include "harness/engine/cell_capture.hpp"
#include "harness/engine/cell_files.hpp"
#include "harness/engine/client_cell.hpp"
#include "harness/engine/deviations.hpp"
#include "harness/engine/endpoint_check.hpp"
#include "harness/engine/repeat.hpp"
#include "harness/engine/resident.hpp"
#include "harness/engine/server_cell.hpp"
#include "harness/engine/server_pool.hpp"
#include "harness/proc/orphans.hpp"
#include "harness/scenario/values.hpp"
#include "harness/wire/capture_hub.hpp"

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

unsigned default_jobs() {
    // Cells spend most of their time waiting on endpoints (start-up, handshakes,
    // replies), so a few more cells than cores keep the cores busy.
    unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    return std::min(16U, cores * 4);
}

ServerManifest external_manifest(const ExternalTarget& target) {
    ServerManifest m;
    m.name = target.name;
    m.title = "server already listening on " + target.host + ":" + std::to_string(target.port);
    for (const auto& f : target.features) {
        m.features.push_back(FeatureFragment{{f}, "", SourcePos{}});
    }
    return m;
}

void apply_outcome(const SessionOutcome& outcome, CellResult& r) {
    r.verdict = outcome.verdict;
    r.reason = outcome.reason;
    r.failure = outcome.failure;
    r.properties.insert(outcome.properties.begin(), outcome.properties.end());
}

void cell_error(CellResult& r, Transcript& transcript, const std::string& why) {
    r.verdict = Verdict::error;
    r.reason = why;
    r.failure.reset();
    transcript.note("", "ERROR " + why);
}

void finish_transcript(const Transcript& transcript, const fs::path& dir, CellResult& r) {
    if (!transcript.entries().empty()) {
        transcript.write(dir / "transcript.txt");
        r.transcript_path = (fs::path(r.cell_dir) / "transcript.txt").string();
        r.transcript_excerpt = transcript.excerpt(40);
    }
}

CellTiming PhaseClock::finish() const {
    auto end = Clock::now();
    auto setup = setup_.value_or(end);
    auto steps = steps_ ? std::max(*steps_, setup) : (setup_ ? end : setup);
    auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    return CellTiming{secs(setup - start_), secs(steps - setup), secs(end - steps)};
}

namespace {

// The cell's result before it runs: what the scenario and the cell say of themselves.
CellResult describe_cell(const PlannedCell& cell) {
    const Scenario& s = *cell.scenario;
    CellResult r;
    r.scenario_id = s.id;
    r.area = s.area;
    r.title = s.title;
    r.level = std::string(to_string(s.level));
    for (const auto& spec : s.specs) {
        r.spec_refs.push_back(spec.ref);
        r.spec_quotes.push_back(spec.quote);
    }
    r.server = cell.server_name;
    r.client = cell.client_name;
    r.cell_dir = (fs::path(cell.server_name + "__" + cell.client_name) / s.id).string();
    if (!cell.misbehaviours.empty()) {
        r.properties["server.misbehaviours"] = join(cell.misbehaviours, " ");
    }
    return r;
}

// A rough rank of how long a cell takes: scenarios tagged slow, then FXP (two servers),
// then real clients (a process per action), then the rest.
int expected_cost(const PlannedCell& cell) {
    const Scenario& s = *cell.scenario;
    if (std::find(s.tags.begin(), s.tags.end(), "slow") != s.tags.end()) {
        return 3;
    }
    if (s.fxp()) {
        return 2;
    }
    return s.client_under_test() && !cell.client->builtin ? 1 : 0;
}

// Whether a cell may take a pooled server: not when its server misbehaves on purpose (that
// is the server's state), not FXP (two servers on two addresses), not a scenario that
// says it needs a fresh server.
bool poolable(const PlannedCell& cell) {
    const Scenario& s = *cell.scenario;
    return cell.misbehaviours.empty() && !s.fxp() &&
           std::find(s.tags.begin(), s.tags.end(), "fresh-server") == s.tags.end();
}

// Cells that could share a pooled server, next to each other in the order cells start.
std::string pool_order_key(const PlannedCell& cell) {
    std::vector<std::string> features = cell.server_features;
    std::sort(features.begin(), features.end());
    return cell.server_name + "|" + join(features, ",");
}

// Per-run state shared by the cells: PKI, credentials, ports, endpoint checks. Written by
// prepare() before any cell runs; afterwards cells only read it (the port allocator
// locks itself).
class RunState {
public:
    explicit RunState(const RunConfig& config) : config_(config), run_started_(Clock::now()) {}

    void prepare(const std::vector<PlannedCell>& cells, RunResult& run) {
        capture_off_ = capture_off_reason(config_.capture);
        if (capture_off_.empty() && config_.external) {
            // Cells share the target's port (parallel cells' connections mix) and its
            // passive ports are unknown: a capture could not be told apart per cell.
            capture_off_ =
                "capture unavailable: --target (cells share the server's port and "
                "its passive ports are unknown)";
        }
        if (capture_off_.empty()) {
            // One tcpdump for the run, each cell a session of it (capture_hub.hpp says why).
            wire::HubSpec spec;
            spec.log = config_.out_dir / "capture.log";
            auto [first, last] = ports_.bounds();
            spec.ports = {first, last};
            hub_ = std::make_unique<wire::CaptureHub>(spec);
            std::error_code ec;
            fs::create_directories(config_.out_dir, ec);
            wire::CaptureStart started = hub_->start(config_.cancel);
            if (!started.ok) {
                capture_off_ = "capture unavailable: " + started.reason;
                hub_.reset();
            }
        }
        if (!capture_off_.empty()) {
            note(capture_off_ + ": wire assertions are unsupported");
        }
        note("making the test PKI");
        // The keys are made on threads of their own while the endpoints' version probes
        // (processes: a JVM's, Node's) run: neither needs the other.
        auto pki = std::async(std::launch::async,
                              [dir = config_.out_dir / "pki"] { return make_test_pki(dir); });
        const ExternalTarget* external = config_.external ? &*config_.external : nullptr;
        if (config_.pool && !external) {
            pool_ = std::make_unique<ServerPool>(config_.out_dir / "pool",
                                                 std::max<std::size_t>(4, 2 * config_.jobs));
        }
        checks_.check(
            cells, config_.prefix, external, config_.cancel,
            [this](const std::string& text) { note(text); }, run.endpoints);
        try {
            pki_ = pki.get();
            credentials_ = make_credentials();
        } catch (const HarnessError& e) {
            setup_error_ = std::string("cannot prepare the run: ") + e.what();
            return;
        }
    }

    /// Runs the cell once; `attempt` (1-based) of `repeat` runs names its folder.
    CellResult run_cell(const PlannedCell& cell, unsigned attempt, unsigned repeat) {
        CellResult r = describe_cell(cell);
        if (repeat > 1) {
            r.cell_dir = (fs::path(r.cell_dir) / ("run-" + std::to_string(attempt))).string();
        }
        auto started = Clock::now();
        PhaseClock clock;
        fs::path dir = config_.out_dir / r.cell_dir;
        Transcript transcript;
        guard_cell(r, transcript, [&] {
            fs::create_directories(dir);
            execute(cell, dir, r, transcript, clock);
        });
        try {
            finish_transcript(transcript, dir, r);
        } catch (const std::exception& e) {
            r.verdict = Verdict::error;
            r.reason = std::string("cannot write the transcript: ") + e.what();
        }
        r.timing = clock.finish();
        r.timing->started_s = std::chrono::duration<double>(started - run_started_).count();
        r.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
        // Cut short by SIGINT/SIGTERM: whatever it saw, the cell did not finish.
        if (config_.cancel.cancelled() && r.verdict != Verdict::pass &&
            r.verdict != Verdict::unsupported && r.reason.rfind("interrupted", 0) != 0) {
            r.verdict = Verdict::error;
            r.reason = "interrupted" + (r.reason.empty() ? "" : " (" + r.reason + ")");
            r.failure.reset();
        }
        // Under a negative control the scenario must fail: a declared deviation says
        // nothing about that.
        if (!cell.under_control) {
            apply_deviations(deviations_for(cell), r);
        }
        // The verdict is final: a settled cell keeps its transcript, with its wire facts
        // (and a declared failure's client output) folded in.
        if (!prune_settled_cell(dir, r, config_.keep)) {
            r.cell_dir.clear();  // nothing to link: the cell never ran, or left nothing
            r.transcript_path.clear();
        }
        return r;
    }

    /// Stops the pooled servers (the cells are done) and says what pooling did.
    void close_pool() {
        if (!pool_) {
            return;
        }
        pool_->close();
        ServerPool::Counts c = pool_->counts();
        note("server pool: " + std::to_string(c.started) + " servers started for " +
             std::to_string(c.started + c.reused) + " cells (" + std::to_string(c.retired) +
             " stopped early: busy or gone when their cell ended)");
        if (!config_.keep) {
            std::error_code ec;
            fs::remove_all(config_.out_dir / "pool", ec);  // each cell has its part
        }
    }

private:
    void note(const std::string& text) const {
        if (config_.on_note) {
            config_.on_note(text);
        }
    }

    // Why the cell cannot run at all ("" when it can), and its realised features.
    std::string cannot_run(const PlannedCell& cell, Verdict& verdict) const {
        verdict = Verdict::error;
        if (!setup_error_.empty()) {
            return setup_error_;
        }
        if (const std::string* e = checks_.server_error(cell.server->name)) {
            return *e;
        }
        if (!cell.scenario->client_under_test()) {
            return "";
        }
        if (const std::string* e = checks_.client_error(cell.client->name)) {
            return *e;
        }
        verdict = Verdict::unsupported;
        if (config_.external) {
            return "client scenarios need a server the harness starts (it seeds and reads the "
                   "server's files); --target names one that is already running";
        }
        return client_unsupported(*cell.client, *cell.scenario);
    }

    void execute(const PlannedCell& cell, const fs::path& dir, CellResult& r,
                 Transcript& transcript, PhaseClock& clock) {
        Verdict verdict = Verdict::error;
        if (std::string why = cannot_run(cell, verdict); !why.empty()) {
            r.verdict = verdict;
            r.reason = why;
            return;
        }
        // A scenario that needs a feature absent cannot run on a --target that has it:
        // unsupported, with the reason. A server the harness starts has exactly the
        // features asked for (a negative control may add the conflicting one on purpose).
        if (std::string why =
                config_.external ? conflict_reason(*cell.scenario, config_.external->features) : "";
            !why.empty()) {
            r.verdict = Verdict::unsupported;
            r.reason = why;
            return;
        }
        if (!config_.external && !ipv6_loopback_available() &&
            has_feature(cell.server_features, "ipv6")) {
            r.verdict = Verdict::unsupported;
            r.reason = "needs a server on ::1, and this machine cannot listen there (IPv6 off)";
            return;
        }
        std::vector<std::string> missing;
        auto features = realise_features(*cell.server, cell.server_features, &missing);
        if (!features) {
            r.verdict = Verdict::unsupported;
            r.reason = config_.external ? "needs feature(s) not declared with --features:"
                                        : cell.server->name + " cannot realise feature(s):";
            for (const auto& f : missing) {
                r.reason += " " + f;
            }
            return;
        }
        CellContext ctx;
        ctx.cell = &cell;
        ctx.dir = dir;
        ctx.features_text = *features;
        ctx.pki = &pki_;
        ctx.credentials = &credentials_;
        ctx.ports = &ports_;
        ctx.prefix = config_.prefix;
        ctx.cancel = config_.cancel;
        ctx.step_timeout = config_.step_timeout;
        ctx.client_binary = checks_.client_binary(cell.client->name);
        ctx.keep = config_.keep;
        ctx.external = config_.external ? &*config_.external : nullptr;
        ctx.clock = &clock;
        ctx.capture = capture_off_.empty();
        ctx.capture_off = capture_off_;
        ctx.capture_hub = hub_.get();
        ctx.breaker = &breaker_;
        ctx.run_cache = config_.out_dir / "cache";
        ctx.pool = poolable(cell) ? pool_.get() : nullptr;
        if (cell.scenario->client_under_test() && !cell.client->builtin) {
            ctx.resident = resident_for(*cell.client, ctx.client_binary);
        }
        if (cell.scenario->client_under_test()) {
            run_client_cell(ctx, r, transcript);
        } else {
            run_server_cell(ctx, r, transcript);
        }
    }

    // The client's resident driver, started by its first action; null when the manifest
    // has none or the run does without (--no-resident).
    Resident* resident_for(const ClientManifest& client, const std::string& binary) {
        if (client.resident_argv.empty() || !config_.resident) {
            return nullptr;
        }
        std::lock_guard lock(residents_mutex_);
        std::unique_ptr<Resident>& r = residents_[client.name];
        if (!r) {
            Variables vars{{"binary", binary},
                           {"prefix", config_.prefix.string()},
                           {"manifest_dir", client.dir().string()}};
            r = std::make_unique<Resident>(
                client.name,
                split_words(
                    substitute(client.resident_argv, vars, client.file.string() + " <resident>")),
                config_.out_dir / "residents" / client.name);
        }
        return r.get();
    }

    const RunConfig& config_;
    PkiFiles pki_;
    Credentials credentials_;
    PortAllocator ports_;
    std::unique_ptr<wire::CaptureHub> hub_;  // the run's tcpdump; null without capture
    std::unique_ptr<ServerPool> pool_;       // null: every cell starts its own servers
    Clock::time_point run_started_;          // cells' started_s count from here
    std::string setup_error_;
    std::string capture_off_;  // why cells are not captured; "" when they are
    EndpointChecks checks_;
    StartBreaker breaker_;
    std::mutex residents_mutex_;
    std::map<std::string, std::unique_ptr<Resident>> residents_;  // by client name
};

}  // namespace

RunResult run_plan(const std::vector<PlannedCell>& cells, const RunConfig& given) {
    // Cell folders are absolute: clients and servers run in their own working folders and
    // get paths into the cell folder (scripts, logs, files), so a relative --out (the
    // default results/<UTC>) would point nowhere for them.
    RunConfig config = given;
    config.out_dir = fs::absolute(given.out_dir);
    // --repeat asks whether a cell gives the same verdict every time, start-up included:
    // each run starts its own servers.
    config.pool = config.pool && config.repeat <= 1;
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

    // Workers take the next run of a cell in order of expected cost, the longest first, so
    // that a long cell never starts last and holds up the end of the run; the repeats of
    // one cell are separate work items (they spread over the workers); results keep the
    // plan's order.
    const unsigned repeat = std::max(1U, config.repeat);
    std::vector<std::size_t> order(cells.size() * repeat);
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    // Within a cost, cells that can share a pooled server start one after another, after
    // those that cannot (misbehaving servers: slow or split replies and the like often
    // take longest).
    std::vector<std::string> keys(cells.size());
    for (std::size_t i = 0; config.pool && i < cells.size(); ++i) {
        keys[i] = poolable(cells[i]) ? "1" + pool_order_key(cells[i]) : "0";
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        int ca = expected_cost(cells[a / repeat]);
        int cb = expected_cost(cells[b / repeat]);
        return ca != cb ? ca > cb : keys[a / repeat] < keys[b / repeat];
    });
    std::vector<std::vector<std::optional<CellResult>>> runs(
        cells.size(), std::vector<std::optional<CellResult>>(repeat));
    std::vector<unsigned> finished_runs(cells.size(), 0);
    std::vector<std::optional<CellResult>> results(cells.size());
    std::atomic<std::size_t> next{0};
    std::mutex report_mutex;
    std::size_t done = 0;
    auto work = [&] {
        while (!config.cancel.cancelled()) {
            std::size_t n = next.fetch_add(1);
            if (n >= order.size()) {
                return;
            }
            std::size_t i = order[n] / repeat;
            auto attempt = static_cast<unsigned>(order[n] % repeat);
            CellResult r = state.run_cell(cells[i], attempt + 1, repeat);
            reap_orphans();  // session processes of the cell's servers, left to the harness
            std::lock_guard lock(report_mutex);
            runs[i][attempt] = std::move(r);
            if (++finished_runs[i] < repeat) {
                continue;
            }
            std::vector<CellResult> all;
            for (auto& one : runs[i]) {
                all.push_back(std::move(*one));
            }
            results[i] = combine_repeats(std::move(all));
            ++done;
            if (config.on_cell) {
                config.on_cell(*results[i], done, cells.size());
            }
        }
    };
    unsigned jobs = std::clamp<unsigned>(config.jobs, 1U, 64U);
    jobs =
        static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(order.size(), 1)));
    std::vector<std::jthread> workers;
    for (unsigned j = 1; j < jobs; ++j) {
        workers.emplace_back(work);
    }
    work();
    workers.clear();  // joins
    state.close_pool();
    if (!config.keep) {
        // What manifests derived once per run (${run_cache}) is not evidence of any cell.
        std::error_code ec;
        fs::remove_all(config.out_dir / "cache", ec);
    }

    for (auto& r : results) {
        if (r) {
            run.cells.push_back(std::move(*r));
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
