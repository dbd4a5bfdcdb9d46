// The builtin reference client doing a client action natively: the action becomes
// reference-client steps (actions.hpp).
#include <algorithm>

#include "clients/reference/actions.hpp"

namespace fc {

namespace {

bool has(const std::vector<std::string>& v, std::string_view name) {
    return std::find(v.begin(), v.end(), name) != v.end();
}

ReplyExpectation code(const char* pattern) {
    ReplyExpectation e;
    e.codes = {CodePattern{pattern}};
    return e;
}

}  // namespace

Scenario builtin_action_scenario(const Scenario& scenario, const ClientActionStep& step,
                                 const std::vector<std::string>& settings) {
    Scenario out;
    out.file = scenario.file;
    out.id = scenario.id;
    out.area = scenario.area;
    out.title = scenario.title;
    out.server_features = scenario.server_features;
    auto add = [&](StepBody body) { out.steps.push_back(Step{std::move(body), {}, {}}); };
    auto command = [&](std::string line, const char* reply) {
        add(SendStep{std::move(line)});
        add(ExpectStep{code(reply)});
    };

    bool implicit = has(settings, "implicit");
    add(ConnectStep{implicit});
    add(ExpectStep{code("220")});
    if (!implicit) {
        command("AUTH TLS", "234");
        TlsHandshakeStep hs;
        hs.min_version = has(settings, "tls13") ? "1.3" : "";
        hs.max_version = has(settings, "tls12") ? "1.2" : "";
        hs.client_cert = has(settings, "client-cert") ? "valid" : "";
        hs.verify = has(settings, "verify");
        add(hs);
    }
    add(LoginStep{});
    bool protect = !has(settings, "prot-c");
    command("PBSZ 0", "200");
    command(protect ? "PROT P" : "PROT C", "200");
    command("TYPE I", "200");

    // EPSV carries no address to be fooled by (RFC 2428); PORT for active.
    DataMode mode = has(settings, "active") ? DataMode::port : DataMode::epsv;
    ResumeFrom resume = has(settings, "no-reuse") ? ResumeFrom::none : ResumeFrom::control;
    auto transfer = [&](std::string line, bool upload) {
        DataOpenStep open;
        open.mode = mode;
        open.pasv_fallback = mode == DataMode::epsv;
        add(open);
        TransferStep t;
        t.command = std::move(line);
        t.upload = upload;
        t.protect = protect;
        t.resume = resume;
        t.size = step.size;
        add(t);
    };
    const std::string& action = step.action;
    if (action == "list") {
        transfer(step.remote.empty() ? "LIST" : "LIST " + step.remote.front(), false);
    } else if (action == "get" || action == "put") {
        for (const auto& remote : step.remote) {
            transfer((action == "get" ? "RETR " : "STOR ") + remote, action == "put");
        }
    } else if (action == "delete") {
        command("DELE " + step.remote.front(), "250");
    } else if (action == "mkdir") {
        command("MKD " + step.remote.front(), "257");
    }
    // The session ends with QUIT itself.
    return out;
}

}  // namespace fc
