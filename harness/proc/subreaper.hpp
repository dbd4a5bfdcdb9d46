#pragma once
// Orphaned grandchildren (a server's session processes whose master died) are reparented
// to the nearest subreaper; making the harness one lets Process::stop() reap them.

namespace fc {

/// prctl(PR_SET_CHILD_SUBREAPER, 1) for the calling process. Throws HarnessError if the
/// kernel refuses. Call once, early, from the main thread.
void become_subreaper();

}  // namespace fc
