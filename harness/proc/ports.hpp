#pragma once
// TCP ports for server instances: control ports and passive ranges.
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace fc {

/// Hands out ports from a window below the kernel's ephemeral range (20000-29999), never
/// the same one twice until the window wraps, skipping ports that cannot be bound on
/// 127.0.0.1 right now. Never returns 21 or a port below 1024. Thread-safe.
///
/// A port that is free when it is handed out can still be taken by another harness process
/// before the server binds it. So an allocator built with `first` = 0 claims one of ten
/// slices of 1,000 ports for its lifetime, with an flock on a file in the temporary folder
/// (released by the kernel even if the process dies), and hands out only that slice's
/// ports: concurrent runs (ctest -j2 runs the matrix and `controls` side by side) never
/// hand out the same port. With all ten slices held, it falls back to the whole window,
/// starting at an offset derived from the pid.
class PortAllocator {
public:
    /// `first` = 0: claim a slice as above. Otherwise start at `first` (clamped into the
    /// window) and use the whole window, claiming nothing.
    explicit PortAllocator(std::uint16_t first = 0);
    ~PortAllocator();
    PortAllocator(const PortAllocator&) = delete;
    PortAllocator& operator=(const PortAllocator&) = delete;

    /// One free port. Throws HarnessError if the whole window is taken.
    std::uint16_t port();
    /// `count` consecutive free ports [first, last]. Throws HarnessError if none found.
    /// A port handed out stays leased until release(): a server's passive range is not
    /// bound until a PASV, and handing it to another cell meanwhile would mix the two
    /// cells' traffic (and their captures).
    std::pair<std::uint16_t, std::uint16_t> range(std::uint16_t count);
    /// Ends the lease of [first, last]: those ports may be handed out again.
    void release(std::uint16_t first, std::uint16_t last);

    static constexpr std::uint16_t window_first = 20000;
    static constexpr std::uint16_t window_last = 29999;
    static constexpr std::uint16_t slice_size = 1000;

    /// The ports this allocator hands out: its slice, or the whole window.
    std::pair<std::uint16_t, std::uint16_t> bounds() const { return {lo_, hi_}; }

private:
    std::mutex mutex_;
    std::uint16_t lo_ = window_first;
    std::uint16_t hi_ = window_last;
    std::uint16_t next_;
    std::vector<bool> leased_;  ///< by port - window_first
    int slice_lock_ = -1;       ///< the flocked slice file, -1 without a slice
};

}  // namespace fc
