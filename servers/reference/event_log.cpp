#include "servers/reference/event_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/core/error.hpp"

namespace fc::ref {

EventLog::EventLog() : start_(std::chrono::steady_clock::now()) {}

EventLog::EventLog(const std::filesystem::path& path) : EventLog() {
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd_) {
        throw HarnessError("cannot open event log " + path.string() + ": " + std::strerror(errno));
    }
}

Event EventLog::event(int session, std::string_view name) const {
    std::chrono::duration<double> t = std::chrono::steady_clock::now() - start_;
    return Event::start(t.count(), session, name);
}

void EventLog::write(const Event& event) const {
    if (!fd_) {
        return;
    }
    std::string text = to_event_line(event);
    ssize_t n = ::write(fd_.get(), text.data(), text.size());
    (void)n;  // a lost log line must not end a session; the transcript still has it
}

}  // namespace fc::ref
