// Turns what the user pointed at (-p PIDs, --cgroup, --comm) into processes: validated before anything is
// loaded, so that a thread id, a kernel thread, a zombie or an unknown cgroup is one clear line; and the
// processes already there found once the tracer is attached, so that none starts unseen in between.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace zctrace {

struct Targets {
  std::vector<pid_t> roots;        // -p: the processes named (a thread id taken as its process)
  std::vector<std::string> notes;  // said once on stderr: "PID 12 is a thread of process 10 ..."
  uint64_t cgroup_id = 0;          // --cgroup
  std::string cgroup_path;         // --cgroup, relative to the cgroup2 root
};

// Validates the targets; false with a one-line *error (no process, a kernel thread, a zombie, no cgroup).
bool ResolveTargets(const Options& opts, Targets* targets, std::string* error);

// The processes to trace that exist now: -p's roots and (unless --no-children) all their descendants, every
// process in the cgroup or below it, or of the name. Zombies and kernel threads are left out.
// `held`: zctrace's own child for -- CMD, not yet the command (traced from its exec on).
std::vector<pid_t> ExistingTargets(const Options& opts, const Targets& targets, pid_t held = 0);

// Whether a process has exited (gone, or a zombie): a target added as it exited is not waited for.
bool HasExited(pid_t tgid);

}  // namespace zctrace
