#include "thread_counts.h"

#include "snapshot_index.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace zctrace {
namespace {

static_assert(sizeof(zc_path_key) == sizeof(uint64_t), "a path key is compared as one word");
static_assert(sizeof(zc_flow_key) % 8 == 0, "a flow key is compared as words");

}  // namespace

void ThreadCounts::Add(const zc_thread_counts& record, Totals* totals) {
  if (record.syscalls != 0)
    totals->syscalls[record.slot] += record.syscalls;
  // The kernel never writes more than its arrays hold; a torn read of a live record must not either.
  const uint32_t npaths = std::min<uint32_t>(record.npaths, ZC_THREAD_PATHS);
  const uint32_t nflows = std::min<uint32_t>(record.nflows, ZC_THREAD_FLOWS);
  for (uint32_t i = 0; i < npaths; ++i) {
    const zc_thread_path& p = record.paths[i];
    if (p.calls == 0)
      continue;  // claimed but not yet counted (a live record read mid-update)
    Calls& sum = totals->paths[SnapshotIndex::PathWord(p.key)];
#define ZCTRACE_ADD(name) sum.name += p.name;
#define ZCTRACE_ADD_THREAD_FIELD(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZCTRACE_ADD, name)
    ZC_PATH_COUNTER_TABLE(ZCTRACE_ADD_THREAD_FIELD)
#undef ZCTRACE_ADD_THREAD_FIELD
#undef ZCTRACE_ADD
  }
  for (uint32_t i = 0; i < nflows; ++i) {
    const zc_thread_flow& f = record.flows[i];
    if (f.chunks == 0)
      continue;
    FlowKeyWords words{};
    std::memcpy(words.data(), &f.key, sizeof(f.key));
    Chunks& sum = totals->flows[words];
    sum.bytes += f.bytes;
    sum.chunks += f.chunks;
  }
}

void ThreadCounts::Retire(const zc_thread_counts& record) {
  if (!retired_serials_.emplace(record.serial, record.slot).second)
    return;
  Add(record, &retired_);
}

void ThreadCounts::AddTo(const std::vector<zc_thread_counts>& live, Snapshot* snap) const {
  Totals totals = retired_;
  for (const zc_thread_counts& record : live) {
    if (!IsRetired(record.serial))
      Add(record, &totals);
  }
  const auto& [paths, flows, syscalls] = totals;

  for (ProcessSnapshot& proc : snap->processes) {
    auto it = syscalls.find(proc.slot);
    if (it != syscalls.end())
      proc.counters.syscalls += it->second;
  }

  // the map entry is made first, so a key missing there is a read racing with it
  SnapshotIndex index(snap);
  for (const auto& [word, sum] : paths) {
    zc_path_counters& c = index.Path(word);
#define ZCTRACE_ADD(name) c.name += sum.name;
#define ZCTRACE_ADD_THREAD_FIELD(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZCTRACE_ADD, name)
    ZC_PATH_COUNTER_TABLE(ZCTRACE_ADD_THREAD_FIELD)
#undef ZCTRACE_ADD_THREAD_FIELD
#undef ZCTRACE_ADD
  }
  for (const auto& [words, sum] : flows) {
    zc_flow_counters& c = index.Flow(words);
    c.bytes += sum.bytes;
    c.chunks += sum.chunks;
  }
}

void ThreadCounts::MoveTo(const std::set<uint32_t>& slots, RetiredProcesses* retired) {
  for (auto it = retired_.paths.begin(); it != retired_.paths.end();) {
    PathSnapshot p;
    std::memcpy(&p.key, &it->first, sizeof(p.key));
    if (!slots.count(p.key.slot)) {
      ++it;
      continue;
    }
#define ZCTRACE_COPY(name) p.counters.name = it->second.name;
#define ZCTRACE_COPY_THREAD_FIELD(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZCTRACE_COPY, name)
    ZC_PATH_COUNTER_TABLE(ZCTRACE_COPY_THREAD_FIELD)
#undef ZCTRACE_COPY_THREAD_FIELD
#undef ZCTRACE_COPY
    retired->AddPath(p);
    it = retired_.paths.erase(it);
  }
  for (auto it = retired_.flows.begin(); it != retired_.flows.end();) {
    FlowSnapshot f;
    std::memcpy(&f.key, it->first.data(), sizeof(f.key));
    if (!slots.count(f.key.slot)) {
      ++it;
      continue;
    }
    f.counters.bytes = it->second.bytes;
    f.counters.chunks = it->second.chunks;
    retired->AddFlow(f);
    it = retired_.flows.erase(it);
  }
  for (const uint32_t slot : slots) {
    if (auto it = retired_.syscalls.find(slot); it != retired_.syscalls.end()) {
      retired->AddSyscalls(slot, it->second);
      retired_.syscalls.erase(it);
    }
  }
  for (auto it = retired_serials_.begin(); it != retired_serials_.end();)
    it = slots.count(it->second) ? retired_serials_.erase(it) : std::next(it);
}

}  // namespace zctrace
