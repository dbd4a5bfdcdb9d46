#pragma once
// A small JSON (RFC 8259) value, writer and parser: enough for results.json, no more.
// Objects keep insertion order so that written files read in a stable, human order.
#include <concepts>
#include <cstddef>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fc::json {

/// Where a parsed value starts: 1-based line and column (columns count characters).
/// {0, 0} for values that were built rather than parsed.
struct Position {
    int line = 0;
    int column = 0;
};

class Value;
/// A JSON array.
using Array = std::vector<Value>;
/// One member of an object.
using Member = std::pair<std::string, Value>;

/// A JSON object: members in insertion order, keys unique.
class Object {
public:
    /// Sets `key` to `value`: replaces the value in place if the key exists (keeping its
    /// position), else appends. Returns the stored value.
    Value& set(std::string key, Value value);
    /// The value of `key`, or nullptr if there is none.
    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
    /// Members in insertion order.
    const std::vector<Member>& members() const { return members_; }
    std::size_t size() const;
    bool empty() const;

    /// Equal if the same members are in the same order.
    friend bool operator==(const Object& a, const Object& b);

private:
    std::vector<Member> members_;
};

/// A JSON value: null, boolean, number (a double), string (UTF-8 bytes), array or object.
class Value {
public:
    enum class Type { null, boolean, number, string, array, object };

    Value() = default;  ///< null
    Value(std::nullptr_t) {}
    Value(bool b) : data_(b) {}
    Value(double d) : data_(d) {}
    /// Any integer (not bool); exact up to 2^53.
    template <std::integral T>
    requires(!std::same_as<T, bool>) Value(T n) : data_(static_cast<double>(n)) {}
    Value(std::string s) : data_(std::move(s)) {}
    Value(std::string_view s) : data_(std::string(s)) {}
    Value(const char* s) : data_(std::string(s)) {}
    Value(Array a) : data_(std::move(a)) {}
    Value(Object o) : data_(std::move(o)) {}

    Type type() const { return static_cast<Type>(data_.index()); }
    bool is_null() const { return type() == Type::null; }

    /// The content if the value has that type, else nullptr. Never throws.
    const bool* if_bool() const { return std::get_if<bool>(&data_); }
    const double* if_number() const { return std::get_if<double>(&data_); }
    const std::string* if_string() const { return std::get_if<std::string>(&data_); }
    const Array* if_array() const { return std::get_if<Array>(&data_); }
    const Object* if_object() const { return std::get_if<Object>(&data_); }
    Array* if_array() { return std::get_if<Array>(&data_); }
    Object* if_object() { return std::get_if<Object>(&data_); }

    /// Where the parser found this value ({0, 0} if built in code).
    Position position() const { return position_; }
    void set_position(Position p) { position_ = p; }

    /// Deep equality of content; positions are ignored. Numbers compare as doubles.
    friend bool operator==(const Value& a, const Value& b) { return a.data_ == b.data_; }

private:
    // The order of alternatives matches Type.
    std::variant<std::nullptr_t, bool, double, std::string, Array, Object> data_;
    Position position_;
};

// Out of line: they need Value to be complete.
inline std::size_t Object::size() const {
    return members_.size();
}
inline bool Object::empty() const {
    return members_.empty();
}

/// Human name of a type for messages: "null", "a boolean", "a number", ...
std::string_view type_name(Value::Type type);

/// How write() lays out text.
struct WriteOptions {
    int indent = 0;  ///< 0: everything on one line; n > 0: one member per line, n spaces a level
};

/// Writes `value` as JSON text. The output is always valid JSON in UTF-8: strings are escaped
/// per RFC 8259 (controls as \u00XX), bytes that are not valid UTF-8 are written as U+FFFD,
/// and numbers that JSON cannot represent (NaN, infinities) are written as null. Recursion
/// follows the value's nesting, which the parser bounds; build no deeper values in code.
void write(const Value& value, std::ostream& out, const WriteOptions& options = {});
/// write() into a string.
std::string to_text(const Value& value, const WriteOptions& options = {});

/// Limits that keep the parser safe on hostile input.
struct ParseOptions {
    std::size_t max_bytes = std::size_t{256} << 20;  ///< larger input is an error
    int max_depth = 64;  ///< arrays and objects nested deeper are an error
};

/// Malformed JSON or a limit exceeded. what() is "line:column: message".
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

/// Parses one JSON text (RFC 8259, strict: no comments, no trailing commas, strings valid
/// UTF-8, duplicate keys rejected; a leading UTF-8 byte order mark is skipped). Lone UTF-16
/// surrogates in \u escapes become U+FFFD. Throws ParseError; never crashes on any input.
Value parse(std::string_view text, const ParseOptions& options = {});
/// Reads `in` to its end (at most options.max_bytes) and parses it. Throws ParseError, also
/// for a stream that fails while reading.
Value parse(std::istream& in, const ParseOptions& options = {});

}  // namespace fc::json
