// The tracer: RAII owner of the BPF skeleton. It probes which tracepoints this kernel has, sets the
// configuration in rodata, loads, attaches, and reads the per-CPU maps into a plain Snapshot.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "capability.h"
#include "copy_mode.h"
#include "flow_table.h"
#include "net_devices.h"
#include "retired.h"
#include "snapshot.h"
#include "thread_counts.h"

struct zctrace_bpf;
struct bpf_link;

namespace zctrace {

struct TracerConfig {
  bool follow_children = true;
  pid_t exec_target = 0;          // with `-- CMD`: start tracing this child at its exec
  uint64_t target_cgroup_id = 0;  // --cgroup: processes that enter it (or one below it) or fork there
  std::string target_comm;        // --comm: processes that exec a program of this name
  bool target_all = false;        // -a: every process forked
  unsigned max_processes = ZC_DEFAULT_MAX_PROCESSES;
  unsigned max_paths = ZC_DEFAULT_MAX_PATHS;
  CopyMode copy_mode = CopyMode::kAuto;
  bool stacks = false;     // --stacks: count each data call's user stack
  bool self_cost = false;  // --self-cost: the kernel's run-time statistics on while tracing
};

class Tracer {
 public:
  // Loads and attaches; on failure returns null and a one-line reason in *error.
  static std::unique_ptr<Tracer> Start(const TracerConfig& config, std::string* error);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Traces an existing process (all its threads). True if traced now or already (its parent forked it
  // since attaching); false with *error if the table is full.
  bool AddProcess(pid_t tgid, std::string* error);
  // Stops waiting for a process that was gone or a zombie when added: its slot says it exited.
  void ForgetProcess(pid_t tgid);
  // Traced processes still alive (the kernel side forgets a process when its last thread exits).
  size_t LiveProcesses() const;
  bool HasCapability(CapabilityId id) const;
  // Whether kTLS sockets say who encrypts (software or the NIC): the tls module's struct tls_context was in
  // the kernel's BTF when the program was loaded. Not a capability: most machines never load the module.
  bool KtlsModeReadable() const { return ktls_mode_readable_; }
  Snapshot Read() const;
  // Takes what exited processes left in the kernel (main's wait loop, every second): the records the kernel
  // handed over, the entries it could not (its exited map full: their entries go back to it now), and,
  // a second later, their paths, flows and threads' records, into retired_, which folds the oldest.
  void Maintain() const;
  // Writes the devices of zctrace's network namespace into the kernel's device table (NIC or virtual, by
  // ifindex): before attaching, at every read, and every second while tracing (main's wait loop), since
  // devices (a veth, a container's interface) come later. Returns the devices written; *error (may be
  // null) says why some or all could not be.
  std::vector<NetDevice> RefreshRxDevices(std::string* error) const;

 private:
  Tracer() = default;
  void AttachMajorFaultCounters();
  void ReadStacks(Snapshot* snap) const;    // --stacks: the stack counts, addresses and code mappings
  void ReadSelfCost(Snapshot* snap) const;  // --self-cost: the programs' statistics, zctrace's CPU time
  // Records what a capability is on this kernel, for HasCapability and the report.
  void Note(CapabilityId id, bool available, std::string detail);
  // The records of live traced threads, from the task iterator; false with *error if it cannot run.
  bool DumpLiveThreads(std::vector<zc_thread_counts>* records, std::string* error) const;
  // Moves exited threads' records from the kernel's dead_threads map into threads_.
  void DrainDeadThreads() const;
  // Moves the kernel's exited map into retired_.
  void TakeExited() const;
  // Entries of exited processes the kernel kept (no room in the exited map) and seen so at the last call:
  // into retired_, and the entries cleared and handed back to the kernel's free queue.
  void TakeExitedEntries() const;
  // The paths, flows and threads' records of the processes taken at the last call, into retired_.
  void SettleRetired() const;
  // A free entry of the per-process arrays for AddProcess, and its next slot; false if none is free.
  bool TakeFreeEntry(__u32* index, __u32* slot);

  zctrace_bpf* skel_ = nullptr;
  std::vector<::bpf_link*> links_;     // detached before the skeleton is destroyed
  int stats_fd_ = -1;                  // --self-cost: BPF run-time statistics stay on while this is open
  ::bpf_link* thread_iter_ = nullptr;  // the task iterator that dumps live threads' records
  mutable std::mutex read_mutex_;      // Read() runs from the live outputs' thread and the main one
  mutable ThreadCounts threads_;       // exited threads' records, taken once each
  mutable FlowTable flow_table_;       // the kernel's flow table, mapped
  mutable RetiredProcesses retired_;   // exited processes whose entries the kernel reuses
  mutable std::set<__u32> exited_entries_seen_;   // entries seen exited but not handed over (by index)
  mutable std::set<__u32> settling_, to_settle_;  // slots taken, whose other counts go at the next call
  mutable std::map<uint64_t, std::string> cgroup_paths_;  // by id, listed again when an unknown id shows
  TracerConfig config_;
  std::vector<Capability> capabilities_;
  uint64_t start_ns_ = 0;
  uint32_t netns_ = 0;  // zctrace's network namespace (inode of /proc/self/ns/net); 0: unknown
  int ncpus_ = 1;
  bool ktls_mode_readable_ = false;
};

// Where the kernel's BTF must be, and whether it is there.
inline constexpr const char* kKernelBtfPath = "/sys/kernel/btf/vmlinux";

}  // namespace zctrace
