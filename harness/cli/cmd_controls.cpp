// `ftps-conform controls`: runs every scenario under its declared negative control and
// lists each one that still passes. A scenario that cannot fail is a defect of the suite.
#include <iostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/atomic_file.hpp"
#include "harness/core/error.hpp"
#include "harness/engine/runner.hpp"
#include "harness/engine/server_instance.hpp"
#include "reports/console.hpp"
#include "reports/results_json.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

const OptionSpec kControlsOptions[] = {
    {"servers", true, "a,b", "servers whose settings are controls (default: every server)"},
    {"clients", true, "a,b", "clients whose client-side cells run (default: every client)"},
    {"tags", true, "t1,t2", "only scenarios that have one of these tags"},
    {"scenario", true, "GLOB", "only scenarios whose id or area/id matches"},
    {"out", true, "DIR", "write the run here; must be empty or absent (default results/<UTC>)"},
    {"timeout", true, "SECONDS", "deadline of each step unless the step sets one (default 10)"},
    {"jobs", true, "N", "controls to run at once (default: 4 per core, at most 16)"},
    {"endpoints", true, "DIR", "also load manifests from DIR/<name>/manifest.xml"},
    {"require-all", false, "",
     "also exit 1 when a control cannot run here (e.g. its server is not installed)"},
    {"help", false, "", "show this help"},
};

void print_help(std::ostream& out) {
    out << "usage: ftps-conform controls [PATH...] [options]\n\n"
           "Runs each scenario under PATH (default: scenarios/) under its negative control\n"
           "(<negative-control> in the file: a server setting or a reference-server\n"
           "misbehaviour) and checks that it fails there. A scenario that still passes\n"
           "cannot detect what it claims to test.\n\n"
        << options_help(kControlsOptions)
        << "\nexit status: 0 every runnable control made its scenario fail; 1 a scenario\n"
           "still passes under its control; 2 usage or file error; 3 a control could not\n"
           "be run (harness or server error).\n";
}

}  // namespace

int cmd_controls(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
                 std::ostream& err) {
    ParsedArgs a = parse_args(args, kControlsOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    Workspace ws = load_workspace_for(a, err);
    Selection sel{a.list("servers"), a.list("clients"), a.list("tags"), a.list("scenario")};
    std::vector<PendingControl> pending;
    std::vector<PlannedCell> cells =
        make_control_plan(ws.scenarios, ws.endpoints.servers, ws.endpoints.clients, sel, &pending);

    RunConfig config;
    config.out_dir = choose_out_dir(a);
    config.step_timeout = parse_timeout(a);
    config.jobs = parse_jobs(a);
    config.prefix = default_prefix();
    config.cancel = cancel;
    prepare_output_dir(config.out_dir);
    config.on_note = [&](const std::string& text) { out << "  .. " << text << "\n" << std::flush; };
    int still_pass = 0, errors = 0, unsupported = 0;
    config.on_cell = [&](const CellResult& cell, std::size_t done, std::size_t total) {
        std::string mark;
        switch (cell.verdict) {
            case Verdict::fail: mark = "PROVEN "; break;
            case Verdict::pass:
                mark = "PASSES ";
                ++still_pass;
                break;
            case Verdict::unsupported:
                // The client cannot do the scenario at all (it is unsupported in a normal
                // run too): there is nothing to prove for this cell.
                mark = "N/A    ";
                ++unsupported;
                break;
            default:
                mark = "ERROR  ";
                ++errors;
                break;
        }
        out << "[" << done << "/" << total << "] " << mark << cell.server << " x " << cell.client;
        if (auto it = cell.properties.find("server.misbehaviours"); it != cell.properties.end()) {
            out << " (misbehaving: " << it->second << ")";
        }
        out << "  " << cell.area << "/" << cell.scenario_id << "\n";
        if (cell.verdict == Verdict::pass) {
            out << "       still passes under its negative control: it cannot fail\n";
        } else {
            out << "       " << cell_detail(cell) << "\n";
        }
        out << std::flush;
    };
    out << "ftps-conform " << FTPS_CONFORM_VERSION << " controls: " << cells.size()
        << " control(s) to run, " << pending.size() << " not runnable here; writing to "
        << config.out_dir.string() << "\n";
    RunResult run = run_plan(cells, config);
    write_report(config.out_dir / "results.json",
                 [&](std::ostream& o) { write_results_json(run, o); });
    if (!pending.empty()) {
        out << "\nControls not run:\n";
        for (const PendingControl& p : pending) {
            out << "  " << p.scenario->area << "/" << p.scenario->id << ": " << p.why << "\n";
        }
    }
    out << "\n"
        << cells.size() << " control(s): " << (cells.size() - still_pass - errors - unsupported)
        << " proven, " << still_pass << " still passing, " << errors << " error, " << unsupported
        << " unsupported by their client; " << pending.size() << " not runnable here\n";
    if (run.interrupted) {
        err << "interrupted: the run stopped early; every server it started was stopped\n";
        return exit_harness;
    }
    if (still_pass > 0) {
        return exit_failed;
    }
    if (a.has("require-all") && !pending.empty()) {
        err << pending.size() << " control(s) could not run and --require-all was given\n";
        return exit_failed;
    }
    return errors > 0 ? exit_harness : exit_ok;
}

}  // namespace fc
