#pragma once
// The process table as /proc shows it: which processes descend from a child, and a way to
// make sure they are gone. Process::stop() uses it to catch what a group kill misses
// (session processes that called setsid), guarding against pid reuse with start times.
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"

namespace fc {

/// One process of /proc/<pid>/stat.
struct ProcEntry {
    int pid = 0;
    int ppid = 0;
    char state = 0;                     ///< 'R', 'S', 'Z', ...
    unsigned long long start_time = 0;  ///< clock ticks after boot: (pid, start_time) is unique
    int threads = 0;                    ///< its threads (num_threads)
};

/// The first line of /proc/<pid>/stat; "" when the process is gone, even if it exits in the
/// middle of the read (read(2): libstdc++'s filebuf throws on that ESRCH).
std::string read_proc_stat_line(int pid);

/// /proc/<pid>/stat of one process; nullopt-like `pid == 0` when it is gone or unreadable.
ProcEntry read_proc_entry(int pid);

/// Every process /proc lists (those that vanish while it is read are left out).
std::vector<ProcEntry> read_proc_table();

/// The descendants of `root` in `table` (children, their children, ...), without `root`.
std::vector<ProcEntry> descendants_of(int root, const std::vector<ProcEntry>& table);

/// The children of `pid` now: what /proc/<pid>/task/<tid>/children lists for each of its
/// threads (a child belongs to the thread that forked it, or that it was re-parented to).
/// Empty when the process is gone.
std::vector<int> read_children(int pid);

/// `root` (first) and its descendants now (children, their children, ...), read by
/// following each process's children: a few reads per process of the tree instead of one
/// per process of the machine (read_proc_table). Empty when `root` is gone. As racy as any
/// /proc read: a process that forks or exits meanwhile may be missed.
std::vector<ProcEntry> read_tree(int root);

/// read_tree without `root`.
std::vector<ProcEntry> read_descendants(int root);

/// SIGKILLs every process of `tree` that still runs (same pid and start time) and reaps
/// those that are (or become) this process's children, until all are gone or `limit` has
/// passed. A zombie whose parent is someone else counts as gone.
void kill_tree(const std::vector<ProcEntry>& tree, Millis limit);

}  // namespace fc
