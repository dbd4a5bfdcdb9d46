#include "harness/scenario/requirements.hpp"

#include <map>
#include <set>
#include <sstream>

#include "harness/core/text.hpp"

namespace fc {

namespace {

const std::set<std::string> kLevels = {"must", "should", "may", "none"};
const std::set<std::string> kSides = {"server", "client", "both"};
const std::set<std::string> kUntested = {"not-applicable", "not-black-box", "not-behaviour", "gap"};

std::string one_of(const std::set<std::string>& values) {
    return join(std::vector<std::string>(values.begin(), values.end()), ", ");
}

}  // namespace

std::vector<Requirement> load_requirements(const std::filesystem::path& file,
                                           std::vector<Diagnostic>& diags) {
    std::vector<Requirement> rows;
    XmlFile xml(file, diags);
    if (!xml.ok()) {
        return rows;
    }
    if (std::string(xml.root().name()) != "requirements") {
        xml.error(xml.root(), "the root element must be <requirements>");
        return rows;
    }
    for (pugi::xml_node node : xml.root().children()) {
        if (node.type() != pugi::node_element) {
            continue;
        }
        if (std::string(node.name()) != "requirement") {
            xml.error(node, "unexpected <" + std::string(node.name()) + ">: want <requirement>");
            continue;
        }
        Requirement r;
        r.pos = xml.pos(node);
        r.ref = node.attribute("ref").value();
        r.level = node.attribute("level").value();
        r.side = node.attribute("side").value();
        r.quote = trim(node.child_value("quote"));
        if (r.quote.empty()) {
            r.quote = trim(node.child_value("summary"));
            r.summary = !r.quote.empty();
        }
        if (r.ref.rfind("RFC", 0) != 0) {
            xml.error(node, "ref", "ref must name an RFC and section, e.g. \"RFC4217 9\"");
        }
        if (!kLevels.contains(r.level)) {
            xml.error(node, "level", "level must be one of " + one_of(kLevels));
        }
        if (!kSides.contains(r.side)) {
            xml.error(node, "side", "side must be one of " + one_of(kSides));
        }
        if (r.quote.empty()) {
            xml.error(node, "a requirement needs its <quote> (or a <summary> of the section)");
        }
        std::istringstream ids(node.child_value("tested-by"));
        for (std::string id; ids >> id;) {
            r.tested_by.push_back(id);
        }
        pugi::xml_node untested = node.child("untested");
        r.untested_kind = untested.attribute("kind").value();
        r.untested_reason = trim(untested.child_value());
        if (r.tested_by.empty() == !untested) {
            xml.error(node,
                      "a requirement has either <tested-by> scenarios or <untested>, not "
                      "both or neither");
        } else if (untested && !kUntested.contains(r.untested_kind)) {
            xml.error(untested, "kind", "kind must be one of " + one_of(kUntested));
        } else if (untested && r.untested_reason.empty()) {
            xml.error(untested, "<untested> needs the reason as its text");
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<Diagnostic> check_requirements(const std::vector<Requirement>& rows,
                                           const std::vector<Scenario>& scenarios,
                                           const std::filesystem::path& file) {
    std::vector<Diagnostic> out;
    std::set<std::string> refs;
    for (const Requirement& r : rows) {
        refs.insert(r.ref);
    }
    std::set<std::string> ids;
    for (const Scenario& s : scenarios) {
        ids.insert(s.id);
        for (const SpecRef& spec : s.specs) {
            // Whole-RFC citations ("RFC8446") have no section to look up.
            if (spec.ref.find(' ') != std::string::npos && !refs.contains(spec.ref)) {
                out.push_back(Diagnostic{
                    s.file, spec.pos.line, spec.pos.column,
                    "cites " + spec.ref + ", which has no row in " + file.filename().string()});
            }
        }
    }
    for (const Requirement& r : rows) {
        for (const std::string& id : r.tested_by) {
            if (!ids.contains(id)) {
                out.push_back(
                    Diagnostic{file, r.pos.line, r.pos.column,
                               r.ref + ": tested-by names " + id + ", which is not a scenario"});
            }
        }
    }
    return out;
}

}  // namespace fc
