// The kernel's flow table (zctrace.h: struct zc_flow_table_entry), mapped into zctrace's memory: read
// in place at every snapshot (no system call per flow), and its exited processes' entries freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "zctrace.h"

namespace zctrace {

class FlowTable {
 public:
  FlowTable() = default;
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Maps the BPF array (BPF_F_MMAPABLE) behind map_fd; false with errno set if it cannot.
  bool Map(int map_fd);
  // Calls fn with the key and counts of every held entry. An entry being claimed is skipped: it has counted
  // nothing yet.
  void ForEachHeld(const std::function<void(const zc_flow_key&, const zc_flow_counters&)>& fn) const;
  // Takes the counts of the entries whose key.slot satisfies `taken` (exited processes that count nothing
  // more) through fn, and frees those entries for the kernel to claim again.
  void TakeAndFree(const std::function<bool(uint32_t slot)>& taken,
                   const std::function<void(const zc_flow_key&, const zc_flow_counters&)>& fn);

 private:
  zc_flow_table_entry* entries_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace zctrace
