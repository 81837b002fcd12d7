// The tracepoint programs, each with the capability it gives the report, its tracepoint and the BTF type
// that says whether this kernel has that tracepoint: Tracer::Start probes the kernel's BTF with this table
// before loading, and attaches by it after. Also the programs whose tracepoint arguments must be checked.
#pragma once

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "capability.h"
#include "zctrace.h"
#include "zctrace.skel.h"

namespace zctrace {

struct Probe {
  CapabilityId capability;
  const char* tracepoint;  // for the report
  const char* btf_type;    // btf_trace_<tp>: present iff the kernel has the tracepoint
  bool required;
  bpf_program* (*program)(zctrace_bpf*);
};

const Probe kProbes[] = {
    {CapabilityId::kSyscalls, "raw_syscalls:sys_exit", "btf_trace_sys_exit", true,
     [](zctrace_bpf* s) {
       // one of the two builds of the hot path is loaded (Start picks it by bpf_rdonly_cast)
       return bpf_program__autoload(s->progs.on_sys_exit) ? s->progs.on_sys_exit
                                                          : s->progs.on_sys_exit_compat;
     }},
    // --stacks: on the same tracepoint, attached after the hot path (a tracepoint runs its programs in the
    // order they were attached), so that its memo already holds the call
    {CapabilityId::kUserStacks, "raw_syscalls:sys_exit", "btf_trace_sys_exit", false,
     [](zctrace_bpf* s) {
       return bpf_program__autoload(s->progs.on_sys_exit_stacks) ? s->progs.on_sys_exit_stacks
                                                                 : s->progs.on_sys_exit_stacks_compat;
     }},
    {CapabilityId::kProcessExec, "sched:sched_process_exec", "btf_trace_sched_process_exec", true,
     [](zctrace_bpf* s) { return s->progs.on_exec; }},
    {CapabilityId::kProcessExit, "sched:sched_process_exit", "btf_trace_sched_process_exit", true,
     [](zctrace_bpf* s) { return s->progs.on_exit; }},
    {CapabilityId::kFollowChildren, "sched:sched_process_fork", "btf_trace_sched_process_fork", false,
     [](zctrace_bpf* s) { return s->progs.on_fork; }},
    {CapabilityId::kCgroupMoves, "cgroup:cgroup_attach_task", "btf_trace_cgroup_attach_task", false,
     [](zctrace_bpf* s) { return s->progs.on_cgroup_attach; }},
    {CapabilityId::kSkbCopies, "skb:skb_copy_datagram_iovec", "btf_trace_skb_copy_datagram_iovec", false,
     [](zctrace_bpf* s) {
       return bpf_program__autoload(s->progs.on_skb_copy) ? s->progs.on_skb_copy
                                                          : s->progs.on_skb_copy_compat;
     }},
    {CapabilityId::kIoUring, "io_uring:io_uring_complete", "btf_trace_io_uring_complete", false,
     [](zctrace_bpf* s) { return s->progs.on_io_uring_complete; }},
    {CapabilityId::kDiskIo, "block:block_bio_queue", "btf_trace_block_bio_queue", false,
     [](zctrace_bpf* s) { return s->progs.on_block_bio_queue; }},
    {CapabilityId::kDirtiedPages, "writeback:writeback_dirty_folio", "btf_trace_writeback_dirty_folio", false,
     [](zctrace_bpf* s) { return s->progs.on_dirty_folio; }},
    {CapabilityId::kPageCacheFills, "filemap:mm_filemap_add_to_page_cache",
     "btf_trace_mm_filemap_add_to_page_cache", false,
     [](zctrace_bpf* s) { return s->progs.on_page_cache_fill; }},
    {CapabilityId::kNicTx, "net:net_dev_start_xmit", "btf_trace_net_dev_start_xmit", false,
     [](zctrace_bpf* s) {
       return bpf_program__autoload(s->progs.on_net_xmit) ? s->progs.on_net_xmit
                                                          : s->progs.on_net_xmit_compat;
     }},
    {CapabilityId::kSigbus, "signal:signal_deliver", "btf_trace_signal_deliver", false,
     [](zctrace_bpf* s) { return s->progs.on_signal_deliver; }},
    {CapabilityId::kPageFaults, "exceptions:page_fault_user", "btf_trace_page_fault_user", false,
     [](zctrace_bpf* s) { return s->progs.on_page_fault_user; }},
    {CapabilityId::kDmaMapPhys, "dma:dma_map_phys", "btf_trace_dma_map_phys", false,
     [](zctrace_bpf* s) { return s->progs.on_dma_map_phys; }},
    {CapabilityId::kDmaMapSg, "dma:dma_map_sg", "btf_trace_dma_map_sg", false,
     [](zctrace_bpf* s) { return s->progs.on_dma_map_sg; }},
    {CapabilityId::kSwiotlbBounces, "swiotlb:swiotlb_bounced", "btf_trace_swiotlb_bounced", false,
     [](zctrace_bpf* s) { return s->progs.on_swiotlb_bounced; }},
};

// Tracepoints whose arguments changed between kernels in a way CO-RE cannot follow (the program's own
// parameters are not relocated): io_uring_complete was (ctx, req, user_data, res, cflags, extra1, extra2)
// on 6.1 (Debian 12) and is (ctx, req, cqe) on 6.18. on_io_uring_complete reads the cqe; on the old layout
// that would be a probe read at user_data, a value the traced program chose. Such a program is left off,
// and the report says why, rather than counting garbage.
struct ArgsCheck {
  const char* btf_type;
  int args;  // what the program reads
};
const ArgsCheck kArgsChecks[] = {{"btf_trace_io_uring_complete", 3}};

// The number of arguments a tracepoint hands its programs, from the kernel's btf_trace_<tp> typedef
// (a pointer to a function prototype whose first parameter is the tracepoint's private data); -1 if the
// BTF does not have that shape.
int TracepointArgs(const btf* vmlinux, int typedef_id);

}  // namespace zctrace
