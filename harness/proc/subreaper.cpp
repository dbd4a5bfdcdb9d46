#include "harness/proc/subreaper.hpp"

#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "harness/core/error.hpp"

namespace fc {

void become_subreaper() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) != 0) {
        throw HarnessError(std::string("cannot become a child subreaper: ") + std::strerror(errno));
    }
}

}  // namespace fc
