// Helper child processes on the far side of a sink (tcp/unix receivers, pipe
// drainer). Each one counts its own data syscalls and ships that record back to the
// sender through a pipe when it is done, so every process's copies are accounted to it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fd_util.h"
#include "recorder.h"
#include "traced_io.h"

namespace workload {

// One process's ground truth as it appears in the report.
struct ProcessRecord {
  long pid = 0;
  std::string role;  // "sender", "receiver", "drainer"
  Recorder paths;
};

// The parent's handle on a running helper child.
struct Child {
  pid_t pid = -1;
  std::string role;
  Fd report;  // read end of the pipe the child sends its record through
};

// Forks a child that read()s `data_fd` until EOF into a buffer and discards the data,
// then sends {"received": N, "paths": [...]} to the parent with exactly one write().
// The child first closes every fd in `close_in_child` (the sender's ends), so it sees
// EOF as soon as the parent closes its end. The child exits 1 if N != expected.
Child spawn_receiver(int data_fd, const std::string& role, uint64_t expected,
                     const std::vector<int>& close_in_child);

// In the parent: reads the child's record until EOF (counted under the parent as
// read pipe->user, including the final 0-byte read), waits for the child, and
// returns its record with the child's one report write (write user->pipe) added.
// Throws RunError if the child failed or did not receive exactly `expected` bytes.
ProcessRecord collect_child(Io& parent_io, Child& child, uint64_t expected);

}  // namespace workload
