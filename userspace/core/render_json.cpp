#include <algorithm>
#include <optional>
#include <ostream>

#include "aggregate.h"
#include "render.h"
#include "zero_copy.h"

namespace zctrace {
namespace {

using nlohmann::json;

double PerByte(uint64_t copied, uint64_t moved) {
  return moved ? static_cast<double>(copied) / static_cast<double>(moved) : 0.0;
}

}  // namespace

// One shape for copies everywhere: operations, bytes, copies per byte moved, and how they were known.
json CopyToJson(const CopyFigure& c, double per_byte) {
  return {{"count", c.count},
          {"bytes", c.bytes},
          {"per_byte", per_byte},
          {"basis", BasisName(c.basis)},
          {"measured_bytes", MeasuredBytes(c)}};
}

namespace {

json CopiesToJson(const CopyFigure& cpu, const CopyFigure& dma, uint64_t moved) {
  return {{"cpu", CopyToJson(cpu, PerByte(cpu.bytes, moved))},
          {"dma", CopyToJson(dma, PerByte(dma.bytes, moved))}};
}

// Mode switches, counted: 2 per syscall that returned and 2 per user page fault.
json ModeSwitchesToJson(uint64_t syscalls, uint64_t page_faults) {
  return {
      {"total", 2 * (syscalls + page_faults)}, {"syscalls", 2 * syscalls}, {"page_faults", 2 * page_faults}};
}

json PageFaultsToJson(uint64_t total, std::optional<uint64_t> major) {
  return {{"total", total},
          {"major", major ? json(*major) : json(nullptr)},
          {"minor", major ? json(total - std::min(total, *major)) : json(nullptr)}};
}

json DeviceToJson(const DeviceFigures& d) {
  return {{"disk_read_bytes", d.disk_read_bytes},
          {"disk_write_bytes", d.disk_write_bytes},
          {"dirtied_bytes", d.dirtied_bytes},
          {"page_cache_fill_bytes", d.cache_fill_bytes},
          {"page_cache_created_bytes", d.cache_created_bytes},
          {"nic_tx_bytes", d.nic_tx_bytes},
          {"virtual_tx_bytes", d.virtual_tx_counted ? json(d.virtual_tx_bytes) : json(nullptr)},
          {"nic_rx_bytes", d.nic_rx_bytes},
          {"virtual_rx_bytes", d.virtual_rx_bytes},
          {"unclassified_rx_bytes", d.unclassified_rx_bytes},
          {"dma_map_bytes", d.dma_map_bytes},
          {"swiotlb_bounce_bytes", d.bounce_bytes}};
}

json AddressToJson(const std::optional<SocketAddress>& a) {
  return a ? json{{"ip", a->ip}, {"port", a->port}} : json(nullptr);
}

json FlagsToJson(uint8_t flags) {
  json list = json::array();
  if (flags & ZC_FLAG_SOURCE_LOOPBACK)
    list.push_back("source_loopback");
  if (flags & ZC_FLAG_SINK_LOOPBACK)
    list.push_back("sink_loopback");
  if (flags & ZC_FLAG_MSG_ZEROCOPY)
    list.push_back("msg_zerocopy");
  if (flags & ZC_FLAG_BAD_FD)
    list.push_back("fd_closed");
  if (flags & ZC_FLAG_SINK_KTLS)
    list.push_back("sink_ktls");
  if (flags & ZC_FLAG_SINK_NO_SG)
    list.push_back("sink_no_sg");
  switch (flags & ZC_FLAG_SINK_TLS_MASK) {
    case ZC_FLAG_SINK_USER_TLS:
      list.push_back("sink_user_tls");
      break;
    case ZC_FLAG_SINK_KTLS_DEVICE:
      list.push_back("sink_ktls_device");
      break;
    case ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY:
      list.push_back("sink_ktls_device");
      list.push_back("sink_ktls_zerocopy_sendfile");
      break;
  }
  return list;
}

}  // namespace

json EndpointToJson(const Endpoint& e) {
  return {{"kind", KindName(e.kind)},
          {"name", e.name},
          {"group", e.group},
          {"loopback", e.loopback},
          {"path", e.path.empty() ? json(nullptr) : json(e.path)},
          {"inode", e.inode ? json(e.inode) : json(nullptr)},
          {"local", AddressToJson(e.local)},
          {"peer", AddressToJson(e.peer)},
          {"accepted", e.accepted},
          {"filesystem", e.filesystem.empty() ? json(nullptr) : json(e.filesystem)}};
}

json ZeroCopyToJson(const std::optional<ZeroCopyVerdict>& v) {
  if (!v)
    return nullptr;
  return {{"claimed", v->claimed},
          {"achieved", AchievedName(v->achieved)},
          {"reason", v->reason},
          {"reason_code", v->reason_code.empty() ? json(nullptr) : json(v->reason_code)},
          {"basis", BasisName(v->basis)},
          {"copied_fraction", v->copied_fraction < 0 ? json(nullptr) : json(v->copied_fraction)}};
}

namespace {

// A path's ends are kinds, not endpoints: the same object, with only what a kind says.
Endpoint EndOfPath(Kind kind, bool loopback) {
  Endpoint e;
  e.kind = kind;
  e.name = e.group = std::string(KindName(kind));
  e.loopback = loopback;
  return e;
}

json PathToJson(const PathReport& p) {
  json copies = {{"cpu", CopyToJson(p.cpu, p.cpu_copies_per_byte)},
                 {"dma", CopyToJson(p.dma, p.dma_copies_per_byte)}};
  return {{"method", SyscallName(p.syscall)},
          {"source", EndpointToJson(EndOfPath(p.source, p.flags & ZC_FLAG_SOURCE_LOOPBACK))},
          {"sink", EndpointToJson(EndOfPath(p.sink, p.flags & ZC_FLAG_SINK_LOOPBACK))},
          {"flags", FlagsToJson(p.flags)},
          {"calls", p.calls},
          {"bytes", p.bytes},
          {"errors", p.errors},
          {"moves_data", p.moves_data},
          {"copies", copies},
          {"mode_switches", ModeSwitchesToJson(p.calls, p.page_faults)},
          {"page_faults", PageFaultsToJson(p.page_faults, std::nullopt)},
          {"model", p.model},
          {"in_model", p.modelled_path},
          {"kernel_path", p.kernel_path},
          {"device", DeviceToJson(p.device)},
          {"device_detail", p.dma_detail},
          {"zero_copy", ZeroCopyToJson(p.zero_copy)}};
}

}  // namespace

json FlowToJson(const FlowReport& f) {
  json switches = ModeSwitchesToJson(f.chunks * static_cast<uint64_t>(f.mode_switches_per_chunk) / 2, 0);
  switches["per_chunk"] = f.mode_switches_per_chunk;
  json out = {{"method", f.method},
              {"source", EndpointToJson(f.source)},
              {"sink", EndpointToJson(f.sink)},
              {"bytes", f.bytes},
              {"chunks", f.chunks},
              {"copies",
               {{"cpu", CopyToJson(f.cpu, f.cpu_copies_per_byte)},
                {"dma", CopyToJson(f.dma, f.dma_copies_per_byte)}}},
              {"mode_switches", switches},
              {"model", f.model},
              {"notes", f.notes},
              {"zero_copy", ZeroCopyToJson(f.zero_copy)}};
  json members = json::array();
  for (const FlowMember& m : f.members) {
    members.push_back({{"source", EndpointToJson(m.source)},
                       {"sink", EndpointToJson(m.sink)},
                       {"bytes", m.bytes},
                       {"chunks", m.chunks}});
  }
  out["connections"] = f.members.empty() ? 1 : f.members.size();
  out["members"] = members;
  out["advice"] =
      f.better_method.empty()
          ? json(nullptr)
          : json{{"method", f.better_method},
                 {"cpu_copies_saved_per_byte", f.cpu_copies_saved_per_byte},
                 {"cpu_bytes_saved", f.bytes * static_cast<uint64_t>(f.cpu_copies_saved_per_byte)},
                 {"mode_switches_saved_per_chunk", f.mode_switches_saved_per_chunk},
                 {"text", f.advice}};
  if (!f.call_sites.empty()) {
    json sites = json::array();
    for (const CallSite& c : f.call_sites) {
      sites.push_back({{"functions", c.functions},
                       {"bytes", c.bytes},
                       {"cpu_copied_bytes", c.cpu_copied_bytes},
                       {"calls", c.calls},
                       {"share", c.share}});
    }
    out["call_sites"] = sites;
    out["call_site_advice"] = f.call_site_advice.empty() ? json(nullptr) : json(f.call_site_advice);
  }
  return out;
}

json StackToJson(const CallStack& s) {
  json frames = json::array();
  for (const StackFrame& f : s.frames) {
    frames.push_back({{"address", f.address},
                      {"module", f.module.empty() ? json(nullptr) : json(f.module)},
                      {"module_offset", f.module_offset},
                      {"build_id", f.build_id.empty() ? json(nullptr) : json(f.build_id)},
                      {"function", f.function.empty() ? json(nullptr) : json(f.function)},
                      {"function_offset", f.function_offset},
                      {"leaf_caller", f.leaf_caller}});
  }
  return {{"path", s.path},
          {"syscall", SyscallName(s.syscall)},
          {"source", KindName(s.source)},
          {"sink", KindName(s.sink)},
          {"frames", frames},
          {"truncated", s.truncated.empty() ? json(nullptr) : json(s.truncated)},
          {"calls", s.calls},
          {"errors", s.errors},
          {"bytes", s.bytes},
          {"cpu_copied_bytes", s.cpu_copied_bytes},
          {"cpu_copied_basis", "modelled"},
          {"mode_switches", s.mode_switches}};
}

json RunToJson(const RunInfo& run, const std::string& kernel) {
  json pids = json::array();
  for (uint32_t pid : run.pids)
    pids.push_back(pid);
  const auto text_or_null = [](const std::string& t) { return t.empty() ? json(nullptr) : json(t); };
  return {{"tool", "zctrace"},
          {"tool_version", run.tool_version},
          {"hostname", run.hostname},
          {"kernel", kernel},
          {"started_at", text_or_null(run.started_at)},
          {"ended_at", text_or_null(run.ended_at)},
          {"argv", run.argv},
          {"targets",
           {{"pids", pids},
            {"command", run.command.empty() ? json(nullptr) : json(run.command)},
            {"cgroup", text_or_null(run.cgroup)},
            {"comm", text_or_null(run.comm)},
            {"all", run.all}}}};
}

json TotalsToJson(const Totals& t) {
  return {{"bytes_moved", t.bytes_moved},
          {"zero_copy_bytes", t.zero_copy_bytes},
          {"zero_copy_ratio", t.zero_copy_ratio()},
          {"copies", CopiesToJson(t.cpu, t.dma, t.bytes_moved)},
          {"mode_switches", ModeSwitchesToJson(t.syscalls, t.page_faults)},
          {"page_faults", t.page_faults}};
}

namespace {

json ProcessToJson(const ProcessReport& proc) {
  json syscalls = json::object();
  for (const auto& [name, s] : proc.syscalls) {
    syscalls[name] = {{"calls", s.calls}, {"bytes", s.bytes}, {"errors", s.errors}};
  }
  json paths = json::array();
  for (const PathReport& p : proc.paths)
    paths.push_back(PathToJson(p));
  json flows = json::array();
  for (const FlowReport& f : proc.flows)
    flows.push_back(FlowToJson(f));
  const bool by_signal = proc.exited && !proc.exit_signal.empty();
  json out = {
      {"pid", proc.pid},
      {"parent_pid", proc.parent_pid},
      {"comm", proc.comm},
      {"cgroup", proc.cgroup},
      {"unit", proc.unit},
      {"container", proc.container},
      {"folded_processes", proc.folded_processes},
      {"duration_s", proc.duration_s},
      {"exited", proc.exited},
      {"exit_code",
       proc.exited && !by_signal && !proc.folded_processes ? json(proc.exit_code) : json(nullptr)},
      {"exit_signal", by_signal && !proc.folded_processes ? json(proc.exit_signal) : json(nullptr)},
      {"syscalls", syscalls},
      {"syscall_count", proc.syscall_count},
      {"mode_switches", ModeSwitchesToJson(proc.syscall_count, proc.page_faults)},
      {"page_faults",
       PageFaultsToJson(proc.page_faults,
                        proc.major_faults_measured ? std::optional(proc.major_faults) : std::nullopt)},
      {"copies", CopiesToJson(proc.cpu, proc.dma, proc.bytes_moved)},
      {"device", DeviceToJson(proc.device)},
      {"bytes_moved", proc.bytes_moved},
      {"zero_copy_bytes", proc.zero_copy_bytes},
      {"zero_copy_reports",
       {{"msg_zerocopy_sends", proc.zero_copy_reports.msg_zerocopy_sends},
        {"msg_zerocopy_copied_sends", proc.zero_copy_reports.msg_zerocopy_copied_sends},
        {"send_zc_notifications", proc.zero_copy_reports.send_zc_notifications},
        {"send_zc_copied_notifications", proc.zero_copy_reports.send_zc_copied_notifications}}},
      {"paths", paths},
      {"flows", flows},
      {"mmap_hazard",
       {{"sigbus", proc.sigbus}, {"sigbus_handler", proc.sigbus_handler}, {"file_lease", proc.file_lease}}}};
  if (!proc.stacks.empty()) {
    json stacks = json::array();
    for (const CallStack& s : proc.stacks)
      stacks.push_back(StackToJson(s));
    out["stacks"] = stacks;
  }
  return out;
}

json CapabilitiesToJson(const std::vector<Capability>& capabilities) {
  json caps = json::object();
  for (const Capability& c : capabilities)
    caps[c.name] = {{"available", c.available}, {"detail", c.detail}};
  return caps;
}

}  // namespace

json SelfCostToJson(const SelfCost& cost) {
  json programs = json::array();
  for (const ProgramCost& p : cost.programs)
    programs.push_back({{"name", p.name}, {"runs", p.runs}, {"run_time_ns", p.run_time_ns}});
  return {{"basis", "measured"},
          {"bpf", {{"runs", cost.bpf_runs}, {"run_time_ns", cost.bpf_run_time_ns}, {"programs", programs}}},
          {"collector_cpu_s", cost.collector_cpu_s}};
}

json ReportToJson(const Report& report) {
  json processes = json::array();
  for (const ProcessReport& p : report.processes)
    processes.push_back(ProcessToJson(p));
  return {{"schema", report.schema},
          {"run", RunToJson(report.run, report.kernel)},
          {"duration_s", report.duration_s},
          {"cpu_copy_mode", report.cpu_copy_mode},
          {"capabilities", CapabilitiesToJson(report.capabilities)},
          {"processes", processes},
          {"totals", TotalsToJson(report.totals)},
          {"lost_events", report.lost_events},
          {"stacks_captured", report.stacks_captured},
          {"self_cost", report.self_cost ? SelfCostToJson(*report.self_cost) : json(nullptr)},
          {"warnings", report.warnings}};
}

namespace {

// The same process in an earlier report: by pid, or by name for a folded group (pid 0).
const ProcessReport* Earlier(const ProcessReport& p, const Report* previous) {
  if (!previous)
    return nullptr;
  for (const ProcessReport& q : previous->processes) {
    if (q.pid == p.pid && q.comm == p.comm && (q.folded_processes > 0) == (p.folded_processes > 0))
      return &q;
  }
  return nullptr;
}

}  // namespace

json JsonLinesStart(const Report& report, const std::string& timestamp, double interval_s) {
  return {{"schema", kJsonLinesSchema},
          {"record", "start"},
          {"timestamp", timestamp},
          {"run", RunToJson(report.run, report.kernel)},
          {"interval_s", interval_s},
          {"cpu_copy_mode", report.cpu_copy_mode},
          {"capabilities", CapabilitiesToJson(report.capabilities)}};
}

json JsonLine(const Report& report, const Report* previous, double elapsed_s, const std::string& timestamp) {
  const Totals& now = report.totals;
  const Totals delta = previous ? Since(now, previous->totals) : now;
  json processes = json::array();
  for (const ProcessReport& p : report.processes) {
    const ProcessReport* e = Earlier(p, previous);
    const Totals change = e ? Since(TotalsOf(p), TotalsOf(*e)) : TotalsOf(p);
    const bool changed = change.syscalls || change.page_faults || change.bytes_moved || change.cpu.bytes ||
                         change.dma.bytes || change.cpu.count || change.dma.count;
    const bool newly_exited = p.exited && !(e && e->exited);
    if (!changed && !newly_exited)
      continue;
    json entry = {{"pid", p.pid},
                  {"comm", p.comm},
                  {"folded_processes", p.folded_processes},
                  {"delta", TotalsToJson(change)},
                  {"exited", newly_exited},
                  {"exit_code", nullptr},
                  {"exit_signal", nullptr}};
    if (newly_exited && !p.folded_processes) {
      if (!p.exit_signal.empty())
        entry["exit_signal"] = p.exit_signal;
      else
        entry["exit_code"] = p.exit_code;
    }
    processes.push_back(entry);
  }
  json warnings = json::array();  // those new since the last record
  for (const std::string& w : report.warnings) {
    if (!previous ||
        std::find(previous->warnings.begin(), previous->warnings.end(), w) == previous->warnings.end())
      warnings.push_back(w);
  }
  return {{"schema", kJsonLinesSchema},  {"record", "interval"},
          {"timestamp", timestamp},      {"elapsed_s", elapsed_s},
          {"totals", TotalsToJson(now)}, {"delta", TotalsToJson(delta)},
          {"processes", processes},      {"lost_events", report.lost_events},
          {"warnings", warnings}};
}

json JsonLinesEnd(const Report& report, const Report* previous, double elapsed_s,
                  const std::string& timestamp) {
  json line = JsonLine(report, previous, elapsed_s, timestamp);
  line["record"] = "end";
  line["report"] = ReportToJson(report);
  return line;
}

std::string JsonText(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string ValidUtf8(const std::string& text) {
  // nlohmann's replacing serializer is the one UTF-8 validator we have: round-trip through it
  const std::string quoted = json(text).dump(-1, ' ', false, json::error_handler_t::replace);
  return json::parse(quoted).get<std::string>();
}

void RenderJson(const Report& report, std::ostream& out) {
  out << JsonText(ReportToJson(report), 2) << "\n";
}

}  // namespace zctrace
