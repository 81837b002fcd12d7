/* SPDX-License-Identifier: GPL-2.0 */
/* current.bpf.h — the traced process the current task belongs to, for every program that fires in a traced
 * process's work: syscall exits, skb copies, transmits, faults, io_uring completions, copy functions. */
#ifndef ZCTRACE_CURRENT_BPF_H
#define ZCTRACE_CURRENT_BPF_H

/* The current thread's state when it is traced and has an entry: the hot path's answer, with no hash
 * lookup. */
static __always_inline struct thread_state *traced_thread(struct task_struct *task)
{
	struct thread_state *state = maybe_traced(task->tgid) ? thread_state_of(task) : NULL;

	return state && state->traced ? state : NULL;
}

/* The current task's slot: from its thread's entry when it has one (no hash lookup), else from `traced`.
 * *state is the thread's entry, traced or not yet claimed (NULL if it has none). */
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
	found = bpf_map_lookup_elem(&traced, &tgid); /* the bitmap said maybe */
	if (!found)
		return false;
	*slot = *found;
	return true;
}

/* The current process's counters and slot, for the programs that need no thread state. */
static __always_inline struct zc_process_counters *traced_process(__u32 *slot_out)
{
	__u32 *slot = traced_slot(bpf_get_current_pid_tgid() >> 32);
	__u32 index;

	if (!slot)
		return NULL;
	*slot_out = *slot;
	index = slot_index(*slot);
	return bpf_map_lookup_elem(&process_counters, &index);
}

#endif /* ZCTRACE_CURRENT_BPF_H */
