#pragma once
// The reference server's event log: one JSON object per line, appended with one write(2)
// per line (O_APPEND), so lines from concurrent sessions never interleave and a killed
// server loses nothing. Field names are part of the scenario format (README.md); the line
// format is harness/core/event_record.hpp, shared with the engine that reads it.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/core/event_record.hpp"
#include "harness/core/socket.hpp"

namespace fc::ref {

/// One event under construction: `t`, `session` and `event` first, then the fields
/// (`.str()`, `.num()`, `.flag()`). The record type the engine's log checks read back.
using Event = EventRecord;

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
