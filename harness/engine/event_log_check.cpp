#include "harness/engine/event_log_check.hpp"

#include "harness/core/event_record.hpp"
#include "harness/core/text.hpp"

namespace fc {

namespace {

bool fields_match(const Event& event, const std::vector<EventField>& fields) {
    for (const auto& f : fields) {
        auto it = event.fields.find(f.name);
        if (it == event.fields.end() || it->second != f.value) {
            return false;
        }
    }
    return true;
}

std::string describe(const Event& e) {
    std::string out = "line " + std::to_string(e.line) + ":";
    for (const auto& [k, v] : e.fields) {
        if (k != kEventTimeField && k != kEventSessionField) {
            out += " " + k + "=" + v;
        }
    }
    return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

std::string count_text(const LogExpectStep& step) {
    return std::to_string(step.count) + (step.at_least ? " or more" : "");
}

}  // namespace

std::string Event::name() const {
    auto it = fields.find(kEventNameField);
    return it == fields.end() ? "" : it->second;
}

std::vector<Event> parse_event_log(std::string_view text, std::size_t* bad_lines) {
    std::vector<Event> out;
    std::size_t line_no = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(start, end - start);
        ++line_no;
        start = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        if (auto record = parse_event_line(line)) {
            Event e{line_no, {}};
            for (const auto& f : record->fields) {
                e.fields.emplace(f.name, event_value_text(f.value));
            }
            out.push_back(std::move(e));
        } else if (bad_lines != nullptr) {
            ++*bad_lines;
        }
    }
    return out;
}

bool event_matches(const Event& event, const EventPattern& pattern) {
    return event.name() == pattern.event && fields_match(event, pattern.where);
}

LogVerdict check_log_expect(const std::vector<Event>& events, const LogExpectStep& step) {
    LogVerdict v;
    std::uint64_t selected = 0;
    const Event* bad = nullptr;
    for (const Event& e : events) {
        if (!event_matches(e, step.select)) {
            continue;
        }
        ++selected;
        if (bad == nullptr && !fields_match(e, step.require)) {
            bad = &e;
        }
    }
    std::string what = "event " + step.select.describe();
    bool count_ok = step.at_least ? selected >= step.count : selected == step.count;
    if (!count_ok) {
        v.holds = false;
        v.expected = count_text(step) + " " + what;
        v.observed =
            std::to_string(selected) + " such event(s) among " + std::to_string(events.size());
        return v;
    }
    if (bad != nullptr) {
        const std::string require =
            join(step.require, " ", [](const EventField& f) { return f.name + "=" + f.value; });
        v.holds = false;
        v.expected = "every " + what + " to have " + require;
        v.observed = describe(*bad);
    }
    return v;
}

LogVerdict check_log_order(const std::vector<Event>& events, const LogOrderStep& step) {
    LogVerdict v;
    const Event* first = nullptr;
    const Event* then = nullptr;
    for (const Event& e : events) {
        if (first == nullptr && event_matches(e, step.first)) {
            first = &e;
        }
        if (then == nullptr && event_matches(e, step.then)) {
            then = &e;
        }
    }
    v.expected = "event " + step.then.describe() + " after event " + step.first.describe();
    if (step.optional) {
        v.expected += ", if there is one";
    }
    if (first == nullptr && step.optional) {
        return v;  // holds: nothing to order
    }
    if (first == nullptr || then == nullptr) {
        v.holds = false;
        v.observed = std::string("no event ") +
                     (first == nullptr ? step.first.describe() : step.then.describe()) +
                     " in the log";
    } else if (then->line <= first->line) {
        v.holds = false;
        v.observed = "the first " + step.then.describe() + " is on line " +
                     std::to_string(then->line) + ", the first " + step.first.describe() +
                     " on line " + std::to_string(first->line);
    }
    return v;
}

}  // namespace fc
