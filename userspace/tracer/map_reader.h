// Reading the BPF maps from userspace: a per-CPU map's values summed into one (SumPerCpu has one
// specialization per value type, in map_reader.cpp), and a walk over a hash map's keys.
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>
#include <vector>

#include "zctrace.h"

namespace zctrace {

template <typename T>
T SumPerCpu(const std::vector<T>& per_cpu);

template <>
zc_process_counters SumPerCpu(const std::vector<zc_process_counters>& v);
template <>
zc_path_counters SumPerCpu(const std::vector<zc_path_counters>& v);
template <>
zc_flow_counters SumPerCpu(const std::vector<zc_flow_counters>& v);
template <>
zc_health SumPerCpu(const std::vector<zc_health>& v);
template <>
zc_stack_counters SumPerCpu(const std::vector<zc_stack_counters>& v);
template <>
zc_stack_health SumPerCpu(const std::vector<zc_stack_health>& v);

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

}  // namespace zctrace
