// The tracer: RAII owner of the BPF skeleton. It probes which tracepoints this kernel has, sets the
// configuration in rodata, loads, attaches, and reads the per-CPU maps into a plain Snapshot.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "snapshot.h"

struct zctrace_bpf;
struct bpf_link;

namespace zctrace {

struct TracerConfig {
  bool follow_children = true;
  pid_t exec_target = 0;  // with `-- CMD`: start tracing this child at its exec
  unsigned max_processes = ZC_DEFAULT_MAX_PROCESSES;
  unsigned max_paths = ZC_DEFAULT_MAX_PATHS;
};

class Tracer {
 public:
  // Loads and attaches; on failure returns null and a one-line reason in *error.
  static std::unique_ptr<Tracer> Start(const TracerConfig& config, std::string* error);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // -p: trace an existing process (all its threads). False with *error if the table is full.
  bool AddProcess(pid_t tgid, std::string* error);
  // Traced processes still alive (the kernel side forgets a process when its last thread exits).
  size_t LiveProcesses() const;
  bool HasCapability(const std::string& name) const;
  Snapshot Read() const;

 private:
  Tracer() = default;
  void AttachMajorFaultCounters();
  zctrace_bpf* skel_ = nullptr;
  std::vector<::bpf_link*> links_;  // detached before the skeleton is destroyed
  TracerConfig config_;
  std::vector<Capability> capabilities_;
  uint64_t start_ns_ = 0;
  int ncpus_ = 1;
};

// Where the kernel's BTF must be, and whether it is there.
inline constexpr const char* kKernelBtfPath = "/sys/kernel/btf/vmlinux";

}  // namespace zctrace
