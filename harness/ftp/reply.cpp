#include "harness/ftp/reply.hpp"

#include <cstdio>

namespace fc {

std::string Reply::text() const {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) {
            out += '\n';
        }
        out += lines[i];
    }
    return out;
}

void ReplyParser::feed(std::string_view bytes) {
    if (failed()) {
        return;
    }
    pending_.append(bytes);
    parse_lines();
}

std::optional<Reply> ReplyParser::next() {
    if (complete_.empty()) {
        return std::nullopt;
    }
    Reply reply = std::move(complete_.front());
    complete_.erase(complete_.begin());
    return reply;
}

std::size_t ReplyParser::buffered() const {
    // Complete replies not yet taken count too: bytes a peer smuggled in behind a 234
    // may already form whole replies.
    std::size_t queued = 0;
    for (const Reply& r : complete_) {
        for (const auto& line : r.lines) {
            queued += line.size() + 2;
        }
    }
    return pending_.size() + partial_bytes_ + queued;
}

void ReplyParser::parse_lines() {
    std::size_t start = 0;
    while (!failed()) {
        std::size_t lf = pending_.find('\n', start);
        if (lf == std::string::npos) {
            break;
        }
        std::size_t end = lf;
        if (end > start && pending_[end - 1] == '\r') {
            --end;
        } else {
            saw_bare_lf_ = true;
        }
        if (end - start > limits_.max_line) {
            fail("reply line longer than " + std::to_string(limits_.max_line) + " bytes");
            break;
        }
        take_line(pending_.substr(start, end - start));
        start = lf + 1;
    }
    pending_.erase(0, start);
    if (!failed() && pending_.size() > limits_.max_line) {
        fail("reply line longer than " + std::to_string(limits_.max_line) +
             " bytes without a line ending");
    }
}

namespace {

// A reply code is three digits, the first 1-6 (RFC 959 uses 1-5; RFC 2228 adds 6yz).
bool parse_code(std::string_view line, int& code) {
    if (line.size() < 3) {
        return false;
    }
    if (line[0] < '1' || line[0] > '6' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
        line[2] > '9') {
        return false;
    }
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    return true;
}

}  // namespace

void ReplyParser::take_line(std::string line) {
    if (partial_) {
        // Inside a multi-line reply any line is text; "ddd " or a bare "ddd" ends it.
        partial_bytes_ += line.size() + 2;
        if (partial_bytes_ > limits_.max_reply || partial_->lines.size() >= limits_.max_lines) {
            fail("multi-line reply " + std::to_string(partial_->code) + " exceeds " +
                 std::to_string(limits_.max_reply) + " bytes or " +
                 std::to_string(limits_.max_lines) + " lines");
            return;
        }
        int code = 0;
        bool ends = parse_code(line, code) && code == partial_->code &&
                    (line.size() == 3 || line[3] == ' ');
        partial_->lines.push_back(std::move(line));
        if (ends) {
            complete_.push_back(std::move(*partial_));
            partial_.reset();
            partial_bytes_ = 0;
        }
        return;
    }
    int code = 0;
    if (!parse_code(line, code)) {
        fail("reply line does not start with a 3-digit code: \"" + printable(line) + "\"");
        return;
    }
    if (line.size() == 3 || line[3] == ' ') {
        complete_.push_back(Reply{code, {std::move(line)}});
        return;
    }
    if (line[3] == '-') {
        partial_bytes_ = line.size() + 2;
        partial_ = Reply{code, {std::move(line)}};
        return;
    }
    fail("reply code not followed by a space or '-': \"" + printable(line) + "\"");
}

void ReplyParser::fail(std::string message) {
    if (error_.empty()) {
        error_ = std::move(message);
    }
}

std::string printable(std::string_view raw, std::size_t max) {
    std::string out;
    std::size_t i = 0;
    while (i < raw.size() && out.size() < max) {
        auto c = static_cast<unsigned char>(raw[i]);
        // Accept well-formed multi-byte UTF-8 sequences as they are.
        std::size_t len = c >= 0xF0 && c <= 0xF4  ? 4
                          : c >= 0xE0             ? 3
                          : c >= 0xC2 && c < 0xE0 ? 2
                                                  : 1;
        bool valid = len > 1 && i + len <= raw.size();
        for (std::size_t k = 1; valid && k < len; ++k) {
            valid = (static_cast<unsigned char>(raw[i + k]) & 0xC0) == 0x80;
        }
        if (c >= 0x80 && valid) {
            out.append(raw.substr(i, len));
            i += len;
            continue;
        }
        if (c < 0x20 || c >= 0x7F) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    if (i < raw.size()) {
        out += "...";
    }
    return out;
}

}  // namespace fc
