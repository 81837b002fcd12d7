// The traced-process table from userspace: -p adds an existing process (its name and parent read from
// /proc), and the kernel's traced map says which traced processes are still alive.
#include "tracer.h"

#include <bpf/libbpf.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "kernel_info.h"
#include "libbpf_log.h"
#include "map_reader.h"
#include "zctrace.skel.h"

namespace zctrace {

bool Tracer::AddProcess(pid_t tgid, std::string* error) {
  const __u32 slot = __atomic_fetch_add(&skel_->bss->next_slot, 1u, __ATOMIC_SEQ_CST);
  if (slot >= config_.max_processes) {
    *error = "process table full (--max-processes)";
    return false;
  }
  zc_process proc{};
  proc.tgid = static_cast<__u32>(tgid);
  proc.start_ns = MonotonicNs();
  std::ifstream comm("/proc/" + std::to_string(tgid) + "/comm");
  std::string name;
  std::getline(comm, name);
  std::strncpy(proc.comm, name.c_str(), sizeof(proc.comm) - 1);
  std::ifstream stat("/proc/" + std::to_string(tgid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // ppid is the 2nd field after the ")" that closes the command name (which may contain spaces).
  if (auto close = line.rfind(')'); close != std::string::npos) {
    unsigned ppid = 0;
    char state = 0;
    if (sscanf(line.c_str() + close + 1, " %c %u", &state, &ppid) == 2)
      proc.parent_tgid = ppid;
  }
  // the BPF side's first test: its bit is set before `traced` holds the tgid (zctrace.bpf.c)
  if (proc.tgid < ZC_TGID_LIMIT)
    __atomic_fetch_or(&skel_->bss->traced_tgid_bits[proc.tgid / 64], 1ull << (proc.tgid % 64),
                      __ATOMIC_SEQ_CST);
  if (bpf_map__update_elem(skel_->maps.processes, &slot, sizeof(slot), &proc, sizeof(proc), BPF_ANY) ||
      bpf_map__update_elem(skel_->maps.traced, &proc.tgid, sizeof(proc.tgid), &slot, sizeof(slot), BPF_ANY)) {
    *error = "cannot add pid " + std::to_string(tgid) + " to the kernel maps: " + ErrnoText(errno);
    return false;
  }
  return true;
}

size_t Tracer::LiveProcesses() const {
  size_t n = 0;
  ForEachKey<__u32>(skel_->maps.traced, [&n](const __u32&) { ++n; });
  return n;
}

}  // namespace zctrace
