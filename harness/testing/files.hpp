#pragma once
// File helpers for tests: read a whole file, and compare output with a golden file.
#include <filesystem>
#include <string>

namespace fc::testing {

/// The whole file as bytes; "" if it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Expects `actual` to equal the golden file's bytes (a gtest failure otherwise). With
/// FTPS_CONFORM_UPDATE_GOLDEN=1 in the environment, first rewrites the golden file.
void expect_matches_golden(const std::string& actual, const std::filesystem::path& golden);

/// From `ftps-conform run`'s console output, only what a failed assertion needs: the detail
/// blocks of FAIL, ERROR and XPASS cells, and the closing "N cells: ..." line. The whole
/// output of a default matrix runs to thousands of lines, and CI keeps only a part of it.
std::string console_problems(const std::string& console);

}  // namespace fc::testing
