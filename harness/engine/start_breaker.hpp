#pragma once
// The run's circuit breaker for server starts. A server that cannot start (binary that
// does not run, never ready, exits at once) would make each of its cells wait out the
// start deadline; instead, after two failed starts its remaining cells are `error` at once
// with the one cause.
//
// Per endpoint (a server name with its misbehaviours, since a misbehaviour may be what
// keeps it from starting):
// - until it has started once in this run, its starts go one at a time (pre-flight), so
//   that with --jobs N the first failures are not N deadlines spent at once;
// - two failed starts and no success: every later start throws at once
//   "NAME failed to start twice: CAUSE; not started again";
// - once it has started, failures are the cell's own (a feature's config fragment, a
//   port) and the breaker stays closed.
// A start interrupted by the run's cancellation is not counted.
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "harness/core/deadline.hpp"
#include "harness/core/error.hpp"

namespace fc {

class StartBreaker {
public:
    /// Runs `start` (which returns the started thing or throws) under the rules above.
    /// Throws HarnessError when the breaker is open, or "interrupted" if `cancel` is set
    /// while waiting for another cell's first start of the same endpoint.
    template <typename Start>
    auto guard(const std::string& endpoint, CancelToken cancel, Start&& start) {
        enter(endpoint, cancel);
        try {
            auto started = start();
            leave(endpoint, true, "");
            return started;
        } catch (const std::exception& e) {
            leave(endpoint, false, cancel.cancelled() ? "" : e.what());
            throw;
        } catch (...) {
            leave(endpoint, false, "");
            throw;
        }
    }

private:
    struct State {
        bool started = false;    // started once in this run
        bool in_flight = false;  // a first start is under way
        int failures = 0;
        std::string cause;  // of the first failure
    };

    void enter(const std::string& endpoint, CancelToken cancel);
    void leave(const std::string& endpoint, bool ok, const std::string& cause);

    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, State> states_;
};

}  // namespace fc
