// The client part of the manifest loader: <client> with <binary>, <vars>, <action> and
// <setting> (clients/README.md).
#include <algorithm>
#include <array>
#include <regex>
#include <sstream>

#include "harness/core/features.hpp"
#include "harness/core/text.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/scenario/manifest_loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc {

namespace {

// clients/README.md "Placeholders"; `prefix` as for servers.
constexpr std::array<std::string_view, 24> kClientPlaceholders{
    "binary",    "script",      "host",       "port",         "user",    "password",
    "ca_cert",   "client_cert", "client_key", "remote",       "local",   "localdir",
    "logdir",    "debug_log",   "settings",   "host2",        "port2",   "user2",
    "password2", "remote2",     "prefix",     "manifest_dir", "give_up", "run_cache"};

constexpr std::array<std::string_view, 4> kClientAttrs{"name", "title", "package", "builtin"};
constexpr std::array<std::string_view, 9> kClientChildren{"binary",   "version",       "vars",
                                                          "prologue", "error-pattern", "action",
                                                          "setting",  "deviation",     "resident"};
// A resident starts once per run, before any cell: only the run's placeholders.
constexpr std::array<std::string_view, 3> kResidentPlaceholders{"binary", "prefix", "manifest_dir"};
constexpr std::array<std::string_view, 1> kResidentAttrs{"argv"};
constexpr std::array<std::string_view, 1> kBinaryAttrs{"default"};
constexpr std::array<std::string_view, 3> kActionAttrs{"name", "argv", "logins"};
constexpr std::array<std::string_view, 2> kDirectives{"@each", "@end"};
constexpr std::array<std::string_view, 0> kNone{};

/// Fixed placeholders plus the manifest's <vars>.
struct Allowed {
    std::vector<std::string> names;
    std::vector<std::string_view> views;

    explicit Allowed(const ClientManifest& m) {
        for (auto p : kClientPlaceholders) {
            names.emplace_back(p);
        }
        for (const auto& [name, value] : m.vars) {
            names.push_back(name);
        }
        for (const auto& n : names) {
            views.push_back(n);
        }
    }
};

bool is_fixed_placeholder(std::string_view name) {
    return std::find(kClientPlaceholders.begin(), kClientPlaceholders.end(), name) !=
           kClientPlaceholders.end();
}

void load_vars(XmlFile& f, pugi::xml_node node, ClientManifest& m) {
    if (!node) {
        return;
    }
    f.check_children(node, kNone);
    for (pugi::xml_attribute a : node.attributes()) {
        std::string name = a.name();
        if (is_fixed_placeholder(name)) {
            f.error(node, name,
                    "variable '" + name + "' would hide the placeholder ${" + name +
                        "}; choose another name");
            continue;
        }
        m.vars.emplace_back(name, a.value());
    }
}

/// The element's text without leading and trailing blank lines and without the
/// indentation common to its lines.
std::string dedent(std::string_view text) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(line);
    }
    auto blank = [](const std::string& l) {
        return l.find_first_not_of(" \t") == std::string::npos;
    };
    while (!lines.empty() && blank(lines.front())) {
        lines.erase(lines.begin());
    }
    while (!lines.empty() && blank(lines.back())) {
        lines.pop_back();
    }
    std::size_t indent = std::string::npos;
    for (const auto& l : lines) {
        if (!blank(l)) {
            indent = std::min(indent, l.find_first_not_of(" \t"));
        }
    }
    std::string out;
    for (const auto& l : lines) {
        out += (blank(l) ? std::string() : l.substr(indent)) + "\n";
    }
    return out;
}

/// Checks the @each / @end structure of a script: no nesting, every block closed.
void check_directives(XmlFile& f, pugi::xml_node node, const std::string& script) {
    std::istringstream in(script);
    bool open = false;
    for (std::string line; std::getline(in, line);) {
        std::string word = trim(line);
        if (word.empty() || word[0] != '@') {
            continue;
        }
        if (word == "@each") {
            if (open) {
                f.error(node, "@each inside @each: blocks do not nest");
            }
            open = true;
        } else if (word == "@end") {
            if (!open) {
                f.error(node, "@end without @each");
            }
            open = false;
        } else {
            f.error(node, "unknown directive '" + word + "'" + did_you_mean(word, kDirectives) +
                              " (a line that starts with @ is @each or @end)");
        }
    }
    if (open) {
        f.error(node, "@each without @end");
    }
}

void load_actions(XmlFile& f, pugi::xml_node root, const Allowed& allowed, ClientManifest& m) {
    for (pugi::xml_node node : root.children("action")) {
        f.check_attributes(node, kActionAttrs);
        f.check_children(node, kNone, true);
        ClientAction a;
        a.pos = f.pos(node);
        if (auto name = f.required(node, "name")) {
            a.name = *name;
            if (!is_known_client_action(a.name)) {
                f.error(node, "name",
                        "unknown action '" + a.name + "'" +
                            did_you_mean(a.name, known_client_actions()));
            } else if (m.action(a.name) != nullptr) {
                f.error(node, "name", "second <action name=\"" + a.name + "\">");
            }
        }
        a.argv = collapse_whitespace(f.required(node, "argv").value_or(""));
        if (node.attribute("argv") && a.argv.empty()) {
            f.error(node, "argv", "empty 'argv': write the command line that runs the client");
        }
        detail::check_placeholders(f, node, "argv", a.argv, allowed.views);
        if (pugi::xml_attribute logins = node.attribute("logins")) {
            std::string v = logins.value();
            if (v == "per-file") {
                a.login_per_file = true;
            } else if (v != "one") {
                f.error(node, "logins",
                        "bad value '" + v +
                            "' for 'logins' (one: several files on one login; per-file: a "
                            "login per file)");
            }
        }
        std::string own = dedent(node.text().get());
        detail::check_placeholders(f, node, "", own, allowed.views);  // the prologue's once
        a.script = m.prologue + own;
        check_directives(f, node, a.script);
        m.actions.push_back(std::move(a));
    }
}

void load_settings(XmlFile& f, pugi::xml_node root, const Allowed& allowed, ClientManifest& m) {
    std::vector<std::string_view> var_names;
    for (const auto& [name, value] : m.vars) {
        var_names.push_back(name);
    }
    for (pugi::xml_node node : root.children("setting")) {
        f.check_children(node, kNone, true);
        SettingFragment frag;
        frag.pos = f.pos(node);
        for (pugi::xml_attribute a : node.attributes()) {
            std::string name = a.name();
            if (name == "names") {
                continue;
            }
            if (std::find(var_names.begin(), var_names.end(), name) == var_names.end()) {
                f.error(node, name,
                        "<setting> sets '" + name + "', which <vars> does not declare" +
                            did_you_mean(name, var_names) +
                            " (declare it in <vars> with its default)");
                continue;
            }
            detail::check_placeholders(f, node, name, a.value(), allowed.views);
            frag.vars.emplace_back(name, a.value());
        }
        for (auto& name : split_words(f.required(node, "names").value_or(""))) {
            if (!is_known_client_setting(name)) {
                f.error(
                    node, "names",
                    "unknown setting '" + name + "'" + did_you_mean(name, known_client_settings()));
            }
            frag.settings.push_back(std::move(name));
        }
        if (node.attribute("names") && frag.settings.empty()) {
            f.error(node, "names", "empty 'names': list the settings this fragment realises");
        }
        std::sort(frag.settings.begin(), frag.settings.end());
        frag.text = dedent(node.text().get());
        if (frag.text.find("${settings}") != std::string::npos) {
            f.error(node, "a <setting> cannot use ${settings} (it is part of it)");
        }
        detail::check_placeholders(f, node, "", frag.text, allowed.views);
        m.settings.push_back(std::move(frag));
    }
}

// <prologue> (text before every action's script) and <error-pattern> (where the client's
// own error is in its output).
void load_prologue_and_error_pattern(XmlFile& f, pugi::xml_node root, const Allowed& allowed,
                                     ClientManifest& m) {
    if (pugi::xml_node node = f.single(root, "prologue", false)) {
        f.check_attributes(node, kNone);
        f.check_children(node, kNone, true);
        m.prologue = dedent(node.text().get());
        detail::check_placeholders(f, node, "", m.prologue, allowed.views);
        if (m.prologue.find("${settings}") != std::string::npos) {
            f.error(node, "a <prologue> cannot use ${settings} (write it in each action)");
        }
    }
    if (pugi::xml_node node = f.single(root, "error-pattern", false)) {
        f.check_attributes(node, kNone);
        f.check_children(node, kNone, true);
        m.error_pattern = trim(node.text().get());
        try {
            std::regex check(m.error_pattern);
        } catch (const std::regex_error& e) {
            f.error(node, "bad regular expression '" + m.error_pattern + "': " + e.what());
        }
        if (m.error_pattern.empty()) {
            f.error(node, "empty <error-pattern>: write the regex of the client's error line");
        }
    }
}

}  // namespace

std::span<const std::string_view> client_placeholders() {
    return kClientPlaceholders;
}

namespace detail {

void load_client_body(XmlFile& f, pugi::xml_node root, ClientManifest& m) {
    f.check_attributes(root, kClientAttrs);
    f.check_children(root, kClientChildren);
    m.name = f.required(root, "name").value_or("");
    m.title = root.attribute("title").value();
    m.package = root.attribute("package").value();
    if (pugi::xml_attribute builtin = root.attribute("builtin")) {
        auto b = parse_bool(builtin.value());
        if (!b) {
            f.error(root, "builtin",
                    "bad value '" + std::string(builtin.value()) +
                        "' for 'builtin' (use true or false)");
        }
        m.builtin = b.value_or(false);
    }
    load_vars(f, f.single(root, "vars", false), m);
    Allowed allowed(m);
    if (pugi::xml_node binary = f.single(root, "binary", false)) {
        f.check_attributes(binary, kBinaryAttrs);
        f.check_children(binary, kNone);
        m.binary = f.required(binary, "default").value_or("");
        check_placeholders(f, binary, "default", m.binary, allowed.views);
        if (m.builtin) {
            f.error(binary, "the builtin client has no <binary>: it runs inside ftps-conform");
        }
    }
    ManifestVersion v = load_version(f, f.single(root, "version", false), allowed.views);
    m.version_command = v.command;
    m.version_regex = v.regex;
    m.version_stdin_from_stdout = v.stdin_from_stdout;
    load_prologue_and_error_pattern(f, root, allowed, m);
    if (pugi::xml_node resident = f.single(root, "resident", false)) {
        f.check_attributes(resident, kResidentAttrs);
        f.check_children(resident, kNone);
        m.resident_argv = f.required(resident, "argv").value_or("");
        check_placeholders(f, resident, "argv", m.resident_argv, kResidentPlaceholders);
        if (m.builtin) {
            f.error(resident, "the builtin client has no <resident>: it runs inside ftps-conform");
        }
    }
    load_actions(f, root, allowed, m);
    load_settings(f, root, allowed, m);
    if (m.builtin && (!m.actions.empty() || !m.settings.empty())) {
        f.error(root,
                "the builtin client runs actions natively: drop its <action> and "
                "<setting> elements");
    }
    if (!m.builtin && !m.actions.empty() && m.binary.empty()) {
        f.error(root, "missing required element <binary> in <client> (its actions run it)");
    }
    m.deviations = load_deviations(f, root, /*client=*/true);
}

}  // namespace detail

}  // namespace fc
