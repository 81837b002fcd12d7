// What the tracer read out of the BPF maps, per-CPU values already summed: plain data, no libbpf, so
// that aggregation and rendering are testable without root.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "zctrace.h"

namespace zctrace {

struct ProcessSnapshot {
  uint32_t slot = 0;
  zc_process info{};
  zc_process_counters counters{};
  uint32_t folded =
      0;  // exited processes of this name folded into this entry (RetiredProcesses); 0: one process
};

struct PathSnapshot {
  zc_path_key key{};
  zc_path_counters counters{};
};

struct FlowSnapshot {
  zc_flow_key key{};
  zc_flow_counters counters{};
};

struct EndpointSnapshot {
  zc_endpoint_id id{};
  zc_endpoint_info info{};
};

// Which probes loaded and attached, and why not where not.
struct Capability {
  std::string name;  // "syscalls", "skb_copy", "page_faults", "follow_children", ...
  bool available = false;
  std::string detail;  // the tracepoint, or why it is missing
};

struct Snapshot {
  double duration_s = 0;
  uint64_t now_ns = 0;  // bpf_ktime_get_ns() clock (CLOCK_MONOTONIC) when read
  std::string kernel;   // uname release
  std::vector<Capability> capabilities;
  std::vector<ProcessSnapshot> processes;
  std::vector<PathSnapshot> paths;
  std::vector<FlowSnapshot> flows;
  std::vector<EndpointSnapshot> endpoints;
  std::vector<std::pair<uint32_t, std::string>> mounts;  // kernel s_dev → mount point, for endpoint names
  std::map<uint64_t, std::string> cgroups;  // the processes' cgroup v2 ids → paths under the cgroup2 root
  zc_health health{};
  std::vector<std::string> warnings;  // from the tracer (e.g. a probe left off)
};

}  // namespace zctrace
