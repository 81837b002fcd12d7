/* SPDX-License-Identifier: GPL-2.0 */
/* syscalls.bpf.h — the hot path: every syscall exit on the machine. */
#ifndef ZCTRACE_SYSCALLS_BPF_H
#define ZCTRACE_SYSCALLS_BPF_H

/* Precise mode, at the end of a syscall: the payload the copy functions moved inside it goes to its
 * path (NULL: a syscall zctrace does not account, whose copies are dropped), and the thread starts the
 * next one from zero. Inlined, not a subprogram: in model mode count_copy_functions makes every call of
 * it dead, and when 6.1's verifier removed the whole dead subprogram from on_sys_exit_compat, that
 * program's bpf_find_vma stopped finding a write's buffer VMA (the 6.1 guest: mmap+write flows came out
 * "from memory"); with the calls live, or the body inlined, it finds them. */
static __always_inline void hand_over_copies(struct thread_state *state, struct zc_path_key *key)
{
	struct zc_path_counters *counters = key ? path_counters(key) : NULL;

	if (counters) {
		counters->copy_fn_events += state->copied_events;
		counters->copy_fn_bytes += state->copied_bytes;
	}
	state->copied_events = state->copied_bytes = 0;
	state->copy_depth = 0;
}

/* An accounted call the memo could not count: classify its fds, build its key, count it, pair it. */
static __always_inline void account_call(struct task_struct *task, struct thread_state *state, __u32 slot,
					 __u8 sc, struct pt_regs *regs, long ret, const bool direct)
{
	struct zc_path_key key = {.slot = slot, .syscall = sc};
	struct path_files files = {};
	__u64 moved = 0, bytes = 0;
	__u32 path;

	/* the direct build inlined: as a subprogram (or with account_call one) the verifier walked it once
	 * per caller state, and loading took twice as long (four times under emulation); the probe-read
	 * build out of line, for 6.1's stack */
	if (direct)
		build_path_key(task, &key, sc, regs, &files, state, true);
	else
		path_key_compat(task, &key, regs, &files, state);
	if (ret >= 0) {
		if (sc == ZC_SYS_MMAP || sc == ZC_SYS_MUNMAP)
			bytes = regs->si; /* mapped, not moved: no flow */
		else if (sc == ZC_SYS_SENDMMSG || sc == ZC_SYS_RECVMMSG)
			bytes = moved = mmsg_bytes(regs, ret);
		else
			bytes = moved = ret;
	}
	path = state ? count_in_thread_record(state, &key, ret, bytes) : 0;
	if (!path)
		path = count_new_path(state, &key, ret, bytes);
	if (direct && state && ret >= 0)
		remember_call(state, sc, regs, &key, &files, path);
	if (count_copy_functions && state && state->copied_events)
		hand_over_copies(state, &key); /* precise mode: they belong to this call's path */
	if ((sc == ZC_SYS_MMAP || sc == ZC_SYS_MUNMAP) && ret >= 0) {
		__u64 start = sc == ZC_SYS_MMAP ? (__u64)ret : regs->di;
		__u64 end = start + ((regs->si + 4095) & ~4095ull);
		__u32 replaced = note_mapping_change(slot, sc == ZC_SYS_MMAP && files.source.file);

		if (state && replaced != ~0u)
			forget_known_vmas(state, start, end, replaced);
		forget_fills(slot, start, end);
		note_mapped_range(slot, start, end, sc == ZC_SYS_MMAP && files.source.file ? 1 + key.source : 0);
	}
	if (sc == ZC_SYS_RECVMSG && ret >= 0 && (regs->dx & MSG_ERRQUEUE))
		note_zerocopy_completions(slot, regs->si);
	if (moved > 0 && state && !track_flow_inline(&key, &files, regs, moved, state, NULL)) {
		if (direct)
			track_flow_and_remember(&key, &files, regs, moved, state);
		else
			track_flow_call(&key, &files, regs, moved, state);
	}
}

/* The hot path: every syscall exit of every process on the machine passes here. */
static __always_inline int sys_exit_body(struct pt_regs *regs, long ret, const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *state;
	long nr = regs->orig_ax;
	__u32 slot;
	__u8 sc;

	/* current_slot's steps, open-coded: the bitmap's test that every other process's syscall leaves
	 * after, with its exit placed here, then the thread's entry, which a traced thread's hot path takes
	 * its slot from (no hash lookup), else `traced` and a new entry */
	if (!maybe_traced(task->tgid))
		RETURN_ZERO_HERE();
	state = thread_state_of(task);
	if (likely(state && state->traced)) {
		slot = state->slot;
		state->counts.syscalls++;
		/* a loop's repeat on the same fd, in one step before the syscall is even classified (6.2+
		 * builds only: it loads the file directly) */
		if (direct && !(count_copy_functions && state->copied_events) &&
		    (likely(count_repeat(task, state, slot, regs, ret)) ||
		     (state->pair.nr == nr && state->pair.path && count_pair_repeat(task, state, regs, ret))))
			return 0;
	} else {
		__u32 tgid = task->tgid;
		__u32 *found = bpf_map_lookup_elem(&traced, &tgid);

		if (!found)
			return 0;
		slot = *found;
		/* its first syscall since tracing began; NULL if the table has no room near its tid */
		state = claim_thread_state(task, slot);
		if (state) {
			state->counts.syscalls++;
		} else {
			struct zc_process_counters *pc;

			tgid = slot_index(slot); /* the key in tgid's stack word, done with: no frame growth */
			pc = bpf_map_lookup_elem(&process_counters, &tgid);

			if (pc)
				pc->syscalls++;
		}
	}

	sc = accounted_syscall(nr);
	if (count_copy_functions && state && state->copied_events && sc == ZC_SYS_COUNT)
		hand_over_copies(state, NULL); /* a syscall zctrace does not account (stat, getdents...) */
	if (sc == ZC_SYS_COUNT) {
		if ((nr == NR_fcntl || nr == NR_rt_sigaction) && ret == 0)
			note_hazard_defence(slot, nr, regs);
		else if ((nr == NR_mremap || nr == NR_shmat || nr == NR_shmdt || nr == NR_remap_file_pages) && ret >= 0)
			note_unseen_mappings(slot);
		else if ((nr == NR_accept || nr == NR_accept4) && ret >= 0)
			note_accepted(task, ret);
		else if (nr == NR_setsockopt && ret == 0)
			forget_socket_options(state, slot, regs->di, regs->si, regs->dx);
		else if (nr == NR_ioctl && clone_operation(regs->si) != ZC_SYS_COUNT)
			note_clone(task, state, slot, regs, ret);
		return 0;
	}
	account_call(task, state, slot, sc, regs, ret, direct);
	return 0;
}

#endif /* ZCTRACE_SYSCALLS_BPF_H */
