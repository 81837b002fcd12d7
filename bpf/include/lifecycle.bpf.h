/* SPDX-License-Identifier: GPL-2.0 */
/* lifecycle.bpf.h — process and thread lifecycle: following children, exec, exit, and the read-time dump of live
 * threads' records. */
#ifndef ZCTRACE_LIFECYCLE_BPF_H
#define ZCTRACE_LIFECYCLE_BPF_H

/* parent_slot: a traced parent's slot when the process is its fork (its address space a copy of the
 * parent's), else 0; unseen: whether the process may hold mappings it was not seen to make */
static __always_inline void start_tracing(struct task_struct *task, __u32 parent_tgid, __u32 parent_slot,
					  bool unseen)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 slot;
	struct zc_process *proc = take_slot(&slot);

	if (!proc) { /* every entry is a live process's: this one is not traced, and the report says so */
		count_health(PROCESS_MAP_FULL);
		return;
	}
	proc->slot = slot;
	proc->tgid = tgid;
	proc->parent_tgid = parent_tgid;
	proc->start_ns = bpf_ktime_get_ns();
	proc->exit_ns = 0;
	proc->exit_code = 0;
	proc->flags = unseen ? ZC_PROC_UNSEEN_MAPPINGS : 0;
	start_mapped_ranges(slot, parent_slot);
	proc->sigbus = 0;
	proc->cgroup_id = cgroup_id_of(unified_cgroup_of(task));
	BPF_CORE_READ_STR_INTO(&proc->comm, task, comm);
	set_traced_bit(tgid, true);
	if (bpf_map_update_elem(&traced, &tgid, &slot, BPF_ANY))
		count_health(PROCESS_MAP_FULL);
}

static __always_inline int fork_body(struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);

	/* a new thread shares its tgid and is already covered */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	__u32 *parent_slot = bpf_map_lookup_elem(&traced, &parent_tgid);
	bool unseen = true;

	if (parent_slot) { /* the child's address space is a copy of its parent's, as far as that was seen */
		__u32 index = slot_index(*parent_slot);
		struct zc_process *parent_proc = bpf_map_lookup_elem(&processes, &index);

		unseen = !parent_proc || (parent_proc->flags & ZC_PROC_UNSEEN_MAPPINGS);
	}
	if ((follow_children && parent_slot) || forked_into_target(child))
		start_tracing(child, parent_tgid, parent_slot ? *parent_slot : 0, unseen);
	return 0;
}

/* A process moved into another cgroup (cgroup.procs): one that entered the target starts being traced, and a
 * traced one is reported with the cgroup it is in now. A move on a v1 hierarchy leaves the unified cgroup as
 * it was. */
static __always_inline int cgroup_attach_body(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 *slot = bpf_map_lookup_elem(&traced, &tgid);

	if (slot) {
		__u32 index = slot_index(*slot);
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);

		if (proc)
			proc->cgroup_id = cgroup_id_of(unified_cgroup_of(task));
		return 0;
	}
	if (in_target_cgroup(task))
		start_tracing(task, BPF_CORE_READ(task, real_parent, tgid), 0, true);
	return 0;
}

/* A traced thread exits: its record moves to dead_threads, where userspace takes it once (by serial)
 * whether or not a task-iterator read already saw the thread alive. */
static __noinline void retire_thread(struct thread_state *state)
{
	struct zc_thread_counts *tc = &state->counts;
	__u64 serial = tc->serial;

	if (bpf_map_update_elem(&dead_threads, &serial, tc, BPF_NOEXIST) != 0) {
		/* no room (userspace drains the map at every read, so it is far behind): fold the counts
		 * into the shared maps instead. A read racing with this fold may count them twice once. */
		for (__u32 i = 0; i < ZC_THREAD_PATHS && i < tc->npaths; i++) {
			struct zc_path_counters *c = bpf_map_lookup_elem(&paths, &tc->paths[i].key);

			if (c) {
#define ZC_FOLD(name) c->name += tc->paths[i].name;
#define ZC_FOLD_THREAD_COUNTER(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZC_FOLD, name)
				ZC_PATH_COUNTER_TABLE(ZC_FOLD_THREAD_COUNTER)
#undef ZC_FOLD_THREAD_COUNTER
#undef ZC_FOLD
			}
		}
		if (tc->syscalls) {
			__u32 index = slot_index(tc->slot);
			struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);
			struct zc_process_counters *pc = bpf_map_lookup_elem(&process_counters, &index);

			/* not once the entry is another process's (the process was handed over meanwhile) */
			if (pc && proc && proc->slot == tc->slot)
				pc->syscalls += tc->syscalls;
		}
		for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < tc->nflows; i++) {
			struct zc_flow_counters *c = bpf_map_lookup_elem(&flows, &tc->flows[i].key);

			if (c) {
				c->bytes += tc->flows[i].bytes;
				c->chunks += tc->flows[i].chunks;
			}
		}
	}
	tc->npaths = 0;
	tc->nflows = 0;
	tc->syscalls = 0;
}

static __always_inline int exec_body(struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 *slot = bpf_map_lookup_elem(&traced, &tgid);

	if (slot) { /* keep the name current: the report names the program, not the shell that forked it */
		__u32 index = slot_index(*slot);
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);
		struct thread_state *renamed;

		if (proc) {
			BPF_CORE_READ_STR_INTO(&proc->comm, task, comm);
			/* a new address space: every thread's remembered VMAs are stale, and the process's mappings
			 * are those exec made, none of them a file it mapped */
			__sync_fetch_and_add(&proc->mapping_generation, 1);
			start_mapped_ranges(*slot, 0);
			__sync_fetch_and_and(&proc->flags, ~(__u32)ZC_PROC_UNSEEN_MAPPINGS);
		}
		/* a thread other than the leader exec'd: it took the leader's id and start time (de_thread),
		 * and its entry under its old ones would be found no more. Its counts retire now; it takes a
		 * new entry at its next syscall. No other live thread has its old id, and exited threads give
		 * their entries back: the entry with that id in this process is its own. */
		if ((__u32)old_pid != task->pid) {
			renamed = thread_state_by(old_pid, 0, true);
			if (renamed && renamed->slot == *slot) {
				if (renamed->traced && has_counts(renamed))
					retire_thread(renamed);
				release_thread_state(renamed);
			}
		}
		return 0;
	}
	if ((exec_target_tgid && tgid == exec_target_tgid) || has_target_comm(task))
		start_tracing(task, BPF_CORE_READ(task, real_parent, tgid), 0, false); /* a new address space */
	return 0;
}

static __always_inline int exit_body(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 *slot = bpf_map_lookup_elem(&traced, &tgid);
	/* not gated on maybe_traced: threads of a group exit concurrently, and the one that finds the group
	 * dead (below) clears the bit while others may not have reached this point yet */
	struct thread_state *state = thread_state_of(task);
	struct zc_process *proc;
	__u32 exiting, index;

	/* every thread, not only the last: each has its own record */
	if (state) {
		if (state->traced && has_counts(state))
			retire_thread(state);
		release_thread_state(state);
	}

	/* only when the last thread of the group exits */
	if (!slot || BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	exiting = *slot;
	/* the tgid may be reused by an unrelated process: stop matching it. Two threads exiting together
	 * may both find the group dead: the one whose delete takes the entry goes on. */
	if (bpf_map_delete_elem(&traced, &tgid) != 0)
		return 0;
	set_traced_bit(tgid, false);
	index = slot_index(exiting);
	proc = bpf_map_lookup_elem(&processes, &index);
	if (!proc || proc->slot != exiting)
		return 0;
	proc->exit_ns = bpf_ktime_get_ns();
	proc->exit_code = BPF_CORE_READ(task, exit_code);
	hand_over_exited(exiting);
	return 0;
}

/* Read time: the records of the traced threads that are alive, for userspace to add to the maps'
 * counts (bpf_iter_create on this program's link; one struct zc_thread_counts per thread). */
static __always_inline int dump_threads_body(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct thread_state *state;

	if (!task)
		return 0;
	if (!maybe_traced(task->tgid))
		return 0;
	state = thread_state_of(task);
	if (!state || !state->traced || !has_counts(state))
		return 0;
	bpf_seq_write(ctx->meta->seq, &state->counts, sizeof(state->counts));
	return 0;
}

#endif /* ZCTRACE_LIFECYCLE_BPF_H */
