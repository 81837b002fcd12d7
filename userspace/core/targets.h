// What the user points zctrace at, read from /proc and cgroupfs text: a process's stat line, its unified
// cgroup, the descendants of a process, and the service or container a cgroup path names. Plain parsing,
// testable without root; the reading is in app/target_scan.cpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zctrace {

// The fields of /proc/PID/stat that decide whether a PID can be traced.
struct ProcStat {
  std::string comm;
  char state = 0;  // R, S, D, Z (zombie), X, ...
  pid_t ppid = 0;
  unsigned flags = 0;  // PF_* (include/linux/sched.h)
};
inline constexpr unsigned kPfKernelThread = 0x00200000;  // PF_KTHREAD

// Parses a /proc/PID/stat line; the name may hold spaces and parentheses (the last ')' closes it).
std::optional<ProcStat> ParseProcStat(std::string_view line);

// The unified (cgroup v2) path in /proc/PID/cgroup's text: its "0::PATH" line ("/system.slice/x.service").
std::optional<std::string> UnifiedCgroupPath(std::string_view proc_cgroup);

// Whether cgroup `path` is `target` or below it (paths relative to the cgroup v2 root, "/" the root).
bool CgroupWithin(std::string_view path, std::string_view target);

// The tgids below `roots` in the process tree given as (tgid, parent tgid) pairs, roots excluded, parents
// before their children.
std::vector<pid_t> Descendants(const std::vector<std::pair<pid_t, pid_t>>& parent_of,
                               const std::vector<pid_t>& roots);

// What a cgroup path says about who runs there: the systemd unit (the last *.service or *.scope component,
// "nginx.service") and a container id where the path shows one (docker, containerd, CRI-O, podman: 64 hex
// digits, reported as the 12 that `docker ps` shows).
struct CgroupLabel {
  std::string unit;
  std::string container;
};
CgroupLabel LabelCgroup(std::string_view path);

// Splits a -p argument: PIDs separated by commas and/or white space ("$(pidof nginx)"); an empty item
// between commas ("1,,2") is kept, for the caller to refuse.
std::vector<std::string> SplitPidList(std::string_view text);

}  // namespace zctrace
