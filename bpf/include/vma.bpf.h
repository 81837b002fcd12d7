/* SPDX-License-Identifier: GPL-2.0 */
/* vma.bpf.h — what memory a thread touches: the file a write buffer or a page fault is mapped from. A VMA lookup
 * takes the mmap lock, so each thread remembers the VMAs it found last, until its process maps, unmaps or execs
 * something. */
#ifndef ZCTRACE_VMA_BPF_H
#define ZCTRACE_VMA_BPF_H

struct vma_found {
	__u64 start;
	__u64 end;
	struct file *file;
	struct file *buffer_file;
};

static long read_vma(struct task_struct *task, struct vm_area_struct *vma, struct vma_found *out)
{
	unsigned long flags = BPF_CORE_READ(vma, vm_flags);

	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	out->file = BPF_CORE_READ(vma, vm_file);
	/* a private writable mapping (a library's .data, say) holds the process's own copies, not the
	 * file's page cache: writing from it is a write from anonymous memory */
	out->buffer_file = (flags & VM_WRITE) && !(flags & VM_SHARED) ? NULL : out->file;
	return 0;
}

/* The thread's VMAs as of the process's mapping generation: all forgotten when the mappings changed since
 * (by another thread, an exec, or a call this thread made that forget_known_vmas did not see). */
static __always_inline void expire_known_vmas(struct thread_state *state, __u32 generation)
{
	if (state->vmas_generation == generation)
		return;
	for (__u32 i = 0; i < KNOWN_VMAS; i++)
		state->vmas[i].end = 0;
	state->vmas_generation = generation;
}

/* The index of the remembered VMA that holds addr, or KNOWN_VMAS. */
static __always_inline __u32 known_vma_index(struct thread_state *state, __u64 addr)
{
	for (__u32 i = 0; i < KNOWN_VMAS; i++) {
		if (addr >= state->vmas[i].start && addr < state->vmas[i].end)
			return i;
	}
	return KNOWN_VMAS;
}

/* The VMA that holds addr, remembered or looked up (and then remembered in place of the oldest): its index
 * in state->vmas, or KNOWN_VMAS if there is none. */
static __always_inline __u32 vma_index_at(struct task_struct *task, struct thread_state *state, __u32 generation,
					  __u64 addr, struct vma_found *found)
{
	__u32 i;

	expire_known_vmas(state, generation);
	i = known_vma_index(state, addr);
	if (i < KNOWN_VMAS)
		return i;
	if (bpf_find_vma(task, addr, read_vma, found, 0))
		return KNOWN_VMAS;
	i = state->vmas_next++ & (KNOWN_VMAS - 1);
	state->vmas[i].start = found->start;
	state->vmas[i].end = found->end;
	state->vmas[i].file = found->file;
	state->vmas[i].buffer_file = found->buffer_file;
	return i;
}

/* The file a write-like call's buffer is mapped from, or NULL (anonymous memory, or not looked at). */
static __noinline struct file *write_buffer_file(__u8 sc, struct pt_regs *regs, struct thread_state *state,
						      __u32 generation)
{
	struct vma_found found = {};
	__u64 addr = 0;
	__u32 i;

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
	i = vma_index_at(bpf_get_current_task_btf(), state, generation, addr, &found);
	if (i >= KNOWN_VMAS)
		return NULL;
	if (i) { /* the last write buffer's VMA goes first, where track_flow_inline looks */
		__u64 *a = (__u64 *)&state->vmas[0], *b = (__u64 *)&state->vmas[i & (KNOWN_VMAS - 1)];

		/* word by word: a struct as the temporary would take its place in the deepest call chain's frames */
		for (__u32 w = 0; w < sizeof(struct known_vma) / 8; w++) {
			__u64 t = a[w];

			a[w] = b[w];
			b[w] = t;
		}
	}
	return state->vmas[0].buffer_file;
}

/* Whether addr is in the VMA of the thread's last write buffer, still mapped as it was, and that holds no
 * file's pages: track_flow_inline's test, so that a loop writing from one buffer looks its VMA up once. */
static __always_inline bool last_write_buffer_anonymous(struct thread_state *state, __u32 generation, __u64 addr)
{
	return state->vmas_generation == generation && addr >= state->vmas[0].start && addr < state->vmas[0].end &&
	       !state->vmas[0].buffer_file;
}

/* The process's mappings changed: a new generation, so every thread's remembered VMAs expire. Returns
 * the generation it replaced (~0 when there is no process). */
static __noinline __u32 note_mapping_change(__u32 slot, bool file_mapped)
{
	struct zc_process *proc;
	__u32 replaced;

	slot = slot_index(slot);
	proc = bpf_map_lookup_elem(&processes, &slot);
	if (!proc)
		return ~0u;
	replaced = __sync_fetch_and_add(&proc->mapping_generation, 1);
	if (file_mapped && !(proc->flags & ZC_PROC_FILE_MMAP))
		__sync_fetch_and_or(&proc->flags, ZC_PROC_FILE_MMAP);
	return replaced;
}

/* The calling thread mapped or unmapped [start, end) itself, replacing generation `replaced`: it knows
 * what changed, so it forgets only the VMAs it remembered there and keeps the others under the new
 * generation. A program's start-up alternates like that (ld.so maps a library, faults in it, maps the
 * next), and forgetting everything each time made nearly every start-up fault a VMA lookup. Other
 * threads see the new generation and forget all theirs. */
static __noinline void forget_known_vmas(struct thread_state *state, __u64 start, __u64 end, __u32 replaced)
{
	if (!state || state->vmas_generation != replaced) /* stale already: the generation test */
		return;
	for (__u32 i = 0; i < KNOWN_VMAS; i++) {
		struct known_vma *v = &state->vmas[i];

		if (v->end && v->start < end && start < v->end)
			v->end = 0;
	}
	state->vmas_generation = replaced + 1;
}

/* The file mappings a process made with mmap while traced: its page faults are charged from here without
 * a VMA lookup, which from the page-fault tracepoint costs a self-interrupt (see faulted_file) while a
 * program's start-up faults in dozens of pages. The mappings exec makes (the program, its loader) are not
 * here: their faults are the process's, on no path. A process with ZC_PROC_UNSEEN_MAPPINGS, or one that
 * mapped more files than there are ranges, looks its VMAs up instead. */
#define MAPPED_RANGES 16

struct mapped_range {
	__u64 start;
	__u64 end;  /* 0: free */
	__u32 kind; /* 1 + the file's ZC_KIND */
	__u32 pad;
};

struct process_mappings {
	struct mapped_range ranges[MAPPED_RANGES];
	struct mapped_range tail; /* note_mapped_range's scratch: what remains of a range beyond a hole in it */
};

/* By process slot's index (userspace sets max_entries to --max-processes). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, struct process_mappings);
} mappings SEC(".maps");

static __always_inline void mark_unseen_mappings(struct zc_process *proc)
{
	if (!(proc->flags & ZC_PROC_UNSEEN_MAPPINGS))
		__sync_fetch_and_or(&proc->flags, ZC_PROC_UNSEEN_MAPPINGS);
}

/* Puts [start, end) of a file of kind in a free range; with none free, the process's VMAs are looked up
 * from now on. */
static __always_inline void add_mapped_range(struct process_mappings *pm, struct zc_process *proc, __u64 start,
					     __u64 end, __u32 kind)
{
	for (__u32 i = 0; i < MAPPED_RANGES; i++) {
		struct mapped_range *r = &pm->ranges[i];

		if (r->end)
			continue;
		r->start = start;
		r->kind = kind;
		barrier(); /* a fault on another CPU reads end first */
		r->end = end;
		return;
	}
	mark_unseen_mappings(proc);
}

/* [start, end) was mapped (kind: 1 + the mapped file's kind, 0 for anonymous memory) or unmapped (0): the
 * ranges it overlaps are cut back, split (ld.so maps a library's segments over a reservation of its whole
 * size) or dropped, and a file mapping takes a range of its own. A global function: verified once. */
__noinline int note_mapped_range(__u32 slot, __u64 start, __u64 end, __u32 kind)
{
	__u32 index = slot_index(slot);
	struct process_mappings *pm = bpf_map_lookup_elem(&mappings, &index);
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);

	if (!pm || !proc || (proc->flags & ZC_PROC_UNSEEN_MAPPINGS))
		return 0;
	pm->tail.end = 0;
	for (__u32 i = 0; i < MAPPED_RANGES; i++) {
		struct mapped_range *r = &pm->ranges[i];

		if (!r->end || r->end <= start || end <= r->start)
			continue;
		if (r->start < start && r->end > end) { /* ranges are disjoint: only one can hold it whole */
			pm->tail.start = end;
			pm->tail.end = r->end;
			pm->tail.kind = r->kind;
			r->end = start;
		} else if (r->start >= start && r->end <= end) {
			r->end = 0;
		} else if (r->start < start) {
			r->end = start;
		} else {
			r->start = end;
		}
	}
	if (pm->tail.end)
		add_mapped_range(pm, proc, pm->tail.start, pm->tail.end, pm->tail.kind);
	if (kind)
		add_mapped_range(pm, proc, start, end, kind);
	return 0;
}

/* A traced process's mappings start as its parent's (parent_slot: a fork copies the address space) or
 * empty (0: exec, or a parent not traced). */
static __always_inline void start_mapped_ranges(__u32 slot, __u32 parent_slot)
{
	__u32 index = slot_index(slot), from = slot_index(parent_slot);
	struct process_mappings *pm = bpf_map_lookup_elem(&mappings, &index);
	struct process_mappings *parent = parent_slot ? bpf_map_lookup_elem(&mappings, &from) : NULL;

	if (!pm)
		return;
	for (__u32 i = 0; i < MAPPED_RANGES; i++) {
		pm->ranges[i].start = parent ? parent->ranges[i].start : 0;
		pm->ranges[i].kind = parent ? parent->ranges[i].kind : 0;
		pm->ranges[i].end = parent ? parent->ranges[i].end : 0;
	}
}

/* A call moved or made mappings the ranges do not follow (mremap, shmat, shmdt, remap_file_pages): the
 * process's VMAs are looked up from now on. */
static __noinline void note_unseen_mappings(__u32 slot)
{
	__u32 index = slot_index(slot);
	struct zc_process *proc;

	note_mapping_change(slot, false);
	proc = bpf_map_lookup_elem(&processes, &index);
	if (proc)
		mark_unseen_mappings(proc);
}

/* 1 + the kind of the file mapped at addr as the process's mapped ranges know it, 0 for none (anonymous
 * memory, or a mapping exec made), -1 when they cannot tell (ZC_PROC_UNSEEN_MAPPINGS): look the VMA up. */
static __always_inline int mapped_kind_at(__u32 slot, __u64 addr)
{
	__u32 index = slot_index(slot);
	struct process_mappings *pm = bpf_map_lookup_elem(&mappings, &index);
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);

	if (!pm || !proc || (proc->flags & ZC_PROC_UNSEEN_MAPPINGS))
		return -1;
	for (__u32 i = 0; i < MAPPED_RANGES; i++) {
		struct mapped_range *r = &pm->ranges[i];

		if (addr < r->end && addr >= r->start)
			return r->kind;
	}
	return 0;
}

/* The file mapped where a page fault happened (NULL: anonymous memory); false if the VMA could not be
 * looked up. The tracepoint fires with interrupts off, so bpf_find_vma hands its mmap-lock release to
 * an irq_work, a self-interrupt: in a virtual machine that costs microseconds (5.6 µs a fault here).
 * Faults come in runs over one mapping (a buffer first touched, a library loaded): the thread's
 * remembered VMAs catch most of them. */
static __always_inline bool faulted_file(struct task_struct *task, struct thread_state *state, __u32 slot,
					 __u64 address, struct file **file)
{
	struct zc_process *proc;
	struct vma_found found = {};
	__u32 i;

	slot = slot_index(slot);
	proc = bpf_map_lookup_elem(&processes, &slot);
	if (!state || !proc) {
		if (bpf_find_vma(task, address, read_vma, &found, 0))
			return false;
		*file = found.file;
		return true;
	}
	i = vma_index_at(task, state, proc->mapping_generation, address, &found);
	if (i >= KNOWN_VMAS)
		return false;
	/* the mapping as it is: a private writable file mapping's faults are its file's */
	*file = state->vmas[i].file;
	return true;
}

#endif /* ZCTRACE_VMA_BPF_H */
