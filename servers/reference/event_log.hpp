#pragma once
// The reference server's event log: one JSON object per line, appended with one write(2)
// per line (O_APPEND), so lines from concurrent sessions never interleave and a killed
// server loses nothing. Field names are part of the scenario format (README.md).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/core/socket.hpp"

namespace fc::ref {

/// One event under construction: `t`, `session` and `event` first, then the fields.
class Event {
public:
    Event(double t, int session, std::string_view name);
    Event& str(std::string_view key, std::string_view value);
    Event& num(std::string_view key, std::int64_t value);
    Event& flag(std::string_view key, bool value);
    /// The finished line, with its newline.
    std::string line() const { return body_ + "}\n"; }

private:
    void key(std::string_view k);
    std::string body_;
};

/// Escapes `text` as the inside of a JSON string (quotes, backslashes, control bytes;
/// bytes that are not valid UTF-8 become U+FFFD).
std::string json_escape(std::string_view text);

class EventLog {
public:
    /// No file: events are dropped.
    EventLog();
    /// Opens (creates) `path` for appending. Throws HarnessError.
    explicit EventLog(const std::filesystem::path& path);

    /// A new event stamped with the time since the server started.
    Event event(int session, std::string_view name) const;
    /// Appends one line; thread-safe (a single write(2) with O_APPEND).
    void write(const Event& event) const;

private:
    UniqueFd fd_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace fc::ref
