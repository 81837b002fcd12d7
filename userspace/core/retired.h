// Exited processes, once the kernel has handed their entries to new processes: kept by userspace with their
// paths and flows, the newest one by one and older ones folded by name into one entry each, so that what
// zctrace holds stays bounded however many processes a traced service forks in a long run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "snapshot.h"

namespace zctrace {

class RetiredProcesses {
 public:
  // Exited processes kept one by one; beyond that, the oldest are folded into their name's entry.
  static constexpr size_t kDefaultKept = 512;
  // Flows a folded entry keeps (each a distinct pair of endpoints); later ones are counted, not listed.
  static constexpr size_t kFlowsPerGroup = 256;
  // Folded entries have slots with the top bit set, which the kernel never hands out (zctrace.h).
  static constexpr uint32_t kGroupSlotBit = 1u << 31;
  // Folded slots whose group is remembered, for counts that arrive after the fold (a thread's record that
  // reached the kernel's map late): seconds' worth of a fork loop.
  static constexpr size_t kFoldsRemembered = 65536;

  explicit RetiredProcesses(size_t kept = kDefaultKept) : kept_(kept) {}

  void AddProcess(const ProcessSnapshot& process);
  bool Has(uint32_t slot) const { return processes_.count(slot) != 0; }
  // Counts keyed by a retired process's slot: added to its entry's (or its group's, once folded).
  void AddPath(const PathSnapshot& path);
  void AddFlow(const FlowSnapshot& flow);
  void AddSyscalls(uint32_t slot, uint64_t syscalls);
  // Everything keyed by the slot is in (the kernel's maps and the threads' records): it may be folded.
  void Settle(uint32_t slot);
  // Folds the oldest settled processes beyond the number kept one by one.
  void Fold();
  // The processes (one by one and folded), and their paths and flows merged into the snapshot's by key.
  void AppendTo(Snapshot* snap) const;
  size_t Processes() const { return processes_.size(); }
  // The slot a process's counts are under now: its group's once it is folded, else its own.
  uint32_t SlotOf(uint32_t slot) const { return Resolve(slot); }

 private:
  using FlowKeyWords = std::array<uint64_t, sizeof(zc_flow_key) / 8>;
  struct Entry {
    ProcessSnapshot process;
    bool settled = false;
  };
  uint32_t Resolve(uint32_t slot) const;  // its group's slot once folded

  size_t kept_;
  std::map<uint32_t, Entry> processes_;         // by slot; one-by-one entries in slot order, groups after
  std::map<uint64_t, zc_path_counters> paths_;  // by the key's word
  std::map<FlowKeyWords, zc_flow_counters> flows_;
  std::map<uint32_t, size_t> group_flows_;    // flows listed per group
  std::map<std::string, uint32_t> groups_;    // comm → group slot
  std::map<uint32_t, uint32_t> folded_into_;  // a folded slot → its group's (for late counts)
  std::deque<uint32_t> fold_order_;           // the newest kFoldsRemembered of them
  uint64_t unlisted_flows_ = 0, unlisted_flow_bytes_ = 0;
};

}  // namespace zctrace
