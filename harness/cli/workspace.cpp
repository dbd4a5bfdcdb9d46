#include <algorithm>
#include <ostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/core/paths.hpp"

namespace fc {

namespace fs = std::filesystem;

fs::path default_scenarios_dir() {
    if (fs::is_directory("scenarios")) {
        return "scenarios";
    }
    return data_layout().root / "scenarios";
}

std::vector<fs::path> endpoint_dirs(const std::vector<std::string>& extra) {
    const fs::path root = data_layout().root;
    std::vector<fs::path> dirs{root / "servers", root / "clients"};
    for (const auto& d : extra) {
        dirs.emplace_back(d);
    }
    return dirs;
}

std::vector<Diagnostic> cross_check(const Workspace& ws) {
    std::vector<Diagnostic> diags;
    auto server_exists = [&](const std::string& name) {
        return name == "reference" ||
               std::any_of(ws.endpoints.servers.begin(), ws.endpoints.servers.end(),
                           [&](const ServerManifest& m) { return m.name == name; });
    };
    for (const Scenario& s : ws.scenarios) {
        const NegativeControl& nc = s.negative_control;
        if (!server_exists(nc.server)) {
            diags.push_back({s.file, nc.pos.line, nc.pos.column,
                             "negative control names unknown server '" + nc.server + "'"});
        }
    }
    return diags;
}

Workspace load_workspace(const std::vector<fs::path>& scenario_paths,
                         const std::vector<std::string>& extra_endpoint_dirs, std::ostream& err) {
    for (const auto& p : scenario_paths) {
        if (!fs::exists(p)) {
            throw UsageError("no such file or folder: " + p.string());
        }
    }
    for (const auto& d : extra_endpoint_dirs) {
        if (!fs::is_directory(d)) {
            throw UsageError("--endpoints " + d + " is not a folder");
        }
        // A folder in which nothing is found must not quietly run the shipped endpoints.
        if (manifest_files(d).empty()) {
            throw UsageError("--endpoints " + d + " holds no manifest: searched " + d +
                             "/<name>/manifest.xml, " + d + "/servers/<name>/manifest.xml and " +
                             d + "/clients/<name>/manifest.xml");
        }
    }
    std::vector<Diagnostic> diags;
    Workspace ws;
    ws.scenarios = load_scenarios(scenario_paths, diags);
    ws.endpoints = load_endpoints(endpoint_dirs(extra_endpoint_dirs), diags);
    auto more = cross_check(ws);
    diags.insert(diags.end(), more.begin(), more.end());
    for (const auto& d : diags) {
        err << d.str() << "\n";
    }
    if (!diags.empty()) {
        throw UsageError(std::to_string(diags.size()) +
                         " problem(s) in scenario or manifest files");
    }
    return ws;
}

Workspace load_workspace_for(const ParsedArgs& a, std::ostream& err) {
    std::vector<fs::path> paths(a.positionals.begin(), a.positionals.end());
    if (paths.empty()) {
        paths.push_back(default_scenarios_dir());
    }
    std::vector<std::string> extra;
    if (auto e = a.value("endpoints")) {
        extra.push_back(*e);
    }
    return load_workspace(paths, extra, err);
}

}  // namespace fc
