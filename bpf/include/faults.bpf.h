/* SPDX-License-Identifier: GPL-2.0 */
/* faults.bpf.h — user page faults: two mode switches each, charged to the mapped file's mmap path. */
#ifndef ZCTRACE_FAULTS_BPF_H
#define ZCTRACE_FAULTS_BPF_H

/* The mmap path whose page fault a task is handling, so that I/O it submits meanwhile (outside any
 * syscall) is charged to that path. */
struct fault_context {
	struct zc_path_key key;
	__u64 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fault_context);
} faulting SEC(".maps");

/* Each user page fault is two mode switches. A fault in a file mapping is charged to that file kind's
 * mmap path: the path that caused it. */
static __always_inline int page_fault_user_body(unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u32 *slot = traced_slot(bpf_get_current_pid_tgid() >> 32);
	struct task_struct *task;
	struct zc_process_counters *pc;
	struct file *file = NULL;
	struct fault_context *fc;
	struct zc_path_counters *counters;
	__u32 index;
	int kind;

	if (!slot) /* every user page fault on the machine passes here */
		RETURN_ZERO_HERE();
	index = slot_index(*slot);
	pc = bpf_map_lookup_elem(&process_counters, &index);
	if (pc)
		pc->page_faults++;
	task = bpf_get_current_task_btf();
	/* the process's own file mappings first (no VMA lookup); the lookup when they cannot tell */
	kind = mapped_kind_at(*slot, address);
	if (kind < 0 && faulted_file(task, thread_state_of(task), *slot, address, &file) && file)
		kind = 1 + classify_file(file).kind;
	if (kind <= 0) {
		/* anonymous memory (or a mapping exec made): no path; forget any earlier file fault */
		fc = bpf_task_storage_get(&faulting, task, 0, 0);
		if (fc)
			fc->active = 0;
		return 0;
	}
	fc = bpf_task_storage_get(&faulting, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!fc)
		return 0;
	fc->key.slot = *slot;
	fc->key.syscall = ZC_SYS_MMAP;
	fc->key.source = kind - 1;
	fc->key.sink = ZC_KIND_USER;
	fc->key.flags = 0;
	/* the fault's I/O is submitted before the task next returns to user mode: the next syscall exit
	 * or fault clears this */
	fc->active = 1;
	counters = path_counters(&fc->key);
	if (counters)
		counters->page_faults++;
	return 0;
}

#endif /* ZCTRACE_FAULTS_BPF_H */
