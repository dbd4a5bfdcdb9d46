#include "servers/reference/command.hpp"

namespace fc::ref {
namespace {

constexpr unsigned char iac = 255;
constexpr unsigned char will_cmd = 251;  // WILL, WONT, DO, DONT (251..254) take an option byte
constexpr unsigned char dont_cmd = 254;

/// Removes Telnet IAC sequences (RFC 854): IAC IAC is a literal 0xFF data byte, IAC
/// WILL/WONT/DO/DONT drop three bytes, any other IAC x (IP, DM, ...) two; a lone IAC at the
/// end is dropped.
std::string strip_telnet(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    for (std::size_t i = 0; i < line.size(); ++i) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c != iac) {
            out.push_back(line[i]);
            continue;
        }
        if (i + 1 >= line.size()) {
            break;
        }
        auto cmd = static_cast<unsigned char>(line[i + 1]);
        if (cmd == iac) {
            out.push_back(line[i + 1]);
            ++i;
        } else if (cmd >= will_cmd && cmd <= dont_cmd) {
            i += 2;  // the option byte too (if any)
        } else {
            ++i;
        }
    }
    return out;
}

bool is_ascii_letter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

ParseResult refuse(int code, std::string message) {
    ParseResult r;
    r.code = code;
    r.message = std::move(message);
    return r;
}

}  // namespace

ParseResult parse_command(std::string_view raw, std::size_t max_arg) {
    std::string line = strip_telnet(raw);
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.empty()) {
        return refuse(500, "Syntax error: empty command line");
    }
    for (char c : line) {
        if (is_control(c)) {
            return refuse(500, "Syntax error: control character in command line");
        }
    }
    std::size_t verb_end = line.find(' ');
    std::string_view verb = std::string_view(line).substr(0, verb_end);
    if (verb.size() < 3 || verb.size() > 4) {
        return refuse(500, "Syntax error: command not recognized");
    }
    for (char c : verb) {
        if (!is_ascii_letter(c)) {
            return refuse(500, "Syntax error: command not recognized");
        }
    }
    std::string arg;
    if (verb_end != std::string::npos) {
        arg = line.substr(verb_end + 1);
    }
    if (arg.size() > max_arg) {
        return refuse(501, "Syntax error in parameters: argument too long");
    }
    Command command;
    command.verb.reserve(verb.size());
    for (char c : verb) {
        command.verb.push_back(c >= 'a' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    command.arg = std::move(arg);
    command.line = std::move(line);
    ParseResult r;
    r.command = std::move(command);
    return r;
}

void LineBuffer::feed(std::string_view bytes) {
    // Each line is kept to at most max_line_ + 2 bytes in the buffer: enough for next() to
    // see that it is too long even after a trailing CR is stripped. The rest of an overlong
    // line is dropped here, so memory stays bounded by what one feed() brings.
    const std::size_t cap = max_line_ + 2;
    while (!bytes.empty()) {
        std::size_t lf = bytes.find('\n');
        if (discarding_) {  // an overlong line already reported: drop it through its LF
            if (lf == std::string_view::npos) {
                return;
            }
            discarding_ = false;
            bytes.remove_prefix(lf + 1);
            continue;
        }
        std::string_view segment = bytes.substr(0, lf);  // without the LF
        std::size_t last_lf = buffer_.rfind('\n');
        std::size_t tail =
            last_lf == std::string::npos ? buffer_.size() : buffer_.size() - last_lf - 1;
        std::size_t room = tail >= cap ? 0 : cap - tail;
        buffer_.append(segment.substr(0, room));
        if (lf == std::string_view::npos) {
            return;
        }
        buffer_.push_back('\n');
        bytes.remove_prefix(lf + 1);
    }
}

LineBuffer::Status LineBuffer::next(std::string* line) {
    std::size_t lf = buffer_.find('\n');
    if (lf == std::string::npos) {
        if (buffer_.size() > max_line_ + 1) {  // too long whatever ends it: report it now
            line->assign(buffer_, 0, max_line_);
            buffer_.clear();
            discarding_ = true;
            return Status::too_long;
        }
        return Status::none;
    }
    std::size_t length = lf;
    if (length > 0 && buffer_[length - 1] == '\r') {
        --length;
    }
    Status status = Status::line;
    if (length > max_line_) {
        length = max_line_;
        status = Status::too_long;
    }
    line->assign(buffer_, 0, length);
    buffer_.erase(0, lf + 1);
    return status;
}

void LineBuffer::clear() {
    buffer_.clear();
    discarding_ = false;
}

}  // namespace fc::ref
