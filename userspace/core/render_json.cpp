#include <algorithm>
#include <ostream>

#include "render.h"

namespace zctrace {
namespace {

using nlohmann::json;

json CopiesToJson(const CopyFigure& c) {
  return {{"count", c.count},
          {"bytes", c.bytes},
          {"basis", BasisName(c.basis)},
          {"measured_bytes", c.basis == Basis::kMeasured ? c.bytes : c.measured_bytes}};
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
  return list;
}

json PathToJson(const PathReport& p) {
  json cpu = CopiesToJson(p.cpu);
  cpu["per_byte"] = p.cpu_copies_per_byte;
  json dma = CopiesToJson(p.dma);
  dma["per_byte"] = p.dma_copies_per_byte;
  dma["detail"] = p.dma_detail;
  return {{"method", SyscallName(p.syscall)},
          {"source", KindName(p.source)},
          {"sink", KindName(p.sink)},
          {"flags", FlagsToJson(p.flags)},
          {"calls", p.calls},
          {"bytes", p.bytes},
          {"errors", p.errors},
          {"moves_data", p.moves_data},
          {"cpu_copies", cpu},
          {"dma_copies", dma},
          {"mode_switches", p.mode_switches},
          {"model", p.model},
          {"in_model", p.modelled_path},
          {"kernel_path", p.kernel_path},
          {"device",
           {{"disk_read_bytes", p.disk_read_bytes},
            {"disk_write_bytes", p.disk_write_bytes},
            {"dirtied_bytes", p.dirtied_bytes},
            {"page_cache_fill_bytes", p.cache_fill_bytes},
            {"nic_tx_bytes", p.nic_tx_bytes},
            {"nic_rx_bytes", p.nic_rx_bytes},
            {"virtual_rx_bytes", p.virtual_rx_bytes},
            {"unclassified_rx_bytes", p.unclassified_rx_bytes},
            {"dma_map_bytes", p.dma_map_bytes},
            {"swiotlb_bounce_bytes", p.bounce_bytes}}},
          {"page_faults", p.page_faults}};
}

json EndpointToJson(const Endpoint& e) {
  return {{"kind", KindName(e.kind)}, {"name", e.name}, {"group", e.group}, {"loopback", e.loopback}};
}

json FlowToJson(const FlowReport& f) {
  json out = {{"method", f.method},
              {"source", EndpointToJson(f.source)},
              {"sink", EndpointToJson(f.sink)},
              {"bytes", f.bytes},
              {"chunks", f.chunks},
              {"cpu_copies_per_byte", f.cpu_copies_per_byte},
              {"dma_copies_per_byte", f.dma_copies_per_byte},
              {"mode_switches_per_chunk", f.mode_switches_per_chunk},
              {"model", f.model},
              {"basis", "modelled"},
              {"notes", f.notes}};
  json members = json::array();
  for (const FlowMember& m : f.members)
    members.push_back({{"source", m.source}, {"sink", m.sink}, {"bytes", m.bytes}, {"chunks", m.chunks}});
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
  return out;
}

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
      {"syscalls", syscalls},
      {"mode_switches",
       {{"total", proc.mode_switches},
        {"syscalls", 2 * proc.syscall_count},
        {"page_faults", 2 * proc.page_faults}}},
      {"syscall_count", proc.syscall_count},
      {"page_fault_count", proc.page_faults},
      {"copies", {{"cpu", CopiesToJson(proc.cpu)}, {"dma", CopiesToJson(proc.dma)}}},
      {"page_faults",
       {{"total", proc.page_faults},
        {"major", proc.major_faults_measured ? json(proc.major_faults) : json(nullptr)},
        {"minor", proc.major_faults_measured
                      ? json(proc.page_faults - std::min(proc.page_faults, proc.major_faults))
                      : json(nullptr)}}},
      {"device",
       {{"disk_read_bytes", proc.disk_read_bytes},
        {"disk_write_bytes", proc.disk_write_bytes},
        {"dirtied_bytes", proc.dirtied_bytes},
        {"page_cache_fill_bytes", proc.cache_fill_bytes},
        {"page_cache_created_bytes", proc.cache_created_bytes},
        {"nic_tx_bytes", proc.nic_tx_bytes},
        {"virtual_tx_bytes", proc.virtual_tx_bytes},
        {"nic_rx_bytes", proc.nic_rx_bytes},
        {"virtual_rx_bytes", proc.virtual_rx_bytes},
        {"unclassified_rx_bytes", proc.unclassified_rx_bytes},
        {"dma_map_bytes", proc.dma_map_bytes},
        {"swiotlb_bounce_bytes", proc.bounce_bytes}}},
      {"bytes_moved", proc.bytes_moved},
      {"zero_copy_bytes", proc.zero_copy_bytes},
      {"paths", paths},
      {"flows", flows},
      {"mmap_hazard",
       {{"sigbus", proc.sigbus}, {"sigbus_handler", proc.sigbus_handler}, {"file_lease", proc.file_lease}}}};
  if (proc.exited && !proc.exit_signal.empty())
    out["exit_signal"] = proc.exit_signal;
  else if (proc.exited)
    out["exit_code"] = proc.exit_code;
  return out;
}

}  // namespace

json ReportToJson(const Report& report) {
  json caps = json::object();
  for (const Capability& c : report.capabilities) {
    caps[c.name] = {{"available", c.available}, {"detail", c.detail}};
  }
  json processes = json::array();
  for (const ProcessReport& p : report.processes)
    processes.push_back(ProcessToJson(p));
  return {{"schema", report.schema},
          {"duration_s", report.duration_s},
          {"kernel", report.kernel},
          {"cpu_copy_mode", report.cpu_copy_mode},
          {"capabilities", caps},
          {"processes", processes},
          {"totals",
           {{"bytes_moved", report.totals.bytes_moved},
            {"zero_copy_bytes", report.totals.zero_copy_bytes},
            {"cpu_copied_bytes", report.totals.cpu_copied_bytes},
            {"dma_copied_bytes", report.totals.dma_copied_bytes},
            {"mode_switches", report.totals.mode_switches},
            {"zero_copy_ratio", report.totals.zero_copy_ratio}}},
          {"lost_events", report.lost_events},
          {"warnings", report.warnings}};
}

namespace {

uint64_t Since(uint64_t now, uint64_t before) {
  return now > before ? now - before : 0;  // a folded group's counts may move between entries
}

json TotalsToJson(const Totals& t) {
  return {{"bytes_moved", t.bytes_moved},           {"zero_copy_bytes", t.zero_copy_bytes},
          {"cpu_copied_bytes", t.cpu_copied_bytes}, {"dma_copied_bytes", t.dma_copied_bytes},
          {"mode_switches", t.mode_switches},       {"zero_copy_ratio", t.zero_copy_ratio}};
}

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
  json caps = json::object();
  for (const Capability& c : report.capabilities)
    caps[c.name] = {{"available", c.available}, {"detail", c.detail}};
  return {{"schema", kJsonLinesSchema}, {"record", "start"},       {"timestamp", timestamp},
          {"interval_s", interval_s},   {"kernel", report.kernel}, {"cpu_copy_mode", report.cpu_copy_mode},
          {"capabilities", caps}};
}

json JsonLine(const Report& report, const Report* previous, double elapsed_s, const std::string& timestamp) {
  const Totals none;
  const Totals& before = previous ? previous->totals : none;
  const Totals& now = report.totals;
  const uint64_t moved = Since(now.bytes_moved, before.bytes_moved),
                 zero = Since(now.zero_copy_bytes, before.zero_copy_bytes);
  json processes = json::array();
  for (const ProcessReport& p : report.processes) {
    const ProcessReport* e = Earlier(p, previous);
    const ProcessReport zero_process;
    const ProcessReport& b = e ? *e : zero_process;
    json delta = {{"syscalls", Since(p.syscall_count, b.syscall_count)},
                  {"bytes_moved", Since(p.bytes_moved, b.bytes_moved)},
                  {"zero_copy_bytes", Since(p.zero_copy_bytes, b.zero_copy_bytes)},
                  {"cpu_copied_bytes", Since(p.cpu.bytes, b.cpu.bytes)},
                  {"dma_copied_bytes", Since(p.dma.bytes, b.dma.bytes)},
                  {"mode_switches", Since(p.mode_switches, b.mode_switches)}};
    const bool changed = std::any_of(delta.begin(), delta.end(), [](const json& v) { return v != 0; });
    const bool newly_exited = p.exited && !(e && e->exited);
    if (!changed && !newly_exited)
      continue;
    json entry = {{"pid", p.pid}, {"comm", p.comm}, {"delta", delta}};
    if (p.folded_processes)
      entry["folded_processes"] = p.folded_processes;
    if (newly_exited && !p.folded_processes) {
      entry["exited"] = true;
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
  return {{"schema", kJsonLinesSchema},
          {"record", "interval"},
          {"timestamp", timestamp},
          {"elapsed_s", elapsed_s},
          {"totals", TotalsToJson(now)},
          {"delta",
           {{"bytes_moved", moved},
            {"zero_copy_bytes", zero},
            {"cpu_copied_bytes", Since(now.cpu_copied_bytes, before.cpu_copied_bytes)},
            {"dma_copied_bytes", Since(now.dma_copied_bytes, before.dma_copied_bytes)},
            {"mode_switches", Since(now.mode_switches, before.mode_switches)},
            {"zero_copy_ratio", moved ? static_cast<double>(zero) / static_cast<double>(moved) : 0.0}}},
          {"processes", processes},
          {"lost_events", report.lost_events},
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
