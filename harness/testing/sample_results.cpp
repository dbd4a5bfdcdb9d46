#include "harness/testing/sample_results.hpp"

namespace fc::testing {

CellResult sample_cell(std::string server, std::string client, std::string id, Verdict verdict) {
    CellResult c;
    c.server = std::move(server);
    c.client = std::move(client);
    c.scenario_id = std::move(id);
    c.area = c.scenario_id.substr(0, c.scenario_id.find('/'));
    c.title = "title of " + c.scenario_id;
    c.level = "must";
    c.verdict = verdict;
    c.cell_dir = c.server + "__" + c.client + "/" + c.scenario_id;
    return c;
}

RunResult sample_run_facts() {
    RunResult run;
    run.tool_version = "0.1.0";
    run.run_id = "20261125-060102";
    run.started_utc = "2026-11-25T06:01:02Z";
    run.finished_utc = "2026-11-25T06:01:06Z";
    run.host = "ci-1";
    return run;
}

}  // namespace fc::testing
