/* SPDX-License-Identifier: GPL-2.0 */
/* vma.bpf.h — what memory a thread touches: the file a write buffer or a page fault is mapped from, remembered per
 * thread until the process maps, unmaps or execs something. */
#ifndef ZCTRACE_VMA_BPF_H
#define ZCTRACE_VMA_BPF_H

struct mapped_file {
	struct file *file;
	__u64 start;
	__u64 end;
};

static long mapping_file(struct task_struct *task, struct vm_area_struct *vma, struct mapped_file *out)
{
	unsigned long flags = BPF_CORE_READ(vma, vm_flags);

	/* a private writable mapping (a library's .data, say) holds the process's own copies, not the
	 * file's page cache: writing from it is a write from anonymous memory */
	out->file = (flags & VM_WRITE) && !(flags & VM_SHARED) ? NULL : BPF_CORE_READ(vma, vm_file);
	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* The file a write-like call's buffer is mapped from, or NULL (anonymous memory, or not looked at).
 * A VMA lookup takes the mmap lock, so each thread remembers the last VMA it found: a loop writing
 * from the same buffer looks it up once, until the process maps or unmaps something. */
static __noinline struct file *write_buffer_file(__u8 sc, struct pt_regs *regs, struct thread_state *state,
						      __u32 generation)
{
	struct mapped_file found = {};
	__u64 addr = 0;

	if (sc == ZC_SYS_WRITE || sc == ZC_SYS_PWRITE || sc == ZC_SYS_SENDTO) {
		addr = regs->si;
	} else if (sc == ZC_SYS_WRITEV || sc == ZC_SYS_PWRITEV || sc == ZC_SYS_PWRITEV2) {
		bpf_probe_read_user(&addr, sizeof(addr), (void *)regs->si); /* iov[0].iov_base */
	} else if (sc == ZC_SYS_SENDMSG) {
		struct iovec *iov = NULL;

		bpf_probe_read_user(&iov, sizeof(iov), &((struct user_msghdr *)regs->si)->msg_iov);
		bpf_probe_read_user(&addr, sizeof(addr), &iov->iov_base);
	}
	if (!addr)
		return NULL;
	if (state->vma_valid && state->vma_generation == generation && addr >= state->vma_start &&
	    addr < state->vma_end)
		return state->vma_file;
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, mapping_file, &found, 0))
		return NULL;
	state->vma_start = found.start;
	state->vma_end = found.end;
	state->vma_file = found.file;
	state->vma_generation = generation;
	state->vma_valid = 1;
	return found.file;
}

/* The process's mappings changed: a new generation, so every thread's remembered VMAs expire. Returns
 * the generation it replaced (~0 when there is no process). */
static __noinline __u32 note_mapping_change(__u32 slot, bool file_mapped)
{
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);
	__u32 replaced;

	if (!proc)
		return ~0u;
	replaced = __sync_fetch_and_add(&proc->mapping_generation, 1);
	if (file_mapped && !(proc->flags & ZC_PROC_FILE_MMAP))
		__sync_fetch_and_or(&proc->flags, ZC_PROC_FILE_MMAP);
	return replaced;
}

/* The calling thread mapped or unmapped [start, end) itself, replacing generation `replaced`: it knows
 * what changed, so it forgets only the fault VMAs it remembered there and keeps the others under the new
 * generation. A program's start-up alternates like that (ld.so maps a library, faults in it, maps the
 * next), and forgetting everything each time made nearly every start-up fault a VMA lookup. Other
 * threads see the new generation and forget all theirs. */
static __noinline void forget_fault_vmas(struct thread_state *state, __u64 start, __u64 end, __u32 replaced)
{
	if (!state || state->fault_vmas_generation != replaced) /* stale already: the generation test */
		return;
	for (__u32 i = 0; i < FAULT_VMAS; i++) {
		struct fault_vma *v = &state->fault_vmas[i];

		if (v->end && v->start < end && start < v->end)
			v->end = 0;
	}
	state->fault_vmas_generation = replaced + 1;
}

struct vma_lookup {
	struct file *file;
	__u64 start;
	__u64 end;
};

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, struct vma_lookup *out)
{
	out->file = BPF_CORE_READ(vma, vm_file);
	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* The file mapped where a page fault happened (NULL: anonymous memory); false if the VMA could not be
 * looked up. The tracepoint fires with interrupts off, so bpf_find_vma hands its mmap-lock release to
 * an irq_work, a self-interrupt: in a virtual machine that costs microseconds (5.6 µs a fault here).
 * Faults come in runs over one mapping (a buffer first touched, a library loaded), so each thread
 * remembers the last VMA, until its process maps, unmaps or execs something (mapping_generation). */
static __always_inline bool faulted_file(struct task_struct *task, struct thread_state *state, __u32 slot,
					 __u64 address, struct file **file)
{
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);
	struct vma_lookup found = {};
	__u32 generation;

	if (!state || !proc)
		goto look_up;
	generation = proc->mapping_generation;
	if (state->fault_vmas_generation != generation) {
		for (__u32 i = 0; i < FAULT_VMAS; i++)
			state->fault_vmas[i].end = 0;
		state->fault_vmas_generation = generation;
	}
	for (__u32 i = 0; i < FAULT_VMAS; i++) {
		struct fault_vma *v = &state->fault_vmas[i];

		if (address >= v->start && address < v->end) {
			*file = v->file;
			return true;
		}
	}
	if (bpf_find_vma(task, address, vma_file, &found, 0))
		return false;
	{
		struct fault_vma *v = &state->fault_vmas[state->fault_vmas_next & (FAULT_VMAS - 1)];

		v->start = found.start;
		v->end = found.end;
		v->file = found.file;
		state->fault_vmas_next++;
	}
	*file = found.file;
	return true;
look_up:
	if (bpf_find_vma(task, address, vma_file, &found, 0))
		return false;
	*file = found.file;
	return true;
}

#endif /* ZCTRACE_VMA_BPF_H */
