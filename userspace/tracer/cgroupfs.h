// The cgroup v2 (unified) hierarchy as the file system shows it: where it is mounted (on a hybrid layout,
// not /sys/fs/cgroup itself), which directory a --cgroup argument names, and the paths of cgroup ids.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace zctrace {

// The cgroup2 mount point from /proc/self/mountinfo; empty if there is none.
std::string UnifiedCgroupMount();

// A --cgroup argument: a path relative to the cgroup2 root ("/system.slice/nginx.service"), a path under the
// mount ("/sys/fs/cgroup/unified/x"), or the name of a cgroup anywhere below the root ("nginx.service").
// Gives its path relative to the root ("/" for the root) and its id (the directory's inode number, which
// the kernel's cgroup id is on cgroup2); false with a one-line *error otherwise.
bool ResolveCgroup(const std::string& arg, std::string* path, uint64_t* id, std::string* error);

// The id of a process's unified cgroup, from /proc/PID/cgroup; 0 if unknown.
uint64_t CgroupIdOfProcess(pid_t tgid);

// Every cgroup under the unified root, by id, as paths relative to the root.
std::map<uint64_t, std::string> ListCgroups();

}  // namespace zctrace
