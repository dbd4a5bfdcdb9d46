#pragma once
// Diagnostics with file:line:column, and a parsed XML file that knows where each of its
// nodes and attributes stands. Shared by the scenario and manifest loaders.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "harness/scenario/scenario.hpp"

namespace fc {

/// One problem in an input file. Line and column are 1-based; 0 means unknown.
struct Diagnostic {
    std::filesystem::path file;
    int line = 0;
    int column = 0;
    std::string message;
    /// "file:line:col: error: message" (line and column left out when unknown).
    std::string str() const;
};

/// A parsed XML file plus the means to report problems at its nodes. Owns the document
/// and the file's text; nodes handed out are valid as long as this object lives.
/// Diagnostics go to the vector given at construction, which must outlive this object.
class XmlFile {
public:
    /// Reads and parses `path`. An unreadable file or malformed XML is reported (at the
    /// parser's offset, with pugixml's description) and leaves ok() false.
    XmlFile(std::filesystem::path path, std::vector<Diagnostic>& diags);
    /// Parses `text` (e.g. a file's bytes already in memory, or a fuzzer's input); `path` only
    /// names it in diagnostics and is never opened.
    XmlFile(std::filesystem::path path, std::string text, std::vector<Diagnostic>& diags);
    XmlFile(const XmlFile&) = delete;
    XmlFile& operator=(const XmlFile&) = delete;

    /// True when the file parsed; says nothing about later reported errors.
    bool ok() const { return parsed_; }
    /// True when any error was reported through this object (including parse errors).
    bool failed() const { return errors_ > 0; }
    const std::filesystem::path& path() const { return path_; }
    /// The document element (null if the file did not parse).
    pugi::xml_node root() const { return doc_.document_element(); }

    /// Where an element starts (its '<'), or a text node's first character.
    SourcePos pos(pugi::xml_node node) const;
    /// Where attribute `name` of `node` starts; the element's position if not found.
    SourcePos pos(pugi::xml_node node, std::string_view name) const;
    /// Where the character at `index` of a text or CDATA node's (decoded) value stands in
    /// the file: entity and character references and CR LF line ends are mapped back.
    SourcePos pos_in_text(pugi::xml_node text, std::size_t index) const;
    /// Line and column of a byte offset into the file.
    SourcePos pos_of_offset(std::ptrdiff_t offset) const;

    /// Reports an error at a position.
    void error(SourcePos where, std::string message);
    /// Reports an error at an element.
    void error(pugi::xml_node node, std::string message) { error(pos(node), std::move(message)); }
    /// Reports an error at an attribute of an element.
    void error(pugi::xml_node node, std::string_view attr, std::string message) {
        error(pos(node, attr), std::move(message));
    }

    /// Reports each attribute not in `allowed`, with a did-you-mean hint.
    void check_attributes(pugi::xml_node node, std::span<const std::string_view> allowed);
    /// Reports each child element not in `allowed` (with a hint) and, unless
    /// `text_allowed`, any non-blank text directly inside `node`.
    void check_children(pugi::xml_node node, std::span<const std::string_view> allowed,
                        bool text_allowed = false);
    /// The attribute's value; reports "missing required attribute" if absent.
    std::optional<std::string> required(pugi::xml_node node, std::string_view attr);
    /// The only child element called `name`; reports a missing one (when `needed`) and
    /// every duplicate. Returns a null node when absent.
    pugi::xml_node single(pugi::xml_node parent, std::string_view name, bool needed);

private:
    void parse();

    std::filesystem::path path_;
    std::vector<Diagnostic>& diags_;
    std::string text_;
    std::vector<std::size_t> line_starts_;
    pugi::xml_document doc_;
    bool parsed_ = false;
    int errors_ = 0;
};

/// "<name>" for messages.
std::string tag(std::string_view name);
/// " (did you mean 'x'?)" when some candidate is close to `word`, else "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace fc
