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

// --stacks: one frame of a user call stack, as named from the process's mappings and the files' symbols.
struct StackFrame {
  uint64_t address = 0;        // in the process
  std::string module;          // the mapped file's path; "[anonymous]" for JIT code; empty: no mapping known
  uint64_t module_offset = 0;  // the address's offset in that file (what a symbolizer looks up)
  std::string build_id;        // the module's GNU build id (hex), when it has one
  std::string function;        // empty when no symbol covers it
  uint64_t function_offset = 0;
  bool leaf_caller = false;  // the caller of a syscall wrapper, from the return address at its stack pointer
};

// A (path, ends, stack) entry of the kernel's stack counts; frames and truncated are filled in by the
// symbolizer (userspace/stacks), which reads the processes' files.
struct StackSnapshot {
  zc_stack_key key{};
  zc_stack_counters counters{};
  uint32_t process_slot = 0;       // the process entry it belongs to (a folded group's, once folded)
  std::vector<StackFrame> frames;  // the innermost first
  std::string truncated;           // why the frames stop where they do, when known
};

// --self-cost: what one of zctrace's BPF programs has cost since it was loaded (the kernel's run-time
// statistics, every run on the machine: the hot path runs at every syscall exit, traced or not).
struct ProgramCost {
  std::string name;
  uint64_t runs = 0;
  uint64_t run_time_ns = 0;
};

struct CodeMappingSnapshot {
  zc_code_mapping_key key{};
  zc_code_mapping mapping{};
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
  std::map<uint32_t, std::string> filesystems;           // kernel s_dev → filesystem type ("ext4", "btrfs")
  std::map<uint64_t, std::string> cgroups;  // the processes' cgroup v2 ids → paths under the cgroup2 root
  zc_health health{};
  // --stacks (stacks_captured): the counts by stack, the stacks' addresses by id, and the code mappings
  bool stacks_captured = false;
  std::vector<StackSnapshot> stacks;
  std::map<int32_t, std::vector<uint64_t>> stack_addresses;
  std::vector<CodeMappingSnapshot> code_mappings;
  zc_stack_health stack_health{};
  // --self-cost (self_cost_measured): the programs' run-time statistics, and zctrace's own CPU time
  bool self_cost_measured = false;
  std::vector<ProgramCost> program_costs;
  double collector_cpu_s = 0;
  std::vector<std::string> warnings;  // from the tracer (e.g. a probe left off)
};

}  // namespace zctrace
