// The traced-process table from userspace: an existing target is added (its name, parent and cgroup read
// from /proc), and the kernel's traced map says which traced processes are still alive.
#include "tracer.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "cgroupfs.h"
#include "kernel_info.h"
#include "libbpf_log.h"
#include "map_reader.h"
#include "targets.h"
#include "zctrace.skel.h"

namespace zctrace {

bool Tracer::AddProcess(pid_t tgid, std::string* error) {
  const __u32 key = static_cast<__u32>(tgid);
  __u32 existing = 0;
  if (bpf_map__lookup_elem(skel_->maps.traced, &key, sizeof(key), &existing, sizeof(existing), 0) == 0)
    return true;  // its traced parent forked it after attaching: the kernel took it already
  __u32 index = 0, slot = 0;
  if (!TakeFreeEntry(&index, &slot)) {
    *error = "process table full (--max-processes " + std::to_string(config_.max_processes) + ")";
    return false;
  }
  zc_process proc{};
  proc.slot = slot;
  proc.tgid = key;
  proc.start_ns = MonotonicNs();
  proc.flags = ZC_PROC_UNSEEN_MAPPINGS;  // it mapped what it mapped before tracing began
  std::ifstream stat_file("/proc/" + std::to_string(tgid) + "/stat");
  std::string line;
  std::getline(stat_file, line);
  if (const std::optional<ProcStat> stat = ParseProcStat(line)) {
    proc.parent_tgid = static_cast<__u32>(stat->ppid);
    std::strncpy(proc.comm, stat->comm.c_str(), sizeof(proc.comm) - 1);
  }
  proc.cgroup_id = CgroupIdOfProcess(tgid);
  // the BPF side's first test: its bit is set before `traced` holds the tgid (traced.bpf.h)
  if (proc.tgid < ZC_TGID_LIMIT)
    __atomic_fetch_or(&skel_->bss->traced_tgid_bits[proc.tgid / 64], 1ull << (proc.tgid % 64),
                      __ATOMIC_SEQ_CST);
  if (bpf_map__update_elem(skel_->maps.processes, &index, sizeof(index), &proc, sizeof(proc), BPF_ANY)) {
    *error = "cannot add pid " + std::to_string(tgid) + " to the kernel maps: " + ErrnoText(errno);
    return false;
  }
  if (bpf_map__update_elem(skel_->maps.traced, &key, sizeof(key), &slot, sizeof(slot), BPF_NOEXIST)) {
    if (errno == EEXIST) {  // the kernel took it meanwhile: the entry goes back
      zc_process empty{};
      empty.slot = slot;
      bpf_map__update_elem(skel_->maps.processes, &index, sizeof(index), &empty, sizeof(empty), BPF_ANY);
      bpf_map__update_elem(skel_->maps.free_entries, nullptr, 0, &index, sizeof(index), BPF_ANY);
      return true;
    }
    *error = "cannot add pid " + std::to_string(tgid) + " to the kernel maps: " + ErrnoText(errno);
    return false;
  }
  return true;
}

bool Tracer::TakeFreeEntry(__u32* index, __u32* slot) {
  if (bpf_map__lookup_and_delete_elem(skel_->maps.free_entries, nullptr, 0, index, sizeof(*index), 0) != 0) {
    *index = __atomic_fetch_add(&skel_->bss->next_slot, 1u, __ATOMIC_SEQ_CST);
    if (*index >= config_.max_processes)
      return false;
  }
  zc_process last{};
  bpf_map__lookup_elem(skel_->maps.processes, index, sizeof(*index), &last, sizeof(last), 0);
  // one generation on, as the kernel's take_slot does
  *slot = zc_next_slot(last.slot, *index, zc_slot_index_bits(config_.max_processes));
  return true;
}

void Tracer::ForgetProcess(pid_t tgid) {
  const __u32 key = static_cast<__u32>(tgid);
  __u32 slot = 0;
  if (bpf_map__lookup_elem(skel_->maps.traced, &key, sizeof(key), &slot, sizeof(slot), 0) != 0)
    return;
  // the entry as one whose hand-over failed: Maintain takes it from the arrays
  const __u32 index = zc_slot_index(slot, zc_slot_index_bits(config_.max_processes));
  zc_process proc{};
  if (bpf_map__lookup_elem(skel_->maps.processes, &index, sizeof(index), &proc, sizeof(proc), 0) == 0 &&
      proc.slot == slot && proc.exit_ns == 0) {
    proc.exit_ns = MonotonicNs();
    bpf_map__update_elem(skel_->maps.processes, &index, sizeof(index), &proc, sizeof(proc), BPF_EXIST);
  }
  bpf_map__delete_elem(skel_->maps.traced, &key, sizeof(key), 0);
  if (key < ZC_TGID_LIMIT)
    __atomic_fetch_and(&skel_->bss->traced_tgid_bits[key / 64], ~(1ull << (key % 64)), __ATOMIC_SEQ_CST);
}

size_t Tracer::LiveProcesses() const {
  size_t n = 0;
  ForEachKey<__u32>(skel_->maps.traced, [&n](const __u32&) { ++n; });
  return n;
}

}  // namespace zctrace
