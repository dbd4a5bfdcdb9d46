#include "harness/proc/ports.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "harness/core/error.hpp"
#include "harness/core/socket.hpp"

namespace fc {

namespace {

constexpr unsigned window_size = PortAllocator::window_last - PortAllocator::window_first + 1;

constexpr unsigned slice_count = window_size / PortAllocator::slice_size;

bool usable(unsigned port) {
    return port >= 1024 && port != 21 && port >= PortAllocator::window_first &&
           port <= PortAllocator::window_last;
}

// Opens and flocks the lock file of one slice; -1 if it is held elsewhere or cannot be made.
int claim_slice(unsigned slice) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec) {
        return -1;
    }
    dir /= "ftps-conform-ports";
    if (::mkdir(dir.c_str(), 01777) == 0) {
        ::chmod(dir.c_str(), 01777);  // any user's runs share the slices
    }
    std::string file = (dir / ("slice-" + std::to_string(slice) + ".lock")).string();
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        return -1;
    }
    ::fchmod(fd, 0666);  // despite the umask: a later run by another user opens it too
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

PortAllocator::PortAllocator(std::uint16_t first) : leased_(window_size, false) {
    if (first != 0) {
        next_ = usable(first) ? first : window_first;
        return;
    }
    unsigned start = static_cast<unsigned>(::getpid()) % slice_count;
    for (unsigned k = 0; k < slice_count; ++k) {
        unsigned slice = (start + k) % slice_count;
        slice_lock_ = claim_slice(slice);
        if (slice_lock_ >= 0) {
            lo_ = static_cast<std::uint16_t>(window_first + slice * slice_size);
            hi_ = static_cast<std::uint16_t>(lo_ + slice_size - 1);
            next_ = lo_;
            return;
        }
    }
    // Every slice is held: spread over the whole window by pid, a multiple of 64 so that
    // passive ranges of different runs do not interleave.
    unsigned offset = (static_cast<unsigned>(::getpid()) * 64U) % window_size;
    next_ = static_cast<std::uint16_t>(window_first + offset);
}

PortAllocator::~PortAllocator() {
    if (slice_lock_ >= 0) {
        ::close(slice_lock_);  // releases the flock
    }
}

std::uint16_t PortAllocator::port() {
    return range(1).first;
}

std::pair<std::uint16_t, std::uint16_t> PortAllocator::range(std::uint16_t count) {
    if (count == 0 || count > static_cast<unsigned>(hi_ - lo_ + 1)) {
        throw HarnessError("cannot allocate " + std::to_string(count) + " ports");
    }
    std::lock_guard lock(mutex_);
    const unsigned size = hi_ - lo_ + 1U;
    unsigned tried = 0;
    while (tried < size) {
        unsigned first = next_;
        if (first + count - 1 > hi_) {  // a range never wraps: restart at the bottom
            tried += hi_ - first + 1;
            next_ = lo_;
            continue;
        }
        unsigned bad = 0;  // the last taken port inside the candidate range, if any
        for (unsigned p = first; p < first + count; ++p) {
            // Free on both loopbacks: a server of an ipv6 cell listens on ::1.
            if (!usable(p) || leased_[p - window_first] ||
                !port_is_free("127.0.0.1", static_cast<std::uint16_t>(p)) ||
                (ipv6_loopback_available() &&
                 !port_is_free("::1", static_cast<std::uint16_t>(p)))) {
                bad = p;
            }
        }
        unsigned after = bad == 0 ? first + count : bad + 1;
        tried += after - first;
        next_ = static_cast<std::uint16_t>(after > hi_ ? lo_ : after);
        if (bad == 0) {
            for (unsigned p = first; p < first + count; ++p) {
                leased_[p - window_first] = true;
            }
            return {static_cast<std::uint16_t>(first),
                    static_cast<std::uint16_t>(first + count - 1)};
        }
    }
    throw HarnessError("no " + std::to_string(count) + " free consecutive ports in " +
                       std::to_string(lo_) + "-" + std::to_string(hi_));
}

void PortAllocator::release(std::uint16_t first, std::uint16_t last) {
    std::lock_guard lock(mutex_);
    for (unsigned p = first; p <= last; ++p) {
        if (usable(p)) {
            leased_[p - window_first] = false;
        }
    }
}

}  // namespace fc
