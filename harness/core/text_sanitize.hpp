#pragma once
// Making untrusted text (transcripts, server replies, reasons) safe for the formats reports
// write: valid UTF-8 for JSON, XML 1.0 characters for JUnit, no terminal escapes for the console.
// Text of the run is raw bytes from the wire; none of these functions fail on any input.
#include <cstddef>
#include <string>
#include <string_view>

namespace fc {

/// True if `text` is well-formed UTF-8 (Unicode 15, table 3-7: no overlongs, no surrogates,
/// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// Length in bytes of the longest well-formed UTF-8 prefix of `text`: `text.size()` when all of
/// it is well-formed, else the offset of the first byte of the first ill-formed sequence.
std::size_t valid_utf8_prefix(std::string_view text);

/// Appends the UTF-8 encoding of `code_point` to `out`; a surrogate or a value above U+10FFFF
/// appends U+FFFD instead.
void append_utf8(std::string& out, char32_t code_point);

/// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD, one per maximal subpart
/// (the Unicode recommended practice, as browsers and ICU do). Valid input is returned as is.
std::string to_valid_utf8(std::string_view text);

/// What visible_controls() does with line breaks.
enum class LineBreaks {
    keep,    ///< "\n" and "\r\n" stay line breaks (normalised to "\n"); a lone CR shows as "\r"
    escape,  ///< every CR and LF shows as "\r" / "\n": the result is one line
};

/// Valid UTF-8 (see to_valid_utf8) in which every control character except tab, and the
/// XML non-characters U+FFFE / U+FFFF, are shown as visible escapes: ASCII controls and DEL as
/// `\x01`, `\x1b`, `\x7f`; C1 controls and U+FFFE/U+FFFF as `\u009b`, `\ufffe`. The result is
/// safe to print on a terminal and is made of XML 1.0 characters only. A backslash already in
/// the text is left alone, so the escaping is for people to read, not to be reversed.
std::string visible_controls(std::string_view text, LineBreaks line_breaks);

/// `text` on one line: runs of whitespace (including CR, LF, tab) become one space, leading and
/// trailing whitespace is dropped, then visible_controls() applies.
std::string one_line(std::string_view text);

/// Character data for an XML 1.0 element: visible_controls(text, LineBreaks::keep) with `&`,
/// `<` and `>` escaped (so "]]>" cannot end anything). Always well-formed.
std::string xml_text(std::string_view text);

/// An XML 1.0 attribute value for double quotes: visible_controls(text, LineBreaks::keep) with
/// `&`, `<`, `>`, `"` escaped, and tab and LF as character references so that parsers do not
/// normalise them to spaces. Always well-formed.
std::string xml_attribute(std::string_view text);

}  // namespace fc
