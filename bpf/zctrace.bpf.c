// SPDX-License-Identifier: GPL-2.0
/* zctrace.bpf.c — counts, in the kernel and per traced process, how data-moving syscalls move bytes.
 *
 * The hot path is one tp_btf program on sys_exit: at exit the syscall number and its arguments are
 * still in pt_regs and the return value says how many bytes moved, so one program sees everything.
 * Nothing is sent to userspace per syscall: counters live in per-CPU maps that the collector sums.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "zctrace.h"
#include "include/config.bpf.h"
#include "include/kernel_defs.bpf.h"
#include "include/syscall_abi.bpf.h"
#include "include/traced.bpf.h"
#include "include/maps.bpf.h"
#include "include/thread_state.bpf.h"
#include "include/current.bpf.h"
#include "include/compat.bpf.h"
#include "include/classify.bpf.h"
#include "include/user_tls.bpf.h"
#include "include/path_key.bpf.h"
#include "include/counting.bpf.h"
#include "include/zerocopy.bpf.h"
#include "include/endpoints.bpf.h"
#include "include/vma.bpf.h"
#include "include/provenance.bpf.h"
#include "include/flows.bpf.h"
#include "include/memo.bpf.h"
#include "include/hazards.bpf.h"
#include "include/clone.bpf.h"
#include "include/syscalls.bpf.h"
#include "include/receive.bpf.h"
#include "include/faults.bpf.h"
#include "include/device.bpf.h"
#include "include/targets.bpf.h"
#include "include/slots.bpf.h"
#include "include/lifecycle.bpf.h"
#include "include/io_uring.bpf.h"
#include "include/dma.bpf.h"
#include "include/precise.bpf.h"
#include "include/stacks.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/signal_deliver")
int BPF_PROG(on_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	return signal_deliver_body(sig, info, ka);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	return sys_exit_body(regs, ret, true);
}

/* The same for kernels without bpf_rdonly_cast (before 6.2): probe reads. Loaded instead of on_sys_exit
 * there ("?": not loaded unless userspace asks). */
SEC("?tp_btf/sys_exit")
int BPF_PROG(on_sys_exit_compat, struct pt_regs *regs, long ret)
{
	return sys_exit_body(regs, ret, false);
}

/* --stacks only ("?"), attached after on_sys_exit: each accounted call's user stack. Two builds, as above. */
SEC("?tp_btf/sys_exit")
int BPF_PROG(on_sys_exit_stacks, struct pt_regs *regs, long ret)
{
	return sys_exit_stacks_body(ctx, regs, ret, true);
}

SEC("?tp_btf/sys_exit")
int BPF_PROG(on_sys_exit_stacks_compat, struct pt_regs *regs, long ret)
{
	return sys_exit_stacks_body(ctx, regs, ret, false);
}

/* Two builds, as for sys_exit: the 6.2+ one finds the path from the thread's memo (it loads the file
 * directly), the other classifies the fd with probe reads. Userspace loads one. */
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(on_skb_copy, const struct sk_buff *skb, int len)
{
	return skb_copy_body(skb, len, true);
}

SEC("?tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(on_skb_copy_compat, const struct sk_buff *skb, int len)
{
	return skb_copy_body(skb, len, false);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(on_page_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return page_fault_user_body(address, regs, error_code);
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(on_block_bio_queue, struct bio *bio)
{
	return block_bio_queue_body(bio);
}

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(on_dirty_folio, struct folio *folio, struct address_space *mapping)
{
	return dirty_folio_body(folio, mapping);
}

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(on_page_cache_fill, struct folio *folio)
{
	return page_cache_fill_body(folio);
}

/* Two builds, as for sys_exit and skb copies. */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(on_net_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
	return net_xmit_body(skb, dev, true);
}

SEC("?tp_btf/net_dev_start_xmit")
int BPF_PROG(on_net_xmit_compat, const struct sk_buff *skb, const struct net_device *dev)
{
	return net_xmit_body(skb, dev, false);
}

SEC("perf_event")
int on_major_fault(void *ctx)
{
	return major_fault_body(ctx);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	return fork_body(parent, child);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return exec_body(task, old_pid, bprm);
}

SEC("?tp_btf/cgroup_attach_task")
int BPF_PROG(on_cgroup_attach, struct cgroup *dst_cgrp, const char *path, struct task_struct *task, bool threadgroup)
{
	return cgroup_attach_body(task);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	return exit_body(task);
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(on_io_uring_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	return io_uring_complete_body(ring, req, cqe, ctx);
}

SEC("iter/task")
int dump_threads(struct bpf_iter__task *ctx)
{
	return dump_threads_body(ctx);
}

SEC("raw_tp/dma_map_phys")
int on_dma_map_phys(struct bpf_raw_tracepoint_args *ctx)
{
	return dma_map_phys_body(ctx);
}

SEC("raw_tp/dma_map_sg")
int on_dma_map_sg(struct bpf_raw_tracepoint_args *ctx)
{
	return dma_map_sg_body(ctx);
}

SEC("raw_tp/swiotlb_bounced")
int on_swiotlb_bounced(struct bpf_raw_tracepoint_args *ctx)
{
	return swiotlb_bounced_body(ctx);
}

/* An fentry/fexit pair per copy function of the table (zctrace.h) */
ZC_COPY_FUNCTION_TABLE(COPY_FUNCTION_HOOKS)
