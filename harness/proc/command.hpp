#pragma once
// Short-lived commands whose output the harness wants: version probes, helper tools.
#include <optional>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"

namespace fc {

/// What a finished (or abandoned) command produced.
struct CommandOutput {
    std::optional<int> exit_code;  ///< shell-style (128+signal); empty if it never ran
    std::string output;            ///< stdout and stderr, interleaved as written
    bool timed_out = false;        ///< killed at the deadline (or on cancellation)
    std::string error;             ///< why it did not run or finish; "" when it did
};

/// Runs `argv` in its own process group and collects its output. stdin is /dev/null, or,
/// with `stdin_from_stdout`, the same pipe as stdout (vsftpd -v writes its version to
/// descriptor 0). On the deadline or cancellation the group is killed, `timed_out` is set
/// and `error` says which. Never throws for a missing binary: `error` says so instead.
CommandOutput run_command(const std::vector<std::string>& argv, Deadline deadline,
                          CancelToken cancel, bool stdin_from_stdout = false);

}  // namespace fc
