#include "harness/core/json_util.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <vector>

#include "harness/core/text_sanitize.hpp"

namespace fc::json {

namespace {

std::string located(Position p, const std::string& message) {
    if (p.line == 0) {
        return message;
    }
    return std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + message;
}

}  // namespace

ParseError::ParseError(Position position, const std::string& message)
    : std::runtime_error(located(position, message)), position_(position), message_(message) {}

Position position_of(std::string_view text, std::size_t offset) {
    Position p{1, 1};
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++p.line;
            p.column = 1;
        } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
            ++p.column;
        }
    }
    return p;
}

namespace {

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 2, column 36:
// syntax error while parsing ..."; the part after the position is the message. It may quote
// raw input ("last read: ..."), hence one_line().
std::string parse_message(const nlohmann::json::parse_error& e) {
    const std::string what = e.what();
    const std::size_t at = what.find("parse error");
    const std::size_t colon = at == std::string::npos ? at : what.find(": ", at);
    return one_line(colon == std::string::npos ? what : what.substr(colon + 2));
}

// The two rules nlohmann does not have, checked as the parser reports each token. The
// callback learns no position, so these errors carry none ({0, 0}); they name the key or
// the depth instead.
class Limits {
public:
    Limits(int max_depth) : max_depth_(max_depth) {}

    bool operator()(int depth, nlohmann::json::parse_event_t event, Value& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if ((event == Event::object_start || event == Event::array_start) && depth >= max_depth_) {
            throw ParseError({}, "nesting deeper than " + std::to_string(max_depth_) + " levels");
        }
        if (event == Event::object_start) {
            keys_.emplace_back();
        } else if (event == Event::object_end) {
            keys_.pop_back();
        } else if (event == Event::key && !keys_.back().insert(parsed.get<std::string>()).second) {
            throw ParseError({}, "duplicate key \"" + one_line(parsed.get<std::string>()) + "\"");
        }
        return true;
    }

private:
    int max_depth_;
    // The keys seen so far in each open object; a hostile file may hold many members.
    std::vector<std::unordered_set<std::string>> keys_;
};

}  // namespace

Value parse(std::string_view text, int max_depth) {
    Limits limits(max_depth);
    try {
        return Value::parse(text.begin(), text.end(), std::ref(limits));
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is 1-based and points at the last byte read: the offending one.
        throw ParseError(position_of(text, e.byte == 0 ? 0 : e.byte - 1), parse_message(e));
    } catch (const nlohmann::json::out_of_range& e) {
        // A number too large for a double (e.g. 1e999): nlohmann names the token only.
        std::string what = e.what();
        std::string token;
        if (auto open = what.find('\''); open != std::string::npos) {
            token = what.substr(open + 1, what.rfind('\'') - open - 1);
        }
        std::size_t at = token.empty() ? std::string_view::npos : text.find(token);
        throw ParseError(position_of(text, at == std::string_view::npos ? 0 : at),
                         "number out of range: " + one_line(token));
    }
}

std::string dump(const Value& value, int indent) {
    return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

Value number(double value) {
    constexpr double kExact = 9007199254740992.0;  // 2^53
    if (!std::isfinite(value)) {
        return nullptr;
    }
    if (value == std::floor(value) && std::fabs(value) < kExact) {
        return static_cast<std::int64_t>(value);
    }
    return value;
}

std::string_view type_name(const Value& value) {
    switch (value.type()) {
        case Value::value_t::null: return "null";
        case Value::value_t::boolean: return "a boolean";
        case Value::value_t::number_integer:
        case Value::value_t::number_unsigned:
        case Value::value_t::number_float: return "a number";
        case Value::value_t::string: return "a string";
        case Value::value_t::array: return "an array";
        case Value::value_t::object: return "an object";
        default: return "a value";
    }
}

}  // namespace fc::json
