#include "map_reader.h"

namespace zctrace {

template <>
zc_process_counters SumPerCpu(const std::vector<zc_process_counters>& v) {
  zc_process_counters sum{};
  for (const auto& c : v) {
#define ZCTRACE_ADD_PROCESS_COUNTER(name) sum.name += c.name;
    ZC_PROCESS_COUNTER_TABLE(ZCTRACE_ADD_PROCESS_COUNTER)
#undef ZCTRACE_ADD_PROCESS_COUNTER
  }
  return sum;
}

template <>
zc_path_counters SumPerCpu(const std::vector<zc_path_counters>& v) {
  zc_path_counters sum{};
  for (const auto& c : v) {
#define ZCTRACE_ADD_COUNTER(name, in_thread) sum.name += c.name;
    ZC_PATH_COUNTER_TABLE(ZCTRACE_ADD_COUNTER)
#undef ZCTRACE_ADD_COUNTER
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

template <>
zc_health SumPerCpu(const std::vector<zc_health>& v) {
  zc_health sum{};
  for (const auto& h : v) {
    sum.path_map_full += h.path_map_full;
    sum.process_map_full += h.process_map_full;
    sum.flow_map_full += h.flow_map_full;
    sum.thread_table_full += h.thread_table_full;
    sum.fills_forgotten += h.fills_forgotten;
  }
  return sum;
}

template <>
zc_stack_counters SumPerCpu(const std::vector<zc_stack_counters>& v) {
  zc_stack_counters sum{};
  for (const auto& c : v) {
    sum.calls += c.calls;
    sum.errors += c.errors;
    sum.bytes += c.bytes;
  }
  return sum;
}

template <>
zc_stack_health SumPerCpu(const std::vector<zc_stack_health>& v) {
  zc_stack_health sum{};
  for (const auto& h : v) {
    sum.counts_full += h.counts_full;
    sum.mappings_full += h.mappings_full;
  }
  return sum;
}

}  // namespace zctrace
