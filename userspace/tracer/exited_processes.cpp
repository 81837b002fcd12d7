// Exited processes, from the kernel to userspace's store (retired_): what the kernel handed over at their
// exit, what it could not, and a second later everything else keyed by their slots. The kernel reuses their
// array entries at once; their slots stay unique (zctrace.h), so nothing keyed by them is mixed up meanwhile.
#include <bpf/libbpf.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "map_reader.h"
#include "tracer.h"
#include "zctrace.skel.h"

namespace zctrace {

void Tracer::TakeExited() const {
  std::vector<__u32> taken;
  ForEachKey<__u32>(skel_->maps.exited, [&](const __u32& slot) {
    zc_exited record{};
    if (bpf_map__lookup_elem(skel_->maps.exited, &slot, sizeof(slot), &record, sizeof(record), 0) != 0)
      return;
    ProcessSnapshot p;
    p.slot = slot;
    p.info = record.info;
    p.counters = record.counters;
    retired_.AddProcess(p);
    to_settle_.insert(slot);
    taken.push_back(slot);
  });
  for (const __u32& slot : taken)
    bpf_map__delete_elem(skel_->maps.exited, &slot, sizeof(slot), 0);
}

void Tracer::TakeExitedEntries() const {
  const __u32 used = std::min<__u32>(skel_->bss->next_slot, config_.max_processes);
  std::set<__u32> seen;
  for (__u32 index = 0; index < used; ++index) {
    zc_process info{};
    if (bpf_map__lookup_elem(skel_->maps.processes, &index, sizeof(index), &info, sizeof(info), 0) != 0 ||
        info.tgid == 0 || info.exit_ns == 0)
      continue;
    if (!exited_entries_seen_.count(index)) {
      seen.insert(index);  // its last thread's exit may still be under way: taken at the next call
      continue;
    }
    ProcessSnapshot p;
    p.slot = info.slot;
    p.info = info;
    LookupPerCpu(skel_->maps.process_counters, &index, sizeof(index), ncpus_, &p.counters);
    retired_.AddProcess(p);
    to_settle_.insert(info.slot);
    // cleared as the kernel clears the entries it hands over (slots.bpf.h), then handed back
    const std::vector<zc_process_counters> zeros(static_cast<size_t>(ncpus_));
    bpf_map__update_elem(skel_->maps.process_counters, &index, sizeof(index), zeros.data(),
                         sizeof(zc_process_counters) * zeros.size(), BPF_EXIST);
    std::vector<char> no_fills(bpf_map__value_size(skel_->maps.fills), 0);
    bpf_map__update_elem(skel_->maps.fills, &index, sizeof(index), no_fills.data(), no_fills.size(),
                         BPF_EXIST);
    zc_process cleared{};
    cleared.slot = info.slot;
    cleared.mapping_generation = info.mapping_generation;
    bpf_map__update_elem(skel_->maps.processes, &index, sizeof(index), &cleared, sizeof(cleared), BPF_EXIST);
    bpf_map__update_elem(skel_->maps.free_entries, nullptr, 0, &index, sizeof(index), BPF_ANY);
  }
  exited_entries_seen_ = std::move(seen);
}

void Tracer::SettleRetired() const {
  if (!settling_.empty()) {
    std::vector<zc_path_key> path_keys;
    ForEachKey<zc_path_key>(skel_->maps.paths, [&](const zc_path_key& key) {
      if (settling_.count(key.slot))
        path_keys.push_back(key);
    });
    for (const zc_path_key& key : path_keys) {
      PathSnapshot p;
      p.key = key;
      if (LookupPerCpu(skel_->maps.paths, &key, sizeof(key), ncpus_, &p.counters))
        retired_.AddPath(p);
      bpf_map__delete_elem(skel_->maps.paths, &key, sizeof(key), 0);
    }
    std::vector<zc_flow_key> flow_keys;
    ForEachKey<zc_flow_key>(skel_->maps.flows, [&](const zc_flow_key& key) {
      if (settling_.count(key.slot))
        flow_keys.push_back(key);
    });
    for (const zc_flow_key& key : flow_keys) {
      FlowSnapshot f;
      f.key = key;
      if (LookupPerCpu(skel_->maps.flows, &key, sizeof(key), ncpus_, &f.counters))
        retired_.AddFlow(f);
      bpf_map__delete_elem(skel_->maps.flows, &key, sizeof(key), 0);
    }
    flow_table_.TakeAndFree([this](uint32_t slot) { return settling_.count(slot) > 0; },
                            [this](const zc_flow_key& key, const zc_flow_counters& counts) {
                              FlowSnapshot f;
                              f.key = key;
                              f.counters = counts;
                              retired_.AddFlow(f);
                            });
    threads_.MoveTo(settling_, &retired_);
    for (const __u32 slot : settling_)
      retired_.Settle(slot);
  }
  settling_ = std::move(to_settle_);
  to_settle_.clear();
  retired_.Fold();
}

void Tracer::Maintain() const {
  std::lock_guard<std::mutex> lock(read_mutex_);
  DrainDeadThreads();
  TakeExited();
  TakeExitedEntries();
  SettleRetired();
}

}  // namespace zctrace
