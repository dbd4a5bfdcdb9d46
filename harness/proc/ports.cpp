#include "harness/proc/ports.hpp"

#include <unistd.h>

#include <string>

#include "harness/core/error.hpp"
#include "harness/core/socket.hpp"

namespace fc {

namespace {

constexpr unsigned window_size = PortAllocator::window_last - PortAllocator::window_first + 1;

bool usable(unsigned port) {
    return port >= 1024 && port != 21 && port >= PortAllocator::window_first &&
           port <= PortAllocator::window_last;
}

}  // namespace

PortAllocator::PortAllocator(std::uint16_t first) {
    if (first == 0) {
        // Spread concurrent harness processes over the window; multiple of 64 so that
        // passive ranges of different runs do not interleave.
        unsigned offset = (static_cast<unsigned>(::getpid()) * 64U) % window_size;
        next_ = static_cast<std::uint16_t>(window_first + offset);
    } else {
        next_ = usable(first) ? first : window_first;
    }
}

std::uint16_t PortAllocator::port() {
    return range(1).first;
}

std::pair<std::uint16_t, std::uint16_t> PortAllocator::range(std::uint16_t count) {
    if (count == 0 || count > window_size) {
        throw HarnessError("cannot allocate " + std::to_string(count) + " ports");
    }
    std::lock_guard lock(mutex_);
    unsigned tried = 0;
    while (tried < window_size) {
        unsigned first = next_;
        if (first + count - 1 > window_last) {  // a range never wraps: restart the window
            tried += window_last - first + 1;
            next_ = window_first;
            continue;
        }
        unsigned bad = 0;  // the last taken port inside the candidate range, if any
        for (unsigned p = first; p < first + count; ++p) {
            if (!usable(p) || !port_is_free("127.0.0.1", static_cast<std::uint16_t>(p))) {
                bad = p;
            }
        }
        unsigned after = bad == 0 ? first + count : bad + 1;
        tried += after - first;
        next_ = static_cast<std::uint16_t>(after > window_last ? window_first : after);
        if (bad == 0) {
            return {static_cast<std::uint16_t>(first),
                    static_cast<std::uint16_t>(first + count - 1)};
        }
    }
    throw HarnessError("no " + std::to_string(count) + " free consecutive ports in " +
                       std::to_string(window_first) + "-" + std::to_string(window_last));
}

}  // namespace fc
