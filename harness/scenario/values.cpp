#include "harness/scenario/values.hpp"

#include <cctype>
#include <charconv>
#include <regex>

#include <arpa/inet.h>

#include "harness/core/text.hpp"

namespace fc {

namespace {
bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    long long scale = 0;
    if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
        scale = 1;
        text.remove_suffix(2);
    } else if (text.size() > 1 && text.back() == 's') {
        scale = 1000;
        text.remove_suffix(1);
    } else {
        return std::nullopt;
    }
    std::size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
    if (whole.empty() || whole.size() > 9 || (dot != std::string_view::npos && frac.empty())) {
        return std::nullopt;
    }
    for (char c : whole) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
    }
    for (char c : frac) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
    }
    long long ms = std::stoll(std::string(whole)) * scale;
    // Fractions below a millisecond are dropped ("2.5s" = 2500ms, "1.5ms" = 1ms).
    long long unit = scale;
    for (char c : frac) {
        unit /= 10;
        ms += (c - '0') * unit;
    }
    if (ms <= 0) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
}

bool is_valid_code_pattern(std::string_view p) {
    if (p.size() != 3 || !is_digit(p[0])) {
        return false;
    }
    if (is_digit(p[1])) {
        return is_digit(p[2]) || p[2] == 'x';
    }
    return p[1] == 'x' && p[2] == 'x';
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) {
            ++i;
        }
        std::size_t start = i;
        while (i < text.size() && !is_space(text[i])) {
            ++i;
        }
        if (i > start) {
            out.emplace_back(text.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string> split_fields(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t at = text.find(separator, start);
        out.emplace_back(text.substr(start, at - start));
        if (at == std::string_view::npos) {
            return out;
        }
        start = at + 1;
    }
}

std::vector<std::string> split_alternatives(std::string_view text) {
    std::vector<std::string> out = split_fields(text, '|');
    for (std::string& alternative : out) {
        alternative = trim(alternative);
    }
    return out;
}

std::string collapse_whitespace(std::string_view text) {
    return join(split_words(text), " ");
}

std::optional<std::string> regex_error(const std::string& pattern) {
    try {
        std::regex re(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

std::vector<std::string> variable_problems(std::string_view text,
                                           std::span<const std::string_view> allowed,
                                           std::string_view noun) {
    std::vector<std::string> out;
    auto list = [&] { return join(allowed, ", "); };
    for (std::size_t at = text.find("${"); at != std::string_view::npos;
         at = text.find("${", at + 2)) {
        std::size_t close = text.find('}', at + 2);
        if (close == std::string_view::npos) {
            out.push_back("unterminated '${' (write ${name})");
            break;
        }
        std::string_view name = text.substr(at + 2, close - at - 2);
        bool known = false;
        for (auto a : allowed) {
            known = known || a == name;
        }
        if (!known) {
            std::string best = closest_match(name, allowed);
            std::string hint =
                best.empty() ? "(known: " + list() + ")" : "(did you mean '${" + best + "}'?)";
            out.push_back(std::string(noun) + " '${" + std::string(name) + "}' " + hint);
        }
    }
    return out;
}

std::optional<unsigned> parse_mode(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    unsigned mode = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
    if (ec != std::errc() || end != text.data() + text.size() || mode > 07777) {
        return std::nullopt;
    }
    return mode;
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "true" || text == "1") {
        return true;
    }
    if (text == "false" || text == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t scale = 1;
    if (!text.empty() && (text.back() == 'k' || text.back() == 'M')) {
        scale = text.back() == 'k' ? 1024 : 1024 * 1024;
        text.remove_suffix(1);
    }
    if (text.empty() || text.size() > 10) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n > kMaxSize / scale) {
        return std::nullopt;
    }
    return n * scale;
}

std::string decode_escapes(std::string_view text, std::vector<EscapeProblem>& problems) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 1 == text.size()) {
            problems.push_back({i, "lone '\\' at the end (write \\\\ for a backslash)"});
            break;
        }
        char c = text[i + 1];
        switch (c) {
            case 'r': out += '\r'; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case '\\': out += '\\'; break;
            case 'x': {
                int hi = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
                int lo = i + 3 < text.size() ? hex_value(text[i + 3]) : -1;
                if (hi < 0 || lo < 0) {
                    problems.push_back({i, "bad escape: \\x needs two hex digits, as in \\x0d"});
                    ++i;
                    continue;
                }
                out += static_cast<char>(hi * 16 + lo);
                i += 3;
                continue;
            }
            default:
                problems.push_back(
                    {i, "bad escape '\\" +
                            (static_cast<unsigned char>(c) < 0x80 ? std::string(1, c)
                                                                  : std::string("<non-ASCII>")) +
                            "' (use \\r \\n \\t \\\\ or \\xNN)"});
        }
        ++i;
    }
    return out;
}

bool is_loopback_literal(const std::string& address) {
    unsigned char bytes[16] = {};
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
        return bytes[0] == 127;
    }
    if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
        for (int i = 0; i < 15; ++i) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[15] == 1;
    }
    return false;
}

}  // namespace fc
