// `zctrace top`: the live ranking of processes (or names, or cgroups) by what they cost per second, from two
// reports a tick apart. Plain logic: the rows, the screen that fits a terminal, and the JSON record a tick
// writes when stdout is not a terminal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report.h"

namespace zctrace {

enum class TopSort { kCpuCopied, kBytes, kSwitches, kDma };
enum class TopGroup { kProcess, kName, kCgroup };

// "cpu-copied", "bytes", "switches", "dma"; false if unknown.
bool ParseTopSort(const std::string& text, TopSort* sort);
// "pid", "comm", "cgroup"; false if unknown.
bool ParseTopGroup(const std::string& text, TopGroup* group);
std::string TopSortName(TopSort sort);
std::string TopGroupName(TopGroup group);

struct TopRow {
  std::string key;         // "1234 nginx", "nginx", or a cgroup's unit, container or path
  uint64_t processes = 0;  // live and exited processes in the row
  // per second over the last tick
  double cpu_copied_rate = 0, dma_rate = 0, moved_rate = 0, switches_rate = 0;
  // since tracing began
  uint64_t cpu_copied = 0, dma = 0, moved = 0, switches = 0, zero_copy = 0;
};

// The rows of `now`, with rates against `previous` (null: the first tick, rates over `seconds` since start),
// sorted by the sort key's rate, then its total. Rows that never moved a byte nor switched are left out.
std::vector<TopRow> TopRows(const Report& now, const Report* previous, double seconds, TopGroup group,
                            TopSort sort);

struct TopScreen {
  size_t width = 80, height = 24;
  double interval_s = 1;
  double elapsed_s = 0;
  TopSort sort = TopSort::kCpuCopied;
  TopGroup group = TopGroup::kProcess;
  std::string cpu_copy_mode = "model";
};

// The screen: a fixed header, then as many rows as fit; lines cut to the width.
std::string RenderTop(const std::vector<TopRow>& rows, const TopScreen& screen);

// One compact record per tick (outside a terminal).
nlohmann::json TopJson(const std::vector<TopRow>& rows, const TopScreen& screen);

}  // namespace zctrace
