// Threads count their syscalls and their busiest paths and flows in their own entry of the BPF thread
// table (zc_thread_counts in bpf/zctrace.h), so a read gathers those records from two places: live
// threads through the task iterator, exited threads from the dead_threads map. A thread that exits during a
// read is in both; its serial decides: once retired, a thread's record is counted from the retired totals
// only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "retired.h"
#include "snapshot.h"

namespace zctrace {

class ThreadCounts {
 public:
  // An exited thread's final record. Retiring the same serial twice counts it once.
  void Retire(const zc_thread_counts& record);
  bool IsRetired(uint64_t serial) const { return retired_serials_.count(serial) != 0; }
  // Adds the retired threads' counts, and those of the live records not yet retired, to the
  // snapshot's paths and flows (to the entry with the same key, or a new one) and to its processes'
  // syscall counts (by slot).
  void AddTo(const std::vector<zc_thread_counts>& live, Snapshot* snap) const;
  // Hands the retired threads' counts of these processes (by slot) to the store of exited processes, and
  // forgets them and their threads' serials: those threads' records are all in.
  void MoveTo(const std::set<uint32_t>& slots, RetiredProcesses* retired);

 private:
  // The counters a thread's record keeps of a path (zctrace.h's table, second column 1).
  struct Calls {
#define ZCTRACE_CALLS_FIELD(name) uint64_t name = 0;
#define ZCTRACE_THREAD_FIELD(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZCTRACE_CALLS_FIELD, name)
    ZC_PATH_COUNTER_TABLE(ZCTRACE_THREAD_FIELD)
#undef ZCTRACE_THREAD_FIELD
#undef ZCTRACE_CALLS_FIELD
  };
  struct Chunks {
    uint64_t bytes = 0, chunks = 0;
  };
  using FlowKeyWords = std::array<uint64_t, sizeof(zc_flow_key) / 8>;
  struct Totals {
    std::map<uint64_t, Calls> paths;  // by the path key's 8 bytes
    std::map<FlowKeyWords, Chunks> flows;
    std::map<uint32_t, uint64_t> syscalls;  // by process slot
  };
  static void Add(const zc_thread_counts& record, Totals* totals);

  std::unordered_map<uint64_t, uint32_t> retired_serials_;  // serial → slot
  Totals retired_;
};

}  // namespace zctrace
