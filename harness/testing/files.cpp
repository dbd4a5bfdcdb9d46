#include "harness/testing/files.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fc::testing {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void expect_matches_golden(const std::string& actual, const std::filesystem::path& golden) {
    const char* update = std::getenv("FTPS_CONFORM_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::ofstream(golden, std::ios::binary) << actual;
    }
    ASSERT_TRUE(std::filesystem::exists(golden))
        << golden << " (run with FTPS_CONFORM_UPDATE_GOLDEN=1)";
    EXPECT_EQ(actual, read_file(golden))
        << golden << ": rerun with FTPS_CONFORM_UPDATE_GOLDEN=1 if the change is intended";
}

std::string console_problems(const std::string& console) {
    std::string out;
    std::istringstream in(console);
    std::string line;
    bool in_block = false;
    while (std::getline(in, line)) {
        bool head = line.rfind("  FAIL ", 0) == 0 || line.rfind("  ERROR ", 0) == 0 ||
                    line.rfind("  XPASS ", 0) == 0;
        if (head) {
            in_block = true;
        } else if (in_block && line.rfind("         ", 0) != 0) {
            in_block = false;
        }
        if (in_block || line.find(" cells: ") != std::string::npos) {
            out += line;
            out += '\n';
        }
    }
    return out.empty() ? console : out;
}

}  // namespace fc::testing
