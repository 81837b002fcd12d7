/* SPDX-License-Identifier: GPL-2.0 */
/* hazards.bpf.h — the mmap hazard (SIGBUS from a truncated mapping) and the defences a process takes against it. */
#ifndef ZCTRACE_HAZARDS_BPF_H
#define ZCTRACE_HAZARDS_BPF_H

/* The seed's two defences against SIGBUS from a truncated mapping: a SIGBUS handler, a file lease. */
static __noinline void note_hazard_defence(__u32 slot, long nr, struct pt_regs *regs)
{
	struct zc_process *proc;

	slot = slot_index(slot); /* the key in place: this frame is under on_sys_exit's */
	proc = bpf_map_lookup_elem(&processes, &slot);
	if (!proc)
		return;
	if (nr == NR_fcntl) {
		if (regs->si == F_SETLEASE && regs->dx != F_UNLCK)
			__sync_fetch_and_or(&proc->flags, ZC_PROC_FILE_LEASE);
		return;
	}
	if (regs->di == SIGBUS && regs->si) { /* rt_sigaction(SIGBUS, act, ...) */
		unsigned long handler = 0;

		bpf_probe_read_user(&handler, sizeof(handler), (void *)regs->si); /* act->sa_handler */
		if (handler > 1)                                                    /* not SIG_DFL, not SIG_IGN */
			__sync_fetch_and_or(&proc->flags, ZC_PROC_SIGBUS_HANDLER);
		else
			__sync_fetch_and_and(&proc->flags, ~ZC_PROC_SIGBUS_HANDLER);
	}
}

static __always_inline int signal_deliver_body(int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	__u32 *slot, index;
	struct zc_process *proc;

	if (sig != SIGBUS)
		return 0;
	slot = traced_slot(bpf_get_current_pid_tgid() >> 32);
	if (!slot)
		return 0;
	index = slot_index(*slot);
	proc = bpf_map_lookup_elem(&processes, &index);
	if (proc)
		__sync_fetch_and_add(&proc->sigbus, 1);
	return 0;
}

#endif /* ZCTRACE_HAZARDS_BPF_H */
