// The top view's rows and screen.
#include "top_view.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

namespace zctrace {
namespace {

std::string RowKey(const ProcessReport& p, TopGroup group) {
  switch (group) {
    case TopGroup::kName:
      return p.comm;
    case TopGroup::kCgroup:
      if (!p.unit.empty())
        return p.unit;
      if (!p.container.empty())
        return "container " + p.container;
      return p.cgroup.empty() ? "(no cgroup v2)" : p.cgroup;
    case TopGroup::kProcess:
      break;
  }
  if (p.folded_processes)  // one row however many fold into it: its count changes every fold
    return p.comm + " (exited)";
  return std::to_string(p.pid) + " " + p.comm;
}

// The sort key's rate and total in a row.
std::pair<double, uint64_t> SortValues(const TopRow& r, TopSort sort) {
  switch (sort) {
    case TopSort::kBytes:
      return {r.moved_rate, r.moved};
    case TopSort::kSwitches:
      return {r.switches_rate, r.switches};
    case TopSort::kDma:
      return {r.dma_rate, r.dma};
    case TopSort::kCpuCopied:
      break;
  }
  return {r.cpu_copied_rate, r.cpu_copied};
}

// 1.5K, 12M, 3.2G: per second or total, in the width of a column.
std::string Short(double value) {
  static const char* units[] = {"", "K", "M", "G", "T", "P"};
  size_t u = 0;
  while (value >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
    value /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    snprintf(buf, sizeof(buf), "%.0f", value);
  else
    snprintf(buf, sizeof(buf), value < 10 ? "%.1f%s" : "%.0f%s", value, units[u]);
  return buf;
}

// Cut to `width` characters (UTF-8: the header's dashes and dots are one each), never inside one.
std::string Fit(const std::string& line, size_t width) {
  size_t shown = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80)
      continue;  // a continuation byte
    if (shown++ == width)
      return line.substr(0, i);
  }
  return line;
}

}  // namespace

bool ParseTopSort(const std::string& text, TopSort* sort) {
  static const std::map<std::string, TopSort> kSorts = {{"cpu-copied", TopSort::kCpuCopied},
                                                        {"bytes", TopSort::kBytes},
                                                        {"switches", TopSort::kSwitches},
                                                        {"dma", TopSort::kDma}};
  const auto it = kSorts.find(text);
  if (it == kSorts.end())
    return false;
  *sort = it->second;
  return true;
}

bool ParseTopGroup(const std::string& text, TopGroup* group) {
  static const std::map<std::string, TopGroup> kGroups = {
      {"pid", TopGroup::kProcess}, {"comm", TopGroup::kName}, {"cgroup", TopGroup::kCgroup}};
  const auto it = kGroups.find(text);
  if (it == kGroups.end())
    return false;
  *group = it->second;
  return true;
}

std::string TopSortName(TopSort sort) {
  switch (sort) {
    case TopSort::kBytes:
      return "bytes";
    case TopSort::kSwitches:
      return "switches";
    case TopSort::kDma:
      return "dma";
    case TopSort::kCpuCopied:
      break;
  }
  return "cpu-copied";
}

std::string TopGroupName(TopGroup group) {
  switch (group) {
    case TopGroup::kName:
      return "comm";
    case TopGroup::kCgroup:
      return "cgroup";
    case TopGroup::kProcess:
      break;
  }
  return "pid";
}

std::vector<TopRow> TopRows(const Report& now, const Report* previous, double seconds, TopGroup group,
                            TopSort sort) {
  std::map<std::string, TopRow> rows;
  auto add = [&](const ProcessReport& p, int sign) {
    TopRow& r = rows[RowKey(p, group)];
    const auto v = [sign](uint64_t x) { return sign * static_cast<double>(x); };
    r.cpu_copied_rate += v(p.cpu.bytes);
    r.dma_rate += v(p.dma.bytes);
    r.moved_rate += v(p.bytes_moved);
    r.switches_rate += v(p.mode_switches);
    if (sign > 0) {
      r.processes += p.folded_processes ? p.folded_processes : 1;
      r.cpu_copied += p.cpu.bytes;
      r.dma += p.dma.bytes;
      r.moved += p.bytes_moved;
      r.switches += p.mode_switches;
      r.zero_copy += p.zero_copy_bytes;
    }
  };
  for (const ProcessReport& p : now.processes)
    add(p, +1);
  if (previous) {
    // only what the rows of `now` had before: a process folded since then moves between rows, and its
    // counts must not show as negative there
    for (const ProcessReport& p : previous->processes)
      if (rows.count(RowKey(p, group)))
        add(p, -1);
  }
  // A row of exited processes folded by name (by pid only: by name or cgroup they share their live
  // processes' row) grows by the totals of those folded into it since the last tick, which it did not
  // move in that tick; exited processes move nothing: no rate.
  if (group == TopGroup::kProcess) {
    for (const ProcessReport& p : now.processes) {
      if (p.folded_processes) {
        TopRow& r = rows[RowKey(p, group)];
        r.cpu_copied_rate = r.dma_rate = r.moved_rate = r.switches_rate = 0;
      }
    }
  }
  std::vector<TopRow> out;
  for (auto& [key, r] : rows) {
    if (r.moved == 0 && r.switches == 0)
      continue;
    r.key = key;
    const double per = seconds > 0 ? 1 / seconds : 0;
    r.cpu_copied_rate = std::max(0.0, r.cpu_copied_rate * per);
    r.dma_rate = std::max(0.0, r.dma_rate * per);
    r.moved_rate = std::max(0.0, r.moved_rate * per);
    r.switches_rate = std::max(0.0, r.switches_rate * per);
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [sort](const TopRow& a, const TopRow& b) {
    return SortValues(a, sort) > SortValues(b, sort);  // by rate, then total
  });
  return out;
}

std::string RenderTop(const std::vector<TopRow>& rows, const TopScreen& screen) {
  std::ostringstream out;
  uint64_t processes = 0;
  double cpu = 0, moved = 0, switches = 0;
  for (const TopRow& r : rows) {
    processes += r.processes;
    cpu += r.cpu_copied_rate;
    moved += r.moved_rate;
    switches += r.switches_rate;
  }
  char line[512];
  snprintf(line, sizeof(line), "zctrace top — %.0f s, every %.1f s · %llu processes · by %s, sorted by %s",
           screen.elapsed_s, screen.interval_s, static_cast<unsigned long long>(processes),
           TopGroupName(screen.group).c_str(), TopSortName(screen.sort).c_str());
  out << Fit(line, screen.width) << "\n";
  snprintf(line, sizeof(line), "moved %s/s · CPU-copied %s/s (%s) · mode switches %s/s", Short(moved).c_str(),
           Short(cpu).c_str(), screen.cpu_copy_mode == "precise" ? "measured" : "modelled",
           Short(switches).c_str());
  out << Fit(line, screen.width) << "\n";
  out << Fit("keys: c cpu-copied · b bytes · s switches · d dma · g group · q quit", screen.width) << "\n";
  const char* label = screen.group == TopGroup::kProcess ? "PID COMMAND"
                      : screen.group == TopGroup::kName  ? "COMMAND"
                                                         : "CGROUP (UNIT, CONTAINER)";
  snprintf(line, sizeof(line), "%-28s %6s %9s %9s %9s %9s %9s %6s", label, "PROCS", "CPU-CP/s", "DMA/s",
           "MOVED/s", "SWITCH/s", "CPU-CP", "ZC%");
  out << Fit(line, screen.width) << "\n";
  const size_t room = screen.height > 5 ? screen.height - 5 : 1;  // header 4, one line spare
  size_t shown = 0;
  for (const TopRow& r : rows) {
    if (shown == room)
      break;
    const double zero_copy =
        r.moved ? 100.0 * static_cast<double>(r.zero_copy) / static_cast<double>(r.moved) : 0;
    snprintf(line, sizeof(line), "%-28.28s %6llu %9s %9s %9s %9s %9s %5.0f%%", r.key.c_str(),
             static_cast<unsigned long long>(r.processes), Short(r.cpu_copied_rate).c_str(),
             Short(r.dma_rate).c_str(), Short(r.moved_rate).c_str(), Short(r.switches_rate).c_str(),
             Short(static_cast<double>(r.cpu_copied)).c_str(), zero_copy);
    out << Fit(line, screen.width) << "\n";
    ++shown;
  }
  if (rows.size() > shown) {
    snprintf(line, sizeof(line), "… %zu more", rows.size() - shown);
    out << Fit(line, screen.width) << "\n";
  }
  return out.str();
}

nlohmann::json TopJson(const std::vector<TopRow>& rows, const TopScreen& screen) {
  nlohmann::json list = nlohmann::json::array();
  for (const TopRow& r : rows) {
    list.push_back({{"key", r.key},
                    {"processes", r.processes},
                    {"cpu_copied_bytes_per_s", r.cpu_copied_rate},
                    {"dma_bytes_per_s", r.dma_rate},
                    {"moved_bytes_per_s", r.moved_rate},
                    {"mode_switches_per_s", r.switches_rate},
                    {"cpu_copied_bytes", r.cpu_copied},
                    {"dma_bytes", r.dma},
                    {"moved_bytes", r.moved},
                    {"mode_switches", r.switches},
                    {"zero_copy_bytes", r.zero_copy}});
  }
  return {{"schema", "zctrace-top/1"},
          {"elapsed_s", screen.elapsed_s},
          {"interval_s", screen.interval_s},
          {"group", TopGroupName(screen.group)},
          {"sort", TopSortName(screen.sort)},
          {"cpu_copies", screen.cpu_copy_mode == "precise" ? "measured" : "modelled"},
          {"rows", list}};
}

}  // namespace zctrace
