#include "harness/proc/proc_table.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>

namespace fc {

std::string read_proc_stat_line(int pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    char buf[1024];  // the stat line is a few hundred bytes
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) {
        return {};
    }
    std::string text(buf, static_cast<std::size_t>(n));
    if (std::size_t nl = text.find('\n'); nl != std::string::npos) {
        text.resize(nl);
    }
    return text;
}

ProcEntry read_proc_entry(int pid) {
    const std::string text = read_proc_stat_line(pid);
    // "pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    // stime cutime cstime priority nice threads itrealvalue starttime ...": comm may hold
    // spaces and parentheses, so fields are counted from the last ')'.
    std::size_t close = text.rfind(')');
    ProcEntry e;
    if (close == std::string::npos || close + 2 >= text.size()) {
        return e;
    }
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    fields >> e.state >> e.ppid;
    for (int i = 0; i < 15 && fields; ++i) {  // pgrp .. nice
        fields >> skip;
    }
    fields >> e.threads >> skip;  // num_threads, itrealvalue
    fields >> e.start_time;
    if (!fields) {
        return ProcEntry{};
    }
    e.pid = pid;
    return e;
}

std::vector<ProcEntry> read_proc_table() {
    std::vector<ProcEntry> table;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name.front()))) {
            continue;
        }
        ProcEntry e = read_proc_entry(std::stoi(name));
        if (e.pid != 0) {
            table.push_back(e);
        }
    }
    return table;
}

std::vector<ProcEntry> descendants_of(int root, const std::vector<ProcEntry>& table) {
    std::multimap<int, const ProcEntry*> children;
    for (const ProcEntry& e : table) {
        children.emplace(e.ppid, &e);
    }
    std::vector<ProcEntry> out;
    std::vector<int> todo{root};
    while (!todo.empty() && out.size() < table.size()) {
        int parent = todo.back();
        todo.pop_back();
        auto [from, to] = children.equal_range(parent);
        for (auto it = from; it != to; ++it) {
            out.push_back(*it->second);
            todo.push_back(it->second->pid);
        }
    }
    return out;
}

void kill_tree(const std::vector<ProcEntry>& tree, Millis limit) {
    const int self = static_cast<int>(::getpid());
    // Still the same process (pid not reused) and not yet a zombie someone else reaps.
    auto alive = [](const ProcEntry& was) {
        ProcEntry now = read_proc_entry(was.pid);
        return now.pid != 0 && now.start_time == was.start_time;
    };
    for (const ProcEntry& e : tree) {
        if (alive(e)) {
            ::kill(e.pid, SIGKILL);
        }
    }
    Deadline deadline = Deadline::after(limit);
    while (true) {
        bool left = false;
        for (const ProcEntry& e : tree) {
            if (!alive(e)) {
                continue;
            }
            ProcEntry now = read_proc_entry(e.pid);
            if (now.state == 'Z' && now.ppid == self) {
                ::waitpid(e.pid, nullptr, WNOHANG);  // an orphan re-parented to us
            } else if (now.state != 'Z') {
                left = true;
            }
        }
        if (!left || deadline.expired()) {
            return;
        }
        std::this_thread::sleep_for(Millis(2));
    }
}

}  // namespace fc
