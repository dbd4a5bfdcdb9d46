// Raw and data-connection steps of a scenario: <send-raw>, <expect-close>, <data-open>,
// <transfer>.
#include <array>
#include <cctype>
#include <string_view>

#include "harness/core/text.hpp"
#include "harness/scenario/loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc::detail {

namespace {

// Every step also accepts if, unless and timeout; the arrays below list them first.
constexpr std::array<std::string_view, 4> kRawAttrs{"if", "unless", "timeout", "if-reply"};
constexpr std::array<std::string_view, 7> kCloseAttrs{"if",   "unless", "timeout", "if-reply",
                                                      "code", "text",   "reason"};
constexpr std::array<std::string_view, 9> kOpenAttrs{
    "if", "unless", "timeout", "if-reply", "mode", "source", "code", "text", "reason"};
constexpr std::array<std::string_view, 21> kTransferAttrs{
    "if",   "unless", "timeout", "if-reply",     "command",     "protect",     "resume",
    "size", "offset", "verify",  "close-notify", "preliminary", "expect-data", "reply",
    "code", "text",   "reason",  "abort-after",  "stat-after",  "handshake",   "close"};
constexpr std::array<std::string_view, 2> kClose{"orderly", "reset"};
constexpr std::array<std::string_view, 2> kPreliminary{"allowed", "forbidden"};
constexpr std::array<std::string_view, 2> kReplyNeed{"required", "optional"};
constexpr std::array<std::string_view, 0> kNone{};

constexpr std::array kModes{DataMode::pasv, DataMode::epsv, DataMode::port, DataMode::eprt};
constexpr std::array kResume{ResumeFrom::control, ResumeFrom::none, ResumeFrom::other};
constexpr std::array kDataOutcomes{DataExpect::success, DataExpect::failure, DataExpect::any,
                                   DataExpect::if_accepted};
constexpr std::array kHandshakes{DataHandshake::after_command, DataHandshake::before_command,
                                 DataHandshake::garbage};
constexpr std::array<std::string_view, 3> kUploadVerbs{"STOR", "APPE", "STOU"};

/// The command's verb (its first word), upper-cased.
std::string verb_of(std::string_view command) {
    auto words = split_words(command);
    return words.empty() ? "" : upper(words.front());
}

}  // namespace

SendRawStep load_send_raw(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kRawAttrs);
    f.check_children(node, kNone, true);
    SendRawStep step;
    bool bad = false;
    // The text is taken whole: pugixml keeps it untrimmed (whitespace-only text only when it
    // is the element's single child, so comments would lose the blanks next to them).
    for (pugi::xml_node child : node.children()) {
        if (child.type() == pugi::node_comment || child.type() == pugi::node_pi) {
            f.error(child, "no comments inside <send-raw>: its text is sent byte for byte");
            bad = true;
        } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
            std::vector<EscapeProblem> problems;
            step.bytes += decode_escapes(child.value(), problems);
            for (const auto& p : problems) {
                f.error(f.pos_in_text(child, p.index), p.message);
                bad = true;
            }
        }
    }
    if (step.bytes.empty() && !bad) {
        f.error(node, "empty <send-raw>: write the bytes to send as its text (\\r\\n escapes)");
    }
    check_variables(f, node, "", step.bytes);
    return step;
}

ExpectCloseStep load_expect_close(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kCloseAttrs);
    f.check_children(node, kNone);
    return ExpectCloseStep{optional_reply(f, node)};
}

DataOpenStep load_data_open(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kOpenAttrs);
    f.check_children(node, kNone);
    DataOpenStep step;
    if (f.required(node, "mode")) {
        step.mode = enum_attr(f, node, "mode", kModes).value_or(step.mode);
    }
    if (pugi::xml_attribute a = node.attribute("source")) {
        step.source = a.value();
        if (!is_loopback_literal(step.source)) {
            f.error(node, "source",
                    "source '" + step.source +
                        "' is not a loopback address literal: use one in 127.0.0.0/8 or ::1 "
                        "(the harness only talks to loopback)");
        }
    }
    step.reply = optional_reply(f, node);
    return step;
}

TransferStep load_transfer(XmlFile& f, pugi::xml_node node) {
    f.check_attributes(node, kTransferAttrs);
    f.check_children(node, kNone);
    TransferStep step;
    std::optional<std::string> command = f.required(node, "command");
    if (command) {
        step.command = *command;
        std::string verb = verb_of(step.command);
        if (verb.empty()) {
            f.error(node, "command", "empty command: write one like \"RETR file.bin\"");
        } else if (step.command.find_first_of("\r\n") != std::string::npos) {
            f.error(node, "command", "command holds one line; CR LF is appended by the harness");
        }
        check_variables(f, node, "command", step.command);
        for (std::string_view v : kUploadVerbs) {
            step.upload = step.upload || verb == v;
        }
    }
    step.protect = bool_attr(f, node, "protect").value_or(true);
    step.resume = enum_attr(f, node, "resume", kResume).value_or(step.resume);
    if (pugi::xml_attribute a = node.attribute("size"); a && command) {
        if (!step.upload) {
            f.error(
                node, "size",
                "size on a download ('" + step.command + "'): only STOR, APPE and STOU send bytes");
        } else if (auto size = parse_size(a.value())) {
            step.size = *size;
        } else {
            f.error(node, "size",
                    "bad size '" + std::string(a.value()) +
                        "' (bytes like 4096, or 64k or 16M; at most 1024M)");
        }
    }
    step.close_notify = bool_attr(f, node, "close-notify").value_or(true);
    if (pugi::xml_attribute a = node.attribute("close"); a && command) {
        step.reset = choice_attr(f, node, "close", kClose).value_or("orderly") == "reset";
        if (step.reset && !step.upload) {
            f.error(node, "close",
                    "close=\"reset\" on a download ('" + step.command +
                        "'): only an upload ends on the client's side");
        }
    }
    if (pugi::xml_attribute a = node.attribute("verify"); a && command) {
        if (step.upload) {
            f.error(node, "verify",
                    "verify on an upload ('" + step.command +
                        "'): it checks a download against the last upload");
        } else {
            step.verify = bool_attr(f, node, "verify").value_or(false);
        }
    }
    if (pugi::xml_attribute a = node.attribute("offset")) {
        auto offset = parse_size(a.value());
        if (!offset) {
            f.error(node, "offset",
                    "bad offset '" + std::string(a.value()) + "' (bytes like 1000, or 64k)");
        } else if (!step.upload && !step.verify) {
            f.error(node, "offset",
                    "offset on a download without verify=\"true\": it says where the "
                    "verified bytes start");
        } else {
            step.offset = *offset;
        }
    }
    step.preliminary_forbidden =
        choice_attr(f, node, "preliminary", kPreliminary).value_or("allowed") == "forbidden";
    step.data = enum_attr(f, node, "expect-data", kDataOutcomes).value_or(step.data);
    step.reply = optional_reply(f, node);
    step.reply_optional =
        choice_attr(f, node, "reply", kReplyNeed).value_or("required") == "optional";
    if (step.reply_optional && step.data != DataExpect::failure) {
        f.error(node, "reply",
                "reply=\"optional\" needs expect-data=\"failure\": the step is then judged "
                "on the data connection alone (no data may flow)");
    }
    step.handshake = enum_attr(f, node, "handshake", kHandshakes).value_or(step.handshake);
    if (step.handshake != DataHandshake::after_command && !step.protect) {
        f.error(node, "handshake",
                "handshake=\"" + std::string(to_string(step.handshake)) +
                    "\" with protect=\"false\": only a protected data connection has a TLS "
                    "handshake");
    } else if (step.handshake == DataHandshake::garbage && step.data == DataExpect::success) {
        f.error(node, "handshake",
                "handshake=\"garbage\" needs expect-data=\"failure\" or \"any\": without a TLS "
                "handshake no protected transfer can succeed");
    }
    // abort-after= and stat-after=: a command on the control connection in the middle of a
    // download (RFC 4217 14).
    for (const char* name : {"abort-after", "stat-after"}) {
        pugi::xml_attribute a = node.attribute(name);
        if (!a || !command) {
            continue;
        }
        const std::string attr = name;
        auto after = parse_size(a.value());
        if (!after || *after == 0) {
            f.error(
                node, name,
                "bad " + attr + " '" + std::string(a.value()) + "' (bytes like 64k, at least 1)");
        } else if (step.upload) {
            f.error(node, name,
                    attr + " on an upload ('" + step.command +
                        "'): only a download can be interrupted after a number of bytes");
        } else if (step.data != DataExpect::success || step.reply_optional) {
            f.error(node, name,
                    attr +
                        " with expect-data or reply=\"optional\": the step needs a running "
                        "transfer and judges the replies");
        } else if (step.abort_after) {
            f.error(node, name, "abort-after and stat-after together: one command per transfer");
        } else if (attr == "stat-after" && step.verify) {
            f.error(node, name,
                    "stat-after with verify=\"true\": a download read in pieces is judged on its "
                    "length and clean end, not its digest");
        } else if (attr == "abort-after") {
            step.abort_after = *after;
        } else {
            step.stat_after = *after;
        }
    }
    return step;
}

}  // namespace fc::detail
