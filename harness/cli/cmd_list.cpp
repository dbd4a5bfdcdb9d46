#include <algorithm>
#include <map>
#include <ostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/core/text.hpp"
#include "harness/engine/client_action.hpp"
#include "harness/engine/endpoint_check.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/scenario/requirements.hpp"

namespace fc {

namespace {

const OptionSpec kListOptions[] = {
    {"endpoints", true, "DIR", "also load server/client manifests from DIR/<name>/manifest.xml"},
    {"help", false, "", "show this help"},
};

void print_help(std::ostream& out) {
    out << "usage: ftps-conform list scenarios [PATH...] | requirements [DIR] | servers | clients "
           "[options]\n\n"
           "Lists what is on disk, one line each: id or name, then title.\n"
           "  scenarios  every scenario under PATH (default: scenarios/), with level and area\n"
           "  requirements\n"
           "             the requirements table DIR/requirements.xml (default: scenarios/): each\n"
           "             normative sentence, the scenarios that test it or why none does, and\n"
           "             coverage counts by level and side; checked against the scenarios\n"
           "  servers    every server manifest, its version and the features it can realise\n"
           "  clients    every client manifest and its version\n"
           "Versions come from each manifest's version command (as a run reports them);\n"
           "\"-\" and the reason when it cannot run.\n\n"
        << options_help(kListOptions);
}

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) {
        text.resize(width, ' ');
    }
    return text + " ";
}

// What the version command says, or "-" with the reason (a missing binary, a command
// that fails): the same probe a run makes before its first cell.
std::string server_version(const ServerManifest& m, const std::filesystem::path& prefix) {
    Variables vars = manifest_variables(m, prefix);
    if (m.version_command.empty()) {
        return "-";
    }
    std::string error;
    std::string version = probe_version(m.version_command, m.version_regex,
                                        m.version_stdin_from_stdout, vars, CancelToken{}, &error);
    return error.empty() ? version : "- (" + error + ")";
}

std::string client_version(const ClientManifest& m, const std::filesystem::path& prefix) {
    if (m.builtin) {
        return FTPS_CONFORM_VERSION;
    }
    std::string binary = resolve_client_binary(m, prefix);
    if (binary.empty()) {
        return "- (not installed: " + m.binary + ")";
    }
    if (m.version_command.empty()) {
        return "-";
    }
    Variables vars{
        {"binary", binary}, {"prefix", prefix.string()}, {"manifest_dir", m.dir().string()}};
    std::string error;
    std::string version = probe_version(m.version_command, m.version_regex,
                                        m.version_stdin_from_stdout, vars, CancelToken{}, &error);
    return error.empty() ? version : "- (" + error + ")";
}

std::string percent(int part, int whole) {
    return whole == 0 ? "-" : std::to_string((100 * part + whole / 2) / whole) + "%";
}

// Rows with their coverage, then counts by level and side; 2 if the table and the scenarios
// disagree.
int list_requirements(const std::filesystem::path& dir, std::ostream& out, std::ostream& err) {
    const std::filesystem::path file = dir / "requirements.xml";
    std::vector<Diagnostic> diags;
    std::vector<Requirement> rows = load_requirements(file, diags);
    Workspace ws = load_workspace({dir}, {}, err);
    for (const Diagnostic& d : check_requirements(rows, ws.scenarios, file)) {
        diags.push_back(d);
    }
    for (const Requirement& r : rows) {
        std::string quote = r.quote.size() > 110 ? r.quote.substr(0, 107) + "..." : r.quote;
        if (r.summary) {
            quote = "(summary) " + quote;
        }
        out << pad(r.ref, 13) << pad(r.level, 6) << pad(r.side, 6) << quote << "\n"
            << std::string(28, ' ')
            << (r.tested_by.empty() ? "untested (" + r.untested_kind + "): " + r.untested_reason
                                    : "tested by " + join(r.tested_by, ", "))
            << "\n";
    }
    // level -> side -> {rows, rows that apply, covered}
    struct Count {
        int rows = 0, apply = 0, covered = 0;
    };
    std::map<std::string, std::map<std::string, Count>> counts;
    for (const Requirement& r : rows) {
        for (const std::string& side : {r.side, std::string("all")}) {
            Count& c = counts[r.level][side];
            ++c.rows;
            c.apply +=
                r.untested_kind == "not-applicable" || r.untested_kind == "not-behaviour" ? 0 : 1;
            c.covered += r.tested_by.empty() ? 0 : 1;
        }
    }
    out << "\n"
        << rows.size() << " requirements. Covered of those that apply (a behaviour of FTPS "
        << "over TLS), by level and side:\n";
    for (const char* level : {"must", "should", "may", "none"}) {
        out << "  " << pad(std::string(level), 7);
        for (const char* side : {"server", "client", "both", "all"}) {
            const Count& c = counts[level][side];
            out << pad(std::string(side) + " " + std::to_string(c.covered) + "/" +
                           std::to_string(c.apply) + " (" + percent(c.covered, c.apply) + ")",
                       22);
        }
        out << "\n";
    }
    for (const Diagnostic& d : diags) {
        err << d.str() << "\n";
    }
    return diags.empty() ? exit_ok : exit_usage;
}

}  // namespace

int cmd_list(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
    ParsedArgs a = parse_args(args, kListOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    if (a.positionals.empty()) {
        throw UsageError("list what? scenarios, requirements, servers or clients (see --help)");
    }
    const std::string what = a.positionals.front();
    std::vector<std::string> extra;
    if (auto e = a.value("endpoints")) {
        extra.push_back(*e);
    }
    if (what == "scenarios") {
        std::vector<std::filesystem::path> paths(a.positionals.begin() + 1, a.positionals.end());
        if (paths.empty()) {
            paths.push_back(default_scenarios_dir());
        }
        Workspace ws = load_workspace(paths, extra, err);
        for (const Scenario& s : ws.scenarios) {
            out << pad(s.area + "/" + s.id, 36) << pad(std::string(to_string(s.level)), 7)
                << s.title << "\n";
        }
        return exit_ok;
    }
    if (what == "requirements") {
        if (a.positionals.size() > 2) {
            throw UsageError("list requirements takes one folder at most");
        }
        return list_requirements(a.positionals.size() == 2 ? std::filesystem::path(a.positionals[1])
                                                           : default_scenarios_dir(),
                                 out, err);
    }
    if (a.positionals.size() > 1) {
        throw UsageError("list " + what + " takes no paths");
    }
    std::vector<Diagnostic> diags;
    Endpoints eps = load_endpoints(endpoint_dirs(extra), diags);
    for (const auto& d : diags) {
        err << d.str() << "\n";
    }
    if (!diags.empty()) {
        return exit_usage;
    }
    if (what == "servers") {
        for (const ServerManifest& m : eps.servers) {
            const std::string features = join(m.realisable_features(), ",");
            out << pad(m.name, 12) << pad(server_version(m, default_prefix()), 8) << m.title
                << (features.empty() ? "" : "  [" + features + "]") << "\n";
        }
        return exit_ok;
    }
    if (what == "clients") {
        for (const ClientManifest& m : eps.clients) {
            out << pad(m.name, 12) << pad(client_version(m, default_prefix()), 8) << m.title
                << (m.builtin ? "  (built in)" : "") << "\n";
        }
        return exit_ok;
    }
    throw UsageError("cannot list '" + what +
                     "': choose scenarios, requirements, servers or clients");
}

}  // namespace fc
