// The <steps> of a scenario file: one element per reference-client step.
#include <algorithm>
#include <array>
#include <string_view>

#include "harness/core/features.hpp"
#include "harness/scenario/loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc::detail {

namespace {

constexpr std::array<std::string_view, 13> kStepKinds{
    "connect",      "send",      "expect",   "tls-handshake", "login", "tls-shutdown",   "send-raw",
    "expect-close", "data-open", "transfer", "tls-assert",    "pause", "tls-hello-probe"};
// Every step also accepts these; the arrays below list them first.
// (if-reply is reference-step only: client steps read no replies.)
constexpr std::array<std::string_view, 5> kConnectAttrs{"if", "unless", "timeout", "if-reply",
                                                        "implicit"};
constexpr std::array<std::string_view, 4> kSendAttrs{"if", "unless", "timeout", "if-reply"};
constexpr std::array<std::string_view, 8> kExpectAttrs{"if",   "unless", "timeout", "if-reply",
                                                       "code", "text",   "reason",  "close"};
constexpr std::array<std::string_view, 6> kLoginAttrs{"if",       "unless", "timeout",
                                                      "if-reply", "user",   "password"};
constexpr std::array<std::string_view, 5> kPauseAttrs{"if", "unless", "timeout", "if-reply",
                                                      "duration"};
constexpr std::array<std::string_view, 2> kCloseValues{"allowed", "after-421"};
// A pause longer than this is not a test of a lifetime but a stuck run.
constexpr std::chrono::seconds kLongestPause(60);
constexpr std::array<std::string_view, 1> kExpectChildren{"line"};
constexpr std::array<std::string_view, 0> kNone{};

ConnectStep load_connect(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kConnectAttrs);
    f.check_children(node, kNone);
    ConnectStep step;
    step.implicit = bool_attr(f, node, "implicit").value_or(false);
    return step;
}

SendStep load_send(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kSendAttrs);
    f.check_children(node, kNone, true);
    SendStep step{node.text().get()};
    if (step.line.empty()) {
        f.error(node, "empty <send>: write the command line as its text");
    } else if (step.line.find_first_of("\r\n") != std::string::npos) {
        f.error(node, "<send> holds one command line; CR LF is appended by the harness");
    }
    check_variables(f, node, "", step.line);
    return step;
}

ExpectStep load_expect(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kExpectAttrs);
    f.check_children(node, kExpectChildren);
    ExpectStep step;
    step.reply = load_reply(f, node, f.required(node, "code"));
    ReplyExpectation& r = step.reply;
    for (pugi::xml_node line : node.children("line")) {
        f.check_attributes(line, kNone);
        f.check_children(line, kNone, true);
        std::string re = line.text().get();
        if (re.empty()) {
            f.error(line, "empty <line>: write a regex the reply line must match");
        }
        check_regex(f, line, "", re);
        r.line_regexes.push_back(std::move(re));
    }
    if (auto close = choice_attr(f, node, "close", kCloseValues)) {
        step.close_acceptable = *close == "allowed";
        step.close_after_421 = *close == "after-421";
    }
    return step;
}

LoginStep load_login(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kLoginAttrs);
    f.check_children(node, kNone);
    LoginStep step;
    if (pugi::xml_attribute a = node.attribute("user")) {
        step.user = a.value();
        check_variables(f, node, "user", step.user);
    }
    if (pugi::xml_attribute a = node.attribute("password")) {
        step.password = a.value();
        check_variables(f, node, "password", step.password);
    }
    return step;
}

PauseStep load_pause(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kPauseAttrs);
    f.check_children(node, kNone);
    PauseStep step;
    std::optional<std::string> given = f.required(node, "duration");
    if (!given) {
        return step;  // reported by required()
    }
    const std::string& text = *given;
    auto d = parse_duration(text);
    if (!d || *d <= std::chrono::milliseconds(0) || *d > kLongestPause) {
        f.error(node, "duration",
                "bad duration '" + text + "' (use e.g. 3s or 500ms, more than 0, at most 60s)");
    } else {
        step.duration = *d;
    }
    return step;
}

std::optional<StepBody> load_body(XmlFile& f, pugi::xml_node node) {
    std::string_view kind = node.name();
    if (kind == "connect") {
        return load_connect(f, node);
    }
    if (kind == "send") {
        return load_send(f, node);
    }
    if (kind == "expect") {
        return load_expect(f, node);
    }
    if (kind == "tls-handshake") {
        return load_handshake(f, node);
    }
    if (kind == "login") {
        return load_login(f, node);
    }
    if (kind == "tls-shutdown") {
        return load_shutdown(f, node);
    }
    if (kind == "send-raw") {
        return load_send_raw(f, node);
    }
    if (kind == "expect-close") {
        return load_expect_close(f, node);
    }
    if (kind == "data-open") {
        return load_data_open(f, node);
    }
    if (kind == "transfer") {
        return load_transfer(f, node);
    }
    if (kind == "tls-assert") {
        return load_tls_assert(f, node);
    }
    if (kind == "pause") {
        return load_pause(f, node);
    }
    if (kind == "tls-hello-probe") {
        return load_hello_probe(f, node);
    }
    return std::nullopt;  // reported by check_children
}

}  // namespace

std::span<const std::string_view> reference_step_kinds() {
    return kStepKinds;
}

void check_variables(XmlFile& f, pugi::xml_node node, std::string_view attr,
                     std::string_view text) {
    for (const auto& problem : variable_problems(text, known_variables())) {
        if (attr.empty()) {
            f.error(node, problem);
        } else {
            f.error(node, attr, problem);
        }
    }
}

void check_regex(XmlFile& f, pugi::xml_node node, std::string_view attr, const std::string& re) {
    if (auto problem = regex_error(re)) {
        std::string message = "bad regex /" + re + "/: " + *problem;
        if (attr.empty()) {
            f.error(node, message);
        } else {
            f.error(node, attr, message);
        }
    }
}

ReplyExpectation load_reply(XmlFile& f, pugi::xml_node node,
                            const std::optional<std::string>& code) {
    ReplyExpectation r;
    r.reason = collapse_whitespace(node.attribute("reason").value());
    if (code) {
        bool loose = false;
        bool bad = false;
        for (const auto& alt : split_alternatives(*code)) {
            if (!is_valid_code_pattern(alt)) {
                f.error(node, "code",
                        "bad code pattern '" + alt +
                            "' (use 3 digits like 234, a class like 5xx or 53x, "
                            "alternatives joined by |)");
                bad = true;
            }
            loose = loose || alt.find('x') != std::string::npos;
            r.codes.push_back({alt});
        }
        if (!bad && (r.codes.size() > 1 || loose) && r.reason.empty()) {
            f.error(node, "code",
                    "code '" + *code +
                        "' allows more than one reply code: add a reason=\"...\" saying why");
        }
    }
    if (pugi::xml_attribute text = node.attribute("text")) {
        r.text_regex = text.value();
        check_regex(f, node, "text", r.text_regex);
    }
    return r;
}

std::optional<ReplyExpectation> optional_reply(XmlFile& f, pugi::xml_node node) {
    if (pugi::xml_attribute code = node.attribute("code")) {
        return load_reply(f, node, std::string(code.value()));
    }
    for (std::string_view attr : {"text", "reason"}) {
        if (node.attribute(std::string(attr).c_str())) {
            f.error(node, attr,
                    "'" + std::string(attr) + "' on " + tag(node.name()) +
                        " needs a code=\"...\" to go with it");
        }
    }
    return std::nullopt;
}

std::optional<bool> bool_attr(XmlFile& f, pugi::xml_node node, std::string_view attr) {
    pugi::xml_attribute a = node.attribute(std::string(attr).c_str());
    if (!a) {
        return std::nullopt;
    }
    if (auto b = parse_bool(a.value())) {
        return b;
    }
    f.error(node, attr,
            "bad value '" + std::string(a.value()) + "' for '" + std::string(attr) +
                "' (use true or false)");
    return std::nullopt;
}

std::optional<std::string> choice_attr(XmlFile& f, pugi::xml_node node, std::string_view attr,
                                       std::span<const std::string_view> values) {
    pugi::xml_attribute a = node.attribute(std::string(attr).c_str());
    if (!a) {
        return std::nullopt;
    }
    std::string v = a.value();
    if (std::find(values.begin(), values.end(), v) != values.end()) {
        return v;
    }
    std::string list;
    for (std::size_t i = 0; i < values.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + std::string(values[i]);
    }
    f.error(node, attr,
            "bad value '" + v + "' for '" + std::string(attr) + "'" + did_you_mean(v, values) +
                "; use " + list);
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> step_timeout(XmlFile& f, pugi::xml_node node) {
    pugi::xml_attribute t = node.attribute("timeout");
    if (!t) {
        return std::nullopt;
    }
    auto timeout = parse_duration(t.value());
    if (!timeout) {
        f.error(node, "timeout",
                "bad timeout '" + std::string(t.value()) +
                    "' (use a positive duration like 5s, 500ms or 2.5s)");
    }
    return timeout;
}

std::vector<std::string> feature_list(XmlFile& f, pugi::xml_node node, std::string_view attr) {
    std::vector<std::string> out;
    pugi::xml_attribute a = node.attribute(std::string(attr).c_str());
    for (auto& name : split_words(a.value())) {
        if (is_known_server_feature(name)) {
            out.push_back(std::move(name));
        } else {
            f.error(node, attr,
                    "unknown feature '" + name + "'" + did_you_mean(name, known_server_features()));
        }
    }
    return out;
}

std::vector<Step> load_steps(XmlFile& f, pugi::xml_node steps) {
    f.check_attributes(steps, kNone);
    f.check_children(steps, kStepKinds);
    std::vector<Step> out;
    bool any = false;
    bool seen_expect = false;  // if-reply looks at the last unguarded <expect>'s reply
    for (pugi::xml_node node : steps.children()) {
        if (node.type() != pugi::node_element) {
            continue;
        }
        any = true;
        std::optional<StepBody> body = load_body(f, node);
        if (!body) {
            continue;
        }
        Step step{std::move(*body), f.pos(node), std::nullopt, {}, {}};
        step.guard = load_step_guard(f, node);
        if (pugi::xml_attribute a = node.attribute("if-reply")) {
            for (const auto& alt : split_alternatives(a.value())) {
                if (!is_valid_code_pattern(alt)) {
                    f.error(node, "if-reply",
                            "bad code pattern '" + alt +
                                "' (use 3 digits like 234, a class like 5xx, alternatives "
                                "joined by |)");
                }
                step.if_reply.push_back({alt});
            }
            if (!seen_expect) {
                f.error(node, "if-reply",
                        "if-reply needs an <expect> (without if-reply) before this step");
            }
        } else if (std::holds_alternative<ExpectStep>(step.body)) {
            seen_expect = true;
        }
        out.push_back(std::move(step));
    }
    // A probe leaves a connection no TLS can go on with: nothing may follow it.
    for (std::size_t i = 0; i + 1 < out.size(); ++i) {
        if (std::holds_alternative<TlsHelloProbeStep>(out[i].body)) {
            f.error(out[i + 1].pos, "<" + std::string(out[i + 1].kind()) +
                                        "> after <tls-hello-probe>: the probe ends the "
                                        "connection, so it must be the last step");
            break;
        }
    }
    if (!any) {
        f.error(steps, "empty <steps>: a scenario needs at least one step");
    }
    return out;
}

}  // namespace fc::detail
