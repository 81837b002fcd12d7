/* SPDX-License-Identifier: GPL-2.0 */
/* current.bpf.h — the traced process the current task belongs to, for the programs that fire inside its work. */
#ifndef ZCTRACE_CURRENT_BPF_H
#define ZCTRACE_CURRENT_BPF_H

/* skb → user copies (skb_copy_datagram_iter), in the receiving task: measured CPU copies, and by the
 * device the skb arrived on, the receive DMA (a NIC's) or its absence (lo, veth). They are added to the
 * path of the syscall in flight, found from the task's saved user registers. */
/* The traced process the current task belongs to (its slot), for the programs that fire inside its
 * syscalls: from the thread's entry when it has one (no hash lookup; *state, also for the memo), else
 * from `traced`. */
static __always_inline bool current_slot(struct task_struct *task, __u32 *slot, struct thread_state **state)
{
	__u32 tgid = task->tgid;
	__u32 *found;

	*state = NULL;
	if (!maybe_traced(tgid))
		return false;
	*state = thread_state_of(task);
	if (*state && (*state)->traced) {
		*slot = (*state)->slot;
		return true;
	}
	found = bpf_map_lookup_elem(&traced, &tgid);
	if (!found)
		return false;
	*slot = *found;
	return true;
}

static __always_inline struct zc_process_counters *traced_process(__u32 *slot_out)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *slot;

	if (!maybe_traced(tgid))
		return NULL;
	slot = bpf_map_lookup_elem(&traced, &tgid);
	if (!slot)
		return NULL;
	*slot_out = *slot;
	return bpf_map_lookup_elem(&process_counters, slot);
}

#endif /* ZCTRACE_CURRENT_BPF_H */
