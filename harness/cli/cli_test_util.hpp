#pragma once
// Test helpers that run the built ftps-conform binary as a child process (tests only; the
// binary's path comes from FTPS_CONFORM_BINARY, defined for the test target).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc::testing {

/// What a finished ftps-conform printed and returned.
struct CliResult {
    int exit_code = -1;
    std::string out, err;
};

/// Starts the binary with stdout/stderr into `dir`/stdout and `dir`/stderr; returns its pid.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::filesystem::path& dir,
                       const std::vector<std::string>& env = {}) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int out = ::open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(out, 1);
        ::dup2(err, 2);
        for (const auto& e : env) {
            ::putenv(const_cast<char*>(e.c_str()));
        }
        std::vector<char*> argv;
        std::string binary = FTPS_CONFORM_BINARY;
        argv.push_back(binary.data());
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

/// Waits at most `limit` for the child; kills it (and fails the test) if it overstays.
/// Returns its exit status (128 + signal when killed).
inline int reap(pid_t pid, std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > until) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ADD_FAILURE() << "ftps-conform did not finish within " << limit.count() << " s";
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Runs ftps-conform with `args` (and `env` added) to completion within `limit`.
inline CliResult run_cli(const std::vector<std::string>& args,
                         const std::vector<std::string>& env = {},
                         std::chrono::seconds limit = std::chrono::seconds(120)) {
    TempDir io("cli-io");
    CliResult r;
    r.exit_code = reap(spawn_cli(args, io.path(), env), limit);
    r.out = read_file(io.path() / "stdout");
    r.err = read_file(io.path() / "stderr");
    return r;
}

/// Writes `text` to `p`, creating its folders.
inline void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

}  // namespace fc::testing
