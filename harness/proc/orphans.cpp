#include "harness/proc/orphans.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
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
    const int self = static_cast<int>(::getpid());
    int reaped = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name.front()))) {
            continue;
        }
        const int pid = std::stoi(name);
        const ProcEntry e = read_proc_entry(pid);  // pid 0: gone meanwhile
        if (e.pid == 0 || e.state != 'Z' || e.ppid != self) {
            continue;
        }
        if (children().owned.count(pid) == 0 && ::waitpid(pid, nullptr, WNOHANG) == pid) {
            ++reaped;
        }
    }
    return reaped;
}

}  // namespace fc
