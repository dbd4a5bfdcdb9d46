#include "harness/proc/orphans.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

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

// Parent pid and state of /proc/<pid>/stat ("pid (comm) S ppid ..."); false if gone.
bool read_stat(const std::filesystem::path& stat, char* state, int* ppid) {
    std::ifstream in(stat);
    std::string text;
    std::getline(in, text);
    std::size_t close = text.rfind(')');
    if (close == std::string::npos || close + 4 >= text.size()) {
        return false;
    }
    *state = text[close + 2];
    try {
        *ppid = std::stoi(text.substr(close + 4));
    } catch (const std::exception&) {
        return false;
    }
    return true;
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
        char state = 0;
        int ppid = 0;
        if (!read_stat(entry.path() / "stat", &state, &ppid) || state != 'Z' || ppid != self) {
            continue;
        }
        int pid = std::stoi(name);
        if (children().owned.count(pid) == 0 && ::waitpid(pid, nullptr, WNOHANG) == pid) {
            ++reaped;
        }
    }
    return reaped;
}

}  // namespace fc
