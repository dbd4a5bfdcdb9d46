#pragma once
// Errors of the harness itself. Failures of the implementation under test are data
// (fc::Failure), never exceptions.
#include <stdexcept>
#include <string>

namespace fc {

/// The harness or environment broke: binary missing, port busy, not ready in time,
/// a deadline passed, interrupted. Stops one cell with verdict `error`, never the run.
class HarnessError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Bad input from a user: a malformed scenario or manifest, a bad option. Exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace fc
