#include "reports/merge.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "harness/core/error.hpp"
#include "harness/core/text.hpp"
#include "harness/core/text_sanitize.hpp"

namespace fc {

namespace {

std::string join_sorted(const std::set<std::string>& values) {
    return join(values, ", ");
}

std::string cell_name(const CellResult& c) {
    return c.area + "/" + c.scenario_id + " on server " + c.server + " with client " + c.client;
}

int kind_rank(const std::string& kind) {
    if (kind == "server") {
        return 0;
    }
    return kind == "client" ? 1 : 2;
}

}  // namespace

bool canonical_cell_less(const CellResult& a, const CellResult& b) {
    return std::tie(a.server, a.client, a.area, a.scenario_id) <
           std::tie(b.server, b.client, b.area, b.scenario_id);
}

RunResult merge_runs(const std::vector<NamedRun>& runs) {
    RunResult merged;
    merged.run_id = "merged";
    std::set<std::string> hosts, tool_versions;
    // (kind, name) -> (the endpoint, the input it came from)
    std::map<std::pair<std::string, std::string>, std::pair<EndpointInfo, std::string>> endpoints;
    // (server, client, area, scenario id) -> the input it came from
    std::map<std::tuple<std::string, std::string, std::string, std::string>, std::string> cells;

    for (const auto& [name, run] : runs) {
        if (!run.started_utc.empty() &&
            (merged.started_utc.empty() || run.started_utc < merged.started_utc)) {
            merged.started_utc = run.started_utc;
        }
        if (run.finished_utc > merged.finished_utc) {
            merged.finished_utc = run.finished_utc;
        }
        merged.duration_s += run.duration_s;
        merged.interrupted = merged.interrupted || run.interrupted;
        if (!run.host.empty()) {
            hosts.insert(run.host);
        }
        if (!run.tool_version.empty()) {
            tool_versions.insert(run.tool_version);
        }
        for (const EndpointInfo& e : run.endpoints) {
            auto [it, inserted] = endpoints.try_emplace({e.kind, e.name}, e, name);
            const EndpointInfo& first = it->second.first;
            if (!inserted && first.version != e.version) {
                throw UsageError("cannot merge: " + e.kind + " " + one_line(e.name) +
                                 " has version '" + one_line(first.version) + "' in " +
                                 it->second.second + " but '" + one_line(e.version) + "' in " +
                                 name);
            }
            // Shards that tested different manifests under one name are not one run.
            if (!inserted && provenance_text(first) != provenance_text(e)) {
                throw UsageError("cannot merge: " + e.kind + " " + one_line(e.name) + " is from " +
                                 one_line(provenance_text(first)) + " in " + it->second.second +
                                 " but from " + one_line(provenance_text(e)) + " in " + name);
            }
        }
        for (const CellResult& c : run.cells) {
            auto [it, inserted] =
                cells.try_emplace({c.server, c.client, c.area, c.scenario_id}, name);
            if (!inserted) {
                throw UsageError("cannot merge: cell " + one_line(cell_name(c)) + " is in " +
                                 it->second + " and in " + name);
            }
            merged.cells.push_back(c);
        }
    }
    std::stable_sort(merged.cells.begin(), merged.cells.end(), canonical_cell_less);
    for (const auto& [key, value] : endpoints) {
        merged.endpoints.push_back(value.first);
    }
    std::stable_sort(merged.endpoints.begin(), merged.endpoints.end(),
                     [](const EndpointInfo& a, const EndpointInfo& b) {
                         return std::make_tuple(kind_rank(a.kind), a.kind, a.name) <
                                std::make_tuple(kind_rank(b.kind), b.kind, b.name);
                     });
    merged.host = join_sorted(hosts);
    merged.tool_version = join_sorted(tool_versions);
    return merged;
}

RunResult merge_runs(const std::vector<RunResult>& runs) {
    std::vector<NamedRun> named;
    named.reserve(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        named.emplace_back("input " + std::to_string(i + 1), runs[i]);
    }
    return merge_runs(named);
}

}  // namespace fc
