// The Prometheus text exposition format (version 0.0.4) of a report. Labels are bounded on purpose:
// comm, service (the systemd unit or container a process's cgroup names, where it names one), method,
// source, sink, copy, basis, and a zero-copy claim's claimed, achieved and reason (codes from a fixed
// set) — a pid label only when asked for, since unbounded label cardinality is the
// classic exporter mistake (each new PID would be a new time series forever).
#include <iomanip>
#include <map>
#include <sstream>
#include <tuple>

#include "render.h"
#include "zero_copy.h"

namespace zctrace {
namespace {

// Label values escape backslash, double quote and newline.
std::string Escape(const std::string& raw) {
  // Prometheus rejects a whole scrape over one invalid UTF-8 label value (a comm can be any bytes)
  const std::string v = ValidUtf8(raw);
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string LabelText(const Labels& labels) {
  if (labels.empty())
    return "";
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    s += (i ? "," : "") + labels[i].first + "=\"" + Escape(labels[i].second) + "\"";
  }
  return s + "}";
}

// One metric family: samples summed by label set, so that processes sharing a comm add up. Counted in
// integers; a family in seconds is counted in nanoseconds (counts_per_unit 1e9) and shown in seconds.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string type, std::string help, uint64_t counts_per_unit = 1)
      : name_(std::move(name)),
        type_(std::move(type)),
        help_(std::move(help)),
        counts_per_unit_(counts_per_unit) {}
  void Add(const Labels& labels, uint64_t value) { samples_[LabelText(labels)] += value; }
  void Render(std::ostream& out) const {
    out << "# HELP " << name_ << " " << help_ << "\n# TYPE " << name_ << " " << type_ << "\n";
    for (const auto& [labels, value] : samples_) {
      out << name_ << labels << " ";
      if (counts_per_unit_ == 1)
        out << value << "\n";
      else
        out << std::setprecision(12) << static_cast<double>(value) / static_cast<double>(counts_per_unit_)
            << "\n";
    }
  }

 private:
  std::string name_, type_, help_;
  uint64_t counts_per_unit_;
  std::map<std::string, uint64_t> samples_;
};

}  // namespace

std::string RenderPrometheus(const Report& report, bool pid_label) {
  MetricFamily syscalls("zctrace_syscalls_total", "counter",
                        "Data-moving syscalls (and io_uring operations) per path.");
  MetricFamily moved("zctrace_moved_bytes_total", "counter",
                     "Bytes moved per path (sum of successful returns).");
  MetricFamily mapped("zctrace_mapped_bytes_total", "counter",
                      "Bytes mapped or unmapped (mmap/munmap): not moved.");
  MetricFamily errors("zctrace_syscall_errors_total", "counter",
                      "Data-moving syscalls that returned an error.");
  MetricFamily copied(
      "zctrace_copied_bytes_total", "counter",
      "Bytes copied per path: by the CPU or by a device (DMA), measured from kernel events or modelled.");
  MetricFamily zero_copy("zctrace_zero_copy_bytes_total", "counter", "Bytes moved without a CPU copy.");
  MetricFamily switches("zctrace_mode_switches_total", "counter",
                        "User/kernel mode switches: 2 per syscall and per fault.");
  MetricFamily faults("zctrace_page_faults_total", "counter", "User page faults.");
  MetricFamily processes("zctrace_processes", "gauge", "Traced processes, alive or exited.");
  MetricFamily lost("zctrace_lost_events_total", "counter",
                    "Events not counted because a kernel table was full.");
  MetricFamily claims(
      "zctrace_zero_copy_claimed_bytes_total", "counter",
      "Bytes of flows that asked the kernel for zero copy, by what they asked for (claimed), what "
      "the kernel did (achieved) and why not (reason).");

  uint64_t alive = 0, exited = 0;
  for (const ProcessReport& proc : report.processes) {
    Labels who = {{"comm", proc.comm}};
    if (!proc.unit.empty())
      who.emplace_back("service", proc.unit);
    else if (!proc.container.empty())
      who.emplace_back("service", "container " + proc.container);
    if (pid_label)
      who.emplace_back("pid", std::to_string(proc.pid));
    (proc.exited ? exited : alive) += proc.folded_processes ? proc.folded_processes : 1;
    switches.Add(who, proc.mode_switches);
    faults.Add(who, proc.page_faults);
    zero_copy.Add(who, proc.zero_copy_bytes);
    const auto claim = [&](const std::optional<ZeroCopyVerdict>& v, uint64_t bytes) {
      if (!v)
        return;
      Labels l = who;
      l.emplace_back("claimed", v->claimed);
      l.emplace_back("achieved", std::string(AchievedName(v->achieved)));
      l.emplace_back("reason", v->reason_code);
      claims.Add(l, bytes);
    };
    for (const FlowReport& f : proc.flows)
      claim(f.zero_copy, f.bytes);
    for (const PathReport& p : proc.paths) {
      if (IsIoUring(p.syscall))  // io_uring's operations have no flows: their claims are the paths'
        claim(p.zero_copy, p.bytes);
    }
    for (const PathReport& p : proc.paths) {
      Labels path = who;
      path.emplace_back("method", std::string(SyscallName(p.syscall)));
      path.emplace_back("source", std::string(KindName(p.source)));
      path.emplace_back("sink", std::string(KindName(p.sink)));
      syscalls.Add(path, p.calls);
      (p.moves_data ? moved : mapped).Add(path, p.bytes);
      errors.Add(path, p.errors);
      Labels cpu = path, dma = path;
      cpu.emplace_back("copy", "cpu");
      cpu.emplace_back("basis", std::string(BasisName(p.cpu.basis)));
      dma.emplace_back("copy", "dma");
      dma.emplace_back("basis", std::string(BasisName(p.dma.basis)));
      copied.Add(cpu, p.cpu.bytes);
      copied.Add(dma, p.dma.bytes);
    }
  }
  // --self-cost: what zctrace costs, in seconds, as node_exporter's CPU counters
  MetricFamily bpf_runs("zctrace_bpf_runs_total", "counter",
                        "Runs of each of zctrace's BPF programs on the machine (--self-cost).");
  MetricFamily bpf_time("zctrace_bpf_run_seconds_total", "counter",
                        "CPU time of each of zctrace's BPF programs on the machine (--self-cost).",
                        1000000000);
  MetricFamily collector("zctrace_collector_cpu_seconds_total", "counter",
                         "zctrace's own CPU time, user and system (--self-cost).", 1000000000);
  if (report.self_cost) {
    for (const ProgramCost& p : report.self_cost->programs) {
      bpf_runs.Add({{"program", p.name}}, p.runs);
      bpf_time.Add({{"program", p.name}}, p.run_time_ns);
    }
    collector.Add({}, static_cast<uint64_t>(report.self_cost->collector_cpu_s * 1e9));
  }
  processes.Add({{"state", "alive"}}, alive);
  processes.Add({{"state", "exited"}}, exited);
  lost.Add({}, report.lost_events);

  std::ostringstream out;
  for (const MetricFamily* f : {&syscalls, &moved, &mapped, &errors, &copied, &zero_copy, &claims, &switches,
                                &faults, &processes, &lost})
    f->Render(out);
  if (report.self_cost) {
    bpf_runs.Render(out);
    bpf_time.Render(out);
    collector.Render(out);
  }
  return out.str();
}

}  // namespace zctrace
