#include "aggregate.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "call_stacks.h"
#include "copy_model.h"
#include "flows.h"
#include "targets.h"
#include "zero_copy.h"

namespace zctrace {
namespace {

constexpr uint64_t kHazardMinBytes = 64 * 1024;

std::string CommOf(const zc_process& info) {
  return std::string(info.comm, strnlen(info.comm, sizeof(info.comm)));
}

std::string PathName(const PathReport& p) {
  return std::string(SyscallName(p.syscall)) + " " + std::string(KindName(p.source)) + "→" +
         std::string(KindName(p.sink));
}

// skb:skb_copy_datagram_iovec fires for every skb → user copy of TCP and UNIX stream receives, so
// there the kernel's own events replace the model. UDP's small linear skbs bypass it (copy_linear_skb).
bool SkbCopiesCoverPath(const PathReport& p) {
  return FamilyOf(p.syscall) == Family::kReceive && (p.source == Kind::kTcp || p.source == Kind::kUnix);
}

// Where skb copies cover a path, each copy also says which device its skb arrived on: the source end's
// NIC DMA is measured. io_uring's copies run in io_uring_enter or its workers, outside its paths.
bool NicRxMeasured(const PathReport& p, const AggregateOptions& options) {
  return options.nic_rx_measured && SkbCopiesCoverPath(p) && !IsIoUring(p.syscall);
}

// The source end of a path in words. Measured receives say what their skbs arrived on; a NIC end that
// stays modelled says why the device it arrived on is not seen.
std::string SourceDeviceDetail(const PathReport& p, const DeviceTransfer& modelled, const zc_path_counters& c,
                               const AggregateOptions& options) {
  std::string modelled_what(modelled.what);
  if (NicRxMeasured(p, options)) {
    std::vector<std::string> parts;
    if (c.nic_rx_bytes)
      parts.push_back("NIC → socket buffer (measured: the skbs arrived on a NIC)");
    if (c.virtual_rx_bytes)
      parts.push_back("arrived on a virtual device / loopback: no DMA");
    if (c.unclassified_rx_bytes) {
      parts.push_back(
          "arrived on a device zctrace cannot see (another network namespace): modelled from "
          "the socket's addresses, " +
          modelled_what);
    }
    if (parts.empty())
      return modelled_what;
    std::string joined;
    for (const std::string& part : parts)
      joined += (joined.empty() ? "" : " + ") + part;
    return joined;
  }
  if (modelled.device != Device::kNic)
    return modelled_what;
  if (IsIoUring(p.syscall))
    return modelled_what + " (modelled: io_uring copies outside its operations, where no device is seen)";
  if (p.source == Kind::kUdp && FamilyOf(p.syscall) == Family::kReceive)
    return modelled_what +
           " (modelled: UDP copies small datagrams with copy_linear_skb, which skb_copy_datagram_iovec "
           "does not see, so the device they arrived on is not known)";
  if (FamilyOf(p.syscall) != Family::kReceive)
    return modelled_what +
           " (modelled: no skb is copied to user memory on this path, so the device the "
           "data arrived on is not seen)";
  return modelled_what + " (modelled: nic_rx is not available)";
}

// The device side of a path. Device work the probes saw inside its calls is measured, whatever the
// model expected (a write() from a file mapping reads the disk too). Ends the probes cannot see —
// receive DMA where no skb copy says which device the data arrived on, or any end whose probe did not
// load — are modelled: copies × bytes.
CopyFigure DeviceSide(const PathReport& p, const PathCost& cost, const zc_path_counters& c, uint64_t calls,
                      uint64_t bytes, AggregateOptions options) {
  CopyFigure f{0, 0, Basis::kMeasured};
  // io_uring's device work runs in io_uring_enter or an io-wq worker, where no operation is known:
  // the process's device totals have it, its paths are modelled.
  if (IsIoUring(p.syscall))
    options.disk_measured = options.nic_tx_measured = false;
  const bool rx_measured = NicRxMeasured(p, options);
  if (options.disk_measured) {
    f.count += c.disk_read_events + c.disk_write_events + c.dirtied_events;
    f.bytes += c.disk_read_bytes + c.disk_write_bytes + c.dirtied_bytes;
  }
  if (options.nic_tx_measured) {
    f.count += c.nic_tx_events;
    f.bytes += c.nic_tx_bytes;  // frames as the device sends them, headers included
  }
  if (rx_measured) {
    f.count += c.nic_rx_events;
    f.bytes += c.nic_rx_bytes;  // payload as copied to the process: the frames' headers are not seen here
  }
  for (const auto& [end, is_source] : {std::pair{cost.source_dma, true}, std::pair{cost.sink_dma, false}}) {
    if (is_source && rx_measured) {
      // bytes that arrived on a device the tracer could not classify: the model's verdict for them, from
      // the socket's addresses
      if (c.unclassified_rx_bytes) {
        f.count += c.unclassified_rx_events * static_cast<uint64_t>(end.copies);
        f.bytes += c.unclassified_rx_bytes * static_cast<uint64_t>(end.copies);
        f.basis = Basis::kModelled;
      }
      continue;
    }
    const bool seen = (end.device == Device::kDisk && options.disk_measured) ||
                      (end.device == Device::kNic && !is_source && options.nic_tx_measured);
    if (end.copies == 0 || seen)
      continue;
    f.count += calls * static_cast<uint64_t>(end.copies);
    f.bytes += bytes * static_cast<uint64_t>(end.copies);
    f.basis = Basis::kModelled;
  }
  return f;
}

PathReport BuildPath(const PathSnapshot& raw, const AggregateOptions& options) {
  PathReport p;
  p.syscall = static_cast<Syscall>(raw.key.syscall);
  p.source = static_cast<Kind>(raw.key.source);
  p.sink = static_cast<Kind>(raw.key.sink);
  p.flags = raw.key.flags;
  p.calls = raw.counters.calls;
  p.bytes = raw.counters.bytes;
  p.errors = raw.counters.errors;
  p.moves_data = FamilyOf(p.syscall) != Family::kMap;

  const PathCost cost = ModelPath({p.syscall, p.source, p.sink, p.flags});
  p.modelled_path = cost.known;
  // a call that is a whole flow by itself is labelled as its flow is (copy_file_range: an in-kernel copy,
  // not the textbook's sendfile/splice line)
  const std::string_view whole_call = WholeCallModel(p.syscall);
  p.model = std::string(whole_call.empty() || !cost.known ? cost.model : whole_call);
  p.kernel_path = std::string(cost.kernel_path);
  p.cpu_copies_per_byte = cost.cpu_copies;
  p.dma_copies_per_byte = cost.dma_copies();
  const std::string source_detail = SourceDeviceDetail(p, cost.source_dma, raw.counters, options);
  p.dma_detail = source_detail == cost.sink_dma.what ? source_detail
                                                     : source_detail + "; " + std::string(cost.sink_dma.what);

  const uint64_t successful_calls = p.calls - p.errors;
  const bool io_uring = IsIoUring(p.syscall);
  if (options.cpu_copies_measured && !io_uring) {
    // precise mode: every payload copy the kernel's copy functions made inside this path's calls
    // (io_uring's copies happen in io_uring_enter or its workers, not in a call zctrace can pair them
    // with: those paths stay modelled)
    p.cpu = {raw.counters.copy_fn_events, raw.counters.copy_fn_bytes, Basis::kMeasured};
  } else if (options.skb_copies_measured && SkbCopiesCoverPath(p)) {
    p.cpu = {raw.counters.skb_copy_events, raw.counters.skb_copy_bytes, Basis::kMeasured};
  } else {
    p.cpu = {successful_calls * static_cast<uint64_t>(cost.cpu_copies),
             p.bytes * static_cast<uint64_t>(cost.cpu_copies), Basis::kModelled};
  }
  DeviceFigures& d = p.device;
  d.disk_read_bytes = raw.counters.disk_read_bytes;
  d.disk_write_bytes = raw.counters.disk_write_bytes;
  d.dirtied_bytes = raw.counters.dirtied_bytes;
  // a file's new pages made by writing into it are not read fills (dd iflag=direct into a file filled
  // nothing); a file-to-file call's stay fills (its source's reads make them too)
  const bool into_file = p.sink == Kind::kFile || p.sink == Kind::kFileDirect;
  const bool from_file = p.source == Kind::kFile || p.source == Kind::kFileDirect;
  (into_file && !from_file ? d.cache_created_bytes : d.cache_fill_bytes) = raw.counters.cache_fill_bytes;
  d.nic_tx_bytes = raw.counters.nic_tx_bytes;
  d.virtual_tx_counted = false;
  d.nic_rx_bytes = raw.counters.nic_rx_bytes;
  d.virtual_rx_bytes = raw.counters.virtual_rx_bytes;
  d.unclassified_rx_bytes = raw.counters.unclassified_rx_bytes;
  d.dma_map_bytes = raw.counters.dma_map_bytes;
  d.bounce_bytes = raw.counters.bounce_bytes;
  // a swiotlb bounce is the CPU copying the buffer to where the device can reach it: a CPU copy,
  // measured, on top of what the path's own copies were
  p.cpu.count += raw.counters.bounce_events;
  p.cpu.bytes += raw.counters.bounce_bytes;
  p.page_faults = raw.counters.page_faults;
  if (p.syscall == Syscall::kMmap && p.calls == 0) {
    // faults only: file memory the process did not map through a traced mmap (execve maps the program)
    p.model = "file-mapping faults";
    p.kernel_path = "page faults on file-backed memory mapped before tracing or by execve";
  }
  p.dma = DeviceSide(p, cost, raw.counters, successful_calls, p.bytes, options);
  p.mode_switches = static_cast<uint64_t>(cost.mode_switches_per_call) * (p.calls + p.page_faults);
  return p;
}

void AddCopies(CopyFigure& total, const CopyFigure& part, bool& any, bool& all_measured) {
  total.count += part.count;
  total.bytes += part.bytes;
  if (part.basis == Basis::kMeasured)
    total.measured_bytes += part.bytes;
  if (part.bytes == 0 && part.count == 0)
    return;
  any = true;
  all_measured = all_measured && part.basis == Basis::kMeasured;
}

// A path's MODEL names the textbook line its syscall belongs to; where the process's flows show which
// line its bytes took, it names that instead, so that no path claims a flow that does not exist: a
// library's mmap with no write from the mapping is not mmap+write, a server's log written from memory is
// not read+write, a request read and never written out is no read+write either.
void LabelPathsByFlows(ProcessReport& proc) {
  const std::string_view read_write = FlowMethodName(ZC_FLOW_READ_WRITE),
                         from_memory = FlowMethodName(ZC_FLOW_FROM_MEMORY),
                         mmap_write = FlowMethodName(ZC_FLOW_MMAP_WRITE);
  for (PathReport& p : proc.paths) {
    const Family family = FamilyOf(p.syscall);
    if (family != Family::kSend && family != Family::kReceive && family != Family::kMap)
      continue;
    std::vector<std::string> methods;
    for (const FlowReport& f : proc.flows) {
      const bool writes_from_user =
          f.method == read_write || f.method == from_memory || f.method == mmap_write;
      const bool matches = family == Family::kSend      ? writes_from_user && f.sink.kind == p.sink
                           : family == Family::kReceive ? f.method == read_write && f.source.kind == p.source
                                                        : f.method == mmap_write && f.source.kind == p.source;
      if (matches && std::find(methods.begin(), methods.end(), f.method) == methods.end())
        methods.push_back(f.method);
    }
    if (!methods.empty()) {
      std::string label;
      for (const std::string& m : methods)
        label += (label.empty() ? "" : ", ") + m;
      p.model = label;
    } else if (family == Family::kMap && p.syscall == Syscall::kMmap && p.calls > 0) {
      p.model = "mmap (nothing written from it)";
    } else if (family == Family::kReceive && !proc.flows.empty() && p.bytes > 0) {
      p.model = "read (not written out)";
    }
  }
}

void FinishProcess(ProcessReport& proc, std::vector<std::string>& warnings) {
  LabelPathsByFlows(proc);
  bool any_cpu = false, cpu_measured = true, any_dma = false, dma_measured = true;
  for (const PathReport& p : proc.paths) {
    SyscallTotals& s = proc.syscalls[std::string(SyscallName(p.syscall))];
    s.calls += p.calls;
    s.bytes += p.bytes;
    s.errors += p.errors;
    AddCopies(proc.cpu, p.cpu, any_cpu, cpu_measured);
    AddCopies(proc.dma, p.dma, any_dma, dma_measured);
    dma_measured = dma_measured && p.dma.basis == Basis::kMeasured;  // a measured 0 (cache hit) counts
    proc.device.cache_created_bytes += p.device.cache_created_bytes;
    if (p.moves_data && p.sink != Kind::kNull) {  // what /dev/null takes is discarded, not moved
      proc.bytes_moved += p.bytes;
      if (p.cpu.bytes == 0)
        proc.zero_copy_bytes += p.bytes;
    }
    if (!p.modelled_path && p.calls > p.errors) {
      warnings.push_back("pid " + std::to_string(proc.pid) + ": path " + PathName(p) +
                         " is not in the copy model; its CPU copies are not counted");
    }
    if (p.flags & ZC_FLAG_BAD_FD) {
      warnings.push_back("pid " + std::to_string(proc.pid) + ": path " + PathName(p) +
                         " had an fd closed before the call returned; its kind is 'other'");
    }
  }
  proc.device.cache_created_bytes = std::min(proc.device.cache_created_bytes, proc.device.cache_fill_bytes);
  proc.device.cache_fill_bytes -= proc.device.cache_created_bytes;
  proc.cpu.basis = any_cpu && cpu_measured ? Basis::kMeasured : Basis::kModelled;
  proc.dma.basis = !proc.paths.empty() && dma_measured ? Basis::kMeasured : Basis::kModelled;
  proc.mode_switches = 2 * (proc.syscall_count + proc.page_faults);
  if (proc.sigbus) {
    warnings.push_back("pid " + std::to_string(proc.pid) + " (" + proc.comm + ") received " +
                       std::to_string(proc.sigbus) +
                       " SIGBUS: a mapped file was truncated or unreadable under it");
  }
  for (const FlowReport& f : proc.flows) {
    // A few bytes written from a mapped executable or library (a string literal in its read-only data)
    // are not a data path worth a warning; a bulk transfer from a mapping is.
    if (f.method == "mmap+write" && f.bytes >= kHazardMinBytes && !proc.sigbus_handler && !proc.file_lease) {
      warnings.push_back(
          "pid " + std::to_string(proc.pid) + " (" + proc.comm + ") writes from a mapping of " +
          f.source.name +
          " with neither a SIGBUS handler nor a file lease (fcntl F_SETLEASE): if another process "
          "truncates the file, the write kills it with SIGBUS");
    }
  }
  if (proc.skb_copy_bytes_unattributed) {
    warnings.push_back("pid " + std::to_string(proc.pid) + ": " +
                       std::to_string(proc.skb_copy_bytes_unattributed) +
                       " bytes of skb → user copies happened outside the accounted syscalls (e.g. io_uring)");
  }
  std::sort(proc.paths.begin(), proc.paths.end(), [](const PathReport& a, const PathReport& b) {
    if (a.bytes != b.bytes)
      return a.bytes > b.bytes;
    return a.calls > b.calls;
  });
}

}  // namespace

void DecodeExitStatus(int status, int* code, std::string* signal) {
  const int number = status & 0x7f;
  signal->clear();
  *code = 0;
  if (number == 0) {
    *code = (status >> 8) & 0xff;
    return;
  }
  const char* abbrev = sigabbrev_np(number);
  *signal = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(number);
}

uint64_t MeasuredBytes(const CopyFigure& c) {
  return c.basis == Basis::kMeasured ? c.bytes : c.measured_bytes;
}

namespace {

bool Empty(const CopyFigure& c) {
  return c.count == 0 && c.bytes == 0;
}

CopyFigure Combined(const CopyFigure& a, const CopyFigure& b) {
  CopyFigure sum{a.count + b.count, a.bytes + b.bytes, Basis::kModelled, MeasuredBytes(a) + MeasuredBytes(b)};
  // an empty part says nothing of the basis: a measured figure plus nothing stays measured
  const bool measured =
      (Empty(a) || a.basis == Basis::kMeasured) && (Empty(b) || b.basis == Basis::kMeasured);
  if (measured)
    sum.basis = Basis::kMeasured;
  return sum;
}

uint64_t Minus(uint64_t now, uint64_t before) {
  return now > before ? now - before : 0;  // a folded group's counts may move between entries
}

}  // namespace

Totals TotalsOf(const ProcessReport& proc) {
  Totals t;
  t.bytes_moved = proc.bytes_moved;
  t.zero_copy_bytes = proc.zero_copy_bytes;
  t.cpu = proc.cpu;
  t.dma = proc.dma;
  t.cpu.measured_bytes = MeasuredBytes(proc.cpu);
  t.dma.measured_bytes = MeasuredBytes(proc.dma);
  t.syscalls = proc.syscall_count;
  t.page_faults = proc.page_faults;
  return t;
}

Totals Add(const Totals& a, const Totals& b) {
  Totals t;
  t.bytes_moved = a.bytes_moved + b.bytes_moved;
  t.zero_copy_bytes = a.zero_copy_bytes + b.zero_copy_bytes;
  t.cpu = Combined(a.cpu, b.cpu);
  t.dma = Combined(a.dma, b.dma);
  t.syscalls = a.syscalls + b.syscalls;
  t.page_faults = a.page_faults + b.page_faults;
  return t;
}

Totals Since(const Totals& now, const Totals& before) {
  Totals t;
  t.bytes_moved = Minus(now.bytes_moved, before.bytes_moved);
  t.zero_copy_bytes = Minus(now.zero_copy_bytes, before.zero_copy_bytes);
  for (auto [delta, n, b] :
       {std::tuple{&t.cpu, &now.cpu, &before.cpu}, std::tuple{&t.dma, &now.dma, &before.dma}}) {
    *delta = {Minus(n->count, b->count), Minus(n->bytes, b->bytes), n->basis,
              Minus(MeasuredBytes(*n), MeasuredBytes(*b))};
  }
  t.syscalls = Minus(now.syscalls, before.syscalls);
  t.page_faults = Minus(now.page_faults, before.page_faults);
  return t;
}

Report Aggregate(const Snapshot& snapshot, const AggregateOptions& options) {
  Report report;
  report.duration_s = snapshot.duration_s;
  report.kernel = snapshot.kernel;
  report.cpu_copy_mode = options.cpu_copies_measured ? "precise" : "model";
  report.capabilities = snapshot.capabilities;
  report.warnings = snapshot.warnings;

  std::unordered_map<uint32_t, size_t> index_of_slot;
  for (const ProcessSnapshot& raw : snapshot.processes) {
    ProcessReport proc;
    proc.pid = raw.info.tgid;
    proc.parent_pid = raw.info.parent_tgid;
    proc.comm = CommOf(raw.info);
    if (auto cgroup = snapshot.cgroups.find(raw.info.cgroup_id); cgroup != snapshot.cgroups.end()) {
      proc.cgroup = cgroup->second;
      const CgroupLabel label = LabelCgroup(proc.cgroup);
      proc.unit = label.unit;
      proc.container = label.container;
    }
    proc.folded_processes = raw.folded;
    proc.exited = raw.info.exit_ns != 0 || raw.folded != 0;
    DecodeExitStatus(raw.info.exit_code, &proc.exit_code, &proc.exit_signal);
    const uint64_t end_ns = proc.exited ? raw.info.exit_ns : snapshot.now_ns;
    proc.duration_s =
        end_ns > raw.info.start_ns ? static_cast<double>(end_ns - raw.info.start_ns) / 1e9 : 0.0;
    proc.syscall_count = raw.counters.syscalls;
    proc.page_faults = raw.counters.page_faults;
    proc.skb_copy_bytes_unattributed = raw.counters.skb_copy_bytes_unattributed;
    proc.major_faults = raw.counters.major_faults;
    proc.major_faults_measured = options.major_faults_measured;
    DeviceFigures& d = proc.device;
    d.disk_read_bytes = raw.counters.disk_read_bytes;
    d.disk_write_bytes = raw.counters.disk_write_bytes;
    d.dirtied_bytes = raw.counters.dirtied_bytes;
    d.cache_fill_bytes = raw.counters.cache_fill_bytes;  // the created pages are taken out of it later
    d.nic_tx_bytes = raw.counters.nic_tx_bytes;
    d.virtual_tx_bytes = raw.counters.virtual_tx_bytes;
    d.nic_rx_bytes = raw.counters.nic_rx_bytes;
    d.virtual_rx_bytes = raw.counters.virtual_rx_bytes;
    d.unclassified_rx_bytes = raw.counters.unclassified_rx_bytes;
    d.dma_map_bytes = raw.counters.dma_map_bytes;
    d.bounce_bytes = raw.counters.bounce_bytes;
    proc.zero_copy_reports = {raw.counters.msg_zerocopy_reported_sends,
                              raw.counters.msg_zerocopy_copied_sends, raw.counters.send_zc_notifications,
                              raw.counters.send_zc_copied_notifications};
    proc.sigbus = raw.info.sigbus;
    proc.sigbus_handler = raw.info.flags & ZC_PROC_SIGBUS_HANDLER;
    proc.file_lease = raw.info.flags & ZC_PROC_FILE_LEASE;
    proc.flows = BuildFlows(raw.slot, snapshot);
    index_of_slot[raw.slot] = report.processes.size();
    report.processes.push_back(std::move(proc));
  }

  for (const PathSnapshot& raw : snapshot.paths) {
    if (raw.key.syscall >= kSyscallCount || raw.key.source >= kKindCount || raw.key.sink >= kKindCount) {
      report.warnings.push_back("a path with an invalid key (syscall " + std::to_string(raw.key.syscall) +
                                ") was dropped: the BPF object and zctrace disagree");
      continue;
    }
    auto it = index_of_slot.find(raw.key.slot);
    if (it == index_of_slot.end()) {
      report.warnings.push_back("counts for an unknown process slot " + std::to_string(raw.key.slot) +
                                " were dropped");
      continue;
    }
    report.processes[it->second].paths.push_back(BuildPath(raw, options));
  }

  for (ProcessReport& proc : report.processes) {
    // before the totals: a reflink's copy_file_range path copied nothing
    JudgeZeroCopy(proc, options.disk_measured, options.ktls_mode_measured);
    AdviseUserTls(proc);
    FinishProcess(proc, report.warnings);
    report.totals = Add(report.totals, TotalsOf(proc));
  }
  for (const auto& [slot, index] : index_of_slot)
    AttachStacks(snapshot, slot, &report.processes[index]);
  report.stacks_captured = snapshot.stacks_captured;
  if (snapshot.self_cost_measured) {
    SelfCost cost;
    cost.programs = snapshot.program_costs;
    std::sort(cost.programs.begin(), cost.programs.end(), [](const ProgramCost& a, const ProgramCost& b) {
      return a.run_time_ns != b.run_time_ns ? a.run_time_ns > b.run_time_ns : a.name < b.name;
    });
    for (const ProgramCost& p : cost.programs) {
      cost.bpf_runs += p.runs;
      cost.bpf_run_time_ns += p.run_time_ns;
    }
    cost.collector_cpu_s = snapshot.collector_cpu_s;
    report.self_cost = cost;
  }
  if (snapshot.stack_health.counts_full) {
    report.warnings.push_back(std::to_string(snapshot.stack_health.counts_full) +
                              " calls are in no stack: the stack count table was full");
  }
  if (snapshot.stack_health.mappings_full) {
    report.warnings.push_back(
        std::to_string(snapshot.stack_health.mappings_full) +
        " code mappings were not recorded (their table was full): frames in them show as "
        "addresses");
  }
  if (snapshot.health.path_map_full) {
    report.warnings.push_back(std::to_string(snapshot.health.path_map_full) +
                              " syscalls were not counted: the path map was full (raise --max-paths)");
  }
  report.lost_events =
      snapshot.health.path_map_full + snapshot.health.flow_map_full + snapshot.health.process_map_full;
  if (snapshot.health.flow_map_full) {
    report.warnings.push_back(std::to_string(snapshot.health.flow_map_full) +
                              " transfers are missing from flows: the flow map was full (raise --max-paths)");
  }
  if (snapshot.health.thread_table_full) {
    // nothing is lost (the shared maps count them), but their reads and writes were not paired
    report.warnings.push_back(std::to_string(snapshot.health.thread_table_full) +
                              " syscalls ran in threads without a per-thread record (the thread table had no "
                              "room near their thread ids: over " +
                              std::to_string(ZC_THREAD_TABLE_SIZE) +
                              " traced threads): counted, but not paired into flows");
  }
  if (snapshot.health.fills_forgotten) {
    report.warnings.push_back(std::to_string(snapshot.health.fills_forgotten) +
                              " reads filled buffers that were forgotten before any of their bytes were "
                              "written (a process remembers its last 16): writes from them count as from "
                              "memory");
  }
  if (snapshot.health.process_map_full) {
    report.warnings.push_back(
        std::to_string(snapshot.health.process_map_full) +
        " child processes were not traced: the process table was full (raise --max-processes)");
  }
  return report;
}

}  // namespace zctrace
