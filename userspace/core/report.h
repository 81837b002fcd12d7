// The result of a trace: what every renderer reads. Renderers never compute; if two of them need a
// figure, it is here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "snapshot.h"
#include "vocabulary.h"

namespace zctrace {

struct CopyFigure {
  uint64_t count = 0;  // copy operations: calls × copies per call (measured: kernel copy events)
  uint64_t bytes = 0;  // bytes copied
  Basis basis = Basis::kModelled;
  uint64_t measured_bytes = 0;  // of bytes, those measured (a sum over paths may mix both)
};

// Device-side work, measured: the same figures for a path (inside its calls) and a process (in its
// context, attributed to a path or not).
struct DeviceFigures {
  uint64_t disk_read_bytes = 0;
  uint64_t disk_write_bytes = 0;     // submitted by the process itself (O_DIRECT, sync)
  uint64_t dirtied_bytes = 0;        // page cache dirtied: DMAed later by writeback
  uint64_t cache_fill_bytes = 0;     // page-cache pages filled, but for those created by writes:
  uint64_t cache_created_bytes = 0;  // pages added by writes into files from memory, sockets or pipes
  uint64_t nic_tx_bytes = 0;
  uint64_t virtual_tx_bytes = 0;   // lo, veth, a bridge, a bond...: real traffic, no DMA
  bool virtual_tx_counted = true;  // false for a path: virtual transmits are counted per process only
  // skb copies to the process by the device the skb arrived on
  uint64_t nic_rx_bytes = 0;           // a NIC: it DMAed them into memory
  uint64_t virtual_rx_bytes = 0;       // lo, veth, a bridge...: no DMA
  uint64_t unclassified_rx_bytes = 0;  // a device zctrace could not see (another network namespace)
  uint64_t dma_map_bytes = 0;          // dma:dma_map_* by drivers
  uint64_t bounce_bytes = 0;           // swiotlb bounce copies (also in cpu: they are CPU copies)
};

// Claimed vs achieved: what a flow (or a path without flows, as io_uring's) asked the kernel for to avoid
// a copy, what the kernel did, and why they differ.
// kRefused: the kernel refused the request outright and moved nothing (a clone the filesystem cannot make).
enum class Achieved { kZeroCopy, kCopied, kPartlyCopied, kUnknown, kRefused };

struct ZeroCopyVerdict {
  // what the program asked for: "sendfile", "splice", "tee", "vmsplice", "copy_file_range", "FICLONE",
  // "FICLONERANGE", "MSG_ZEROCOPY", "io_uring SEND_ZC", "O_DIRECT" (" + " between two)
  std::string claimed;
  Achieved achieved = Achieved::kUnknown;
  std::string reason_code;  // bounded, for metrics: "loopback", "copied_by_kernel", "no_reflink", ...; empty
  std::string reason;       // in words, with the evidence; also when achieved, to say how it is known
  // measured: from the kernel's own report (completions, page-cache pages dirtied or filled by the calls);
  // modelled: from the path (the fds' kinds, loopback) and the copy model
  Basis basis = Basis::kModelled;
  double copied_fraction = -1;  // 0..1 of the claimed sends or bytes the kernel copied; < 0: not known
};

struct PathReport {
  Syscall syscall{};
  Kind source{};
  Kind sink{};
  uint8_t flags = 0;
  uint64_t calls = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  CopyFigure cpu;
  CopyFigure dma;
  int cpu_copies_per_byte = 0;  // from the model (what the bytes cost on this path)
  int dma_copies_per_byte = 0;
  uint64_t mode_switches = 0;
  bool modelled_path = true;                 // false: the copy model has no row for it
  std::string model;                         // four-copy-model line
  std::string kernel_path;                   // why
  std::string dma_detail;                    // the device side, in words
  bool moves_data = true;                    // false for mmap/munmap: they map, they do not move
  uint64_t page_faults = 0;                  // faults on this path's file mappings (mmap paths)
  DeviceFigures device;                      // inside this path's calls (mmap: inside its page faults)
  std::optional<ZeroCopyVerdict> zero_copy;  // the path asked for zero copy (nullopt: it did not)
};

struct SocketAddress {
  std::string ip;  // "127.0.0.1", "::1"
  uint16_t port = 0;
  bool operator==(const SocketAddress& o) const { return ip == o.ip && port == o.port; }
  bool operator!=(const SocketAddress& o) const { return !(*this == o); }
};

struct Endpoint {
  Kind kind = Kind::kOther;
  std::string name;  // "/var/tmp/x", "tcp 127.0.0.1:5000 → 127.0.0.1:41234", "pipe:[1234]"
  bool loopback = false;
  // the service-level name flows are grouped by: "tcp 127.0.0.1:8080 (accepted)" (the server side of
  // every connection accepted there), "tcp → 10.0.0.5:443" (the client side), a file's path, "pipe"
  std::string group;
  // the name's parts, where it has them; a grouped flow's ends keep only those all its members share
  std::string path;  // a file's path, a UNIX socket's address ("@name": abstract)
  uint64_t inode = 0;
  uint32_t dev = 0;  // the inode's filesystem (kernel s_dev): with inode, what the kernel's tables key it by
  std::string filesystem;              // a file's filesystem type ("ext4", "btrfs"), when its mount is known
  std::optional<SocketAddress> local;  // TCP and UDP
  std::optional<SocketAddress> peer;
  bool accepted = false;  // a socket the process accepted: the server side of its connection
};

// A user call stack and what the calls made from it on one path moved.
struct CallStack {
  uint32_t pid = 0;
  std::string comm;
  std::string path;  // the path's label ("read file → user")
  Syscall syscall{};
  Kind source{};
  Kind sink{};
  std::vector<StackFrame> frames;  // the innermost first
  // why the frames stop where they do, when not at the program's entry ("libc.so.6: no frame pointers
  // past __libc_start_call_main"); "not captured: ..." when the stack could not be read at all
  std::string truncated;
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t bytes = 0;
  uint64_t cpu_copied_bytes = 0;  // bytes × the path's CPU copies per byte (modelled)
  uint64_t mode_switches = 0;     // 2 per call
};

// A flow's share from one call site: its stacks' frames from the innermost application frame out.
struct CallSite {
  std::vector<std::string> functions;  // innermost first: "copy_rw", "main", ... ("module+0x1234" if unnamed)
  uint64_t bytes = 0;
  uint64_t cpu_copied_bytes = 0;
  uint64_t calls = 0;
  double share = 0;  // of the flow's calls' CPU-copied bytes (of their bytes when they copied none): 0..1
};

// One of the flows a grouped flow is made of: a connection's (or a pipe's) own.
struct FlowMember {
  Endpoint source;
  Endpoint sink;
  uint64_t bytes = 0;
  uint64_t chunks = 0;
};

// What a process moved from one endpoint to another, pairing syscalls where one is not the whole story.
struct FlowReport {
  std::string method;  // "read+write", "mmap+write", "sendfile", "splice", "tee", "copy_file_range", ...
  uint8_t flags = 0;   // zc_path_flag: what its sends asked for (ZC_FLOW_KEY_FLAGS: MSG_ZEROCOPY)
  Endpoint source;
  Endpoint sink;
  uint64_t bytes = 0;
  uint64_t chunks = 0;
  int cpu_copies_per_byte = 0;  // modelled from the legs' paths
  int dma_copies_per_byte = 0;
  int mode_switches_per_chunk = 0;
  CopyFigure cpu;  // the model's copies per byte over the flow's bytes and chunks (always modelled)
  CopyFigure dma;
  std::string model;  // four-copy-model line
  // what a cheaper method would save on this flow (empty when none is cheaper)
  std::string better_method;
  int cpu_copies_saved_per_byte = 0;
  int mode_switches_saved_per_chunk = 0;
  std::string advice;              // in words, with the flow's own figures
  std::vector<std::string> notes;  // honest special cases
  // the per-connection flows grouped into this one, largest first (empty when it is one flow)
  std::vector<FlowMember> members;
  // --stacks: where in the program its calls were made, largest first (empty without --stacks)
  std::vector<CallSite> call_sites;
  std::string call_site_advice;              // a known copy loop at the top call site, in words
  std::optional<ZeroCopyVerdict> zero_copy;  // the flow asked for zero copy (nullopt: it did not)
};

struct SyscallTotals {
  uint64_t calls = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
};

// What the kernel reported of a process's zero-copy sends, measured: MSG_ZEROCOPY completions it read
// from its sockets' error queues, and io_uring SEND_ZC notifications.
struct ZeroCopyReports {
  uint64_t msg_zerocopy_sends = 0;         // sends the completions covered
  uint64_t msg_zerocopy_copied_sends = 0;  // of those, flagged SO_EE_CODE_ZEROCOPY_COPIED
  uint64_t send_zc_notifications = 0;
  uint64_t send_zc_copied_notifications = 0;  // IORING_NOTIF_USAGE_ZC_COPIED (with REPORT_USAGE only)
};

struct ProcessReport {
  uint32_t pid = 0;
  uint32_t parent_pid = 0;
  std::string comm;
  std::string cgroup;             // its cgroup v2 path ("/system.slice/nginx.service"); empty if unknown
  std::string unit;               // the systemd unit that path names, if any
  std::string container;          // the container id (12 hex digits) that path shows, if any
  uint32_t folded_processes = 0;  // >0: exited processes of this name summed into one entry (pid 0)
  double duration_s = 0;
  bool exited = false;
  int exit_code = 0;        // the code it passed to exit (when exit_signal is empty)
  std::string exit_signal;  // the signal that ended it ("SIGKILL"), empty if it exited by itself
  std::map<std::string, SyscallTotals> syscalls;  // by syscall name
  uint64_t syscall_count = 0;                     // every syscall, data-moving or not
  uint64_t page_faults = 0;
  uint64_t mode_switches = 0;  // 2 × (syscalls + page faults)
  CopyFigure cpu;
  CopyFigure dma;
  uint64_t bytes_moved = 0;
  uint64_t zero_copy_bytes = 0;
  uint64_t skb_copy_bytes_unattributed = 0;
  uint64_t major_faults = 0;
  bool major_faults_measured = false;
  DeviceFigures device;  // the whole process, attributed to a path or not
  std::vector<PathReport> paths;
  std::vector<FlowReport> flows;
  std::vector<CallStack> stacks;  // --stacks: every captured stack with its counts, largest first
  ZeroCopyReports zero_copy_reports;
  // the mmap hazard: a mapped file truncated by another process kills a write from it with SIGBUS
  uint64_t sigbus = 0;
  bool sigbus_handler = false;
  bool file_lease = false;
};

// What a process, or all of them, did: the report's totals and a live stream's deltas have this shape.
struct Totals {
  uint64_t bytes_moved = 0;
  uint64_t zero_copy_bytes = 0;
  CopyFigure cpu;
  CopyFigure dma;
  uint64_t syscalls = 0;
  uint64_t page_faults = 0;
  uint64_t mode_switches() const { return 2 * (syscalls + page_faults); }
  double zero_copy_ratio() const {  // 0 when nothing moved
    return bytes_moved ? static_cast<double>(zero_copy_bytes) / static_cast<double>(bytes_moved) : 0.0;
  }
};

// --self-cost: what tracing cost, measured: zctrace's BPF programs (their runs on the whole machine) and
// its own process's CPU time.
struct SelfCost {
  uint64_t bpf_runs = 0;
  uint64_t bpf_run_time_ns = 0;
  std::vector<ProgramCost> programs;  // by run time, largest first
  double collector_cpu_s = 0;         // zctrace's user + system CPU time
};

// Who traced what, where and when: the metadata of every document.
struct RunInfo {
  std::string tool_version;
  std::string hostname;
  std::string started_at;  // RFC 3339, UTC
  std::string ended_at;
  std::vector<std::string> argv;  // zctrace's own command line
  // the targets, as asked for
  std::vector<uint32_t> pids;
  std::vector<std::string> command;
  std::string cgroup;
  std::string comm;
  bool all = false;
};

struct Report {
  std::string schema = "zctrace/2";
  RunInfo run;
  double duration_s = 0;
  std::string kernel;
  // "precise": CPU copies measured by hooks on the kernel's copy functions; "model": from the copy model
  // (skb → user copies still measured where skb_copies is available)
  std::string cpu_copy_mode = "model";
  std::vector<Capability> capabilities;
  std::vector<ProcessReport> processes;
  Totals totals;
  uint64_t lost_events = 0;           // counts a full kernel table turned away (also in warnings)
  bool stacks_captured = false;       // --stacks: processes' stacks and flows' call sites are filled in
  std::optional<SelfCost> self_cost;  // --self-cost
  std::vector<std::string> warnings;
};

}  // namespace zctrace
