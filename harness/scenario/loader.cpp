#include "harness/scenario/loader.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "harness/core/features.hpp"
#include "harness/scenario/loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 2> kScenarioAttrs{"id", "level"};
constexpr std::array<std::string_view, 10> kScenarioChildren{
    "title", "description",      "spec",       "tags", "roles", "requires", "settings",
    "steps", "negative-control", "wire-expect"};
constexpr std::array<std::string_view, 4> kLevels{"must", "should", "interop", "info"};
constexpr std::array<std::string_view, 2> kSpecAttrs{"ref", "quote"};
constexpr std::array<std::string_view, 3> kRolesAttrs{"server", "client", "servers"};
constexpr std::array<std::string_view, 2> kRoleValues{"under-test", "reference"};
constexpr std::array<std::string_view, 3> kRequiresAttrs{"server", "misbehave", "conflicts"};
constexpr std::array<std::string_view, 5> kControlAttrs{"server", "misbehave", "without", "with",
                                                        "without-misbehave"};
constexpr std::array<std::string_view, 0> kNone{};

/// Text of a child that holds only text; reports attributes and child elements.
std::string text_of(XmlFile& f, pugi::xml_node node) {
    if (!node) {
        return "";
    }
    f.check_attributes(node, kNone);
    f.check_children(node, kNone, true);
    return collapse_whitespace(node.text().get());
}

void load_level(XmlFile& f, pugi::xml_node root, Scenario& s) {
    auto level = f.required(root, "level");
    if (!level) {
        return;
    }
    for (std::size_t i = 0; i < kLevels.size(); ++i) {
        if (*level == kLevels[i]) {
            s.level = static_cast<Level>(i);
            return;
        }
    }
    f.error(root, "level",
            "unknown level '" + *level + "'" + did_you_mean(*level, kLevels) +
                "; use must, should, interop or info");
}

/// A scenario that quotes its spec takes its level from the strongest keyword quoted:
/// must needs MUST/SHALL/REQUIRED, should needs SHOULD/RECOMMENDED (and no stronger), and
/// info or interop must not rest on a MUST or SHOULD it quotes.
void check_level_against_quotes(XmlFile& f, pugi::xml_node root, const Scenario& s) {
    std::optional<Level> strongest;
    bool quoted = false;
    for (const auto& spec : s.specs) {
        if (spec.quote.empty()) {
            continue;
        }
        quoted = true;
        auto level = quote_level(spec.quote);
        if (level && (!strongest || *level < *strongest)) {
            strongest = level;
        }
    }
    if (!quoted || !root.attribute("level")) {
        return;
    }
    std::string found = strongest ? "its strongest quoted keyword is " +
                                        std::string(strongest == Level::must     ? "MUST"
                                                    : strongest == Level::should ? "SHOULD"
                                                                                 : "MAY") +
                                        " (" + std::string(to_string(*strongest)) + ")"
                                  : "no quote holds MUST, SHOULD or MAY";
    bool ok = s.level == Level::must     ? strongest == Level::must
              : s.level == Level::should ? strongest == Level::should
                                         : !strongest || strongest == Level::info;
    if (!ok) {
        f.error(root, "level",
                "level '" + std::string(to_string(s.level)) + "' does not follow its quotes: " +
                    found + " (MUST/SHALL/REQUIRED -> must, SHOULD/RECOMMENDED -> should, " +
                    "MAY/OPTIONAL or none -> info or interop)");
    }
}

void load_roles(XmlFile& f, pugi::xml_node roles, Scenario& s) {
    if (!roles) {
        return;
    }
    f.check_attributes(roles, kRolesAttrs);
    f.check_children(roles, kNone);
    auto role = [&](const char* attr, Role& out) {
        pugi::xml_attribute a = roles.attribute(attr);
        if (!a) {
            return;
        }
        std::string_view v = a.value();
        if (v == "under-test" || v == "reference") {
            out = v == "reference" ? Role::reference : Role::under_test;
        } else {
            f.error(roles, attr,
                    "unknown role '" + std::string(v) + "' (use under-test or reference)" +
                        did_you_mean(v, kRoleValues));
        }
    };
    role("server", s.server_role);
    role("client", s.client_role);
    if (pugi::xml_attribute servers = roles.attribute("servers")) {
        std::string_view v = servers.value();
        if (v == "1" || v == "2") {
            s.servers = v == "2" ? 2 : 1;
        } else {
            f.error(roles, "servers",
                    "bad value '" + std::string(v) + "' for 'servers' (use 1, or 2 for FXP)");
        }
        if (s.servers == 2 &&
            (s.server_role != Role::under_test || s.client_role != Role::under_test)) {
            f.error(roles, "servers",
                    "servers=\"2\" (FXP) needs server=\"under-test\" client=\"under-test\"");
        }
    }
}

void load_requires(XmlFile& f, pugi::xml_node req, Scenario& s) {
    f.check_attributes(req, kRequiresAttrs);
    f.check_children(req, kNone);
    s.server_features = detail::feature_list(f, req, "server");
    if (s.client_role == Role::under_test && has_feature(s.server_features, "ipv6")) {
        f.error(req, "server",
                "ipv6 is for scenarios the reference client drives: client manifests put "
                "${host} into URLs without the brackets an IPv6 address needs");
    }
    s.conflicting_features = detail::feature_list(f, req, "conflicts");
    for (const auto& name : s.conflicting_features) {
        if (std::find(s.server_features.begin(), s.server_features.end(), name) !=
            s.server_features.end()) {
            f.error(req, "conflicts",
                    "'" + name + "' is both required (server=) and in conflicts=");
        }
    }
    for (auto& name : split_words(req.attribute("misbehave").value())) {
        if (!is_known_misbehaviour(name)) {
            f.error(
                req, "misbehave",
                "unknown misbehaviour '" + name + "'" + did_you_mean(name, known_misbehaviours()));
        } else {
            s.misbehaviours.push_back(std::move(name));
        }
    }
    if (!s.misbehaviours.empty() && s.server_role != Role::reference) {
        f.error(req, "misbehave",
                "misbehave= needs <roles server=\"reference\">: only the reference server "
                "misbehaves");
    }
}

void load_control(XmlFile& f, pugi::xml_node node, Scenario& s) {
    if (!node) {
        return;  // reported by single()
    }
    f.check_attributes(node, kControlAttrs);
    f.check_children(node, kNone);
    NegativeControl& nc = s.negative_control;
    nc.pos = f.pos(node);
    nc.server = f.required(node, "server").value_or("");
    if (pugi::xml_attribute m = node.attribute("misbehave")) {
        nc.misbehave = m.value();
        if (!is_known_misbehaviour(nc.misbehave)) {
            f.error(node, "misbehave",
                    "unknown misbehaviour '" + nc.misbehave + "'" +
                        did_you_mean(nc.misbehave, known_misbehaviours()));
        } else if (node.attribute("server") && nc.server != "reference") {
            f.error(node, "misbehave",
                    "misbehave= needs server=\"reference\": only the reference server misbehaves");
        }
    }
    if (pugi::xml_attribute m = node.attribute("without-misbehave")) {
        nc.without_misbehave = m.value();
        if (std::find(s.misbehaviours.begin(), s.misbehaviours.end(), nc.without_misbehave) ==
            s.misbehaviours.end()) {
            std::vector<std::string_view> names(s.misbehaviours.begin(), s.misbehaviours.end());
            f.error(node, "without-misbehave",
                    "'" + nc.without_misbehave +
                        "' is not one of the scenario's <requires misbehave=...>" +
                        did_you_mean(nc.without_misbehave, names));
        } else if (node.attribute("server") && nc.server != "reference") {
            f.error(node, "without-misbehave",
                    "without-misbehave= needs server=\"reference\": only the reference server "
                    "misbehaves");
        }
    }
    nc.without = detail::feature_list(f, node, "without");
    nc.with = detail::feature_list(f, node, "with");
    bool any = node.attribute("misbehave") || node.attribute("without-misbehave") ||
               !split_words(node.attribute("without").value()).empty() ||
               !split_words(node.attribute("with").value()).empty();
    if (!any) {
        f.error(node,
                "<negative-control> changes nothing: give misbehave=, without-misbehave=, "
                "without= or with=");
    }
}

// The roles, the kind of steps and the client-only elements must agree.
void check_kind(XmlFile& f, pugi::xml_node root, pugi::xml_node roles, pugi::xml_node settings,
                pugi::xml_node steps, const Scenario& s) {
    bool client_steps = detail::has_client_steps(steps);
    pugi::xml_node where = roles ? roles : root;
    if (client_steps && s.client_role != Role::under_test) {
        f.error(where,
                "client steps (<seed>, <client>, <log-expect>, <log-order>) need "
                "<roles client=\"under-test\">");
    } else if (!client_steps && s.client_role == Role::under_test && !s.steps.empty()) {
        f.error(where,
                "client=\"under-test\" scenarios use client steps (<seed>, <client>, "
                "<log-expect>, <log-order>), not reference-client steps");
    }
    if (settings && !client_steps) {
        f.error(settings, "<settings> applies to <client> steps, and this scenario has none");
    }
    for (const ClientStep& step : s.client_steps) {
        pugi::xml_node node = steps.first_child();
        for (; node; node = node.next_sibling()) {
            if (f.pos(node).line == step.pos.line && f.pos(node).column == step.pos.column) {
                break;
            }
        }
        if (std::holds_alternative<LogExpectStep>(step.body) ||
            std::holds_alternative<LogOrderStep>(step.body)) {
            if (s.server_role != Role::reference) {
                f.error(node, tag(step.kind()) +
                                  " reads the reference server's event log: it needs <roles "
                                  "server=\"reference\">");
            }
        } else if (const auto* c = std::get_if<ClientActionStep>(&step.body)) {
            if (c->action == "fxp" && s.servers != 2) {
                f.error(node, "action", "action 'fxp' needs two servers: <roles servers=\"2\">");
            }
            std::vector<std::string> all = s.client_settings;
            all.insert(all.end(), c->settings.begin(), c->settings.end());
            for (const auto& pair : conflicting_client_settings(all)) {
                f.error(node, node.attribute("settings") ? "settings" : "",
                        "contradicting settings: " + pair + " (with the scenario's <settings>)");
            }
        }
    }
}

void load_body(XmlFile& f, pugi::xml_node root, Scenario& s) {
    f.check_attributes(root, kScenarioAttrs);
    f.check_children(root, kScenarioChildren);
    if (auto id = f.required(root, "id")) {
        s.id = *id;
        if (s.id != s.file.stem().string()) {
            f.error(root, "id",
                    "id '" + s.id + "' does not match the file name '" +
                        s.file.filename().string() + "' (expected id '" + s.file.stem().string() +
                        "')");
        }
    }
    load_level(f, root, s);
    pugi::xml_node title = f.single(root, "title", true);
    s.title = text_of(f, title);
    if (title && s.title.empty()) {
        f.error(title, "empty <title>");
    }
    s.description = text_of(f, f.single(root, "description", false));
    for (pugi::xml_node spec : root.children("spec")) {
        f.check_attributes(spec, kSpecAttrs);
        f.check_children(spec, kNone, true);
        s.specs.push_back({f.required(spec, "ref").value_or(""),
                           collapse_whitespace(spec.text().get()),
                           collapse_whitespace(spec.attribute("quote").value()), f.pos(spec)});
        if (spec.attribute("quote") && s.specs.back().quote.empty()) {
            f.error(spec, "quote", "empty quote: copy the sentence the scenario tests");
        }
    }
    check_level_against_quotes(f, root, s);
    s.tags = split_words(text_of(f, f.single(root, "tags", false)));
    pugi::xml_node roles = f.single(root, "roles", false);
    load_roles(f, roles, s);
    if (pugi::xml_node req = f.single(root, "requires", false)) {
        load_requires(f, req, s);
    }
    pugi::xml_node settings = f.single(root, "settings", false);
    if (settings) {
        f.check_attributes(settings, kNone);
        f.check_children(settings, kNone, true);
        s.client_settings = detail::client_setting_list(f, settings, "");
    }
    if (pugi::xml_node steps = f.single(root, "steps", true)) {
        if (detail::has_client_steps(steps)) {
            s.client_steps = detail::load_client_steps(f, steps);
        } else {
            s.steps = detail::load_steps(f, steps);
        }
        check_kind(f, root, roles, settings, steps, s);
    }
    load_control(f, f.single(root, "negative-control", true), s);
    detail::load_wire_expect(f, root, s);
}

std::optional<Scenario> load_parsed(XmlFile& f, SourcePos* id_pos) {
    const fs::path& file = f.path();
    if (!f.ok()) {
        return std::nullopt;
    }
    pugi::xml_node root = f.root();
    if (std::string_view(root.name()) != "scenario") {
        f.error(root, "root element is " + tag(root.name()) + ", expected <scenario>");
        return std::nullopt;
    }
    Scenario s;
    s.file = file;
    s.area = file.parent_path().filename().string();
    load_body(f, root, s);
    if (id_pos) {
        *id_pos = f.pos(root, "id");
    }
    if (f.failed()) {
        return std::nullopt;
    }
    return s;
}

std::optional<Scenario> load_one(const fs::path& file, std::vector<Diagnostic>& diags,
                                 SourcePos* id_pos) {
    XmlFile f(file, diags);
    return load_parsed(f, id_pos);
}

void collect(const fs::path& dir, std::vector<fs::path>& files, std::vector<Diagnostic>& diags) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory() && it->path().filename() == "schema") {
            it.disable_recursion_pending();
        } else if (it->is_regular_file() && it->path().extension() == ".xml" &&
                   !(it.depth() == 0 && it->path().filename() == "requirements.xml")) {
            // The folder's requirements table (requirements.hpp) is not a scenario.
            files.push_back(it->path());
        }
    }
    if (ec) {
        diags.push_back({dir, 0, 0, "cannot read folder: " + ec.message()});
    }
}

}  // namespace

std::optional<Scenario> load_scenario_file(const fs::path& file, std::vector<Diagnostic>& diags) {
    return load_one(file, diags, nullptr);
}

std::optional<Scenario> load_scenario_text(const fs::path& file, std::string text,
                                           std::vector<Diagnostic>& diags) {
    XmlFile f(file, std::move(text), diags);
    return load_parsed(f, nullptr);
}

std::vector<Scenario> load_scenarios(const std::vector<fs::path>& paths,
                                     std::vector<Diagnostic>& diags) {
    std::vector<Scenario> out;
    std::map<std::string, fs::path> seen;
    for (const auto& path : paths) {
        std::vector<fs::path> files;
        if (fs::is_directory(path)) {
            collect(path, files, diags);
            std::sort(files.begin(), files.end());
        } else if (fs::exists(path)) {
            files.push_back(path);
        } else {
            diags.push_back({path, 0, 0, "no such file or folder"});
        }
        for (const auto& file : files) {
            SourcePos id_pos;
            std::optional<Scenario> s = load_one(file, diags, &id_pos);
            if (!s) {
                continue;
            }
            auto [it, fresh] = seen.emplace(s->id, file);
            if (!fresh) {
                diags.push_back({file, id_pos.line, id_pos.column,
                                 "duplicate scenario id '" + s->id + "' (first in " +
                                     it->second.string() + ")"});
                continue;
            }
            out.push_back(std::move(*s));
        }
    }
    return out;
}

}  // namespace fc
