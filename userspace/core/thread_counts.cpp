#include "thread_counts.h"

#include <algorithm>
#include <cstring>

namespace zctrace {
namespace {

static_assert(sizeof(zc_path_key) == sizeof(uint64_t), "a path key is compared as one word");
static_assert(sizeof(zc_flow_key) % 8 == 0, "a flow key is compared as words");

uint64_t PathWord(const zc_path_key& key) {
  uint64_t word = 0;
  std::memcpy(&word, &key, sizeof(word));
  return word;
}

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
    Calls& sum = totals->paths[PathWord(p.key)];
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
  if (!retired_serials_.insert(record.serial).second)
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

  std::map<uint64_t, size_t> path_index;
  for (size_t i = 0; i < snap->paths.size(); ++i)
    path_index[PathWord(snap->paths[i].key)] = i;
  for (const auto& [word, sum] : paths) {
    auto it = path_index.find(word);
    if (it == path_index.end()) {  // the map entry is made first, so only a read racing with it
      PathSnapshot p;
      std::memcpy(&p.key, &word, sizeof(p.key));
      it = path_index.emplace(word, snap->paths.size()).first;
      snap->paths.push_back(p);
    }
    zc_path_counters& c = snap->paths[it->second].counters;
#define ZCTRACE_ADD(name) c.name += sum.name;
#define ZCTRACE_ADD_THREAD_FIELD(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZCTRACE_ADD, name)
    ZC_PATH_COUNTER_TABLE(ZCTRACE_ADD_THREAD_FIELD)
#undef ZCTRACE_ADD_THREAD_FIELD
#undef ZCTRACE_ADD
  }

  std::map<FlowKeyWords, size_t> flow_index;
  for (size_t i = 0; i < snap->flows.size(); ++i) {
    FlowKeyWords words{};
    std::memcpy(words.data(), &snap->flows[i].key, sizeof(words));
    flow_index[words] = i;
  }
  for (const auto& [words, sum] : flows) {
    auto it = flow_index.find(words);
    if (it == flow_index.end()) {
      FlowSnapshot f;
      std::memcpy(&f.key, words.data(), sizeof(f.key));
      it = flow_index.emplace(words, snap->flows.size()).first;
      snap->flows.push_back(f);
    }
    snap->flows[it->second].counters.bytes += sum.bytes;
    snap->flows[it->second].counters.chunks += sum.chunks;
  }
}

}  // namespace zctrace
