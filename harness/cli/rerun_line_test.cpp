// The "re-run:" line of a cell that did not pass, pasted into a shell, reproduces that cell,
// also when the cell's endpoint came from --endpoints (issue 17, contract point 2).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;
const std::string kBinary = FTPS_CONFORM_BINARY;

struct Shell {
    int status = -1;
    std::string out;
};

// Runs `command` with /bin/sh, bounded by coreutils timeout; stdout and stderr together.
Shell sh(const std::string& command) {
    Shell r;
    FILE* p = ::popen(("timeout 120 " + command + " 2>&1").c_str(), "r");
    if (p == nullptr) {
        return r;
    }
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) {
        r.out.append(buf, n);
    }
    int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

// A server that only --endpoints knows, whose binary is missing: its cell is an `error`
// without starting anything, and the re-run line must name --endpoints to find it again.
TEST(CliRerun, RerunLineWithEndpointsReproducesTheCell) {
    fc::testing::TempDir dir("cli-rerun");
    fs::path mine = dir.path() / "my endpoints" / "mypure";
    fs::create_directories(mine);
    for (const auto& entry : fs::directory_iterator(kSource / "servers" / "pureftpd")) {
        fs::copy_file(entry.path(), mine / entry.path().filename());
    }
    std::string manifest = fc::testing::read_file(mine / "manifest.xml");
    manifest = std::regex_replace(manifest, std::regex(R"(name="pureftpd")"), R"(name="mypure")");
    manifest = std::regex_replace(manifest, std::regex(R"(default="[^"]*pure-ftpd")"),
                                  R"(default="/nonexistent/pure-ftpd")");
    ASSERT_NE(manifest.find("/nonexistent/pure-ftpd"), std::string::npos);
    std::ofstream(mine / "manifest.xml") << manifest;

    Shell first =
        sh(kBinary + " run " + quoted(kSource / "scenarios") + " --endpoints " +
           quoted(dir.path() / "my endpoints") +
           " --servers mypure --scenario auth-tls-234 --out " + quoted(dir.path() / "run1"));
    EXPECT_EQ(first.status, 3) << first.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(first.out, m, std::regex("re-run: +ftps-conform (.*)\n")))
        << first.out;
    const std::string rerun = m[1].str();
    EXPECT_NE(rerun.find("--endpoints '" + (dir.path() / "my endpoints").string() + "'"),
              std::string::npos)
        << rerun;

    Shell again = sh(kBinary + " " + rerun + " --out " + quoted(dir.path() / "run2"));
    EXPECT_EQ(again.status, 3) << again.out;
    EXPECT_NE(again.out.find("1 cell: 0 pass, 0 fail, 1 error"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("ERROR  mypure x reference  auth-tls-234"), std::string::npos)
        << again.out;
}

}  // namespace
