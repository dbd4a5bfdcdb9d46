#pragma once
// Tests synchronise on events, not sleeps: `eventually` polls a condition (a file appeared, a
// process is listening, a trap is installed) until it holds or a deadline passes.
#include <algorithm>
#include <chrono>
#include <thread>

#include "harness/core/deadline.hpp"

namespace fc::testing {

/// Calls `predicate` until it returns true or `deadline` passes; returns true as soon as it
/// holds, false when the deadline passed first (it is tried once more at the deadline). The
/// pause between tries starts at 1 ms and doubles up to 50 ms, so a fast event costs
/// little and a slow one little CPU.
template <typename Predicate>
bool eventually(Predicate&& predicate, Deadline deadline) {
    Millis pause(1);
    for (;;) {
        if (predicate()) {
            return true;
        }
        if (deadline.expired()) {
            return false;
        }
        std::this_thread::sleep_for(std::min(pause, deadline.remaining()));
        pause = std::min(pause * 2, Millis(50));
    }
}

/// As above, with a deadline `within` from now.
template <typename Predicate>
bool eventually(Predicate&& predicate, Millis within) {
    return eventually(predicate, Deadline::after(within));
}

}  // namespace fc::testing
