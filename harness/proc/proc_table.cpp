#include "harness/proc/proc_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <thread>

namespace fc {

namespace {

// A /proc file's text, "" when it cannot be opened or read (the process is gone: a read of
// a process that exits meanwhile fails with ESRCH). /proc/<pid>/stat and .../children are
// seq_files, which fill each read as far as they can: a short read is the end, so a small
// file takes one read, not a second one for end-of-file.
std::string read_proc_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            text.clear();
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < sizeof buf) {
            break;
        }
    }
    ::close(fd);
    return text;
}

}  // namespace

std::string read_proc_stat_line(int pid) {
    std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
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
    // Fields after comm, split on spaces: state ppid pgrp session tty_nr tpgid flags minflt
    // cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue
    // starttime (indexes 0 .. 19).
    std::vector<std::string_view> fields;
    std::string_view rest(text);
    rest.remove_prefix(close + 2);
    while (!rest.empty() && fields.size() < 20) {
        std::size_t end = rest.find(' ');
        fields.push_back(rest.substr(0, end));
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
    auto number = [](std::string_view v, auto* to) {
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), *to);
        return ec == std::errc() && ptr == v.data() + v.size();
    };
    if (fields.size() < 20 || fields[0].size() != 1 || !number(fields[1], &e.ppid) ||
        !number(fields[17], &e.threads) || !number(fields[19], &e.start_time)) {
        return ProcEntry{};
    }
    e.state = fields[0][0];
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

namespace {

// The pids in /proc/<pid>/task/<tid>/children ("123 456 "); nothing if it cannot be read.
void append_children_of_task(int pid, int tid, std::vector<int>* out) {
    const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/task/" +
                                            std::to_string(tid) + "/children");
    int value = 0;
    bool in_number = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            value = value * 10 + (c - '0');
            in_number = true;
        } else if (in_number) {
            out->push_back(value);
            value = 0;
            in_number = false;
        }
    }
    if (in_number) {
        out->push_back(value);
    }
}

// The children of `pid`, whose stat said `threads` threads: a single-threaded process's
// one task is the process itself, so its task folder need not be listed.
std::vector<int> children_of(int pid, int threads) {
    std::vector<int> out;
    if (threads == 1) {
        append_children_of_task(pid, pid, &out);
        return out;
    }
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        return out;
    }
    while (const dirent* entry = ::readdir(d)) {
        if (std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) {
            append_children_of_task(pid, std::atoi(entry->d_name), &out);
        }
    }
    ::closedir(d);
    return out;
}

}  // namespace

std::vector<int> read_children(int pid) {
    return children_of(pid, 0);
}

std::vector<ProcEntry> read_tree(int root) {
    std::vector<ProcEntry> out;
    const ProcEntry top = read_proc_entry(root);
    if (top.pid == 0) {
        return out;
    }
    out.push_back(top);
    // (pid, threads) still to visit; bounded, should /proc ever show a cycle.
    std::vector<std::pair<int, int>> todo{{top.pid, top.threads}};
    constexpr std::size_t kLimit = 100000;
    while (!todo.empty() && out.size() < kLimit) {
        auto [pid, threads] = todo.back();
        todo.pop_back();
        for (int child : children_of(pid, threads)) {
            ProcEntry e = read_proc_entry(child);
            if (e.pid != 0) {
                out.push_back(e);
                todo.emplace_back(e.pid, e.threads);
            }
        }
    }
    return out;
}

std::vector<ProcEntry> read_descendants(int root) {
    std::vector<ProcEntry> tree = read_tree(root);
    if (!tree.empty()) {
        tree.erase(tree.begin());
    }
    return tree;
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
