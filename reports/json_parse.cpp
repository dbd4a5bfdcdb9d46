// The JSON parser of reports/json.hpp: strict RFC 8259, bounded, with positions for messages.
#include <charconv>
#include <cmath>
#include <string>
#include <unordered_set>

#include "reports/json.hpp"
#include "reports/text_sanitize.hpp"

namespace fc::json {

ParseError::ParseError(Position position, const std::string& message)
    : std::runtime_error(std::to_string(position.line) + ":" + std::to_string(position.column) +
                         ": " + message),
      position_(position),
      message_(message) {}

namespace {

// A fragment of the input for an error message: one line, bounded, no terminal escapes.
std::string quoted(std::string_view text) {
    constexpr std::size_t kMax = 40;
    std::string shown = one_line(text.substr(0, kMax));
    return "\"" + shown + (text.size() > kMax ? "...\"" : "\"");
}

std::string describe_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F) {
        return std::string("'") + c + "'";
    }
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xF];
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Line and column of byte offsets, computed incrementally: the parser asks for positions in
// increasing order, so each byte is scanned once.
class PositionTracker {
public:
    explicit PositionTracker(std::string_view text) : text_(text) {}

    Position at(std::size_t offset) {
        if (offset < offset_) {
            offset_ = 0;
            current_ = {1, 1};
        }
        for (; offset_ < offset && offset_ < text_.size(); ++offset_) {
            const auto c = static_cast<unsigned char>(text_[offset_]);
            if (c == '\n') {
                ++current_.line;
                current_.column = 1;
            } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
                ++current_.column;
            }
        }
        return current_;
    }

private:
    std::string_view text_;
    std::size_t offset_ = 0;
    Position current_{1, 1};
};

class Parser {
public:
    Parser(std::string_view text, const ParseOptions& options)
        : text_(text), options_(options), positions_(text) {}

    Value document() {
        if (text_.size() > options_.max_bytes) {
            fail(options_.max_bytes, "input is larger than the limit of " +
                                         std::to_string(options_.max_bytes) + " bytes");
        }
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
            pos_ = 3;
        }
        skip_whitespace();
        Value v = value();
        skip_whitespace();
        if (pos_ < text_.size()) {
            fail(pos_, "unexpected " + describe_byte(text_[pos_]) + " after the JSON value");
        }
        return v;
    }

private:
    [[noreturn]] void fail(std::size_t offset, const std::string& message) {
        throw ParseError(positions_.at(offset), message);
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return text_[pos_]; }

    void skip_whitespace() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++pos_;
        }
    }

    void expect(char c, const char* what) {
        skip_whitespace();
        if (at_end()) {
            fail(pos_, std::string("unexpected end of input, expected ") + what);
        }
        if (peek() != c) {
            fail(pos_, "expected " + std::string(what) + ", found " + describe_byte(peek()));
        }
        ++pos_;
    }

    Value value() {
        if (at_end()) {
            fail(pos_, "unexpected end of input, expected a value");
        }
        const std::size_t start = pos_;
        Value v;
        switch (peek()) {
            case '{': v = nested(&Parser::object); break;
            case '[': v = nested(&Parser::array); break;
            case '"': v = string_value(); break;
            case 't': v = literal("true", true); break;
            case 'f': v = literal("false", false); break;
            case 'n': v = literal("null", nullptr); break;
            default:
                if (peek() == '-' || is_digit(peek())) {
                    v = number();
                } else {
                    fail(pos_, "unexpected " + describe_byte(peek()) + ", expected a value");
                }
        }
        v.set_position(positions_.at(start));
        return v;
    }

    Value nested(Value (Parser::*parse)()) {
        if (depth_ >= options_.max_depth) {
            fail(pos_, "nesting deeper than " + std::to_string(options_.max_depth) + " levels");
        }
        ++depth_;
        Value v = (this->*parse)();
        --depth_;
        return v;
    }

    Value literal(std::string_view word, Value v) {
        if (text_.substr(pos_, word.size()) != word) {
            fail(pos_, "unexpected " + describe_byte(peek()) + ", expected a value");
        }
        pos_ += word.size();
        return v;
    }

    Value object() {
        ++pos_;  // '{'
        Object o;
        std::unordered_set<std::string> keys;  // a hostile file may hold many members
        skip_whitespace();
        if (!at_end() && peek() == '}') {
            ++pos_;
            return o;
        }
        for (;;) {
            skip_whitespace();
            if (at_end() || peek() != '"') {
                const bool trailing = !at_end() && peek() == '}' && !o.empty();
                fail(pos_, trailing   ? "trailing comma before '}'"
                           : at_end() ? "unexpected end of input, expected a key"
                                      : "expected a string key, found " + describe_byte(peek()));
            }
            const std::size_t key_start = pos_;
            std::string key = string_value();
            if (!keys.insert(key).second) {
                fail(key_start, "duplicate key " + quoted(key));
            }
            expect(':', "':'");
            skip_whitespace();
            Value v = value();
            o.set(std::move(key), std::move(v));
            skip_whitespace();
            if (!at_end() && peek() == ',') {
                ++pos_;
                continue;
            }
            expect('}', "',' or '}'");
            return o;
        }
    }

    Value array() {
        ++pos_;  // '['
        Array a;
        skip_whitespace();
        if (!at_end() && peek() == ']') {
            ++pos_;
            return a;
        }
        for (;;) {
            skip_whitespace();
            if (!at_end() && peek() == ']') {
                fail(pos_, "trailing comma before ']'");
            }
            a.push_back(value());
            skip_whitespace();
            if (!at_end() && peek() == ',') {
                ++pos_;
                continue;
            }
            expect(']', "',' or ']'");
            return a;
        }
    }

    std::string string_value() {
        const std::size_t start = pos_;
        ++pos_;  // '"'
        std::string out;
        for (;;) {
            if (at_end()) {
                fail(start, "unterminated string");
            }
            const char c = peek();
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == '\\') {
                escape(out);
            } else if (static_cast<unsigned char>(c) < 0x20) {
                fail(pos_, "control character " + describe_byte(c) + " in a string (escape it)");
            } else {
                raw_run(out);
            }
        }
    }

    // Copies bytes up to the next quote, backslash or control character, checking UTF-8.
    void raw_run(std::string& out) {
        std::size_t end = pos_;
        while (end < text_.size() && text_[end] != '"' && text_[end] != '\\' &&
               static_cast<unsigned char>(text_[end]) >= 0x20) {
            ++end;
        }
        std::string_view run = text_.substr(pos_, end - pos_);
        const std::size_t valid = valid_utf8_prefix(run);
        if (valid != run.size()) {
            fail(pos_ + valid, "invalid UTF-8 in a string");
        }
        out += run;
        pos_ = end;
    }

    void escape(std::string& out) {
        const std::size_t start = pos_;
        if (pos_ + 1 >= text_.size()) {
            fail(start, "unterminated escape");
        }
        const char c = text_[pos_ + 1];
        pos_ += 2;
        switch (c) {
            case '"': out += '"'; return;
            case '\\': out += '\\'; return;
            case '/': out += '/'; return;
            case 'b': out += '\b'; return;
            case 'f': out += '\f'; return;
            case 'n': out += '\n'; return;
            case 'r': out += '\r'; return;
            case 't': out += '\t'; return;
            case 'u': break;
            default: fail(start, "invalid escape \\" + one_line(std::string(1, c)));
        }
        char32_t cp = hex4(start);
        if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const std::size_t low_start = pos_;
            const std::size_t saved = pos_;
            pos_ += 2;
            const char32_t low = hex4(low_start);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
                pos_ = saved;  // not a pair: the next escape stands on its own
            }
        }
        append_utf8(out, cp);  // a lone surrogate becomes U+FFFD
    }

    char32_t hex4(std::size_t escape_start) {
        char32_t cp = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            const int digit = at_end() ? -1 : hex_value(peek());
            if (digit < 0) {
                fail(escape_start, "\\u must be followed by four hex digits");
            }
            cp = (cp << 4) | static_cast<char32_t>(digit);
        }
        return cp;
    }

    Value number() {
        const std::size_t start = pos_;
        if (peek() == '-') {
            ++pos_;
        }
        if (at_end() || !is_digit(peek())) {
            fail(pos_, "expected a digit");
        }
        if (peek() == '0' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
            fail(pos_, "leading zeros are not allowed in a number");
        }
        digits();
        if (!at_end() && peek() == '.') {
            ++pos_;
            if (at_end() || !is_digit(peek())) {
                fail(pos_, "expected a digit after '.'");
            }
            digits();
        }
        if (!at_end() && (peek() == 'e' || peek() == 'E')) {
            ++pos_;
            if (!at_end() && (peek() == '+' || peek() == '-')) {
                ++pos_;
            }
            if (at_end() || !is_digit(peek())) {
                fail(pos_, "expected a digit in the exponent");
            }
            digits();
        }
        double d = 0.0;
        auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, d);
        if (ec != std::errc() || ptr != text_.data() + pos_ || !std::isfinite(d)) {
            fail(start, "number out of range");
        }
        return d;
    }

    void digits() {
        while (!at_end() && is_digit(peek())) {
            ++pos_;
        }
    }

    std::string_view text_;
    const ParseOptions& options_;
    PositionTracker positions_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

Value parse(std::string_view text, const ParseOptions& options) {
    return Parser(text, options).document();
}

Value parse(std::istream& in, const ParseOptions& options) {
    std::string text;
    char buffer[1 << 16];
    while (in && text.size() <= options.max_bytes) {
        in.read(buffer, sizeof buffer);
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        PositionTracker positions(text);
        throw ParseError(positions.at(text.size()), "cannot read the input");
    }
    // Oversized input is reported by the parser, at the offset where the limit was passed.
    return parse(text, options);
}

}  // namespace fc::json
