// The store of exited processes: merging by key, folding by name.
#include "retired.h"

#include "snapshot_index.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace zctrace {
namespace {

zc_path_key PathKey(uint64_t word) {
  zc_path_key key{};
  std::memcpy(&key, &word, sizeof(key));
  return key;
}

void AddCounters(zc_path_counters* into, const zc_path_counters& from) {
#define ZCTRACE_ADD(name, in_thread) into->name += from.name;
  ZC_PATH_COUNTER_TABLE(ZCTRACE_ADD)
#undef ZCTRACE_ADD
}

void AddCounters(zc_process_counters* into, const zc_process_counters& from) {
  static_assert(sizeof(zc_process_counters) % 8 == 0, "zc_process_counters is words");
  uint64_t a[sizeof(zc_process_counters) / 8], b[sizeof(zc_process_counters) / 8];
  std::memcpy(a, into, sizeof(a));
  std::memcpy(b, &from, sizeof(b));
  for (size_t i = 0; i < sizeof(a) / 8; ++i)
    a[i] += b[i];
  std::memcpy(into, a, sizeof(a));
}

}  // namespace

uint32_t RetiredProcesses::Resolve(uint32_t slot) const {
  const auto folded = folded_into_.find(slot);
  return folded == folded_into_.end() ? slot : folded->second;
}

void RetiredProcesses::AddProcess(const ProcessSnapshot& process) {
  // a slot comes back when its entry's count wraps (zctrace.h): the earlier process was folded long ago
  folded_into_.erase(process.slot);
  Entry& e = processes_[process.slot];
  e.process = process;
}

void RetiredProcesses::AddPath(const PathSnapshot& path) {
  zc_path_key key = path.key;
  key.slot = Resolve(key.slot);
  AddCounters(&paths_[SnapshotIndex::PathWord(key)], path.counters);
}

void RetiredProcesses::AddFlow(const FlowSnapshot& flow) {
  zc_flow_key key = flow.key;
  key.slot = Resolve(key.slot);
  FlowKeyWords words{};
  std::memcpy(words.data(), &key, sizeof(key));
  auto it = flows_.find(words);
  if (it == flows_.end()) {
    if ((key.slot & kGroupSlotBit) && group_flows_[key.slot] >= kFlowsPerGroup) {
      ++unlisted_flows_;
      unlisted_flow_bytes_ += flow.counters.bytes;
      return;
    }
    if (key.slot & kGroupSlotBit)
      ++group_flows_[key.slot];
    it = flows_.emplace(words, zc_flow_counters{}).first;
  }
  it->second.bytes += flow.counters.bytes;
  it->second.chunks += flow.counters.chunks;
}

void RetiredProcesses::AddSyscalls(uint32_t slot, uint64_t syscalls) {
  auto it = processes_.find(Resolve(slot));
  if (it != processes_.end())
    it->second.process.counters.syscalls += syscalls;
}

void RetiredProcesses::Settle(uint32_t slot) {
  auto it = processes_.find(slot);
  if (it != processes_.end())
    it->second.settled = true;
}

void RetiredProcesses::Fold() {
  std::vector<uint32_t> settled;
  size_t one_by_one = 0;
  for (const auto& [slot, e] : processes_) {
    if (slot & kGroupSlotBit)
      continue;
    ++one_by_one;
    if (e.settled)
      settled.push_back(slot);
  }
  if (one_by_one <= kept_)
    return;
  // the oldest first: by when they exited
  std::sort(settled.begin(), settled.end(), [this](uint32_t a, uint32_t b) {
    return processes_.at(a).process.info.exit_ns < processes_.at(b).process.info.exit_ns;
  });
  settled.resize(std::min(settled.size(), one_by_one - kept_));
  if (settled.empty())
    return;
  std::map<uint32_t, uint32_t> group_of;  // this fold's slots → groups
  for (const uint32_t slot : settled) {
    const ProcessSnapshot& p = processes_.at(slot).process;
    const std::string comm(p.info.comm, strnlen(p.info.comm, sizeof(p.info.comm)));
    auto [group, made] = groups_.emplace(comm, kGroupSlotBit | static_cast<uint32_t>(groups_.size()));
    Entry& g = processes_[group->second];
    if (made) {
      g.settled = true;
      g.process.slot = group->second;
      std::memcpy(g.process.info.comm, p.info.comm, sizeof(p.info.comm));
      g.process.info.slot = group->second;
      g.process.info.start_ns = p.info.start_ns;
      g.process.info.cgroup_id = p.info.cgroup_id;
    }
    ProcessSnapshot& sum = g.process;
    sum.folded += p.folded ? p.folded : 1;
    sum.info.start_ns = std::min(sum.info.start_ns, p.info.start_ns);
    sum.info.exit_ns = std::max(sum.info.exit_ns, p.info.exit_ns);
    sum.info.sigbus += p.info.sigbus;
    sum.info.flags |= p.info.flags;
    AddCounters(&sum.counters, p.counters);
    group_of[slot] = group->second;
    folded_into_[slot] = group->second;
    fold_order_.push_back(slot);
    if (fold_order_.size() > kFoldsRemembered) {
      folded_into_.erase(fold_order_.front());
      fold_order_.pop_front();
    }
    processes_.erase(slot);
  }
  // their paths and flows, under their groups' slots
  std::vector<std::pair<uint64_t, zc_path_counters>> moved_paths;
  for (auto it = paths_.begin(); it != paths_.end();) {
    const auto group = group_of.find(PathKey(it->first).slot);
    if (group == group_of.end()) {
      ++it;
      continue;
    }
    zc_path_key key = PathKey(it->first);
    key.slot = group->second;
    moved_paths.emplace_back(SnapshotIndex::PathWord(key), it->second);
    it = paths_.erase(it);
  }
  for (const auto& [word, counters] : moved_paths)
    AddCounters(&paths_[word], counters);
  std::vector<FlowSnapshot> moved_flows;
  for (auto it = flows_.begin(); it != flows_.end();) {
    zc_flow_key key{};
    std::memcpy(&key, it->first.data(), sizeof(key));
    const auto group = group_of.find(key.slot);
    if (group == group_of.end()) {
      ++it;
      continue;
    }
    FlowSnapshot f;
    f.key = key;  // AddFlow resolves it to the group
    f.counters = it->second;
    moved_flows.push_back(f);
    it = flows_.erase(it);
  }
  for (const FlowSnapshot& f : moved_flows)
    AddFlow(f);
}

void RetiredProcesses::AppendTo(Snapshot* snap) const {
  for (const auto& [slot, e] : processes_)
    snap->processes.push_back(e.process);
  SnapshotIndex index(snap);
  for (const auto& [word, counters] : paths_)
    AddCounters(&index.Path(word), counters);
  for (const auto& [words, counters] : flows_) {
    zc_flow_counters& c = index.Flow(words);
    c.bytes += counters.bytes;
    c.chunks += counters.chunks;
  }
  if (unlisted_flows_) {
    snap->warnings.push_back(std::to_string(unlisted_flows_) + " flows of exited processes folded by name (" +
                             std::to_string(unlisted_flow_bytes_) +
                             " bytes) are left out of the flow lists, " + std::to_string(kFlowsPerGroup) +
                             " a name at most; their bytes are in the paths");
  }
}

}  // namespace zctrace
