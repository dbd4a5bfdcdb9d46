#include "harness/core/text_sanitize.hpp"

namespace fc {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

struct Decoded {
    char32_t code_point = kReplacement;
    std::size_t length = 1;  ///< bytes consumed; for an ill-formed sequence its maximal subpart
    bool valid = false;
};

// Decodes the sequence starting at text[i] (i < text.size()) per Unicode table 3-7. An
// ill-formed sequence consumes its maximal subpart: the lead byte and the continuation bytes
// that were still acceptable, so the next decode restarts at the first offending byte.
Decoded decode(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned lead = byte(0);
    if (lead < 0x80) {
        return {lead, 1, true};
    }
    std::size_t continuation = 0;
    char32_t code_point = 0;
    unsigned low = 0x80;  // bounds of the first continuation byte
    unsigned high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation = 1;
        code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuation = 2;
        code_point = lead & 0x0F;
        low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlongs
        high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuation = 3;
        code_point = lead & 0x07;
        low = lead == 0xF0 ? 0x90 : 0x80;   // no overlongs
        high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    } else {
        return {};
    }
    for (std::size_t k = 1; k <= continuation; ++k) {
        if (i + k >= text.size()) {
            return {kReplacement, k, false};
        }
        const unsigned c = byte(k);
        if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) {
            return {kReplacement, k, false};
        }
        code_point = (code_point << 6) | (c & 0x3F);
    }
    return {code_point, continuation + 1, true};
}

void append_hex(std::string& out, const char* prefix, char32_t value, int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += prefix;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
        out += kHex[(value >> shift) & 0xF];
    }
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

std::size_t valid_utf8_prefix(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        Decoded d = decode(text, i);
        if (!d.valid) {
            return i;
        }
        i += d.length;
    }
    return i;
}

bool is_valid_utf8(std::string_view text) {
    return valid_utf8_prefix(text) == text.size();
}

void append_utf8(std::string& out, char32_t cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        cp = kReplacement;
    }
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string to_valid_utf8(std::string_view text) {
    std::size_t prefix = valid_utf8_prefix(text);
    if (prefix == text.size()) {
        return std::string(text);
    }
    std::string out(text.substr(0, prefix));
    for (std::size_t i = prefix; i < text.size();) {
        Decoded d = decode(text, i);
        if (d.valid) {
            out.append(text, i, d.length);
        } else {
            append_utf8(out, kReplacement);
        }
        i += d.length;
    }
    return out;
}

std::string visible_controls(std::string_view raw, LineBreaks line_breaks) {
    const std::string text = to_valid_utf8(raw);
    const bool keep = line_breaks == LineBreaks::keep;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        Decoded d = decode(text, i);
        const char32_t cp = d.code_point;
        const bool crlf = cp == '\r' && i + 1 < text.size() && text[i + 1] == '\n';
        if (cp == '\t' || (keep && cp == '\n')) {
            out += static_cast<char>(cp);
        } else if (keep && crlf) {
            // Dropped: the LF that follows keeps the line break.
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp < 0x20 || cp == 0x7F) {
            append_hex(out, "\\x", cp, 2);
        } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
            // C1 controls include CSI (U+009B), a terminal escape of its own.
            append_hex(out, "\\u", cp, 4);
        } else {
            out.append(text, i, d.length);
        }
        i += d.length;
    }
    return out;
}

std::string one_line(std::string_view text) {
    std::string collapsed;
    collapsed.reserve(text.size());
    bool pending_space = false;
    for (char c : text) {
        if (is_space(c)) {
            pending_space = !collapsed.empty();
            continue;
        }
        if (pending_space) {
            collapsed += ' ';
            pending_space = false;
        }
        collapsed += c;
    }
    return visible_controls(collapsed, LineBreaks::escape);
}

std::string xml_text(std::string_view text) {
    std::string out;
    for (char c : visible_controls(text, LineBreaks::keep)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            default: out += c; break;
        }
    }
    return out;
}

std::string xml_attribute(std::string_view text) {
    std::string out;
    for (char c : visible_controls(text, LineBreaks::keep)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\t': out += "&#9;"; break;
            case '\n': out += "&#10;"; break;
            default: out += c; break;
        }
    }
    return out;
}

}  // namespace fc
