// Tracer::Read: the kernel's maps, the threads' records and the mount table, into a plain Snapshot.
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cgroupfs.h"
#include "kernel_info.h"
#include "map_reader.h"
#include "snapshot_index.h"
#include "zctrace.skel.h"

namespace zctrace {
namespace {

// Mount points by device, from /proc/self/mountinfo ("ID PARENT MAJOR:MINOR ROOT MOUNTPOINT ... - FSTYPE
// ..."), in the kernel's s_dev encoding (major << 20 | minor), to put file endpoints' paths under their
// mounts; and each device's filesystem type.
void ReadMounts(Snapshot* snap) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    unsigned id = 0, parent = 0, major = 0, minor = 0;
    char root[4096], point[4096];
    if (sscanf(line.c_str(), "%u %u %u:%u %4095s %4095s", &id, &parent, &major, &minor, root, point) != 6)
      continue;
    const uint32_t dev = (major << 20) | minor;
    if (const size_t dash = line.find(" - "); dash != std::string::npos) {
      const size_t start = dash + 3;
      snap->filesystems[dev] = line.substr(start, line.find(' ', start) - start);
    }
    if (std::string(root) != "/")
      continue;  // a bind mount of a subdirectory: not the filesystem's root
    snap->mounts.emplace_back(dev, point);
  }
}

}  // namespace

Snapshot Tracer::Read() const {
  std::lock_guard<std::mutex> lock(read_mutex_);
  Snapshot snap;
  std::string rx_devices_error;
  RefreshRxDevices(&rx_devices_error);
  if (!rx_devices_error.empty())
    snap.warnings.push_back(rx_devices_error + ": bytes that arrive on it count as from an unseen device");
  // Live threads first, then the exited: a thread that exits in between is in both, and its serial
  // makes it count once (ThreadCounts). Then the maps, which already hold every key a thread counts.
  std::vector<zc_thread_counts> live_threads;
  std::string iter_error;
  if (!DumpLiveThreads(&live_threads, &iter_error))
    snap.warnings.push_back(iter_error + ": the counts of live threads' busiest paths are missing");
  DrainDeadThreads();
  snap.now_ns = MonotonicNs();
  snap.duration_s = static_cast<double>(snap.now_ns - start_ns_) / 1e9;
  snap.kernel = KernelRelease();
  snap.capabilities = capabilities_;

  TakeExited();
  const __u32 used = std::min<__u32>(skel_->bss->next_slot, config_.max_processes);
  for (__u32 index = 0; index < used; ++index) {
    ProcessSnapshot p;
    if (bpf_map__lookup_elem(skel_->maps.processes, &index, sizeof(index), &p.info, sizeof(p.info), 0) != 0)
      continue;
    if (p.info.tgid == 0)
      continue;  // free, or taken but never filled (table full)
    p.slot = p.info.slot;
    LookupPerCpu(skel_->maps.process_counters, &index, sizeof(index), ncpus_, &p.counters);
    snap.processes.push_back(p);
  }
  // those handed over while the entries were read are in retired_ now, with their full counts
  TakeExited();
  snap.processes.erase(std::remove_if(snap.processes.begin(), snap.processes.end(),
                                      [this](const ProcessSnapshot& p) { return retired_.Has(p.slot); }),
                       snap.processes.end());

  ForEachKey<zc_path_key>(skel_->maps.paths, [&](const zc_path_key& key) {
    PathSnapshot p;
    p.key = key;
    if (LookupPerCpu(skel_->maps.paths, &key, sizeof(key), ncpus_, &p.counters))
      snap.paths.push_back(p);
  });
  ForEachKey<zc_flow_key>(skel_->maps.flows, [&](const zc_flow_key& key) {
    FlowSnapshot f;
    f.key = key;
    if (LookupPerCpu(skel_->maps.flows, &key, sizeof(key), ncpus_, &f.counters))
      snap.flows.push_back(f);
  });
  {
    // after the map: a flow may be in both (its places in the table were taken when it first came)
    SnapshotIndex index(&snap);
    flow_table_.ForEachHeld([&](const zc_flow_key& key, const zc_flow_counters& counts) {
      zc_flow_counters& c = index.Flow(SnapshotIndex::FlowWords(key));
      c.bytes += counts.bytes;
      c.chunks += counts.chunks;
    });
  }
  ForEachKey<zc_endpoint_id>(skel_->maps.endpoints, [&](const zc_endpoint_id& id) {
    EndpointSnapshot e;
    e.id = id;
    if (bpf_map__lookup_elem(skel_->maps.endpoints, &id, sizeof(id), &e.info, sizeof(e.info), 0) == 0)
      snap.endpoints.push_back(e);
  });
  retired_.AppendTo(&snap);
  threads_.AddTo(live_threads, &snap);
  bool listed = false;  // cgroups are listed again once per read at most: an unknown id is new, or gone
  for (const ProcessSnapshot& p : snap.processes) {
    if (p.info.cgroup_id == 0)
      continue;
    if (!cgroup_paths_.count(p.info.cgroup_id) && !listed) {
      cgroup_paths_ = ListCgroups();
      listed = true;
    }
    if (auto found = cgroup_paths_.find(p.info.cgroup_id); found != cgroup_paths_.end())
      snap.cgroups.insert(*found);
  }
  ReadMounts(&snap);
  const __u32 zero = 0;
  LookupPerCpu(skel_->maps.health, &zero, sizeof(zero), ncpus_, &snap.health);
  if (config_.stacks)
    ReadStacks(&snap);
  if (stats_fd_ >= 0)
    ReadSelfCost(&snap);
  return snap;
}

// --stacks: the counts by (path, ends, stack), the addresses of the stacks they name, and the code mappings
// the kernel recorded for their frames. Symbolizing is userspace/stacks' (it reads the processes' files).
void Tracer::ReadStacks(Snapshot* snap) const {
  snap->stacks_captured = true;
  ForEachKey<zc_stack_key>(skel_->maps.stack_counts, [&](const zc_stack_key& key) {
    StackSnapshot s;
    s.key = key;
    s.process_slot = retired_.SlotOf(key.path.slot);
    if (LookupPerCpu(skel_->maps.stack_counts, &key, sizeof(key), ncpus_, &s.counters))
      snap->stacks.push_back(std::move(s));
  });
  for (const StackSnapshot& s : snap->stacks) {
    if (s.key.stack_id < 0 || snap->stack_addresses.count(s.key.stack_id))
      continue;
    std::vector<uint64_t> addresses(ZC_STACK_DEPTH);
    const __u32 id = static_cast<__u32>(s.key.stack_id);
    if (bpf_map__lookup_elem(skel_->maps.user_stacks, &id, sizeof(id), addresses.data(),
                             addresses.size() * sizeof(uint64_t), 0) != 0)
      continue;
    addresses.erase(std::find(addresses.begin(), addresses.end(), 0), addresses.end());
    snap->stack_addresses.emplace(s.key.stack_id, std::move(addresses));
  }
  ForEachKey<zc_code_mapping_key>(skel_->maps.code_mappings, [&](const zc_code_mapping_key& key) {
    CodeMappingSnapshot m;
    m.key = key;
    if (bpf_map__lookup_elem(skel_->maps.code_mappings, &key, sizeof(key), &m.mapping, sizeof(m.mapping),
                             0) == 0)
      snap->code_mappings.push_back(m);
  });
  const __u32 zero = 0;
  LookupPerCpu(skel_->maps.stack_health, &zero, sizeof(zero), ncpus_, &snap->stack_health);
}

// --self-cost: each loaded program's run count and run time since it was loaded (statistics have been on
// since just after loading), and zctrace's own CPU time.
void Tracer::ReadSelfCost(Snapshot* snap) const {
  snap->self_cost_measured = true;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0)
      continue;  // not loaded here
    bpf_prog_info info{};
    __u32 length = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0)
      continue;
    snap->program_costs.push_back({bpf_program__name(prog), info.run_cnt, info.run_time_ns});
  }
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    const auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    snap->collector_cpu_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
}

}  // namespace zctrace
