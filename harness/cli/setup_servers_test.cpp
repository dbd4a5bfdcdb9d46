// `ftps-conform setup-servers` end to end: the binary runs the source tree's
// ci/install-servers (the one implementation) with the prefix it will use.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "harness/core/deadline.hpp"
#include "harness/proc/command.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

CommandOutput cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv{FTPS_CONFORM_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, Deadline::after(Millis(60000)), CancelToken());
}

TEST(SetupServers, HelpNamesTheSourceTreesScriptAndThePrefix) {
    CommandOutput r = cli({"setup-servers", "--help", "--prefix", "/some/prefix"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(
                  "script: " +
                  (fs::path(FTPS_CONFORM_SOURCE_DIR) / "ci" / "install-servers").string() + "\n"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("prefix: /some/prefix "), std::string::npos) << r.output;
}

// A prefix whose stamp and binaries are there is left alone: the script's fast path.
TEST(SetupServers, UpToDatePrefixIsANoOp) {
    testing::TempDir tmp("setup-servers");
    for (const char* b : {"usr/sbin/proftpd", "usr/lib/proftpd/mod_tls.so", "usr/sbin/vsftpd",
                          "usr/sbin/pure-ftpd", "usr/bin/pure-pw", "usr/sbin/in.ftpd"}) {
        fs::create_directories((tmp.path() / b).parent_path());
        std::ofstream(tmp.path() / b) << "";
    }
    std::ofstream(tmp.path() / ".installed") << "vsftpd=0-test\n";
    CommandOutput r = cli({"setup-servers", "--prefix", tmp.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("up to date in " + tmp.path().string() + " (vsftpd=0-test"),
              std::string::npos)
        << r.output;
}

TEST(SetupServers, ArgumentsAreAUsageError) {
    CommandOutput r = cli({"setup-servers", "extra"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("setup-servers takes no arguments"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fc
