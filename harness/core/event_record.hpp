#pragma once
// One line of the reference server's event log (servers/reference/README.md "Event log"):
// the type both halves of the format share. The server writes lines with to_event_line
// (servers/reference/event_log.cpp); the <log-expect>/<log-order> checks and the tests read
// them with parse_event_line (harness/engine/event_log_check.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fc {

/// The fields every line starts with, in this order.
inline constexpr std::string_view kEventTimeField = "t";           ///< seconds since start
inline constexpr std::string_view kEventSessionField = "session";  ///< 0: the server itself
inline constexpr std::string_view kEventNameField = "event";       ///< "connect", "tls", ...

/// A field's value: what the server writes (strings, integers, booleans, and `t`).
using EventValue = std::variant<std::string, std::int64_t, double, bool>;

/// One field of a line.
struct LogField {
    std::string name;
    EventValue value;
};

/// One event: its fields in line order.
struct EventRecord {
    std::vector<LogField> fields;

    /// A record as the reference server starts each line: `t` (rounded to milliseconds),
    /// `session`, `event`.
    static EventRecord start(double t, int session, std::string_view event);
    /// Appends a field; returns *this for chaining.
    EventRecord& str(std::string_view name, std::string_view value);
    EventRecord& num(std::string_view name, std::int64_t value);
    EventRecord& flag(std::string_view name, bool value);

    /// The first field called `name`, or nullptr.
    const EventValue* find(std::string_view name) const;
};

/// A value as text, for matching and messages: strings as they are; integers in decimal;
/// true/false; other numbers as JSON writes them (shortest text, "0.01").
std::string event_value_text(const EventValue& value);

/// The record as one line of JSON, newline-terminated. Strings are made valid UTF-8 (ill-formed
/// sequences become U+FFFD) and control characters escaped, so the line never breaks.
std::string to_event_line(const EventRecord& record);

/// The record of one line; nullopt when the line is not exactly one JSON object (e.g. the
/// last line, cut by a killed server). Values other than strings, numbers and booleans
/// (null, arrays, objects) are kept as strings holding their JSON text.
std::optional<EventRecord> parse_event_line(std::string_view line);

}  // namespace fc
