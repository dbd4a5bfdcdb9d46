#pragma once
// Deadlines and cancellation: every wait in the harness takes both.
#include <atomic>
#include <chrono>

namespace fc {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

/// A point in time after which a wait gives up. Cheap to copy.
class Deadline {
public:
    /// A deadline `d` from now.
    static Deadline after(Millis d) { return Deadline(Clock::now() + d); }
    explicit Deadline(Clock::time_point at) : at_(at) {}

    bool expired() const { return Clock::now() >= at_; }
    /// Time left, never negative.
    Millis remaining() const {
        auto left = std::chrono::duration_cast<Millis>(at_ - Clock::now());
        return left.count() > 0 ? left : Millis(0);
    }
    /// A poll(2) timeout: the time left, capped at `slice` so callers can re-check
    /// cancellation between slices.
    int poll_ms(Millis slice = Millis(100)) const {
        auto left = remaining();
        return static_cast<int>((left < slice ? left : slice).count());
    }
    Clock::time_point at() const { return at_; }
    /// The earlier of two deadlines.
    static Deadline earliest(Deadline a, Deadline b) { return a.at_ < b.at_ ? a : b; }

private:
    Clock::time_point at_;
};

/// A read-only view of a cancellation flag (set on Ctrl-C). Default: never cancelled.
class CancelToken {
public:
    CancelToken() = default;
    explicit CancelToken(const std::atomic<bool>* flag) : flag_(flag) {}
    bool cancelled() const {
        return (flag_ != nullptr && flag_->load(std::memory_order_relaxed)) ||
               (also_ != nullptr && also_->load(std::memory_order_relaxed));
    }
    /// This token, also cancelled when `flag` is set (e.g. a wait that must end when the
    /// control connection has input). Only one extra flag: `flag` replaces an earlier one.
    CancelToken or_when(const std::atomic<bool>* flag) const {
        CancelToken t = *this;
        t.also_ = flag;
        return t;
    }

private:
    const std::atomic<bool>* flag_ = nullptr;
    const std::atomic<bool>* also_ = nullptr;
};

}  // namespace fc
