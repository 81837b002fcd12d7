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
  const __u32 slot = __atomic_fetch_add(&skel_->bss->next_slot, 1u, __ATOMIC_SEQ_CST);
  if (slot >= config_.max_processes) {
    *error = "process table full (--max-processes " + std::to_string(config_.max_processes) + ")";
    return false;
  }
  zc_process proc{};
  proc.tgid = key;
  proc.start_ns = MonotonicNs();
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
  if (bpf_map__update_elem(skel_->maps.processes, &slot, sizeof(slot), &proc, sizeof(proc), BPF_ANY)) {
    *error = "cannot add pid " + std::to_string(tgid) + " to the kernel maps: " + ErrnoText(errno);
    return false;
  }
  if (bpf_map__update_elem(skel_->maps.traced, &key, sizeof(key), &slot, sizeof(slot), BPF_NOEXIST)) {
    if (errno == EEXIST) {  // the kernel took it meanwhile: this slot stays empty
      const zc_process empty{};
      bpf_map__update_elem(skel_->maps.processes, &slot, sizeof(slot), &empty, sizeof(empty), BPF_ANY);
      return true;
    }
    *error = "cannot add pid " + std::to_string(tgid) + " to the kernel maps: " + ErrnoText(errno);
    return false;
  }
  return true;
}

void Tracer::ForgetProcess(pid_t tgid) {
  const __u32 key = static_cast<__u32>(tgid);
  __u32 slot = 0;
  if (bpf_map__lookup_elem(skel_->maps.traced, &key, sizeof(key), &slot, sizeof(slot), 0) != 0)
    return;
  zc_process proc{};
  if (bpf_map__lookup_elem(skel_->maps.processes, &slot, sizeof(slot), &proc, sizeof(proc), 0) == 0 &&
      proc.exit_ns == 0) {
    proc.exit_ns = MonotonicNs();
    bpf_map__update_elem(skel_->maps.processes, &slot, sizeof(slot), &proc, sizeof(proc), BPF_EXIST);
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
