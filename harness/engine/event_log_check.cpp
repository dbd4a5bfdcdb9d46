#include "harness/engine/event_log_check.hpp"

#include <cctype>

namespace fc {

namespace {

// A small reader for the flat objects the reference server writes: enough JSON to split
// one object into fields, nothing more.
class JsonReader {
public:
    explicit JsonReader(std::string_view text) : text_(text) {}

    std::optional<std::map<std::string, std::string, std::less<>>> object() {
        std::map<std::string, std::string, std::less<>> out;
        skip_space();
        if (!eat('{')) {
            return std::nullopt;
        }
        skip_space();
        if (eat('}')) {
            return finish(out);
        }
        while (true) {
            skip_space();
            auto key = string();
            skip_space();
            if (!key || !eat(':')) {
                return std::nullopt;
            }
            skip_space();
            auto v = value();
            if (!v) {
                return std::nullopt;
            }
            out[*key] = *v;
            skip_space();
            if (eat('}')) {
                return finish(out);
            }
            if (!eat(',')) {
                return std::nullopt;
            }
        }
    }

private:
    std::optional<std::map<std::string, std::string, std::less<>>> finish(
        std::map<std::string, std::string, std::less<>>& out) {
        skip_space();
        if (pos_ != text_.size()) {
            return std::nullopt;
        }
        return std::move(out);
    }

    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
            ++pos_;
        }
    }
    bool eat(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    std::optional<std::string> string() {
        if (!eat('"')) {
            return std::nullopt;
        }
        std::string out;
        while (pos_ < text_.size()) {
            char c = text_[pos_++];
            if (c == '"') {
                return out;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size()) {
                return std::nullopt;
            }
            char e = text_[pos_++];
            switch (e) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': {
                    if (pos_ + 4 > text_.size()) {
                        return std::nullopt;
                    }
                    unsigned cp = 0;
                    for (int i = 0; i < 4; ++i) {
                        char h = text_[pos_++];
                        if (!std::isxdigit(static_cast<unsigned char>(h))) {
                            return std::nullopt;
                        }
                        cp = cp * 16 + static_cast<unsigned>(
                                           std::isdigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: out += e; break;  // \" \\ \/
            }
        }
        return std::nullopt;
    }

    // A nested object or array, kept as its text.
    std::optional<std::string> nested() {
        std::size_t start = pos_;
        int depth = 0;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '"') {
                if (!string()) {
                    return std::nullopt;
                }
                continue;
            }
            ++pos_;
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    return std::string(text_.substr(start, pos_ - start));
                }
            }
        }
        return std::nullopt;
    }

    std::optional<std::string> value() {
        if (pos_ >= text_.size()) {
            return std::nullopt;
        }
        char c = text_[pos_];
        if (c == '"') {
            return string();
        }
        if (c == '{' || c == '[') {
            return nested();
        }
        std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
               !std::isspace(static_cast<unsigned char>(text_[pos_]))) {
            ++pos_;
        }
        if (pos_ == start) {
            return std::nullopt;
        }
        return std::string(text_.substr(start, pos_ - start));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

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
        if (k != "t" && k != "session") {
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
    auto it = fields.find("event");
    return it == fields.end() ? "" : it->second;
}

std::optional<std::map<std::string, std::string, std::less<>>> parse_json_object(
    std::string_view text) {
    return JsonReader(text).object();
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
        if (auto fields = parse_json_object(line)) {
            out.push_back({line_no, std::move(*fields)});
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
        std::string require;
        for (const auto& f : step.require) {
            require += (require.empty() ? "" : " ") + f.name + "=" + f.value;
        }
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
