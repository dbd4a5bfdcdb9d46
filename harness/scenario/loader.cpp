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
constexpr std::array<std::string_view, 8> kScenarioChildren{
    "title", "description", "spec", "tags", "roles", "requires", "steps", "negative-control"};
constexpr std::array<std::string_view, 4> kLevels{"must", "should", "interop", "info"};
constexpr std::array<std::string_view, 1> kSpecAttrs{"ref"};
constexpr std::array<std::string_view, 2> kRolesAttrs{"server", "client"};
constexpr std::array<std::string_view, 2> kRoleValues{"under-test", "reference"};
constexpr std::array<std::string_view, 1> kRequiresAttrs{"server"};
constexpr std::array<std::string_view, 4> kControlAttrs{"server", "misbehave", "without", "with"};
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
    nc.without = detail::feature_list(f, node, "without");
    nc.with = detail::feature_list(f, node, "with");
    bool any = node.attribute("misbehave") ||
               !split_words(node.attribute("without").value()).empty() ||
               !split_words(node.attribute("with").value()).empty();
    if (!any) {
        f.error(node, "<negative-control> changes nothing: give misbehave=, without= or with=");
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
        s.specs.push_back(
            {f.required(spec, "ref").value_or(""), collapse_whitespace(spec.text().get())});
    }
    s.tags = split_words(text_of(f, f.single(root, "tags", false)));
    load_roles(f, f.single(root, "roles", false), s);
    if (pugi::xml_node req = f.single(root, "requires", false)) {
        f.check_attributes(req, kRequiresAttrs);
        f.check_children(req, kNone);
        s.server_features = detail::feature_list(f, req, "server");
    }
    if (pugi::xml_node steps = f.single(root, "steps", true)) {
        s.steps = detail::load_steps(f, steps);
    }
    load_control(f, f.single(root, "negative-control", true), s);
}

std::optional<Scenario> load_one(const fs::path& file, std::vector<Diagnostic>& diags,
                                 SourcePos* id_pos) {
    XmlFile f(file, diags);
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

void collect(const fs::path& dir, std::vector<fs::path>& files, std::vector<Diagnostic>& diags) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory() && it->path().filename() == "schema") {
            it.disable_recursion_pending();
        } else if (it->is_regular_file() && it->path().extension() == ".xml") {
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
