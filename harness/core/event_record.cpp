#include "harness/core/event_record.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "harness/core/json_util.hpp"

namespace fc {

EventRecord EventRecord::start(double t, int session, std::string_view event) {
    EventRecord r;
    r.fields.push_back({std::string(kEventTimeField), std::round(t * 1000.0) / 1000.0});
    r.num(kEventSessionField, session);
    return r.str(kEventNameField, event);
}

EventRecord& EventRecord::str(std::string_view name, std::string_view value) {
    fields.push_back({std::string(name), std::string(value)});
    return *this;
}

EventRecord& EventRecord::num(std::string_view name, std::int64_t value) {
    fields.push_back({std::string(name), value});
    return *this;
}

EventRecord& EventRecord::flag(std::string_view name, bool value) {
    fields.push_back({std::string(name), value});
    return *this;
}

const EventValue* EventRecord::find(std::string_view name) const {
    for (const auto& f : fields) {
        if (f.name == name) {
            return &f.value;
        }
    }
    return nullptr;
}

namespace {

json::Value to_json(const EventValue& value) {
    return std::visit([](const auto& v) { return json::Value(v); }, value);
}

EventValue from_json(const json::Value& v) {
    switch (v.type()) {
        case json::Value::value_t::string: return v.get<std::string>();
        case json::Value::value_t::boolean: return v.get<bool>();
        case json::Value::value_t::number_integer: return v.get<std::int64_t>();
        case json::Value::value_t::number_unsigned:
            if (v.get<std::uint64_t>() <=
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return static_cast<std::int64_t>(v.get<std::uint64_t>());
            }
            return v.get<double>();
        case json::Value::value_t::number_float: return v.get<double>();
        default: return json::dump(v);
    }
}

}  // namespace

std::string event_value_text(const EventValue& value) {
    if (const auto* s = std::get_if<std::string>(&value)) {
        return *s;
    }
    return json::dump(to_json(value));
}

std::string to_event_line(const EventRecord& record) {
    json::Value line = json::Value::object();
    for (const auto& f : record.fields) {
        line[f.name] = to_json(f.value);
    }
    return json::dump(line) + "\n";
}

std::optional<EventRecord> parse_event_line(std::string_view line) {
    json::Value v;
    try {
        v = json::parse(line);
    } catch (const json::ParseError&) {
        return std::nullopt;
    }
    if (!v.is_object()) {
        return std::nullopt;
    }
    EventRecord r;
    for (const auto& [name, value] : v.items()) {
        r.fields.push_back({name, from_json(value)});
    }
    return r;
}

}  // namespace fc
