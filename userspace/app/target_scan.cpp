// Reading /proc for the targets.
#include "target_scan.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "cgroupfs.h"
#include "targets.h"

namespace zctrace {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcStat> StatOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  return ParseProcStat(line);
}

// The process a task id belongs to (its Tgid: line); 0 if there is no such task.
pid_t TgidOf(pid_t tid) {
  std::istringstream status(ReadFile("/proc/" + std::to_string(tid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, 5, "Tgid:") == 0)
      return static_cast<pid_t>(std::atoi(line.c_str() + 5));
  }
  return 0;
}

struct Listed {
  pid_t tgid;
  ProcStat stat;
};

// Every process in /proc now, with its stat, less zombies and kernel threads.
std::vector<Listed> LiveProcesses() {
  std::vector<Listed> listed;
  DIR* proc = opendir("/proc");
  if (!proc)
    return listed;
  while (const dirent* entry = readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0])))
      continue;
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid == getpid())
      continue;  // zctrace, in the cgroup it traces: its own reads of the maps are not the service's
    std::optional<ProcStat> stat = StatOf(pid);
    if (!stat || stat->state == 'Z' || stat->state == 'X' || (stat->flags & kPfKernelThread))
      continue;
    listed.push_back({pid, std::move(*stat)});
  }
  closedir(proc);
  return listed;
}

}  // namespace

bool ResolveTargets(const Options& opts, Targets* targets, std::string* error) {
  for (const int pid : opts.pids) {
    const pid_t tgid = TgidOf(pid);
    std::optional<ProcStat> stat = tgid ? StatOf(tgid) : std::nullopt;
    if (!stat) {
      *error = "no process with PID " + std::to_string(pid);
      return false;
    }
    const std::string named = "PID " + std::to_string(tgid) + " (" + stat->comm + ")";
    if (stat->flags & kPfKernelThread) {
      *error = named + " is a kernel thread: it makes no system calls that zctrace could trace";
      return false;
    }
    if (stat->state == 'Z' || stat->state == 'X') {
      *error = named + " is a zombie: it has exited and waits for its parent (PID " +
               std::to_string(stat->ppid) + ") to collect its status; there is nothing left to trace";
      return false;
    }
    if (tgid != pid) {
      targets->notes.push_back("PID " + std::to_string(pid) + " is a thread of process " +
                               std::to_string(tgid) + " (" + stat->comm +
                               "): tracing the process, all its threads");
    }
    if (std::find(targets->roots.begin(), targets->roots.end(), tgid) == targets->roots.end())
      targets->roots.push_back(tgid);
  }
  if (opts.cgroup && !ResolveCgroup(*opts.cgroup, &targets->cgroup_path, &targets->cgroup_id, error))
    return false;
  return true;
}

std::vector<pid_t> ExistingTargets(const Options& opts, const Targets& targets, pid_t held) {
  std::vector<pid_t> found;
  if (!opts.pids.empty()) {
    found = targets.roots;
    if (!opts.follow_children)
      return found;
    std::vector<std::pair<pid_t, pid_t>> parent_of;
    for (const Listed& p : LiveProcesses())
      parent_of.emplace_back(p.tgid, p.stat.ppid);
    for (const pid_t child : Descendants(parent_of, targets.roots))
      found.push_back(child);
    return found;
  }
  if (!opts.cgroup && !opts.comm && !opts.all)
    return found;
  for (const Listed& p : LiveProcesses()) {
    if (opts.all) {
      if (p.tgid != held)
        found.push_back(p.tgid);
    } else if (opts.comm && p.stat.comm == *opts.comm) {
      found.push_back(p.tgid);
    } else if (opts.cgroup) {
      const std::optional<std::string> path =
          UnifiedCgroupPath(ReadFile("/proc/" + std::to_string(p.tgid) + "/cgroup"));
      if (path && CgroupWithin(*path, targets.cgroup_path))
        found.push_back(p.tgid);
    }
  }
  return found;
}

bool HasExited(pid_t tgid) {
  const std::optional<ProcStat> stat = StatOf(tgid);
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

}  // namespace zctrace
