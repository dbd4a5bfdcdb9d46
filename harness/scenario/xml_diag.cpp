#include "harness/scenario/xml_diag.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>

#include "harness/core/text.hpp"

namespace fc {

namespace fs = std::filesystem;

std::string Diagnostic::str() const {
    std::string out = file.string();
    if (line > 0) {
        out += ":" + std::to_string(line);
        if (column > 0) {
            out += ":" + std::to_string(column);
        }
    }
    return out + ": error: " + message;
}

std::string tag(std::string_view name) {
    return "<" + std::string(name) + ">";
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
    std::string best = closest_match(word, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

XmlFile::XmlFile(fs::path path, std::vector<Diagnostic>& diags)
    : path_(std::move(path)), diags_(diags) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        error(SourcePos{}, "cannot read file");
        return;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text_ = buffer.str();
    parse();
}

XmlFile::XmlFile(fs::path path, std::string text, std::vector<Diagnostic>& diags)
    : path_(std::move(path)), diags_(diags), text_(std::move(text)) {
    parse();
}

void XmlFile::parse() {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text_.size(); ++i) {
        if (text_[i] == '\n') {
            line_starts_.push_back(i + 1);
        }
    }
    // parse_ws_pcdata_single keeps `<send> </send>` as text so it is reported, not lost.
    const unsigned options = pugi::parse_default | pugi::parse_ws_pcdata_single;
    pugi::xml_parse_result result =
        doc_.load_buffer(text_.data(), text_.size(), options, pugi::encoding_utf8);
    if (!result) {
        error(pos_of_offset(result.offset), std::string("malformed XML: ") + result.description());
        return;
    }
    parsed_ = true;
}

SourcePos XmlFile::pos_of_offset(std::ptrdiff_t offset) const {
    if (offset < 0 || line_starts_.empty()) {
        return {};
    }
    auto off = static_cast<std::size_t>(offset);
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off);
    auto line = static_cast<std::size_t>(std::distance(line_starts_.begin(), it));
    return {static_cast<int>(line), static_cast<int>(off - line_starts_[line - 1] + 1)};
}

SourcePos XmlFile::pos(pugi::xml_node node) const {
    std::ptrdiff_t offset = node.offset_debug();
    if (offset < 0) {
        return {};
    }
    // An element's offset is that of its name; point at the '<' before it.
    if (node.type() == pugi::node_element && offset > 0) {
        --offset;
    }
    return pos_of_offset(offset);
}

namespace {
/// Bytes a character reference ("#65", "#x20AC") decodes to in UTF-8.
std::size_t utf8_length(std::string_view ref) {
    unsigned long code = 0;
    try {
        code = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X')
                   ? std::stoul(std::string(ref.substr(2)), nullptr, 16)
                   : std::stoul(std::string(ref.substr(1)), nullptr, 10);
    } catch (const std::exception&) {
        return 1;
    }
    return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}
}  // namespace

SourcePos XmlFile::pos_in_text(pugi::xml_node text, std::size_t index) const {
    std::ptrdiff_t start = text.offset_debug();
    if (start < 0) {
        return pos(text);
    }
    const bool cdata = text.type() == pugi::node_cdata;
    auto at = static_cast<std::size_t>(start);
    std::size_t decoded = 0;
    while (at < text_.size() && decoded < index) {
        std::size_t raw = 1;
        std::size_t out = 1;
        if (text_[at] == '\r' && at + 1 < text_.size() && text_[at + 1] == '\n') {
            raw = 2;  // pugixml turns CR LF into LF
        } else if (!cdata && text_[at] == '&') {
            std::size_t semi = text_.find(';', at);
            if (semi != std::string::npos && semi - at < 12) {
                raw = semi - at + 1;
                std::string_view ref(text_.data() + at + 1, semi - at - 1);
                out = !ref.empty() && ref[0] == '#' ? utf8_length(ref) : 1;
            }
        }
        if (decoded + out > index) {
            break;  // `index` falls inside a multi-byte reference: point at its '&'
        }
        at += raw;
        decoded += out;
    }
    return pos_of_offset(static_cast<std::ptrdiff_t>(at));
}

SourcePos XmlFile::pos(pugi::xml_node node, std::string_view name) const {
    std::ptrdiff_t start = node.offset_debug();
    if (start < 0 || name.empty()) {
        return pos(node);
    }
    // pugixml keeps no offsets for attributes: find `name=` inside the start tag.
    std::size_t end = text_.find('>', static_cast<std::size_t>(start));
    std::string_view tag_text(text_);
    tag_text = tag_text.substr(0, end == std::string::npos ? text_.size() : end);
    for (std::size_t at = tag_text.find(name, static_cast<std::size_t>(start));
         at != std::string_view::npos; at = tag_text.find(name, at + 1)) {
        bool space_before = at > 0 && std::isspace(static_cast<unsigned char>(text_[at - 1]));
        std::size_t after = at + name.size();
        while (after < tag_text.size() && std::isspace(static_cast<unsigned char>(text_[after]))) {
            ++after;
        }
        if (space_before && after < tag_text.size() && text_[after] == '=') {
            return pos_of_offset(static_cast<std::ptrdiff_t>(at));
        }
    }
    return pos(node);
}

void XmlFile::error(SourcePos where, std::string message) {
    ++errors_;
    diags_.push_back({path_, where.line, where.column, std::move(message)});
}

void XmlFile::check_attributes(pugi::xml_node node, std::span<const std::string_view> allowed) {
    for (pugi::xml_attribute a : node.attributes()) {
        std::string_view name = a.name();
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            error(node, name,
                  "unknown attribute '" + std::string(name) + "' on " + tag(node.name()) +
                      did_you_mean(name, allowed));
        }
    }
}

void XmlFile::check_children(pugi::xml_node node, std::span<const std::string_view> allowed,
                             bool text_allowed) {
    for (pugi::xml_node child : node.children()) {
        if (child.type() == pugi::node_element) {
            std::string_view name = child.name();
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                error(child, "unknown element " + tag(name) + " in " + tag(node.name()) +
                                 did_you_mean(name, allowed));
            }
        } else if (!text_allowed &&
                   (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)) {
            std::string_view v = child.value();
            bool blank = std::all_of(v.begin(), v.end(), [](char c) {
                return std::isspace(static_cast<unsigned char>(c));
            });
            if (!blank) {
                error(child, "unexpected text in " + tag(node.name()));
            }
        }
    }
}

std::optional<std::string> XmlFile::required(pugi::xml_node node, std::string_view attr) {
    pugi::xml_attribute a = node.attribute(std::string(attr).c_str());
    if (!a) {
        error(node,
              "missing required attribute '" + std::string(attr) + "' on " + tag(node.name()));
        return std::nullopt;
    }
    return std::string(a.value());
}

pugi::xml_node XmlFile::single(pugi::xml_node parent, std::string_view name, bool needed) {
    std::string key(name);
    pugi::xml_node first = parent.child(key.c_str());
    if (!first && needed) {
        error(parent, "missing required element " + tag(name) + " in " + tag(parent.name()));
    }
    for (pugi::xml_node more = first.next_sibling(key.c_str()); more;
         more = more.next_sibling(key.c_str())) {
        SourcePos p = pos(first);
        error(more, "duplicate " + tag(name) + " (first at line " + std::to_string(p.line) + ")");
    }
    return first;
}

}  // namespace fc
