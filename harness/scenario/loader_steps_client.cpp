// The <steps> of client-side, interop and FXP scenarios: <seed>, <client>, <log-expect>
// and <log-order> (scenarios/README.md "Client scenarios").
#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "harness/core/features.hpp"
#include "harness/scenario/loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc::detail {

namespace {

constexpr std::array<std::string_view, 4> kClientKinds{"seed", "client", "log-expect", "log-order"};
// Every step also accepts if=, unless= and timeout=; the arrays list them first.
constexpr std::array<std::string_view, 5> kSeedAttrs{"if", "unless", "timeout", "remote", "size"};
constexpr std::array<std::string_view, 11> kClientAttrs{"if",       "unless", "timeout", "action",
                                                        "remote",   "local",  "remote2", "expect",
                                                        "settings", "size",   "contains"};
constexpr std::array<std::string_view, 7> kLogExpectAttrs{"if",    "unless",  "timeout", "event",
                                                          "where", "require", "count"};
constexpr std::array<std::string_view, 6> kLogOrderAttrs{"if",    "unless", "timeout",
                                                         "first", "then",   "optional"};
constexpr std::array<std::string_view, 3> kExpectValues{"success", "failure", "any"};
constexpr std::array<std::string_view, 0> kNone{};

/// A file name inside the server's root: relative, no "..", no empty components.
std::optional<std::string> remote_problem(const std::string& name) {
    if (name.empty() || name.front() == '/') {
        return "'" + name + "' is not a relative path inside the server's root";
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = std::min(name.find('/', start), name.size());
        std::string_view part(name.data() + start, end - start);
        if (part.empty() || part == ".." || part == ".") {
            return "'" + name + "' has an empty, '.' or '..' component";
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::vector<std::string> file_list(XmlFile& f, pugi::xml_node node, std::string_view attr,
                                   bool local) {
    std::vector<std::string> out;
    for (auto& name : split_words(node.attribute(std::string(attr).c_str()).value())) {
        std::optional<std::string> problem = remote_problem(name);
        if (!problem && local && name.find('/') != std::string::npos) {
            problem = "'" + name + "' is a path; a local file is a plain name in the cell folder";
        }
        if (problem) {
            f.error(node, attr, "bad file name " + *problem);
        }
        out.push_back(std::move(name));
    }
    return out;
}

std::vector<EventField> fields(XmlFile& f, pugi::xml_node node, std::string_view attr,
                               const std::vector<std::string>& words) {
    std::vector<EventField> out;
    for (const auto& w : words) {
        std::size_t eq = w.find('=');
        if (eq == std::string::npos || eq == 0) {
            f.error(node, attr, "bad condition '" + w + "' (write field=value, e.g. verb=PBSZ)");
            continue;
        }
        out.push_back({w.substr(0, eq), w.substr(eq + 1)});
    }
    return out;
}

EventPattern pattern(XmlFile& f, pugi::xml_node node, std::string_view attr) {
    EventPattern p;
    std::vector<std::string> words = split_words(f.required(node, attr).value_or(""));
    if (words.empty()) {
        if (node.attribute(std::string(attr).c_str())) {
            f.error(node, attr, "empty '" + std::string(attr) + "': write an event name first");
        }
        return p;
    }
    p.event = words.front();
    if (p.event.find('=') != std::string::npos) {
        f.error(
            node, attr,
            "'" + std::string(attr) + "' starts with the event name, e.g. \"command verb=PBSZ\"");
    }
    words.erase(words.begin());
    p.where = fields(f, node, attr, words);
    return p;
}

// A size= attribute into `size` (left as it is when absent or bad; bad is reported).
void load_size(XmlFile& f, pugi::xml_node node, std::uint64_t& size) {
    pugi::xml_attribute a = node.attribute("size");
    if (!a) {
        return;
    }
    auto parsed = parse_size(a.value());
    if (!parsed) {
        f.error(node, "size",
                "bad size '" + std::string(a.value()) +
                    "' (use bytes like 4096, 64k or 16M, at most 1024M)");
    }
    size = parsed.value_or(size);
}

SeedStep load_seed(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kSeedAttrs);
    f.check_children(node, kNone);
    SeedStep step;
    if (auto remote = f.required(node, "remote")) {
        step.remote = *remote;
        if (auto problem = remote_problem(step.remote)) {
            f.error(node, "remote", "bad file name " + *problem);
        }
    }
    load_size(f, node, step.size);
    return step;
}

// Which attributes each action takes beyond action=, expect=, settings=.
bool takes(std::string_view action, std::string_view attr) {
    if (attr == "local") {
        return action == "get" || action == "put";
    }
    if (attr == "remote2") {
        return action == "fxp";
    }
    if (attr == "size") {
        return action == "put";
    }
    if (attr == "contains") {
        return action == "list";
    }
    if (attr == "remote") {
        return action != "login";
    }
    return true;
}

ClientActionStep load_client(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kClientAttrs);
    f.check_children(node, kNone);
    ClientActionStep step;
    if (auto action = f.required(node, "action")) {
        step.action = *action;
        if (!is_known_client_action(step.action)) {
            f.error(node, "action",
                    "unknown action '" + step.action + "'" +
                        did_you_mean(step.action, known_client_actions()));
            return step;
        }
    } else {
        return step;
    }
    const std::string& action = step.action;
    for (std::string_view attr : {"local", "remote2", "size", "contains", "remote"}) {
        if (node.attribute(std::string(attr).c_str()) && !takes(action, attr)) {
            f.error(node, attr,
                    "'" + std::string(attr) + "' does not apply to action '" + action + "'");
        }
    }
    step.remote = file_list(f, node, "remote", false);
    step.local = file_list(f, node, "local", true);
    bool needs_remote = action != "login" && action != "list";
    if (needs_remote && step.remote.empty() && !node.attribute("remote")) {
        f.error(node, "missing required attribute 'remote' on <client action=\"" + action + "\">");
    }
    if (action != "get" && action != "put" && action != "fxp" && step.remote.size() > 1) {
        f.error(node, "remote", "action '" + action + "' takes one remote name");
    }
    if (!step.local.empty() && step.local.size() != step.remote.size()) {
        f.error(node, "local",
                "'local' names " + std::to_string(step.local.size()) + " file(s) and 'remote' " +
                    std::to_string(step.remote.size()) + ": give one local name per remote one");
    }
    if (step.local.empty() && takes(action, "local")) {
        for (const auto& r : step.remote) {
            step.local.push_back(r.substr(r.rfind('/') + 1));
        }
    }
    if (action == "fxp") {
        if (step.remote.size() > 1) {
            f.error(node, "remote", "action 'fxp' copies one file");
        }
        step.remote2 = node.attribute("remote2").value();
        if (step.remote2.empty() && !step.remote.empty()) {
            step.remote2 = step.remote.front();
        } else if (auto problem = remote_problem(step.remote2)) {
            f.error(node, "remote2", "bad file name " + *problem);
        }
    }
    if (auto expect = choice_attr(f, node, "expect", kExpectValues)) {
        step.expect_success = *expect == "success";
        step.expect_any = *expect == "any";
    }
    step.settings = client_setting_list(f, node, "settings");
    load_size(f, node, step.size);
    step.contains = node.attribute("contains").value();
    return step;
}

LogExpectStep load_log_expect(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kLogExpectAttrs);
    f.check_children(node, kNone);
    LogExpectStep step;
    step.select.event = f.required(node, "event").value_or("");
    step.select.where = fields(f, node, "where", split_words(node.attribute("where").value()));
    step.require = fields(f, node, "require", split_words(node.attribute("require").value()));
    if (pugi::xml_attribute count = node.attribute("count")) {
        std::string_view text = count.value();
        step.at_least = !text.empty() && text.back() == '+';
        if (step.at_least) {
            text.remove_suffix(1);
        }
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), step.count);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
            f.error(node, "count",
                    "bad count '" + std::string(count.value()) +
                        "' (use 0, an exact number like 2, or a minimum like 1+)");
        }
    }
    return step;
}

LogOrderStep load_log_order(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kLogOrderAttrs);
    f.check_children(node, kNone);
    LogOrderStep step{pattern(f, node, "first"), pattern(f, node, "then")};
    if (auto optional = bool_attr(f, node, "optional")) {
        step.optional = *optional;
    }
    return step;
}

std::optional<ClientStepBody> load_body(XmlFile& f, pugi::xml_node node) {
    std::string_view kind = node.name();
    if (kind == "seed") {
        return load_seed(f, node);
    }
    if (kind == "client") {
        return load_client(f, node);
    }
    if (kind == "log-expect") {
        return load_log_expect(f, node);
    }
    if (kind == "log-order") {
        return load_log_order(f, node);
    }
    return std::nullopt;
}

bool is_reference_kind(std::string_view name) {
    auto kinds = reference_step_kinds();
    return std::find(kinds.begin(), kinds.end(), name) != kinds.end();
}

}  // namespace

std::span<const std::string_view> client_step_kinds() {
    return kClientKinds;
}

std::vector<std::string> client_setting_list(XmlFile& f, pugi::xml_node node,
                                             std::string_view attr) {
    std::vector<std::string> out;
    std::string text = attr.empty()
                           ? std::string(node.text().get())
                           : std::string(node.attribute(std::string(attr).c_str()).value());
    for (auto& name : split_words(text)) {
        if (!is_known_client_setting(name)) {
            std::string message = "unknown client setting '" + name + "'" +
                                  did_you_mean(name, known_client_settings());
            attr.empty() ? f.error(node, message) : f.error(node, attr, message);
            continue;
        }
        if (std::find(out.begin(), out.end(), name) == out.end()) {
            out.push_back(std::move(name));
        }
    }
    return out;
}

bool has_client_steps(pugi::xml_node steps) {
    for (pugi::xml_node node : steps.children()) {
        if (node.type() == pugi::node_element &&
            std::find(kClientKinds.begin(), kClientKinds.end(), std::string_view(node.name())) !=
                kClientKinds.end()) {
            return true;
        }
    }
    return false;
}

std::vector<ClientStep> load_client_steps(XmlFile& f, pugi::xml_node steps) {
    f.check_attributes(steps, kNone);
    std::vector<std::string_view> allowed(kClientKinds.begin(), kClientKinds.end());
    for (auto k : reference_step_kinds()) {
        allowed.push_back(k);
    }
    f.check_children(steps, allowed);
    std::vector<ClientStep> out;
    for (pugi::xml_node node : steps.children()) {
        if (node.type() != pugi::node_element) {
            continue;
        }
        if (is_reference_kind(node.name())) {
            f.error(node, tag(node.name()) +
                              " is a reference-client step, and this scenario has client steps "
                              "(<seed>, <client>, <log-expect>, <log-order>): a scenario has one "
                              "kind or the other");
            continue;
        }
        std::optional<ClientStepBody> body = load_body(f, node);
        if (!body) {
            continue;
        }
        ClientStep step{std::move(*body), f.pos(node), std::nullopt, {}, {}};
        step.guard = load_step_guard(f, node);
        out.push_back(std::move(step));
    }
    return out;
}

}  // namespace fc::detail
