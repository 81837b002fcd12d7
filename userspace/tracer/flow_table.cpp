#include "flow_table.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace zctrace {
namespace {

uint64_t LoadState(const zc_flow_table_entry& e) {
  return __atomic_load_n(&e.state, __ATOMIC_ACQUIRE);
}

zc_flow_counters CountsOf(const zc_flow_table_entry& e) {
  zc_flow_counters c{};
  c.bytes = __atomic_load_n(&e.bytes, __ATOMIC_RELAXED);
  c.chunks = __atomic_load_n(&e.chunks, __ATOMIC_RELAXED);
  return c;
}

}  // namespace

FlowTable::~FlowTable() {
  if (entries_)
    munmap(entries_, bytes_);
}

bool FlowTable::Map(int map_fd) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t bytes = (ZC_FLOW_TABLE_ENTRIES * sizeof(zc_flow_table_entry) + page - 1) / page * page;
  void* at = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (at == MAP_FAILED)
    return false;
  entries_ = static_cast<zc_flow_table_entry*>(at);
  bytes_ = bytes;
  return true;
}

void FlowTable::ForEachHeld(
    const std::function<void(const zc_flow_key&, const zc_flow_counters&)>& fn) const {
  if (!entries_)
    return;
  for (size_t i = 0; i < ZC_FLOW_TABLE_ENTRIES; ++i) {
    const zc_flow_table_entry& e = entries_[i];
    if (LoadState(e) == ZC_FLOW_ENTRY_HELD)
      fn(e.key, CountsOf(e));
  }
}

void FlowTable::TakeAndFree(const std::function<bool(uint32_t slot)>& taken,
                            const std::function<void(const zc_flow_key&, const zc_flow_counters&)>& fn) {
  if (!entries_)
    return;
  for (size_t i = 0; i < ZC_FLOW_TABLE_ENTRIES; ++i) {
    zc_flow_table_entry& e = entries_[i];
    if (LoadState(e) != ZC_FLOW_ENTRY_HELD || !taken(e.key.slot))
      continue;
    fn(e.key, CountsOf(e));
    // the kernel claims only a free entry, and sees it free only after the rest is cleared
    std::memset(&e.key, 0, sizeof(e.key));
    __atomic_store_n(&e.bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&e.chunks, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&e.state, uint64_t{ZC_FLOW_ENTRY_FREE}, __ATOMIC_RELEASE);
  }
}

}  // namespace zctrace
