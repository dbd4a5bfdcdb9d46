#include "harness/engine/client_cell.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "clients/reference/actions.hpp"
#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/text.hpp"
#include "harness/engine/cell_capture.hpp"
#include "harness/engine/cell_files.hpp"
#include "harness/engine/client_action.hpp"
#include "harness/engine/event_log_check.hpp"
#include "harness/engine/resident.hpp"
#include "harness/engine/server_pool.hpp"
#include "harness/ftp/data_channel.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

void write_all(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) {
        throw HarnessError("cannot write " + path.string());
    }
}

// "65536 bytes, SHA-256 1a2b3c4d5e6f7a8b..." for messages.
std::string digest_text(std::uint64_t bytes, const std::string& sha) {
    return std::to_string(bytes) + " bytes, SHA-256 " + sha.substr(0, 16) + "...";
}

// A file the client may not have written (its debug log): "" when absent.
std::string read_if_present(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec) ? read_file(path) : std::string();
}

// ${give_up}: three fifths of the action's deadline in whole seconds, at least 1 (18 of 30,
// 6 of 10): time for the client to end by itself before the harness stops it as hung. The
// other two fifths are for starting and exiting: a JVM or two Go processes take 2-3 s of a
// 7 s deadline on a loaded 2-core machine (four fifths of 7 left commons-net and rclone hung).
long give_up_seconds(Millis deadline) {
    return std::max<long>(1, deadline.count() * 3 / 5000);
}

std::string describe(const ClientStep& step) {
    if (const auto* c = std::get_if<ClientActionStep>(&step.body)) {
        std::string out = "client " + c->action;
        if (!c->remote.empty()) {
            out += " " + join(c->remote, " ");
        }
        if (c->action == "fxp") {
            out += " -> " + c->remote2;
        }
        if (!c->settings.empty()) {
            out += " settings=" + join(c->settings, ",");
        }
        return out + (c->expect_any ? " expect=any" : c->expect_success ? "" : " expect=failure");
    }
    if (const auto* s = std::get_if<SeedStep>(&step.body)) {
        return "seed " + s->remote;
    }
    if (const auto* l = std::get_if<LogExpectStep>(&step.body)) {
        return "log-expect " + l->select.describe();
    }
    const auto& o = std::get<LogOrderStep>(step.body);
    return "log-order " + o.first.describe() + " then " + o.then.describe() +
           (o.optional ? " optional" : "");
}

// What one client action produced, for the checks that follow it.
struct ActionResult {
    bool succeeded = false;  ///< exit status 0, or the builtin client's session passed
    std::string outcome;     ///< "exit status 3", or how the builtin client's session ended
    bool timed_out = false;
    double seconds = 0;
    std::string detail;  ///< what went wrong, for people (stderr's last line, a failed step)
    std::map<std::string, std::string> got;  ///< get: remote -> SHA-256 of what arrived
    std::map<std::string, std::string> put;  ///< put: remote -> SHA-256 of what was sent
    std::string listing;                     ///< list: the client's stdout
    bool listing_known = false;
};

class ClientCell {
public:
    ClientCell(const CellContext& ctx, CellResult& r, Transcript& t)
        : ctx_(ctx),
          cell_(*ctx.cell),
          s_(*ctx.cell->scenario),
          r_(r),
          transcript_(t),
          capture_(ctx, t) {}

    void run() {
        r_.verdict = Verdict::pass;
        try {
            start_servers();
            start_capture();
            ctx_.clock->setup_done();
            for (const ClientStep& step : s_.client_steps) {
                ++index_;
                step_ = &step;
                if (!step.guard.applies(cell_.server_features)) {
                    transcript_.note("", "skipped " + describe(step) + " (if/unless)");
                    continue;
                }
                std::visit([&](const auto& body) { execute(body); }, step.body);
                if (r_.verdict != Verdict::pass) {
                    break;
                }
            }
            check_servers_alive();
        } catch (const std::exception& e) {
            error(e.what());
        }
        ctx_.clock->steps_done();
        capture_.finish(r_);
        for (std::size_t i = 0; i < servers_.size(); ++i) {
            const bool keep = ctx_.keep || r_.verdict != Verdict::pass;
            servers_[i]->finish(keep ? ctx_.dir / (i == 0 ? "work" : "work2") : fs::path());
        }
    }

private:
    void error(const std::string& why) {
        if (r_.verdict == Verdict::pass || r_.verdict == Verdict::fail) {
            r_.verdict = Verdict::error;
            r_.reason = why;
            r_.failure.reset();
        }
        transcript_.note("", "ERROR " + why);
    }

    void fail(std::string expected, std::string observed) {
        Failure f{index_, step_->pos.line, describe(*step_), std::move(expected),
                  std::move(observed)};
        r_.reason = failure_reason(f);
        transcript_.note("", "FAIL " + r_.reason);
        r_.verdict = Verdict::fail;
        r_.failure = std::move(f);
    }

    void start_servers() {
        for (int i = 0; i < s_.servers; ++i) {
            fs::path log_dir = i == 0 ? ctx_.dir : ctx_.dir / "server2";
            InstanceRequest req{cell_.server,
                                cell_.server_features,
                                ctx_.features_text,
                                ctx_.pki,
                                ctx_.credentials,
                                ctx_.prefix,
                                log_dir,
                                ctx_.ports,
                                ctx_.cancel};
            req.misbehaviours = cell_.misbehaviours;
            req.breaker = ctx_.breaker;
            req.run_cache = ctx_.run_cache;
            if (s_.servers > 1) {
                // Two loopback addresses, so that each server sees the other as foreign
                // (FXP: a PORT naming the other server is a third-party address).
                req.host = i == 0 ? "127.0.0.2" : "127.0.0.3";
            }
            servers_.push_back(ServerPool::acquire(s_.servers > 1 ? nullptr : ctx_.pool, req));
            std::string names = join(cell_.misbehaviours, " ");
            const ServerLease& lease = *servers_.back();
            if (lease.pooled()) {
                r_.properties["server.instance"] = lease.description();
            }
            transcript_.note(
                "", "server " + cell_.server_name + (i == 0 ? "" : " (second)") + " ready on " +
                        servers_.back()->instance().target().host + ":" +
                        std::to_string(servers_.back()->instance().target().port) +
                        (names.empty() ? "" : ", misbehaving: " + names) +
                        (lease.pooled() ? " (pooled: " + lease.description() + ")" : ""));
        }
    }

    void start_capture() {
        std::vector<CaptureServer> servers;
        for (const auto& server : servers_) {
            servers.push_back({server->instance().target().host, server->instance().target().port,
                               server->instance().passive_range()});
        }
        capture_.start(servers, uses_active_mode(s_));
    }

    void check_servers_alive() {
        for (auto& server : servers_) {
            Millis grace(r_.verdict == Verdict::pass ? 0 : 200);
            if (auto how = server->instance().exit_description(grace)) {
                std::string crash = "server " + *how + " during the cell";
                if (s_.server_role == Role::reference) {
                    error("the reference " + crash);
                } else if (r_.verdict == Verdict::pass) {
                    Failure f{0, 0, "server process", "still running", crash};
                    r_.verdict = Verdict::fail;
                    r_.failure = f;
                    r_.reason = crash;
                }
            }
        }
    }

    // A file inside a server's root, owned by the server's account.
    void put_server_file(const ServerInstance& server, const std::string& name,
                         const std::string& bytes) {
        auto [uid, gid] = server.home_owner();
        fs::path path = server.home() / name;
        fs::path dir = server.home();
        for (const auto& part : fs::path(name).parent_path()) {
            dir /= part;
            if (!fs::exists(dir)) {
                fs::create_directory(dir);
                if (::chown(dir.c_str(), uid, gid) != 0) {
                    throw HarnessError("cannot give " + dir.string() + " to the server's account");
                }
            }
        }
        write_all(path, bytes);
        if (::chown(path.c_str(), uid, gid) != 0) {
            throw HarnessError("cannot give " + path.string() + " to the server's account");
        }
    }

    void execute(const SeedStep& step) {
        std::string bytes = seed_bytes(step.remote, step.size);
        put_server_file(servers_.front()->instance(), step.remote, bytes);
        seeded_[step.remote] = sha256_hex(bytes);
        transcript_.note(
            "", "seeded " + step.remote + ": " + digest_text(bytes.size(), seeded_[step.remote]));
    }

    // What the server should hold for `remote`: what was seeded, else its current file.
    std::optional<std::string> expected_digest(const std::string& remote) {
        if (auto it = seeded_.find(remote); it != seeded_.end()) {
            return it->second;
        }
        fs::path path = servers_.front()->instance().home() / remote;
        if (!fs::is_regular_file(path)) {
            return std::nullopt;
        }
        return sha256_hex(read_file(path));
    }

    void execute(const ClientActionStep& step) {
        std::vector<std::string> settings = effective_settings(s_.client_settings, step.settings);
        if (auto conflicts = conflicting_client_settings(settings); !conflicts.empty()) {
            error("the step asks for contradicting settings: " + join(conflicts, ", "));
            return;
        }
        Millis timeout = step_->guard.timeout ? *step_->guard.timeout : ctx_.step_timeout * 3;
        ActionResult a = cell_.client->builtin ? run_builtin(step, settings, timeout)
                                               : run_real(step, settings, timeout);
        if (r_.verdict != Verdict::pass) {
            return;
        }
        std::string want = step.expect_any       ? "the client to end"
                           : step.expect_success ? "exit status 0"
                                                 : "a non-zero exit status";
        if (a.timed_out) {
            std::ostringstream secs;
            secs.precision(1);
            secs << std::fixed << a.seconds;
            fail(want, "timed out after " + secs.str() + " s (the client hung and was stopped)");
            return;
        }
        transcript_.note("client", a.outcome + (a.detail.empty() ? "" : ": " + a.detail));
        if (step.expect_any) {
            return;  // not judged: the steps after it decide
        }
        if (a.succeeded != step.expect_success) {
            fail(want, a.outcome + (a.detail.empty() ? "" : " (" + a.detail + ")"));
            return;
        }
        if (step.expect_success) {
            check_files(step, a);
        }
    }

    void check_files(const ClientActionStep& step, const ActionResult& a) {
        const fs::path home = servers_.front()->instance().home();
        const std::string& action = step.action;
        for (std::size_t i = 0; i < step.remote.size() && r_.verdict == Verdict::pass; ++i) {
            const std::string& remote = step.remote[i];
            if (action == "get") {
                auto want = expected_digest(remote);
                auto got = a.got.find(remote);
                if (!want) {
                    error("cannot check get " + remote +
                          ": the server has no such file to compare");
                } else if (got == a.got.end() || got->second.empty()) {
                    fail(
                        "the downloaded " + remote + " with SHA-256 " + want->substr(0, 16) + "...",
                        "no local file " + step.local[i]);
                } else if (got->second != *want) {
                    fail(
                        "the downloaded " + remote + " with SHA-256 " + want->substr(0, 16) + "...",
                        "SHA-256 " + got->second.substr(0, 16) + "...");
                } else {
                    transcript_.note("", "get " + remote + ": SHA-256 matches the server's file");
                }
            } else if (action == "put") {
                fs::path path = home / remote;
                auto sent = a.put.find(remote);
                std::string want = sent == a.put.end() ? "" : sent->second;
                if (!fs::is_regular_file(path)) {
                    fail("the server to hold " + remote + " with SHA-256 " + want.substr(0, 16) +
                             "...",
                         "no such file in the server's root");
                    continue;
                }
                std::string bytes = read_file(path);
                std::string got = sha256_hex(bytes);
                if (got != want) {
                    fail("the server to hold " + remote + " with SHA-256 " + want.substr(0, 16) +
                             "...",
                         digest_text(bytes.size(), got));
                } else {
                    transcript_.note("", "put " + remote + ": the server's file matches");
                }
            } else if (action == "delete") {
                std::error_code ec;
                if (fs::exists(fs::symlink_status(home / remote, ec))) {
                    fail(remote + " gone from the server", "it is still there");
                }
            } else if (action == "mkdir") {
                if (!fs::is_directory(home / remote)) {
                    fail("a directory " + remote + " on the server", "none");
                }
            } else if (action == "fxp") {
                check_fxp(step);
            } else if (action == "list" && !step.contains.empty()) {
                check_listing(step, a);
            }
        }
        if (action == "list" && step.remote.empty() && !step.contains.empty()) {
            check_listing(step, a);
        }
    }

    void check_listing(const ClientActionStep& step, const ActionResult& a) {
        if (!a.listing_known) {
            transcript_.note("", "contains=" + step.contains +
                                     " not checked: the builtin client keeps no listing");
        } else if (a.listing.find(step.contains) == std::string::npos) {
            fail("a listing that shows " + step.contains,
                 "stdout without it (" + std::to_string(a.listing.size()) + " bytes)");
        }
    }

    void check_fxp(const ClientActionStep& step) {
        auto want = expected_digest(step.remote.front());
        fs::path path = servers_.back()->instance().home() / step.remote2;
        if (!want) {
            error("cannot check fxp: server 1 has no " + step.remote.front());
        } else if (!fs::is_regular_file(path)) {
            fail(step.remote2 + " on the second server", "no such file");
        } else if (std::string got = sha256_hex(read_file(path)); got != *want) {
            fail(step.remote2 + " on the second server with SHA-256 " + want->substr(0, 16) + "...",
                 "SHA-256 " + got.substr(0, 16) + "...");
        }
    }

    // ${run_cache}: the run's folder for this client (what its manifest derives from the
    // run's password or CA, made once); without a run cache, the cell's own.
    fs::path client_cache() const {
        fs::path dir = ctx_.run_cache.empty() ? ctx_.dir / "cache"
                                              : ctx_.run_cache / ("client-" + cell_.client->name);
        fs::create_directories(dir);
        return dir;
    }

    Variables fixed_variables(const ClientActionStep& step, const fs::path& localdir,
                              const std::string& tag, Millis timeout) {
        Target t = servers_.front()->instance().target();
        Variables v{{"binary", ctx_.client_binary},
                    {"prefix", ctx_.prefix.string()},
                    {"manifest_dir", cell_.client->dir().string()},
                    {"host", t.host},
                    {"port", std::to_string(t.port)},
                    {"user", t.user},
                    {"password", t.password},
                    {"ca_cert", ctx_.pki->ca_cert.string()},
                    {"client_cert", ctx_.pki->client_valid.cert.string()},
                    {"client_key", ctx_.pki->client_valid.key.string()},
                    {"remote", ""},
                    {"local", ""},
                    {"localdir", localdir.string()},
                    {"logdir", ctx_.dir.string()},
                    {"debug_log", (ctx_.dir / (tag + ".debug.log")).string()},
                    {"script", (ctx_.dir / (tag + ".script")).string()},
                    {"host2", ""},
                    {"port2", ""},
                    {"user2", ""},
                    {"password2", ""},
                    {"remote2", step.remote2},
                    {"give_up", std::to_string(give_up_seconds(timeout))},
                    {"run_cache", client_cache().string()}};
        if (servers_.size() > 1) {
            Target t2 = servers_.back()->instance().target();
            v["host2"] = t2.host;
            v["port2"] = std::to_string(t2.port);
            v["user2"] = t2.user;
            v["password2"] = t2.password;
        }
        return v;
    }

    ActionResult run_real(const ClientActionStep& step, const std::vector<std::string>& settings,
                          Millis timeout) {
        ActionResult a;
        const ClientManifest& m = *cell_.client;
        const ClientAction* action = m.action(step.action);
        std::vector<std::string> missing;
        auto realised = realise_settings(m, settings, &missing);
        if (action == nullptr || !realised) {
            error("client " + m.name + " cannot do this step (checked before the cell; a bug)");
            return a;
        }
        std::string tag = "client-" + std::to_string(index_) + "-" + step.action;
        fs::path localdir = ctx_.dir / kPayloadDir;
        fs::create_directories(localdir);
        std::vector<ActionFile> files;
        for (std::size_t i = 0; i < step.remote.size(); ++i) {
            ActionFile f{step.remote[i], ""};
            if (i < step.local.size()) {
                f.local = (localdir / step.local[i]).string();
            }
            if (step.action == "put") {
                std::string bytes = seed_bytes("put:" + step.local[i], step.size);
                write_all(f.local, bytes);
                a.put[f.remote] = sha256_hex(bytes);
            } else if (step.action == "get") {
                std::error_code ec;
                fs::remove(f.local, ec);  // a stale file must not pass for a download
            }
            files.push_back(std::move(f));
        }
        RenderedAction rendered = render_action(
            m, *action, *realised, fixed_variables(step, localdir, tag, timeout), files);
        write_all(ctx_.dir / (tag + ".script"), rendered.script);
        transcript_.note(
            "client", "$ " + join(rendered.argv, " ") + "   (script: " + tag + ".script" +
                          (ctx_.resident != nullptr ? "; run by the resident driver" : "") + ")");
        fs::path out = ctx_.dir / (tag + ".stdout");
        fs::path err = ctx_.dir / (tag + ".stderr");
        ClientRun run;
        if (ctx_.resident != nullptr) {
            ResidentRun rr = ctx_.resident->run(rendered.argv, out, err, timeout, ctx_.cancel);
            if (!rr.error.empty()) {
                error(rr.error);
                return a;
            }
            run.exit_status = rr.exit_status;
            run.timed_out = rr.timed_out;
            run.cancelled = rr.cancelled;
            run.seconds = rr.seconds;
        } else {
            run = run_client(rendered.argv, localdir, ctx_.dir / "client-home", out, err, timeout,
                             ctx_.cancel, ctx_.dir / "tls-keys.log");
        }
        if (run.cancelled) {
            error("interrupted");
            return a;
        }
        a.succeeded = run.exit_status == 0;
        a.outcome = "exit status " + std::to_string(run.exit_status.value_or(-1));
        a.timed_out = run.timed_out;
        a.seconds = run.seconds;
        a.detail = client_error_reason(m.error_pattern, read_if_present(err),
                                       read_if_present(ctx_.dir / (tag + ".debug.log")));
        a.listing = read_file(out);
        a.listing_known = true;
        if (step.action == "get") {
            for (const ActionFile& f : files) {
                a.got[f.remote] =
                    fs::is_regular_file(f.local) ? sha256_hex(read_file(f.local)) : "";
            }
        }
        return a;
    }

    ActionResult run_builtin(const ClientActionStep& step, const std::vector<std::string>& settings,
                             Millis timeout) {
        ActionResult a;
        Scenario steps = builtin_action_scenario(s_, step, settings);
        Target target = servers_.front()->instance().target();
        if (std::find(settings.begin(), settings.end(), "verify") == settings.end()) {
            target.ca_file.clear();  // also for the implicit handshake, which has no step
        }
        // The builtin client's own bound, like a real client's ${give_up}: no wait of its
        // session outlasts it. It starts in no time, so it needs no share of the deadline
        // for a start-up: a fifth of it (2 s of client-auth-no-handshake's 10 s, which made
        // that cell last 7 s as the longest of reference x reference; 6 s of the default
        // 30 s), at least 2 s.
        Millis own = std::min(ctx_.step_timeout, std::max(Millis(2000), timeout / 5));
        SessionOptions options{own, ctx_.cancel, ctx_.dir / "tls-keys.log"};
        transcript_.note("client",
                         "reference client: " + step.action + " (" + join(settings, " ") + ")");
        SessionOutcome outcome = run_reference_session(steps, target, options, transcript_);
        if (ctx_.cancel.cancelled()) {
            error("interrupted");
            return a;
        }
        // A step the server made impossible (e.g. a handshake it never finishes) ends the
        // builtin client's session as a real client's would end: unsuccessfully, not a hang.
        a.succeeded = outcome.verdict == Verdict::pass;
        a.outcome = "reference client session " + std::string(to_string(outcome.verdict));
        a.detail = outcome.reason;
        r_.properties.insert(outcome.properties.begin(), outcome.properties.end());
        for (const auto& [key, sha] : outcome.digests) {
            if (key.rfind("download:", 0) == 0) {
                a.got[key.substr(9)] = sha;
            } else if (key.rfind("upload:", 0) == 0) {
                a.put[key.substr(7)] = sha;
            }
        }
        return a;
    }

    // The event log settles within moments of the client's exit (the server logs a
    // session's end after the client has gone): look again for up to 2 s before failing.
    template <typename Check>
    void check_log(Check check) {
        fs::path log = ctx_.dir / "events.jsonl";
        Deadline settle = Deadline::after(Millis(2000));
        while (true) {
            for (auto& server : servers_) {
                server->sync_logs();  // a pooled server logs into a folder of its own
            }
            if (!fs::exists(log)) {
                if (settle.expired()) {
                    error("the reference server wrote no event log at " + log.string());
                    return;
                }
            } else {
                LogVerdict v = check(parse_event_log(read_file(log)));
                if (v.holds) {
                    transcript_.note("", describe(*step_) + ": holds");
                    return;
                }
                if (settle.expired() || ctx_.cancel.cancelled()) {
                    fail(v.expected, v.observed);
                    return;
                }
            }
            std::this_thread::sleep_for(Millis(100));
        }
    }

    void execute(const LogExpectStep& step) {
        check_log([&](const std::vector<Event>& e) { return check_log_expect(e, step); });
    }
    void execute(const LogOrderStep& step) {
        check_log([&](const std::vector<Event>& e) { return check_log_order(e, step); });
    }

    const CellContext& ctx_;
    const PlannedCell& cell_;
    const Scenario& s_;
    CellResult& r_;
    Transcript& transcript_;
    CellCapture capture_;
    std::vector<std::unique_ptr<ServerLease>> servers_;
    std::map<std::string, std::string> seeded_;
    int index_ = 0;
    const ClientStep* step_ = nullptr;
};

}  // namespace

void run_client_cell(const CellContext& context, CellResult& result, Transcript& transcript) {
    ClientCell(context, result, transcript).run();
}

}  // namespace fc
