// Reading the cgroup v2 hierarchy from its mount.
#include "cgroupfs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "targets.h"

namespace zctrace {
namespace {

bool IsDirectory(const std::string& path, uint64_t* inode) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return false;
  *inode = st.st_ino;
  return true;
}

// Calls visit(relative path, inode) for every directory below `root`, breadth first.
template <typename Visit>
void WalkCgroups(const std::string& root, Visit visit) {
  std::vector<std::string> queue = {""};
  for (size_t i = 0; i < queue.size(); ++i) {
    DIR* dir = opendir((root + queue[i]).c_str());
    if (!dir)
      continue;  // removed meanwhile
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
        continue;
      const std::string relative = queue[i] + "/" + entry->d_name;
      if (visit(relative, entry->d_ino))
        queue.push_back(relative);
    }
    closedir(dir);
  }
}

}  // namespace

std::string UnifiedCgroupMount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS"
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0)
      continue;
    char root[4096], point[4096];
    if (sscanf(line.c_str(), "%*u %*u %*u:%*u %4095s %4095s", root, point) == 2 &&
        std::strcmp(root, "/") == 0)
      return point;
  }
  return {};
}

bool ResolveCgroup(const std::string& arg, std::string* path, uint64_t* id, std::string* error) {
  const std::string mount = UnifiedCgroupMount();
  if (mount.empty()) {
    *error = "--cgroup needs cgroup v2, and no cgroup2 file system is mounted (mount -t cgroup2 none DIR)";
    return false;
  }
  std::string relative;
  if (arg.compare(0, mount.size(), mount) == 0 && (arg.size() == mount.size() || arg[mount.size()] == '/'))
    relative = arg.substr(mount.size());
  else if (arg[0] == '/')
    relative = arg;
  while (relative.size() > 1 && relative.back() == '/')
    relative.pop_back();
  if (relative.empty() && arg[0] == '/')
    relative = "/";
  if (!relative.empty()) {
    if (!IsDirectory(mount + (relative == "/" ? "" : relative), id)) {
      *error = "--cgroup " + arg + ": no such cgroup under " + mount;
      return false;
    }
    *path = relative;
    return true;
  }
  // a name: the first cgroup of that name, nearest the root first
  std::vector<std::pair<std::string, uint64_t>> found;
  WalkCgroups(mount, [&](const std::string& rel, uint64_t inode) {
    const size_t slash = rel.rfind('/');
    if (rel.compare(slash + 1, std::string::npos, arg) == 0)
      found.emplace_back(rel, inode);
    return true;
  });
  if (found.empty()) {
    *error = "--cgroup " + arg + ": no cgroup of that name under " + mount +
             " (a systemd unit has one only while it runs, and only where systemd uses cgroup v2)";
    return false;
  }
  if (found.size() > 1) {
    *error = "--cgroup " + arg + ": several cgroups have that name (" + found[0].first + ", " +
             found[1].first + "...): give the path";
    return false;
  }
  *path = found[0].first;
  *id = found[0].second;
  return true;
}

uint64_t CgroupIdOfProcess(pid_t tgid) {
  std::ifstream in("/proc/" + std::to_string(tgid) + "/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  const std::optional<std::string> path = UnifiedCgroupPath(text.str());
  const std::string mount = UnifiedCgroupMount();
  uint64_t id = 0;
  if (!path || mount.empty() || !IsDirectory(mount + (*path == "/" ? "" : *path), &id))
    return 0;
  return id;
}

std::map<uint64_t, std::string> ListCgroups() {
  std::map<uint64_t, std::string> cgroups;
  const std::string mount = UnifiedCgroupMount();
  uint64_t root_id = 0;
  if (mount.empty() || !IsDirectory(mount, &root_id))
    return cgroups;
  cgroups[root_id] = "/";
  WalkCgroups(mount, [&](const std::string& rel, uint64_t inode) {
    cgroups[inode] = rel;
    return true;
  });
  return cgroups;
}

}  // namespace zctrace
