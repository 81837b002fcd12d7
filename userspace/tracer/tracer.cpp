// Tracer::Start opens the BPF skeleton, configures it, loads and attaches it; the Tracer owns it until
// destroyed. What a Tracer does once started is in process_table.cpp, rx_devices.cpp, thread_drain.cpp and
// snapshot_reader.cpp.
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "copy_hooks.h"
#include "kernel_info.h"
#include "libbpf_log.h"
#include "programs.h"
#include "zctrace.skel.h"

namespace zctrace {

std::unique_ptr<Tracer> Tracer::Start(const TracerConfig& config, std::string* error) {
  libbpf_set_print(CaptureLibbpfPrint);
  if (access(kKernelBtfPath, R_OK) != 0) {
    *error = std::string("kernel BTF not found at ") + kKernelBtfPath +
             ": zctrace needs a kernel built with CONFIG_DEBUG_INFO_BTF";
    return nullptr;
  }
  std::unique_ptr<Tracer> t(new Tracer());
  t->config_ = config;
  t->ncpus_ = libbpf_num_possible_cpus();
  if (t->ncpus_ <= 0) {
    *error = "cannot count the possible CPUs: " + ErrnoText(t->ncpus_);
    return nullptr;
  }
  t->skel_ = zctrace_bpf__open();
  if (!t->skel_) {
    *error = "opening the BPF object failed: " + ErrnoText(errno);
    return nullptr;
  }
  zctrace_bpf* s = t->skel_;
  s->rodata->follow_children = config.follow_children;
  s->rodata->exec_target_tgid = static_cast<__u32>(config.exec_target);
  s->rodata->target_cgroup_id = config.target_cgroup_id;
  s->rodata->target_all = config.target_all;
  std::strncpy(const_cast<char*>(s->rodata->target_comm), config.target_comm.c_str(), ZC_COMM_LEN - 1);
  // processes that move into the target cgroup: only with --cgroup (it runs at every move on the machine)
  bpf_program__set_autoload(s->progs.on_cgroup_attach, config.target_cgroup_id != 0);
  bpf_map__set_max_entries(s->maps.traced, config.max_processes);
  bpf_map__set_max_entries(s->maps.processes, config.max_processes);
  bpf_map__set_max_entries(s->maps.process_counters, config.max_processes);
  bpf_map__set_max_entries(s->maps.fills, config.max_processes);
  bpf_map__set_max_entries(s->maps.mappings, config.max_processes);
  bpf_map__set_max_entries(s->maps.free_entries, config.max_processes);
  s->rodata->nr_cpus = static_cast<__u32>(t->ncpus_);
  s->rodata->slot_index_bits = zc_slot_index_bits(config.max_processes);
  bpf_map__set_max_entries(s->maps.paths, config.max_paths);
  bpf_map__set_max_entries(s->maps.flows, config.max_paths);
  bpf_map__set_max_entries(s->maps.endpoints, config.max_paths);
  if (!config.stacks) {  // the stack tables take megabytes: one entry each unless asked for
    bpf_map__set_max_entries(s->maps.user_stacks, 1);
    bpf_map__set_max_entries(s->maps.stack_counts, 1);
    bpf_map__set_max_entries(s->maps.code_mappings, 1);
  }

  // Probe: a tracepoint this kernel lacks leaves its program out; the report says so.
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) {
    *error = std::string("cannot parse kernel BTF at ") + kKernelBtfPath + ": " + ErrnoText(errno);
    return nullptr;
  }
  // The hot path loads kernel fields directly through bpf_rdonly_cast (Linux 6.2+); without that kfunc,
  // the build that reads them with bpf_probe_read_kernel is loaded instead.
  const bool direct_loads = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
  // where libbpf finds the type the kTLS mode is read through (compat.bpf.h): vmlinux's BTF, else a loaded
  // module's, the tls module's
  t->ktls_mode_readable_ = btf__find_by_name_kind(vmlinux, "tls_context", BTF_KIND_STRUCT) > 0 ||
                           access("/sys/kernel/btf/tls", R_OK) == 0;
  bpf_program__set_autoload(s->progs.on_sys_exit, direct_loads);
  bpf_program__set_autoload(s->progs.on_sys_exit_compat, !direct_loads);
  // so do the programs that find the path of the syscall in flight (skb copies, transmits)
  bpf_program__set_autoload(s->progs.on_skb_copy, direct_loads);
  bpf_program__set_autoload(s->progs.on_skb_copy_compat, !direct_loads);
  bpf_program__set_autoload(s->progs.on_net_xmit, direct_loads);
  bpf_program__set_autoload(s->progs.on_net_xmit_compat, !direct_loads);
  bpf_program__set_autoload(s->progs.on_sys_exit_stacks, config.stacks && direct_loads);
  bpf_program__set_autoload(s->progs.on_sys_exit_stacks_compat, config.stacks && !direct_loads);
  t->Note(CapabilityId::kDirectLoads, direct_loads,
          direct_loads ? "bpf_rdonly_cast: the hot path loads kernel fields directly"
                       : "no bpf_rdonly_cast kfunc (Linux < 6.2): the hot path uses probe "
                         "reads, which cost more per syscall");
  for (const Probe& p : kProbes) {
    const int type_id = btf__find_by_name_kind(vmlinux, p.btf_type, BTF_KIND_TYPEDEF);
    const bool present = type_id > 0;
    if (!present && p.required) {
      btf__free(vmlinux);
      *error = std::string("this kernel has no ") + p.tracepoint + " tracepoint, which zctrace needs";
      return nullptr;
    }
    if (!present) {
      bpf_program__set_autoload(p.program(s), false);
      t->Note(p.capability, false, std::string(p.tracepoint) + ": not in this kernel");
      continue;
    }
    for (const ArgsCheck& check : kArgsChecks) {
      const int args =
          std::strcmp(check.btf_type, p.btf_type) == 0 ? TracepointArgs(vmlinux, type_id) : check.args;
      if (args == 7 && std::strcmp(p.btf_type, "btf_trace_io_uring_complete") == 0) {
        // 6.1's layout (ctx, req, user_data, res, cflags, extra1, extra2): the program reads res itself
        s->rodata->io_uring_complete_has_res_arg = true;
        continue;
      }
      if (args != check.args && !p.required) {
        bpf_program__set_autoload(p.program(s), false);
        t->Note(p.capability, false,
                std::string(p.tracepoint) + ": takes " + std::to_string(args) +
                    " arguments on this kernel, zctrace reads " + std::to_string(check.args) +
                    " (another kernel's layout)");
      }
    }
  }
  CopyHookPlan copy_hooks;
  const bool planned = PlanCopyHooks(s, vmlinux, config.copy_mode, &copy_hooks, error);
  btf__free(vmlinux);
  if (!planned)
    return nullptr;
  s->rodata->count_copy_functions = copy_hooks.load;

  // Tests see how a refused program is reported by forcing one refusal (ZCTRACE_TEST_REJECT=PROGRAM): the
  // program is pointed at a tracepoint with a single argument, and the verifier refuses its reading of
  // the second (every tp_btf program of ours that this is meant for reads two or more).
  if (const char* reject = std::getenv("ZCTRACE_TEST_REJECT"); reject && *reject) {
    if (bpf_program* p = bpf_object__find_program_by_name(s->obj, reject); p && bpf_program__autoload(p))
      bpf_program__set_attach_target(p, 0, "sched_process_free");
  }
  // ZCTRACE_VERIFIER_STATS=1 (with ZCTRACE_LIBBPF_LOG=1): the verifier's statistics for every program loaded
  // (instructions processed, states, time), which decide how long starting takes
  if (const char* stats = std::getenv("ZCTRACE_VERIFIER_STATS");
      stats && *stats && std::strcmp(stats, "0") != 0) {
    bpf_program* p = nullptr;
    bpf_object__for_each_program(p, s->obj) bpf_program__set_log_level(p, 4);
  }
  if (int err = zctrace_bpf__load(s); err) {
    if (copy_hooks.load && config.copy_mode == CopyMode::kAuto) {
      // the kernel loads a probe fentry program but not ours: trace with the model rather than not at all
      const std::string why = LoadFailure(err);
      TracerConfig model = config;
      model.copy_mode = CopyMode::kModel;
      t.reset();
      std::unique_ptr<Tracer> fallback = Start(model, error);
      if (fallback) {
        for (Capability& c : fallback->capabilities_) {
          if (c.name == CapabilityName(CapabilityId::kCpuCopyFunctions))
            c.detail = "precise mode did not load (" + why + "): CPU copies are modelled";
        }
      }
      return fallback;
    }
    *error = LoadFailure(err);
    return nullptr;
  }
  if (!t->flow_table_.Map(bpf_map__fd(s->maps.flow_table))) {
    *error = "mapping the flow table failed: " + ErrnoText(errno);
    return nullptr;
  }
  // The receive side's device table, before the skb copy probe attaches: a copy it meets before the
  // table is filled would count as from an unseen device.
  std::string rx_devices_error;
  struct stat netns {};
  if (stat("/proc/self/ns/net", &netns) == 0)
    t->netns_ = static_cast<uint32_t>(netns.st_ino);
  else
    rx_devices_error = "cannot stat /proc/self/ns/net: " + ErrnoText(errno);
  const std::vector<NetDevice> rx_devices = t->RefreshRxDevices(&rx_devices_error);
  for (const Probe& p : kProbes) {
    bpf_program* prog = p.program(s);
    if (!bpf_program__autoload(prog))
      continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      const int err = errno;
      if (p.required) {
        *error = std::string("attaching to ") + p.tracepoint + " failed: " + ErrnoText(err);
        return nullptr;
      }
      t->Note(p.capability, false, std::string(p.tracepoint) + ": " + ErrnoText(err));
      continue;
    }
    t->links_.push_back(link);
    t->Note(p.capability, true, p.tracepoint);
  }
  if (!t->HasCapability(CapabilityId::kSkbCopies)) {
    t->Note(CapabilityId::kNicRx, false,
            "needs skb:skb_copy_datagram_iovec (skb_copies), which is off: receive DMA "
            "is modelled from the sockets' addresses");
  } else if (t->netns_ == 0 || rx_devices.empty()) {
    t->Note(
        CapabilityId::kNicRx, false,
        (rx_devices_error.empty() ? std::string("no network devices in /sys/class/net") : rx_devices_error) +
            ": receive DMA is modelled from the sockets' addresses");
  } else {
    t->Note(CapabilityId::kNicRx, true,
            "skb:skb_copy_datagram_iovec (skb_iif), devices from /sys/class/net at start: " +
                DescribeNetDevices(rx_devices));
  }
  // Threads count in their own storage (zc_thread_counts): without the iterator, live threads' counts
  // could not be read, so it is required like the syscall program.
  t->thread_iter_ = bpf_program__attach_iter(s->progs.dump_threads, nullptr);
  if (!t->thread_iter_) {
    *error = "attaching the task iterator failed: " + ErrnoText(errno) +
             " (zctrace needs BPF task iterators, Linux 5.8 or later)";
    return nullptr;
  }
  t->AttachMajorFaultCounters();
  if (config.self_cost) {
    // as bpftop does: statistics on while the fd is open (kernel.bpf_stats_enabled, reference-counted), so
    // they end with zctrace even if it is killed
    t->stats_fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (t->stats_fd_ < 0)
      t->Note(CapabilityId::kSelfCost, false, "bpf_enable_stats(BPF_STATS_RUN_TIME): " + ErrnoText(errno));
    else
      t->Note(CapabilityId::kSelfCost, true,
              "BPF run-time statistics (kernel.bpf_stats_enabled) while tracing; they add two clock reads to "
              "every run of every BPF program on the machine");
  }
  std::string why_not = copy_hooks.why_not;
  if (copy_hooks.load && AttachCopyHooks(s, copy_hooks, &t->links_, &why_not)) {
    std::string hooked;
    for (const std::string& f : copy_hooks.functions)
      hooked += (hooked.empty() ? "" : ", ") + f;
    t->Note(CapabilityId::kCpuCopyFunctions, true, "fentry/fexit on " + hooked);
  } else if (config.copy_mode == CopyMode::kPrecise) {
    *error = "--mode precise: " + why_not;
    return nullptr;
  } else {
    t->Note(CapabilityId::kCpuCopyFunctions, false,
            why_not + ": CPU copies are modelled, except skb → user copies (measured)");
  }
  t->start_ns_ = MonotonicNs();
  return t;
}

// Major faults are a software perf event, not a tracepoint: one counter per CPU, sample period 1,
// each running the BPF program that charges the fault to the traced process.
void Tracer::AttachMajorFaultCounters() {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_PAGE_FAULTS_MAJ;
  attr.sample_period = 1;
  for (int cpu = 0; cpu < ncpus_; ++cpu) {
    const int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      if (errno == ENODEV)
        continue;  // a possible CPU that is not online
      Note(CapabilityId::kMajorFaults, false, "perf software event page-faults-maj: " + ErrnoText(errno));
      return;
    }
    bpf_link* link = bpf_program__attach_perf_event(skel_->progs.on_major_fault, fd);
    if (!link) {
      const int err = errno;
      close(fd);
      Note(CapabilityId::kMajorFaults, false, "perf software event page-faults-maj: " + ErrnoText(err));
      return;
    }
    links_.push_back(link);  // the link owns the perf event fd
  }
  Note(CapabilityId::kMajorFaults, true, "perf software event page-faults-maj");
}

Tracer::~Tracer() {
  if (stats_fd_ >= 0)
    close(stats_fd_);
  for (bpf_link* link : links_)
    bpf_link__destroy(link);
  if (thread_iter_)
    bpf_link__destroy(thread_iter_);
  if (skel_)
    zctrace_bpf__destroy(skel_);
}

bool Tracer::HasCapability(CapabilityId id) const {
  const std::string_view name = CapabilityName(id);
  for (const Capability& c : capabilities_) {
    if (c.name == name)
      return c.available;
  }
  return false;
}

void Tracer::Note(CapabilityId id, bool available, std::string detail) {
  capabilities_.push_back({std::string(CapabilityName(id)), available, std::move(detail)});
}

}  // namespace zctrace
