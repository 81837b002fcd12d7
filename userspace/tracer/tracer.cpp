#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

#include "copy_hooks.h"
#include "zctrace.skel.h"

namespace zctrace {
namespace {

// libbpf's messages are noise on success; on a failed load they hold the verifier's log, which the error
// names. They are kept (bounded: a verifier log can be megabytes; its end says why) and, with
// ZCTRACE_LIBBPF_LOG=1 in the environment, all of them (debug too) also go to stderr as they come.
std::string g_libbpf_messages;
constexpr size_t kLibbpfMessagesKept = 64 * 1024;

int CaptureLibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  static const bool echo = [] {
    const char* v = std::getenv("ZCTRACE_LIBBPF_LOG");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  if (level == LIBBPF_DEBUG && !echo)
    return 0;
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0)
    return n;
  std::string text(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(text.data(), text.size(), format, args);
  text.pop_back();
  if (echo)
    std::cerr << text << std::flush;
  if (level != LIBBPF_DEBUG) {
    g_libbpf_messages += text;
    if (g_libbpf_messages.size() > kLibbpfMessagesKept)
      g_libbpf_messages.erase(0, g_libbpf_messages.size() - kLibbpfMessagesKept);
  }
  return n;
}

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string KernelRelease() {
  utsname u{};
  uname(&u);
  return u.release;
}

std::string ErrnoText(int err) {
  return std::strerror(err < 0 ? -err : err);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The verifier's reason for rejecting a program, from libbpf's "-- BEGIN PROG LOAD LOG --" ... "-- END PROG
// LOAD LOG --" block: the last line before its end that is not one of the statistics the verifier adds
// there. Read from the end, because a long log may have lost its beginning to the bound on what is kept.
// Empty when there was no such log. *program gets the name from libbpf's "prog 'NAME': failed to load"
// (or "... BPF program load failed") line.
std::string VerifierReason(const std::string& messages, std::string* program) {
  const std::vector<std::string> lines = Lines(messages);
  size_t end = lines.size();
  for (size_t i = lines.size(); i-- > 0;) {
    if (lines[i].find("-- END PROG LOAD LOG --") != std::string::npos) {
      end = i;
      break;
    }
  }
  if (end == lines.size())
    return "";
  for (const std::string& line : lines) {
    if (line.find("failed to load") == std::string::npos &&
        line.find("BPF program load failed") == std::string::npos)
      continue;
    const size_t open = line.find("prog '"), close = line.find("':");
    if (open != std::string::npos && close != std::string::npos && close > open + 6)
      *program = line.substr(open + 6, close - open - 6);
  }
  for (size_t i = end; i-- > 0;) {
    const std::string& line = lines[i];
    if (line.find("-- BEGIN PROG LOAD LOG --") != std::string::npos)
      break;
    if (!line.empty() && !StartsWith(line, "processed ") && !StartsWith(line, "verification time") &&
        !StartsWith(line, "stack depth"))
      return line;
  }
  return "";
}

std::string LoadFailure(int err) {
  std::string program;
  const std::string reason = VerifierReason(g_libbpf_messages, &program);
  // The verifier says EACCES (or EPERM) for a program it refuses: that is not a missing privilege, and the
  // caller's privileges were checked before loading.
  if (!reason.empty()) {
    return "the kernel's verifier rejected BPF program '" + program + "' (" + ErrnoText(err) +
           "): " + reason +
           " (ZCTRACE_LIBBPF_LOG=1 prints its whole log)\nzctrace: this build of zctrace does not load on "
           "kernel " +
           KernelRelease() +
           ": upgrade zctrace, or report the kernel version (uname -rv) with that log to its maintainers";
  }
  if (err == -EPERM || err == -EACCES) {
    return "the kernel refused to load BPF programs (" + ErrnoText(err) +
           "): zctrace needs root, or CAP_BPF and CAP_PERFMON";
  }
  std::string msg = "loading the BPF programs failed: " + ErrnoText(err);
  const std::vector<std::string> lines = Lines(g_libbpf_messages);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->empty()) {
      msg += " (" + *it + ")";
      break;
    }
  }
  return msg;
}

struct Probe {
  const char* capability;  // name in the report
  const char* tracepoint;  // for the report
  const char* btf_type;    // btf_trace_<tp>: present iff the kernel has the tracepoint
  bool required;
  bpf_program* (*program)(zctrace_bpf*);
};

const Probe kProbes[] = {
    {"syscalls", "raw_syscalls:sys_exit", "btf_trace_sys_exit", true,
     [](zctrace_bpf* s) {
       // one of the two builds of the hot path is loaded (see ChooseHotPath)
       return bpf_program__autoload(s->progs.on_sys_exit) ? s->progs.on_sys_exit
                                                          : s->progs.on_sys_exit_compat;
     }},
    {"process_exec", "sched:sched_process_exec", "btf_trace_sched_process_exec", true,
     [](zctrace_bpf* s) { return s->progs.on_exec; }},
    {"process_exit", "sched:sched_process_exit", "btf_trace_sched_process_exit", true,
     [](zctrace_bpf* s) { return s->progs.on_exit; }},
    {"follow_children", "sched:sched_process_fork", "btf_trace_sched_process_fork", false,
     [](zctrace_bpf* s) { return s->progs.on_fork; }},
    {"skb_copies", "skb:skb_copy_datagram_iovec", "btf_trace_skb_copy_datagram_iovec", false,
     [](zctrace_bpf* s) {
       return bpf_program__autoload(s->progs.on_skb_copy) ? s->progs.on_skb_copy
                                                          : s->progs.on_skb_copy_compat;
     }},
    {"io_uring", "io_uring:io_uring_complete", "btf_trace_io_uring_complete", false,
     [](zctrace_bpf* s) { return s->progs.on_io_uring_complete; }},
    {"disk_io", "block:block_bio_queue", "btf_trace_block_bio_queue", false,
     [](zctrace_bpf* s) { return s->progs.on_block_bio_queue; }},
    {"dirtied_pages", "writeback:writeback_dirty_folio", "btf_trace_writeback_dirty_folio", false,
     [](zctrace_bpf* s) { return s->progs.on_dirty_folio; }},
    {"page_cache_fills", "filemap:mm_filemap_add_to_page_cache", "btf_trace_mm_filemap_add_to_page_cache",
     false, [](zctrace_bpf* s) { return s->progs.on_page_cache_fill; }},
    {"nic_tx", "net:net_dev_start_xmit", "btf_trace_net_dev_start_xmit", false,
     [](zctrace_bpf* s) {
       return bpf_program__autoload(s->progs.on_net_xmit) ? s->progs.on_net_xmit
                                                          : s->progs.on_net_xmit_compat;
     }},
    {"sigbus", "signal:signal_deliver", "btf_trace_signal_deliver", false,
     [](zctrace_bpf* s) { return s->progs.on_signal_deliver; }},
    {"page_faults", "exceptions:page_fault_user", "btf_trace_page_fault_user", false,
     [](zctrace_bpf* s) { return s->progs.on_page_fault_user; }},
    {"dma_map_phys", "dma:dma_map_phys", "btf_trace_dma_map_phys", false,
     [](zctrace_bpf* s) { return s->progs.on_dma_map_phys; }},
    {"dma_map_sg", "dma:dma_map_sg", "btf_trace_dma_map_sg", false,
     [](zctrace_bpf* s) { return s->progs.on_dma_map_sg; }},
    {"swiotlb_bounces", "swiotlb:swiotlb_bounced", "btf_trace_swiotlb_bounced", false,
     [](zctrace_bpf* s) { return s->progs.on_swiotlb_bounced; }},
};

// Tracepoints whose arguments changed between kernels in a way CO-RE cannot follow (the program's own
// parameters are not relocated): io_uring_complete was (ctx, req, user_data, res, cflags, extra1, extra2)
// on 6.1 (Debian 12) and is (ctx, req, cqe) on 6.18. on_io_uring_complete reads the cqe; on the old layout
// that would be a probe read at user_data, a value the traced program chose. Such a program is left off,
// and the report says why, rather than counting garbage.
struct ArgsCheck {
  const char* btf_type;
  int args;  // what the program reads
};
const ArgsCheck kArgsChecks[] = {{"btf_trace_io_uring_complete", 3}};

// The number of arguments a tracepoint hands its programs, from the kernel's btf_trace_<tp> typedef
// (a pointer to a function prototype whose first parameter is the tracepoint's private data); -1 if the
// BTF does not have that shape.
int TracepointArgs(const btf* vmlinux, int typedef_id) {
  const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(typedef_id));
  if (!t || !btf_is_typedef(t))
    return -1;
  t = btf__type_by_id(vmlinux, t->type);
  if (!t || !btf_is_ptr(t))
    return -1;
  t = btf__type_by_id(vmlinux, t->type);
  if (!t || !btf_is_func_proto(t))
    return -1;
  return static_cast<int>(btf_vlen(t)) - 1;
}

template <typename T>
T SumPerCpu(const std::vector<T>& per_cpu);

template <>
zc_process_counters SumPerCpu(const std::vector<zc_process_counters>& v) {
  zc_process_counters sum{};
  for (const auto& c : v) {
    sum.syscalls += c.syscalls;
    sum.page_faults += c.page_faults;
    sum.skb_copy_bytes_unattributed += c.skb_copy_bytes_unattributed;
    sum.major_faults += c.major_faults;
    sum.disk_read_bytes += c.disk_read_bytes;
    sum.disk_write_bytes += c.disk_write_bytes;
    sum.dirtied_bytes += c.dirtied_bytes;
    sum.cache_fill_bytes += c.cache_fill_bytes;
    sum.nic_tx_bytes += c.nic_tx_bytes;
    sum.virtual_tx_bytes += c.virtual_tx_bytes;
    sum.dma_map_bytes += c.dma_map_bytes;
    sum.bounce_bytes += c.bounce_bytes;
    sum.nic_rx_bytes += c.nic_rx_bytes;
    sum.virtual_rx_bytes += c.virtual_rx_bytes;
    sum.unclassified_rx_bytes += c.unclassified_rx_bytes;
  }
  return sum;
}

template <>
zc_path_counters SumPerCpu(const std::vector<zc_path_counters>& v) {
  zc_path_counters sum{};
  for (const auto& c : v) {
    sum.calls += c.calls;
    sum.bytes += c.bytes;
    sum.errors += c.errors;
    sum.skb_copy_events += c.skb_copy_events;
    sum.skb_copy_bytes += c.skb_copy_bytes;
    sum.disk_read_events += c.disk_read_events;
    sum.disk_read_bytes += c.disk_read_bytes;
    sum.disk_write_events += c.disk_write_events;
    sum.disk_write_bytes += c.disk_write_bytes;
    sum.dirtied_events += c.dirtied_events;
    sum.dirtied_bytes += c.dirtied_bytes;
    sum.cache_fill_bytes += c.cache_fill_bytes;
    sum.nic_tx_events += c.nic_tx_events;
    sum.nic_tx_bytes += c.nic_tx_bytes;
    sum.page_faults += c.page_faults;
    sum.copy_fn_events += c.copy_fn_events;
    sum.copy_fn_bytes += c.copy_fn_bytes;
    sum.dma_map_events += c.dma_map_events;
    sum.dma_map_bytes += c.dma_map_bytes;
    sum.bounce_events += c.bounce_events;
    sum.bounce_bytes += c.bounce_bytes;
    sum.nic_rx_events += c.nic_rx_events;
    sum.nic_rx_bytes += c.nic_rx_bytes;
    sum.virtual_rx_bytes += c.virtual_rx_bytes;
    sum.unclassified_rx_events += c.unclassified_rx_events;
    sum.unclassified_rx_bytes += c.unclassified_rx_bytes;
  }
  return sum;
}

template <>
zc_flow_counters SumPerCpu(const std::vector<zc_flow_counters>& v) {
  zc_flow_counters sum{};
  for (const auto& f : v) {
    sum.bytes += f.bytes;
    sum.chunks += f.chunks;
  }
  return sum;
}

// Mount points by device, from /proc/self/mountinfo ("ID PARENT MAJOR:MINOR ROOT MOUNTPOINT ..."), in the
// kernel's s_dev encoding (major << 20 | minor), to put file endpoints' paths under their mounts.
std::vector<std::pair<uint32_t, std::string>> ReadMounts() {
  std::vector<std::pair<uint32_t, std::string>> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    unsigned id = 0, parent = 0, major = 0, minor = 0;
    char root[4096], point[4096];
    if (sscanf(line.c_str(), "%u %u %u:%u %4095s %4095s", &id, &parent, &major, &minor, root, point) != 6)
      continue;
    if (std::string(root) != "/")
      continue;  // a bind mount of a subdirectory: not the filesystem's root
    mounts.emplace_back((major << 20) | minor, point);
  }
  return mounts;
}

template <>
zc_health SumPerCpu(const std::vector<zc_health>& v) {
  zc_health sum{};
  for (const auto& h : v) {
    sum.path_map_full += h.path_map_full;
    sum.process_map_full += h.process_map_full;
    sum.flow_map_full += h.flow_map_full;
    sum.thread_table_full += h.thread_table_full;
  }
  return sum;
}

// Per-CPU map values: the kernel hands one value per possible CPU, each padded to 8 bytes; our
// structs are all multiples of 8 bytes, so a vector of them has exactly that layout.
template <typename T>
bool LookupPerCpu(const bpf_map* map, const void* key, size_t key_size, int ncpus, T* sum) {
  static_assert(sizeof(T) % 8 == 0, "per-CPU values must be 8-byte multiples");
  std::vector<T> values(static_cast<size_t>(ncpus));
  if (bpf_map__lookup_elem(map, key, key_size, values.data(), sizeof(T) * values.size(), 0) != 0)
    return false;
  *sum = SumPerCpu(values);
  return true;
}

// Calls fn with every key of a hash map (a snapshot walk: keys added meanwhile may or may not show).
template <typename Key, typename Fn>
void ForEachKey(const bpf_map* map, Fn&& fn) {
  Key key{}, next{};
  const Key* prev = nullptr;
  while (bpf_map__get_next_key(map, prev, &next, sizeof(next)) == 0) {
    fn(next);
    key = next;
    prev = &key;
  }
}

}  // namespace

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
  bpf_map__set_max_entries(s->maps.traced, config.max_processes);
  bpf_map__set_max_entries(s->maps.processes, config.max_processes);
  bpf_map__set_max_entries(s->maps.process_counters, config.max_processes);
  bpf_map__set_max_entries(s->maps.paths, config.max_paths);
  bpf_map__set_max_entries(s->maps.flows, config.max_paths);
  bpf_map__set_max_entries(s->maps.endpoints, config.max_paths);

  // Probe: a tracepoint this kernel lacks leaves its program out; the report says so.
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) {
    *error = std::string("cannot parse kernel BTF at ") + kKernelBtfPath + ": " + ErrnoText(errno);
    return nullptr;
  }
  // The hot path loads kernel fields directly through bpf_rdonly_cast (Linux 6.2+); without that kfunc,
  // the build that reads them with bpf_probe_read_kernel is loaded instead.
  const bool direct_loads = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
  bpf_program__set_autoload(s->progs.on_sys_exit, direct_loads);
  bpf_program__set_autoload(s->progs.on_sys_exit_compat, !direct_loads);
  // so do the programs that find the path of the syscall in flight (skb copies, transmits)
  bpf_program__set_autoload(s->progs.on_skb_copy, direct_loads);
  bpf_program__set_autoload(s->progs.on_skb_copy_compat, !direct_loads);
  bpf_program__set_autoload(s->progs.on_net_xmit, direct_loads);
  bpf_program__set_autoload(s->progs.on_net_xmit_compat, !direct_loads);
  t->capabilities_.push_back({"direct_loads", direct_loads,
                              direct_loads
                                  ? "bpf_rdonly_cast: the hot path loads kernel fields directly"
                                  : "no bpf_rdonly_cast kfunc (Linux < 6.2): the hot path uses probe "
                                    "reads, which cost more per syscall"});
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
      t->capabilities_.push_back({p.capability, false, std::string(p.tracepoint) + ": not in this kernel"});
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
        t->capabilities_.push_back({p.capability, false,
                                    std::string(p.tracepoint) + ": takes " + std::to_string(args) +
                                        " arguments on this kernel, zctrace reads " +
                                        std::to_string(check.args) + " (another kernel's layout)"});
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
          if (c.name == "cpu_copy_functions")
            c.detail = "precise mode did not load (" + why + "): CPU copies are modelled";
        }
      }
      return fallback;
    }
    *error = LoadFailure(err);
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
      t->capabilities_.push_back({p.capability, false, std::string(p.tracepoint) + ": " + ErrnoText(err)});
      continue;
    }
    t->links_.push_back(link);
    t->capabilities_.push_back({p.capability, true, p.tracepoint});
  }
  if (!t->HasCapability("skb_copies")) {
    t->capabilities_.push_back({"nic_rx", false,
                                "needs skb:skb_copy_datagram_iovec (skb_copies), which is off: receive DMA "
                                "is modelled from the sockets' addresses"});
  } else if (t->netns_ == 0 || rx_devices.empty()) {
    t->capabilities_.push_back(
        {"nic_rx", false,
         (rx_devices_error.empty() ? std::string("no network devices in /sys/class/net") : rx_devices_error) +
             ": receive DMA is modelled from the sockets' addresses"});
  } else {
    t->capabilities_.push_back(
        {"nic_rx", true,
         "skb:skb_copy_datagram_iovec (skb_iif), devices from /sys/class/net at start: " +
             DescribeNetDevices(rx_devices)});
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
  std::string why_not = copy_hooks.why_not;
  if (copy_hooks.load && AttachCopyHooks(s, copy_hooks, &t->links_, &why_not)) {
    std::string hooked;
    for (const std::string& f : copy_hooks.functions)
      hooked += (hooked.empty() ? "" : ", ") + f;
    t->capabilities_.push_back({"cpu_copy_functions", true, "fentry/fexit on " + hooked});
  } else if (config.copy_mode == CopyMode::kPrecise) {
    *error = "--mode precise: " + why_not;
    return nullptr;
  } else {
    t->capabilities_.push_back({"cpu_copy_functions", false,
                                why_not + ": CPU copies are modelled, except skb → user copies (measured)"});
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
      capabilities_.push_back(
          {"major_faults", false, "perf software event page-faults-maj: " + ErrnoText(errno)});
      return;
    }
    bpf_link* link = bpf_program__attach_perf_event(skel_->progs.on_major_fault, fd);
    if (!link) {
      const int err = errno;
      close(fd);
      capabilities_.push_back(
          {"major_faults", false, "perf software event page-faults-maj: " + ErrnoText(err)});
      return;
    }
    links_.push_back(link);  // the link owns the perf event fd
  }
  capabilities_.push_back({"major_faults", true, "perf software event page-faults-maj"});
}

Tracer::~Tracer() {
  for (bpf_link* link : links_)
    bpf_link__destroy(link);
  if (thread_iter_)
    bpf_link__destroy(thread_iter_);
  if (skel_)
    zctrace_bpf__destroy(skel_);
}

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

bool Tracer::HasCapability(const std::string& name) const {
  for (const Capability& c : capabilities_) {
    if (c.name == name)
      return c.available;
  }
  return false;
}

bool Tracer::DumpLiveThreads(std::vector<zc_thread_counts>* records, std::string* error) const {
  const int fd = bpf_iter_create(bpf_link__fd(thread_iter_));
  if (fd < 0) {
    *error = "reading live threads' counts failed (bpf_iter_create: " + ErrnoText(errno) + ")";
    return false;
  }
  std::vector<char> bytes;
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *error = "reading live threads' counts failed: " + ErrnoText(errno);
      close(fd);
      return false;
    }
    if (n == 0)
      break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  close(fd);
  const size_t count = bytes.size() / sizeof(zc_thread_counts);
  records->resize(count);
  if (count)
    std::memcpy(records->data(), bytes.data(), count * sizeof(zc_thread_counts));
  return true;
}

void Tracer::DrainDeadThreads() const {
  std::vector<__u64> taken;
  ForEachKey<__u64>(skel_->maps.dead_threads, [&](const __u64& serial) {
    zc_thread_counts record{};
    if (bpf_map__lookup_elem(skel_->maps.dead_threads, &serial, sizeof(serial), &record, sizeof(record), 0) ==
        0) {
      threads_.Retire(record);
      taken.push_back(serial);
    }
  });
  for (const __u64& serial : taken)
    bpf_map__delete_elem(skel_->maps.dead_threads, &serial, sizeof(serial), 0);
}

std::vector<NetDevice> Tracer::RefreshRxDevices(std::string* error) const {
  if (netns_ == 0)
    return {};
  std::vector<NetDevice> devices = ReadNetDevices();
  // Devices deleted since the last refresh leave the table, so that a long trace on a host whose
  // containers come and go (a veth each) does not fill it; an empty listing (sysfs unreadable for a
  // moment) deletes nothing.
  std::vector<zc_rx_device_key> gone;
  ForEachKey<zc_rx_device_key>(skel_->maps.rx_devices, [&](const zc_rx_device_key& key) {
    const bool listed = std::any_of(devices.begin(), devices.end(),
                                    [&](const NetDevice& d) { return d.ifindex == key.ifindex; });
    if (key.netns == netns_ && !listed && !devices.empty())
      gone.push_back(key);
  });
  bool changed = !gone.empty();
  for (const zc_rx_device_key& key : gone)
    bpf_map__delete_elem(skel_->maps.rx_devices, &key, sizeof(key), 0);
  for (const NetDevice& d : devices) {
    const zc_rx_device_key key{netns_, d.ifindex};
    const __u32 device_class = d.nic ? ZC_RX_NIC : ZC_RX_VIRTUAL;
    __u32 known = 0;
    if (bpf_map__lookup_elem(skel_->maps.rx_devices, &key, sizeof(key), &known, sizeof(known), 0) == 0 &&
        known == device_class)
      continue;
    changed = true;
    if (bpf_map__update_elem(skel_->maps.rx_devices, &key, sizeof(key), &device_class, sizeof(device_class),
                             BPF_ANY) != 0 &&
        error && error->empty()) {
      *error = "cannot add " + d.name + " to the device table: " + ErrnoText(errno);
    }
  }
  // Threads remember the class of the device their last skb came from: after the table changed (the
  // map updates above are done, each a syscall), a new generation makes them look again.
  if (changed)
    __atomic_fetch_add(&skel_->bss->rx_devices_generation, 1, __ATOMIC_SEQ_CST);
  return devices;
}

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

  const __u32 used = std::min<__u32>(skel_->bss->next_slot, config_.max_processes);
  for (__u32 slot = 0; slot < used; ++slot) {
    ProcessSnapshot p;
    p.slot = slot;
    if (bpf_map__lookup_elem(skel_->maps.processes, &slot, sizeof(slot), &p.info, sizeof(p.info), 0) != 0)
      continue;
    if (p.info.tgid == 0)
      continue;  // slot taken but never filled (table full)
    LookupPerCpu(skel_->maps.process_counters, &slot, sizeof(slot), ncpus_, &p.counters);
    snap.processes.push_back(p);
  }

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
  ForEachKey<zc_endpoint_id>(skel_->maps.endpoints, [&](const zc_endpoint_id& id) {
    EndpointSnapshot e;
    e.id = id;
    if (bpf_map__lookup_elem(skel_->maps.endpoints, &id, sizeof(id), &e.info, sizeof(e.info), 0) == 0)
      snap.endpoints.push_back(e);
  });
  threads_.AddTo(live_threads, &snap);
  snap.mounts = ReadMounts();
  const __u32 zero = 0;
  LookupPerCpu(skel_->maps.health, &zero, sizeof(zero), ncpus_, &snap.health);
  return snap;
}

}  // namespace zctrace
