// Parsing what /proc and cgroupfs say about the processes zctrace is pointed at.
#include "targets.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace zctrace {

std::optional<ProcStat> ParseProcStat(std::string_view line) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  ProcStat stat;
  stat.comm = std::string(line.substr(open + 1, close - open - 1));
  // after the name: state ppid pgrp session tty_nr tpgid flags ...
  const std::string rest(line.substr(close + 1));
  int ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
  unsigned flags = 0;
  char state = 0;
  if (sscanf(rest.c_str(), " %c %d %d %d %d %d %u", &state, &ppid, &pgrp, &session, &tty, &tpgid, &flags) !=
      7)
    return std::nullopt;
  stat.state = state;
  stat.ppid = ppid;
  stat.flags = flags;
  return stat;
}

std::optional<std::string> UnifiedCgroupPath(std::string_view proc_cgroup) {
  size_t start = 0;
  while (start < proc_cgroup.size()) {
    size_t end = proc_cgroup.find('\n', start);
    if (end == std::string_view::npos)
      end = proc_cgroup.size();
    const std::string_view line = proc_cgroup.substr(start, end - start);
    if (line.substr(0, 3) == "0::")
      return std::string(line.substr(3));
    start = end + 1;
  }
  return std::nullopt;
}

bool CgroupWithin(std::string_view path, std::string_view target) {
  while (target.size() > 1 && target.back() == '/')
    target.remove_suffix(1);
  if (target == "/" || target.empty())
    return true;
  if (path.substr(0, target.size()) != target)
    return false;
  return path.size() == target.size() || path[target.size()] == '/';
}

std::vector<pid_t> Descendants(const std::vector<std::pair<pid_t, pid_t>>& parent_of,
                               const std::vector<pid_t>& roots) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& [pid, ppid] : parent_of)
    children.emplace(ppid, pid);
  std::vector<pid_t> found;
  std::vector<pid_t> queue(roots);
  for (size_t i = 0; i < queue.size(); ++i) {
    const auto [first, last] = children.equal_range(queue[i]);
    for (auto it = first; it != last; ++it) {
      const pid_t child = it->second;
      if (std::find(queue.begin(), queue.end(), child) != queue.end())
        continue;  // also a root, or met twice (a pid reused while /proc was read)
      queue.push_back(child);
      found.push_back(child);
    }
  }
  return found;
}

namespace {

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A 64-hex-digit container id inside one path component: "docker-<id>.scope", "cri-containerd-<id>.scope",
// "crio-<id>.scope", "libpod-<id>.scope", or the bare id (docker's cgroupfs driver: /docker/<id>).
std::string ContainerIdIn(std::string_view component) {
  if (EndsWith(component, ".scope"))
    component.remove_suffix(6);
  if (const size_t dash = component.rfind('-'); dash != std::string_view::npos)
    component = component.substr(dash + 1);
  if (component.size() == 64 && IsHex(component))
    return std::string(component.substr(0, 12));
  return {};
}

}  // namespace

CgroupLabel LabelCgroup(std::string_view path) {
  CgroupLabel label;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos)
      end = path.size();
    const std::string_view component = path.substr(start, end - start);
    if (!component.empty()) {
      if (std::string id = ContainerIdIn(component); !id.empty())
        label.container = id;
      else if (EndsWith(component, ".service") || EndsWith(component, ".scope"))
        label.unit = std::string(component);
    }
    start = end + 1;
  }
  return label;
}

std::vector<std::string> SplitPidList(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  for (;;) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view between = text.substr(start, comma - start);
    size_t words = 0;
    std::string word;
    for (size_t i = 0; i <= between.size(); ++i) {
      if (i == between.size() || std::isspace(static_cast<unsigned char>(between[i]))) {
        if (!word.empty()) {
          items.push_back(word);
          ++words;
        }
        word.clear();
      } else {
        word += between[i];
      }
    }
    if (words == 0 && text.find(',') != std::string_view::npos)
      items.emplace_back();  // "1,,2" or a trailing comma: a PID is missing
    if (comma == text.size())
      return items;
    start = comma + 1;
  }
}

}  // namespace zctrace
