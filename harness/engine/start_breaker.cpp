#include "harness/engine/start_breaker.hpp"

namespace fc {

void StartBreaker::enter(const std::string& endpoint, CancelToken cancel) {
    std::unique_lock lock(mutex_);
    State& s = states_[endpoint];
    while (!s.started) {
        if (s.failures >= 2) {
            throw HarnessError(endpoint + " failed to start twice: " + s.cause +
                               "; not started again");
        }
        if (!s.in_flight) {
            s.in_flight = true;  // this cell tries; the others wait for its outcome
            return;
        }
        if (cancel.cancelled()) {
            throw HarnessError("interrupted while waiting for another cell to start " + endpoint);
        }
        // Wakes on every outcome; the slice notices cancellation.
        changed_.wait_for(lock, Millis(50));
    }
}

void StartBreaker::leave(const std::string& endpoint, bool ok, const std::string& cause) {
    {
        std::lock_guard lock(mutex_);
        State& s = states_[endpoint];
        if (!s.started) {
            s.in_flight = false;
        }
        if (ok) {
            s.started = true;
        } else if (!cause.empty() && !s.started) {
            if (s.failures++ == 0) {
                s.cause = cause;
            }
        }
    }
    changed_.notify_all();
}

}  // namespace fc
