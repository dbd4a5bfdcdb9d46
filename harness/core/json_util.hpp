#pragma once
// The project's one JSON layer: nlohmann::ordered_json (members keep their order) with the
// rules every JSON file of the project follows (harness/README.md "JSON"): strict parsing
// with bounded nesting and no duplicate keys, and writing that always yields valid UTF-8.
// Only the light forward header is included here; the .cpp files that build or read values
// include <nlohmann/json.hpp> themselves.
#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fc::json {

/// A JSON value whose objects keep insertion order, so written files read in a stable order.
using Value = nlohmann::ordered_json;

/// 1-based line and column (columns count characters) of a place in a JSON text.
struct Position {
    int line = 0;
    int column = 0;
};

/// Malformed JSON or a limit exceeded. what() is "line:column: message", or the message
/// alone when the place is not known (position {0, 0}: a duplicate key, nesting too deep).
class ParseError : public std::runtime_error {
public:
    ParseError(Position position, const std::string& message);
    Position position() const { return position_; }
    /// The message without the position.
    const std::string& message() const { return message_; }

private:
    Position position_;
    std::string message_;
};

/// Parses one JSON text: RFC 8259 as nlohmann reads it (no comments, no trailing commas,
/// strings valid UTF-8 and no lone surrogates; a leading UTF-8 byte order mark is skipped),
/// plus two rules of ours: a key may not repeat in an object, and arrays and objects may
/// not nest deeper than `max_depth` (writing a value recurses). Throws ParseError; the
/// message is one line of printable text whatever the input holds.
Value parse(std::string_view text, int max_depth = 64);

/// The JSON text of `value`: on one line when `indent` < 0, else one member per line with
/// `indent` spaces a level. Strings are escaped per RFC 8259 (controls as \u00XX) and every
/// ill-formed UTF-8 sequence becomes U+FFFD, one per maximal subpart (the rule of
/// to_valid_utf8 in harness/core/text_sanitize.hpp). Non-finite numbers are written as null.
std::string dump(const Value& value, int indent = -1);

/// A number for a file: an integer when `value` is a whole number below 2^53 (written
/// "1", not "1.0", as files written before nlohmann did), else the double; null when not
/// finite. Reads back as the same double.
Value number(double value);

/// Human name of a value's type for messages: "null", "a boolean", "a number", "a string",
/// "an array", "an object".
std::string_view type_name(const Value& value);

/// The line and column of byte `offset` (0-based) of `text`; columns count characters.
Position position_of(std::string_view text, std::size_t offset);

}  // namespace fc::json
