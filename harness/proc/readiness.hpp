#pragma once
// Waiting until a freshly started server greets on its control port.
#include <cstdint>
#include <string>

#include "harness/core/deadline.hpp"

namespace fc {

class Process;

/// The outcome of wait_ready().
struct Readiness {
    bool ready = false;
    std::string error;  ///< why not ready; "" when ready
    Millis took{0};     ///< from the call to the banner (or to giving up)
};

/// Polls host:port (a connect every ~20 ms) until a connection's first line starts with
/// `banner` (e.g. "220"); an empty `banner` means an accepted connection is enough (implicit
/// FTPS greets only after a TLS handshake). Each probe connection is closed politely (QUIT, then
/// close). Gives up at the deadline ("no connection accepted within 5 s"), on cancellation, on a
/// wrong greeting ("banner was '421 ...'"), or when `process` (may be null) exits first
/// ("exited with status N before it was ready: <stderr tail>").
Readiness wait_ready(const std::string& host, std::uint16_t port, const std::string& banner,
                     Deadline deadline, CancelToken cancel, Process* process);

}  // namespace fc
