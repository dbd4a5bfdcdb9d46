#pragma once
// TCP ports for server instances: control ports and passive ranges.
#include <cstdint>
#include <mutex>
#include <utility>

namespace fc {

/// Hands out ports from a window below the kernel's ephemeral range (20000-29999), never
/// the same one twice until the window wraps, skipping ports that cannot be bound on
/// 127.0.0.1 right now. Never returns 21 or a port below 1024. Thread-safe.
class PortAllocator {
public:
    /// `first` = 0 starts at an offset derived from the pid, so concurrent harness
    /// processes rarely collide; otherwise starts at `first` (clamped into the window).
    explicit PortAllocator(std::uint16_t first = 0);

    /// One free port. Throws HarnessError if the whole window is taken.
    std::uint16_t port();
    /// `count` consecutive free ports [first, last]. Throws HarnessError if none found.
    std::pair<std::uint16_t, std::uint16_t> range(std::uint16_t count);

    static constexpr std::uint16_t window_first = 20000;
    static constexpr std::uint16_t window_last = 29999;

private:
    std::mutex mutex_;
    std::uint16_t next_;
};

}  // namespace fc
