#pragma once
// The harness is a child subreaper (subreaper.hpp): a server's session processes that
// outlive their parent are re-parented to it. Those orphans belong to no Process, so no
// one would wait for them and they would stay zombies until the harness exits. This keeps
// the set of children the harness reaps itself, and reaps every other zombie child.
#include <mutex>

namespace fc {

/// Held while a child is spawned and registered, so that reap_orphans() never takes a
/// child that is about to be owned.
std::unique_lock<std::mutex> lock_children();

/// `pid` is a child that its owner (Process, run_command) will reap. Caller holds
/// lock_children().
void own_child(int pid);

/// The owner has reaped `pid` (or given up on it).
void disown_child(int pid);

/// Reaps every zombie child of this process that no one owns; returns how many. Cheap
/// (a read of each thread's /proc children file): call it after each cell.
int reap_orphans();

}  // namespace fc
