#include "reports/json.hpp"

#include <charconv>
#include <cmath>

#include "reports/text_sanitize.hpp"

namespace fc::json {

Value& Object::set(std::string key, Value value) {
    if (Value* existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    members_.emplace_back(std::move(key), std::move(value));
    return members_.back().second;
}

const Value* Object::find(std::string_view key) const {
    for (const auto& [name, value] : members_) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

Value* Object::find(std::string_view key) {
    return const_cast<Value*>(std::as_const(*this).find(key));
}

bool operator==(const Object& a, const Object& b) {
    return a.members_ == b.members_;
}

std::string_view type_name(Value::Type type) {
    switch (type) {
        case Value::Type::null: return "null";
        case Value::Type::boolean: return "a boolean";
        case Value::Type::number: return "a number";
        case Value::Type::string: return "a string";
        case Value::Type::array: return "an array";
        case Value::Type::object: return "an object";
    }
    return "a value";
}

// ---- writer ----

namespace {

void write_string(std::string_view raw, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::string text = to_valid_utf8(raw);
    out += '"';
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

void write_number(double d, std::string& out) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    // Shortest text that reads back as the same double, independent of the locale.
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
    out.append(buffer, result.ptr);
}

class Writer {
public:
    Writer(std::string& out, int indent) : out_(out), indent_(indent) {}

    void value(const Value& v, int level) {
        switch (v.type()) {
            case Value::Type::null: out_ += "null"; break;
            case Value::Type::boolean: out_ += *v.if_bool() ? "true" : "false"; break;
            case Value::Type::number: write_number(*v.if_number(), out_); break;
            case Value::Type::string: write_string(*v.if_string(), out_); break;
            case Value::Type::array: array(*v.if_array(), level); break;
            case Value::Type::object: object(*v.if_object(), level); break;
        }
    }

private:
    void array(const Array& a, int level) {
        out_ += '[';
        for (std::size_t i = 0; i < a.size(); ++i) {
            out_ += i == 0 ? "" : ",";
            newline(level + 1);
            value(a[i], level + 1);
        }
        if (!a.empty()) {
            newline(level);
        }
        out_ += ']';
    }

    void object(const Object& o, int level) {
        out_ += '{';
        bool first = true;
        for (const auto& [key, member] : o.members()) {
            out_ += first ? "" : ",";
            first = false;
            newline(level + 1);
            write_string(key, out_);
            out_ += indent_ > 0 ? ": " : ":";
            value(member, level + 1);
        }
        if (!o.empty()) {
            newline(level);
        }
        out_ += '}';
    }

    void newline(int level) {
        if (indent_ > 0) {
            out_ += '\n';
            out_.append(static_cast<std::size_t>(indent_) * static_cast<std::size_t>(level), ' ');
        }
    }

    std::string& out_;
    int indent_;
};

}  // namespace

std::string to_text(const Value& value, const WriteOptions& options) {
    std::string out;
    Writer(out, options.indent).value(value, 0);
    return out;
}

void write(const Value& value, std::ostream& out, const WriteOptions& options) {
    const std::string text = to_text(value, options);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace fc::json
