#include "harness/cli/signals.hpp"

#include <csignal>

namespace fc {

namespace {
// The only process-wide mutable state: a signal handler can reach nothing else.
std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int) {
    g_cancel.store(true, std::memory_order_relaxed);
}
}  // namespace

CancelToken install_cancel_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        ::sigaction(sig, &sa, nullptr);
    }
    // Writes to a peer that went away must be errors, not a dead harness.
    std::signal(SIGPIPE, SIG_IGN);
    return CancelToken(&g_cancel);
}

}  // namespace fc
