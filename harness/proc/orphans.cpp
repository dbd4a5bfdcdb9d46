#include "harness/proc/orphans.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "harness/proc/proc_table.hpp"

namespace fc {

namespace {

// Process-wide by nature: the kernel has one set of children per process, whatever
// thread or cell started them.
struct Children {
    std::mutex mutex;
    std::set<int> owned;
};

Children& children() {
    static Children c;
    return c;
}

}  // namespace

std::unique_lock<std::mutex> lock_children() {
    return std::unique_lock(children().mutex);
}

void own_child(int pid) {
    children().owned.insert(pid);
}

void disown_child(int pid) {
    auto lock = lock_children();
    children().owned.erase(pid);
}

int reap_orphans() {
    auto lock = lock_children();
    int reaped = 0;
    // This process's children, live or zombie (each thread's children file): waitpid with
    // WNOHANG takes only those that have exited.
    for (int pid : read_children(static_cast<int>(::getpid()))) {
        if (children().owned.count(pid) == 0 && ::waitpid(pid, nullptr, WNOHANG) == pid) {
            ++reaped;
        }
    }
    return reaped;
}

}  // namespace fc
