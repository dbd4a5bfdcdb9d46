// <wire-expect>: assertions on the cell's packet capture (scenarios/README.md "Wire
// assertions").
#include <array>
#include <string_view>

#include "harness/scenario/loader_detail.hpp"

namespace fc::detail {

namespace {

constexpr std::array<std::string_view, 5> kWireAttrs{"kind", "version", "side", "scope",
                                                     "uploads-only"};
constexpr std::array<std::string_view, 2> kVersions{"1.2", "1.3"};
constexpr std::array<std::string_view, 2> kSides{"client", "server"};
constexpr std::array<std::string_view, 3> kScopes{"data", "control", "all"};
constexpr std::array<std::string_view, 0> kNoChildren{};

}  // namespace

void load_wire_expect(XmlFile& f, pugi::xml_node root, Scenario& s) {
    for (pugi::xml_node node : root.children("wire-expect")) {
        f.check_attributes(node, kWireAttrs);
        f.check_children(node, kNoChildren);
        WireExpectation w;
        w.pos = f.pos(node);
        auto kind = f.required(node, "kind");
        if (!kind) {
            continue;
        }
        auto chosen = choice_attr(f, node, "kind", wire_expect_kinds());
        if (!chosen) {
            continue;
        }
        w.kind = *chosen;
        w.version = choice_attr(f, node, "version", kVersions).value_or("");
        w.side = choice_attr(f, node, "side", kSides).value_or("");
        w.scope = choice_attr(f, node, "scope", kScopes).value_or("");
        w.uploads_only = bool_attr(f, node, "uploads-only").value_or(false);
        if (w.kind == "tls-version" && !node.attribute("version")) {
            f.error(node, "kind=\"tls-version\" needs version=\"1.2\" or version=\"1.3\"");
        } else if (w.kind != "tls-version" && node.attribute("version")) {
            f.error(node, "version", "version= only goes with kind=\"tls-version\"");
        }
        for (const char* attr : {"side", "uploads-only"}) {
            if (w.kind != "close-notify" && node.attribute(attr)) {
                f.error(node, attr, std::string(attr) + "= only goes with kind=\"close-notify\"");
            }
        }
        s.wire_expect.push_back(std::move(w));
    }
}

}  // namespace fc::detail
