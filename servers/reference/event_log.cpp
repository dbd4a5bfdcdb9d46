#include "servers/reference/event_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "harness/core/error.hpp"

namespace fc::ref {

namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (n == 0 || c >= 0xF5 || i + n > s.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
            return 0;
        }
    }
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 >= 0x90)) {
        return 0;  // overlong, surrogate or above U+10FFFF
    }
    return n;
}

}  // namespace

std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else if (c < 0x80) {
            out += static_cast<char>(c);
        } else {
            std::size_t n = utf8_length(text, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
                continue;
            }
            out.append(text.substr(i, n));
            i += n;
            continue;
        }
        ++i;
    }
    return out;
}

Event::Event(double t, int session, std::string_view name) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "{\"t\":%.3f,\"session\":%d", t, session);
    body_ = buf;
    str("event", name);
}

void Event::key(std::string_view k) {
    body_ += ",\"";
    body_ += json_escape(k);
    body_ += "\":";
}

Event& Event::str(std::string_view k, std::string_view value) {
    key(k);
    body_ += '"';
    body_ += json_escape(value);
    body_ += '"';
    return *this;
}

Event& Event::num(std::string_view k, std::int64_t value) {
    key(k);
    body_ += std::to_string(value);
    return *this;
}

Event& Event::flag(std::string_view k, bool value) {
    key(k);
    body_ += value ? "true" : "false";
    return *this;
}

EventLog::EventLog() : start_(std::chrono::steady_clock::now()) {}

EventLog::EventLog(const std::filesystem::path& path) : EventLog() {
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd_) {
        throw HarnessError("cannot open event log " + path.string() + ": " + std::strerror(errno));
    }
}

Event EventLog::event(int session, std::string_view name) const {
    std::chrono::duration<double> t = std::chrono::steady_clock::now() - start_;
    return Event(t.count(), session, name);
}

void EventLog::write(const Event& event) const {
    if (!fd_) {
        return;
    }
    std::string text = event.line();
    ssize_t n = ::write(fd_.get(), text.data(), text.size());
    (void)n;  // a lost log line must not end a session; the transcript still has it
}

}  // namespace fc::ref
