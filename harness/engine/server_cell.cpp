#include "harness/engine/server_cell.hpp"

#include <exception>
#include <memory>

#include "harness/engine/cell_capture.hpp"
#include "harness/engine/server_pool.hpp"

namespace fc {

namespace {

// The --target server as the reference client reaches it.
Target external_target(const CellContext& ctx, CellResult& r) {
    const ExternalTarget& ext = *ctx.external;
    Target target;
    target.host = ext.host;
    target.port = ext.port;
    target.user = ext.user;
    target.password = ext.password;
    target.features = ctx.cell->server_features;
    target.ca_file = ext.ca_file;
    target.verify_name = ext.host;
    target.pki = *ctx.pki;
    if (ext.ca_file.empty()) {
        r.properties["tls.server_certificate"] = "not verified (no --ca)";
    }
    return target;
}

// A crash is the implementation's fault, whatever the steps saw.
void judge_exit(ServerInstance& instance, CellResult& r, Transcript& transcript) {
    auto how = instance.exit_description(r.verdict == Verdict::pass ? Millis(0) : Millis(200));
    if (!how) {
        return;
    }
    std::string crash = "server " + *how + " during the session";
    transcript.note("", crash);
    if (r.verdict == Verdict::pass) {
        r.verdict = Verdict::fail;
        r.failure = Failure{0, 0, "server process", "still running", crash};
    }
    r.reason = r.reason.empty() ? crash : r.reason + "; " + crash;
}

}  // namespace

void run_server_cell(const CellContext& ctx, CellResult& r, Transcript& transcript) {
    const PlannedCell& cell = *ctx.cell;
    SessionOptions options{ctx.step_timeout, ctx.cancel, ctx.dir / "tls-keys.log"};
    CellCapture capture(ctx, transcript);
    const bool active = uses_active_mode(*cell.scenario);
    if (ctx.external) {
        Target target = external_target(ctx, r);
        transcript.note("", "external server " + target.host + ":" + std::to_string(target.port));
        capture.start({{target.host, target.port, std::nullopt}}, active);
        ctx.clock->setup_done();
        apply_outcome(run_reference_session(*cell.scenario, target, options, transcript), r);
        ctx.clock->steps_done();
        capture.finish(r);
        return;
    }
    InstanceRequest req{cell.server,     cell.server_features, ctx.features_text, ctx.pki,
                        ctx.credentials, ctx.prefix,           ctx.dir,           ctx.ports,
                        ctx.cancel};
    req.misbehaviours = cell.misbehaviours;
    req.breaker = ctx.breaker;
    req.run_cache = ctx.run_cache;
    std::unique_ptr<ServerLease> lease = ServerPool::acquire(ctx.pool, req);
    ServerInstance* instance = &lease->instance();
    ctx.clock->setup_done();
    std::exception_ptr trouble;
    try {
        if (lease->pooled()) {
            r.properties["server.instance"] = lease->description();
        }
        transcript.note("", "server " + cell.server_name + " ready on " + instance->target().host +
                                ":" + std::to_string(instance->target().port) +
                                (lease->pooled() ? " (pooled: " + lease->description() + ")" : ""));
        capture.start(
            {{instance->target().host, instance->target().port, instance->passive_range()}},
            active);
        apply_outcome(
            run_reference_session(*cell.scenario, instance->target(), options, transcript), r);
        judge_exit(*instance, r, transcript);
        capture.finish(r);
    } catch (...) {
        trouble = std::current_exception();
    }
    ctx.clock->steps_done();
    const bool keep = ctx.keep || trouble || r.verdict != Verdict::pass;
    lease->finish(keep ? ctx.dir / "work" : std::filesystem::path());
    if (trouble) {
        std::rethrow_exception(trouble);
    }
}

}  // namespace fc
