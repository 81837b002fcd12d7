#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "call_stacks.h"
#include "copy_model.h"
#include "flows.h"
#include "render.h"
#include "zero_copy.h"

namespace zctrace {

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string Percent(double share) {
  const double percent = 100.0 * share;
  if (percent > 0 && percent < 1)
    return "<1%";
  return std::to_string(static_cast<int>(percent + 0.5)) + "%";
}

std::string GroupedCount(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string IntervalRates(const Totals& delta, double seconds) {
  if (seconds <= 0)
    return "";
  const auto per_second = [&](uint64_t n) { return static_cast<uint64_t>(static_cast<double>(n) / seconds); };
  const auto basis = [](const CopyFigure& c) { return c.basis == Basis::kMeasured ? " (M)" : ""; };
  std::ostringstream s;
  s << "last " << std::fixed << std::setprecision(1) << seconds << " s: moved "
    << HumanBytes(per_second(delta.bytes_moved)) << "/s · CPU-copied "
    << HumanBytes(per_second(delta.cpu.bytes)) << "/s" << basis(delta.cpu) << " · DMA "
    << HumanBytes(per_second(delta.dma.bytes)) << "/s" << basis(delta.dma) << " · "
    << GroupedCount(per_second(delta.mode_switches())) << " mode switches/s";
  return s.str();
}

std::string Counted(uint64_t n, const std::string& one, const std::string& many) {
  return GroupedCount(n) + " " + (n == 1 ? one : many);
}

namespace {

std::string CopiesCell(const CopyFigure& c, int per_byte) {
  if (c.bytes == 0 && c.count == 0)
    return "0";
  std::ostringstream s;
  // a measured total stands alone: the model's factor beside it would read as a second figure
  if (c.basis == Basis::kMeasured)
    s << HumanBytes(c.bytes) << " (M)";
  else
    s << per_byte << "x " << HumanBytes(c.bytes);
  return s.str();
}

std::string PathCell(const PathReport& p) {
  std::string s = std::string(KindName(p.source)) + " → " + std::string(KindName(p.sink));
  if (p.flags & (ZC_FLAG_SOURCE_LOOPBACK | ZC_FLAG_SINK_LOOPBACK))
    s += " (lo)";
  if (p.flags & ZC_FLAG_MSG_ZEROCOPY)
    s += " (zc)";
  if (p.flags & ZC_FLAG_SINK_KTLS)
    s += " (tls)";
  if (p.flags & ZC_FLAG_SINK_NO_SG)
    s += " (no sg/csum)";
  return s;
}

// Pads by visible characters, so that UTF-8 arrows do not skew the columns.
std::string Pad(const std::string& s, size_t width) {
  size_t visible = 0;
  for (unsigned char ch : s)
    visible += (ch & 0xC0) != 0x80;
  return visible >= width ? s + " " : s + std::string(width - visible, ' ');
}

// How a sum of copies was found: "measured", "modelled", or both parts' sizes when it mixes them.
std::string BasisText(const CopyFigure& c) {
  if (c.measured_bytes == 0 || c.measured_bytes >= c.bytes)
    return std::string(BasisName(c.basis));
  return HumanBytes(c.measured_bytes) + " measured, " + HumanBytes(c.bytes - c.measured_bytes) + " modelled";
}

// Claimed vs achieved, in one line: "asked for MSG_ZEROCOPY → got copied (measured): ...".
std::string ZeroCopyLine(const ZeroCopyVerdict& v) {
  return "asked for " + v.claimed + (v.achieved == Achieved::kRefused ? " → " : " → got ") +
         std::string(AchievedName(v.achieved)) + " (" + std::string(BasisName(v.basis)) + "): " + v.reason;
}

// Flows listed per process in the text report, largest first.
constexpr size_t kFlowsShown = 8;

void RenderProcess(const ProcessReport& proc, std::ostream& out, bool per_connection) {
  if (proc.folded_processes) {
    out << GroupedCount(proc.folded_processes) << " exited " << proc.comm << " processes, folded  (";
  } else {
    out << "pid " << proc.pid << " " << proc.comm << "  (";
    if (proc.exited && !proc.exit_signal.empty())
      out << "killed by " << proc.exit_signal << ", ";
    else if (proc.exited)
      out << "exited " << proc.exit_code << ", ";
  }
  out << std::fixed << std::setprecision(2) << proc.duration_s << " s)  syscalls "
      << GroupedCount(proc.syscall_count) << " · page faults " << GroupedCount(proc.page_faults)
      << " · mode switches " << GroupedCount(proc.mode_switches) << "\n";
  if (!proc.cgroup.empty() && proc.cgroup != "/") {
    out << "  cgroup " << proc.cgroup;
    if (!proc.container.empty())
      out << "  · container " << proc.container;
    out << "\n";
  }
  if (proc.paths.empty()) {
    out << "  no data-moving syscalls\n\n";
    return;
  }
  out << "  " << Pad("METHOD", 16) << Pad("SOURCE → SINK", 22) << Pad("CALLS", 11) << Pad("ERRORS", 9)
      << Pad("BYTES", 11) << Pad("CPU COPIES", 18) << Pad("DMA COPIES", 18) << Pad("MODE SW", 11)
      << "MODEL\n";
  for (const PathReport& p : proc.paths) {
    out << "  " << Pad(std::string(SyscallName(p.syscall)), 16) << Pad(PathCell(p), 22)
        << Pad(GroupedCount(p.calls), 11) << Pad(GroupedCount(p.errors), 9) << Pad(HumanBytes(p.bytes), 11)
        << Pad(CopiesCell(p.cpu, p.cpu_copies_per_byte), 18)
        << Pad(CopiesCell(p.dma, p.dma_copies_per_byte), 18) << Pad(GroupedCount(p.mode_switches), 11)
        << p.model << "\n";
  }
  const double share = proc.bytes_moved ? 100.0 * static_cast<double>(proc.zero_copy_bytes) /
                                              static_cast<double>(proc.bytes_moved)
                                        : 0.0;
  out << "  moved " << HumanBytes(proc.bytes_moved) << " · CPU-copied " << HumanBytes(proc.cpu.bytes) << " ("
      << BasisText(proc.cpu) << ") · DMA " << HumanBytes(proc.dma.bytes) << " (" << BasisName(proc.dma.basis)
      << ") · zero-copy share " << std::setprecision(1) << share << "%\n";
  out << "  device (measured): disk read " << HumanBytes(proc.device.disk_read_bytes) << " · disk written "
      << HumanBytes(proc.device.disk_write_bytes) << " now, " << HumanBytes(proc.device.dirtied_bytes)
      << " at writeback · page-cache fills " << HumanBytes(proc.device.cache_fill_bytes)
      << ", pages created by writes " << HumanBytes(proc.device.cache_created_bytes) << " · NIC tx "
      << HumanBytes(proc.device.nic_tx_bytes) << " · virtual tx " << HumanBytes(proc.device.virtual_tx_bytes)
      << " (no DMA) · NIC rx " << HumanBytes(proc.device.nic_rx_bytes) << " · virtual rx "
      << HumanBytes(proc.device.virtual_rx_bytes) << " (no DMA)";
  if (proc.device.unclassified_rx_bytes)
    out << " · rx on unseen devices " << HumanBytes(proc.device.unclassified_rx_bytes);
  if (proc.device.dma_map_bytes || proc.device.bounce_bytes) {
    out << " · DMA API mapped " << HumanBytes(proc.device.dma_map_bytes) << " · swiotlb bounces "
        << HumanBytes(proc.device.bounce_bytes) << " (CPU copies inside DMA)";
  }
  if (proc.major_faults_measured) {
    out << " · faults " << GroupedCount(proc.major_faults) << " major, "
        << GroupedCount(proc.page_faults - std::min(proc.page_faults, proc.major_faults)) << " minor";
  }
  out << "\n";
  if (!proc.flows.empty()) {
    out << "  flows:\n";
    size_t shown = 0;
    uint64_t rest_bytes = 0;
    for (const FlowReport& f : proc.flows) {
      // the largest ones (they come sorted): a busy service's report fits a screen
      if (shown == kFlowsShown) {
        rest_bytes += f.bytes;
        continue;
      }
      ++shown;
      // "from memory" says where the bytes came from itself
      out << "    " << f.method << (f.source.kind == Kind::kUser ? "" : " " + f.source.name) << " → "
          << f.sink.name << ": " << HumanBytes(f.bytes) << " in " << Counted(f.chunks, "chunk", "chunks");
      if (!f.members.empty())
        out << " over " << Counted(f.members.size(), "connection", "connections");
      out << " · " << Counted(static_cast<uint64_t>(f.cpu_copies_per_byte), "CPU copy", "CPU copies")
          << "/byte · " << Counted(static_cast<uint64_t>(f.mode_switches_per_chunk), "switch", "switches")
          << "/chunk (" << f.model << ")\n";
      if ((f.flags & ZC_FLAG_SINK_TLS_MASK) == ZC_FLAG_SINK_USER_TLS)
        out << "      " << UserTlsNote() << "\n";
      if (f.zero_copy)
        out << "      " << ZeroCopyLine(*f.zero_copy) << "\n";
      if (!f.advice.empty())
        out << "      → " << f.advice << "\n";
      for (size_t i = 0; i < f.call_sites.size() && i < kCallSitesShown; ++i) {
        const CallSite& c = f.call_sites[i];
        std::string chain;
        for (const std::string& name : c.functions)
          chain += (chain.empty() ? "" : " ← ") + name;
        out << (i == 0 ? "      from " : "           ") << Percent(c.share) << " " << chain << " ("
            << (c.cpu_copied_bytes ? HumanBytes(c.cpu_copied_bytes) + " CPU-copied" : HumanBytes(c.bytes))
            << " in " << Counted(c.calls, "call", "calls") << ")\n";
      }
      if (f.call_sites.size() > kCallSitesShown) {
        out << "           ... and " << f.call_sites.size() - kCallSitesShown
            << " more call sites: --json, --folded or --pprof list them all\n";
      }
      if (!f.call_site_advice.empty())
        out << "      → " << f.call_site_advice << "\n";
      if (per_connection) {
        for (const FlowMember& m : f.members)
          out << "        " << m.source.name << " → " << m.sink.name << ": " << HumanBytes(m.bytes) << "\n";
      }
    }
    if (proc.flows.size() > shown) {
      out << "    ... and " << proc.flows.size() - shown << " smaller flows (" << HumanBytes(rest_bytes)
          << "): the JSON report lists them all\n";
    }
  }
  // io_uring's operations have no flows: their claims are the paths'; nor have refused clones
  for (const PathReport& p : proc.paths) {
    if (p.zero_copy && (IsIoUring(p.syscall) || (IsClone(p.syscall) && p.errors))) {
      out << "  " << SyscallName(p.syscall) << " " << PathCell(p) << ": " << ZeroCopyLine(*p.zero_copy)
          << "\n";
    }
  }
  out << "  why:\n";
  for (const PathReport& p : proc.paths) {
    if (p.calls == p.errors)
      continue;
    out << "    " << SyscallName(p.syscall) << " " << KindName(p.source) << "→" << KindName(p.sink) << ": "
        << p.kernel_path << "\n";
  }
  out << "\n";
}

}  // namespace

void RenderText(const Report& report, std::ostream& out, bool per_connection) {
  uint64_t traced = 0;  // a folded entry stands for many
  for (const ProcessReport& proc : report.processes)
    traced += proc.folded_processes ? proc.folded_processes : 1;
  out << "zctrace: " << GroupedCount(traced) << " process" << (traced == 1 ? "" : "es") << " traced for "
      << std::fixed << std::setprecision(2) << report.duration_s << " s on Linux " << report.kernel << "\n";
  out << "Four-copy model per chunk (file → socket):";
  size_t n = 0;
  const ClassicLine* lines = ClassicLines(&n);
  for (size_t i = 0; i < n; ++i) {
    out << (i ? "; " : " ") << lines[i].method << " " << lines[i].cpu_copies << " CPU/" << lines[i].dma_copies
        << " DMA/" << lines[i].mode_switches << " switches";
  }
  out << "\nCPU copies: "
      << (report.cpu_copy_mode == "precise" ? "precise (the kernel's copy functions are hooked: measured)"
                                            : "modelled from the path (precise mode needs fentry)")
      << ".";
  out << "\n(M) = measured from kernel events; other figures are modelled from the path and the copy model.\n"
         "DMA: block I/O, dirtied page cache (written back later) and NIC frames per path; virtual devices\n"
         "(lo, veth, bridges) have no DMA. NIC rx: bytes copied to the process that arrived on a NIC.\n\n";
  for (const ProcessReport& proc : report.processes)
    RenderProcess(proc, out, per_connection);

  const Totals& t = report.totals;
  out << "total: moved " << HumanBytes(t.bytes_moved) << " · CPU-copied " << HumanBytes(t.cpu.bytes)
      << " · DMA " << HumanBytes(t.dma.bytes) << " · mode switches " << GroupedCount(t.mode_switches())
      << " · zero-copy share " << std::setprecision(1) << 100.0 * t.zero_copy_ratio() << "%\n";
  if (report.self_cost) {
    const SelfCost& c = *report.self_cost;
    out << "zctrace's own cost (measured): BPF " << std::setprecision(1)
        << static_cast<double>(c.bpf_run_time_ns) / 1e6 << " ms in " << GroupedCount(c.bpf_runs)
        << " program runs on the machine";
    if (c.bpf_runs)
      out << " (" << c.bpf_run_time_ns / c.bpf_runs << " ns each)";
    if (!c.programs.empty() && c.bpf_run_time_ns)
      out << ", " << c.programs.front().name << " "
          << static_cast<int>(100.0 * static_cast<double>(c.programs.front().run_time_ns) /
                                  static_cast<double>(c.bpf_run_time_ns) +
                              0.5)
          << "% of it";
    out << "; collector " << std::setprecision(1) << 1e3 * c.collector_cpu_s << " ms CPU\n";
  }
  bool header = false;
  for (const Capability& c : report.capabilities) {
    if (c.available)
      continue;
    if (!header)
      out << "probes left off:\n";
    header = true;
    out << "  " << c.name << ": " << c.detail << "\n";
  }
  for (const std::string& w : report.warnings)
    out << "warning: " << w << "\n";
}

}  // namespace zctrace
