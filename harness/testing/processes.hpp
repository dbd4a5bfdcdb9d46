#pragma once
// Test helper (header only): the processes of a run, found in /proc by a folder that their
// command line, working folder or environment names (a test gives the harness its own
// TMPDIR, which every child inherits and every server work folder is under).
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fc::testing {

inline std::string read_proc_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// Whether `pid` is the relay or init of a PID namespace (ftps-conform-pidns, which renames
/// itself fc-pidns-relay / fc-pidns-init). They carry their command's line as arguments, so
/// a test that counts a command's processes by command line skips them.
inline bool is_namespace_starter(int pid) {
    std::string comm = read_proc_file("/proc/" + std::to_string(pid) + "/comm");
    return comm.rfind("fc-pidns", 0) == 0 || comm.rfind("ftps-conform-pi", 0) == 0;
}

/// "pid (state): command line" of every process but this one that mentions `root`.
/// Zombies are listed too (state Z): a zombie is a process nobody reaped.
inline std::vector<std::string> processes_mentioning(const std::filesystem::path& root) {
    std::vector<std::string> found;
    const std::string mark = root.string();
    const std::string self = std::to_string(::getpid());
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string pid = entry.path().filename().string();
        if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid.front())) || pid == self) {
            continue;
        }
        std::string cmdline = read_proc_file(entry.path() / "cmdline");
        std::error_code link_ec;
        std::string cwd = std::filesystem::read_symlink(entry.path() / "cwd", link_ec).string();
        if (cmdline.find(mark) == std::string::npos && cwd.rfind(mark, 0) != 0 &&
            read_proc_file(entry.path() / "environ").find(mark) == std::string::npos) {
            continue;
        }
        for (char& c : cmdline) {
            c = c == '\0' ? ' ' : c;
        }
        std::string stat = read_proc_file(entry.path() / "stat");
        std::size_t close = stat.rfind(')');
        std::string state =
            close != std::string::npos && close + 2 < stat.size() ? stat.substr(close + 2, 1) : "?";
        found.push_back(pid + " (" + state + "): " + cmdline);
    }
    return found;
}

}  // namespace fc::testing
