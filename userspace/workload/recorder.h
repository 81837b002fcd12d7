// Ground-truth bookkeeping: every data-moving syscall the workload makes is counted
// under a path key (syscall name, source kind, sink kind).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

namespace workload {

// The kind name for the process's own memory (read's sink, write's source).
inline const std::string kUser = "user";

struct PathCount {
  uint64_t calls = 0;
  uint64_t bytes = 0;   // sum of successful returns (for mmap/munmap: the length)
  uint64_t errors = 0;  // calls that returned < 0
};

struct PathKey {
  std::string syscall;
  std::string source;
  std::string sink;
  bool operator<(const PathKey& o) const {
    return std::tie(syscall, source, sink) < std::tie(o.syscall, o.source, o.sink);
  }
};

class Recorder {
 public:
  // Counts one call whose return value is `ret` (bytes moved, or < 0 on error).
  void record(const PathKey& key, long ret);
  // Counts one mmap/munmap call: on success the mapping length counts as bytes.
  void record_mapping(const PathKey& key, bool ok, uint64_t length);
  // Adds a whole path entry (used for the child's report write, seen by the parent).
  void add(const PathKey& key, const PathCount& count);

  const std::map<PathKey, PathCount>& paths() const { return paths_; }

  // [{"syscall":..,"source":..,"sink":..,"calls":..,"bytes":..,"errors":..}, ...]
  nlohmann::ordered_json to_json() const;
  static Recorder from_json(const nlohmann::json& paths);

 private:
  std::map<PathKey, PathCount> paths_;
};

}  // namespace workload
