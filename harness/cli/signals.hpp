#pragma once
#include "harness/core/deadline.hpp"

namespace fc {

/// Installs SIGINT/SIGTERM/SIGHUP handlers that set one cancellation flag, and returns
/// a token for it. Every wait in the harness polls the token, so a run stops within a
/// fraction of a second, stopping and reaping every server it started. A second signal
/// while stopping is ignored (the cleanup itself is bounded).
CancelToken install_cancel_handlers();

}  // namespace fc
