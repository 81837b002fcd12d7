// What the tracer could load and attach on this kernel: one table of capabilities, by the enum the code
// asks with and the name the report prints.
#pragma once

#include <string_view>

namespace zctrace {

#define ZCTRACE_CAPABILITY_TABLE(X)          \
  X(kSyscalls, "syscalls")                   \
  X(kProcessExec, "process_exec")            \
  X(kProcessExit, "process_exit")            \
  X(kFollowChildren, "follow_children")      \
  X(kCgroupMoves, "cgroup_moves")            \
  X(kSkbCopies, "skb_copies")                \
  X(kIoUring, "io_uring")                    \
  X(kDiskIo, "disk_io")                      \
  X(kDirtiedPages, "dirtied_pages")          \
  X(kPageCacheFills, "page_cache_fills")     \
  X(kNicTx, "nic_tx")                        \
  X(kSigbus, "sigbus")                       \
  X(kPageFaults, "page_faults")              \
  X(kDmaMapPhys, "dma_map_phys")             \
  X(kDmaMapSg, "dma_map_sg")                 \
  X(kSwiotlbBounces, "swiotlb_bounces")      \
  X(kDirectLoads, "direct_loads")            \
  X(kNicRx, "nic_rx")                        \
  X(kCpuCopyFunctions, "cpu_copy_functions") \
  X(kMajorFaults, "major_faults")            \
  X(kUserStacks, "user_stacks")              \
  X(kSelfCost, "self_cost")

#define ZCTRACE_CAPABILITY_ENUMERATOR(id, name) id,
enum class CapabilityId { ZCTRACE_CAPABILITY_TABLE(ZCTRACE_CAPABILITY_ENUMERATOR) };
#undef ZCTRACE_CAPABILITY_ENUMERATOR

// The name in the report ("skb_copies").
constexpr std::string_view CapabilityName(CapabilityId id) {
  switch (id) {
#define ZCTRACE_CAPABILITY_NAME(id, name) \
  case CapabilityId::id:                  \
    return name;
    ZCTRACE_CAPABILITY_TABLE(ZCTRACE_CAPABILITY_NAME)
#undef ZCTRACE_CAPABILITY_NAME
  }
  return "invalid";
}

}  // namespace zctrace
