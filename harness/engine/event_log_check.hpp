#pragma once
// The reference server's JSON-lines event log (servers/reference/README.md "Event log")
// and the <log-expect> / <log-order> checks of client-side scenarios.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/scenario.hpp"

namespace fc {

/// One event: every top-level field of its line (harness/core/event_record.hpp), each value
/// as event_value_text() renders it (strings unescaped; numbers and booleans as JSON writes
/// them; null, objects and arrays as their JSON text).
struct Event {
    std::size_t line = 0;  ///< 1-based line in the log
    std::map<std::string, std::string, std::less<>> fields;
    std::string name() const;  ///< the "event" field
};

/// Every event of a log's text. A line that is not a JSON object (e.g. the last one,
/// cut by a killed server) is skipped and counted in `*bad_lines` when given.
std::vector<Event> parse_event_log(std::string_view text, std::size_t* bad_lines = nullptr);

/// True when the event has the pattern's name and every field=value of it.
bool event_matches(const Event& event, const EventPattern& pattern);

/// The verdict of one log step: holds, or what was expected and what the log shows.
struct LogVerdict {
    bool holds = true;
    std::string expected;
    std::string observed;
};

LogVerdict check_log_expect(const std::vector<Event>& events, const LogExpectStep& step);
LogVerdict check_log_order(const std::vector<Event>& events, const LogOrderStep& step);

}  // namespace fc
