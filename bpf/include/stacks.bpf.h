/* SPDX-License-Identifier: GPL-2.0 */
/* stacks.bpf.h — --stacks: the user call stack of each accounted data call, counted by (path, ends, stack) in
 * a per-CPU map. A program of its own on sys_exit, loaded only with --stacks: without it the hot path is
 * untouched, and its call chain keeps its own stack budget. It finds the call's path as the programs that
 * fire inside a call do (the thread's memo, else the fds classified again). */
#ifndef ZCTRACE_STACKS_BPF_H
#define ZCTRACE_STACKS_BPF_H

/* Sized to one entry each by userspace unless --stacks is given. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, ZC_DEFAULT_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, ZC_STACK_DEPTH * sizeof(__u64));
} user_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_STACK_COUNTS);
	__type(key, struct zc_stack_key);
	__type(value, struct zc_stack_counters);
} stack_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_CODE_MAPPINGS);
	__type(key, struct zc_code_mapping_key);
	__type(value, struct zc_code_mapping);
} code_mappings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_stack_health);
} stack_health SEC(".maps");

/* Words at the stack pointer found to point into code, per CPU: a loop's calls come from the same few
 * call sites, and each looked up would cost a VMA lookup (the mmap lock) per call. */
#define CODE_WORDS 4

/* The key being built and a new stack's frame addresses: off the BPF stack. */
struct stack_scratch {
	struct zc_stack_key key;
	struct path_files files;
	__u64 ips[ZC_STACK_DEPTH];
	__u64 code_words[CODE_WORDS];
	__u32 code_spaces[CODE_WORDS];
	__u32 code_next;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

const struct zc_stack_counters zero_stack_counters = {};

struct code_vma {
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u64 file;
	__u64 exec;
};

static long read_code_vma(struct task_struct *task, struct vm_area_struct *vma, struct code_vma *out)
{
	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	out->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	out->file = (__u64)BPF_CORE_READ(vma, vm_file);
	out->exec = BPF_CORE_READ(vma, vm_flags) & VM_EXEC;
	return 0;
}

static __always_inline void count_stack_health(bool mappings)
{
	__u32 zero = 0;
	struct zc_stack_health *h = bpf_map_lookup_elem(&stack_health, &zero);

	if (!h)
		return;
	if (mappings)
		h->mappings_full++;
	else
		h->counts_full++;
}

/* Whether addr is in executable memory of the current process (an instruction address, a return address):
 * from the CPU's recent answers, else looked up and remembered. */
static __noinline bool in_code(struct task_struct *task, struct stack_scratch *scratch, __u64 addr)
{
	__u32 space = scratch->key.space;
	struct code_vma found = {};

	if (addr < 4096 || addr >= USER_ADDRESS_END)
		return false;
	for (__u32 i = 0; i < CODE_WORDS; i++) {
		if (scratch->code_words[i] == addr && scratch->code_spaces[i] == space)
			return true;
	}
	if (bpf_find_vma(task, addr, read_code_vma, &found, 0) || !found.exec)
		return false;
	scratch->code_words[scratch->code_next & (CODE_WORDS - 1)] = addr;
	scratch->code_spaces[scratch->code_next & (CODE_WORDS - 1)] = space;
	scratch->code_next++;
	return true;
}

/* A walk over a stack's frames: its process, and the mapping the last frame was in. */
struct mapping_walk {
	__u32 slot;
	__u32 space;
	__u64 start;
	__u64 end;
};

/* Records the executable mapping that holds ip, once: where it was and which file, so that the frames in
 * it can be named after the process has gone. A global function: verified once, not once per frame of
 * the loop that calls it (which took the program's load to over a second). */
__noinline int record_code_mapping(struct mapping_walk *walk, __u64 ip)
{
	struct zc_code_mapping_key key = {};
	struct zc_code_mapping mapping = {};
	struct code_vma found = {};

	if (!walk)
		return 0;
	key.slot = walk->slot;
	key.space = walk->space;
	if (bpf_find_vma(bpf_get_current_task_btf(), ip, read_code_vma, &found, 0) || !found.exec)
		return 0;
	walk->start = found.start;
	walk->end = found.end;
	key.start = found.start;
	if (bpf_map_lookup_elem(&code_mappings, &key))
		return 0;
	mapping.end = found.end;
	mapping.pgoff = found.pgoff;
	if (found.file) {
		mapping.file = endpoint_of((struct file *)found.file);
		register_endpoint((struct file *)found.file, &mapping.file);
	}
	if (bpf_map_update_elem(&code_mappings, &key, &mapping, BPF_NOEXIST) == -E2BIG)
		count_stack_health(true);
	return 0;
}

/* A stack met for the first time with this key: the mappings of its frames, recorded while they are there. */
static __noinline void record_stack_mappings(void *ctx, struct stack_scratch *scratch)
{
	struct mapping_walk walk = {.slot = scratch->key.path.slot, .space = scratch->key.space};
	__u64 ip;
	long size;

	size = scratch->key.stack_id >= 0 ? bpf_get_stack(ctx, scratch->ips, sizeof(scratch->ips), BPF_F_USER_STACK) : 0;
	if (size < 0)
		size = 0;
	if (size == 0 && scratch->key.leaf_ip) {
		scratch->ips[0] = scratch->key.leaf_ip;
		size = sizeof(__u64);
	}
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < ZC_STACK_DEPTH; i++) {
		if (i >= size / sizeof(__u64))
			break;
		ip = scratch->ips[i];
		if (ip < walk.start || ip >= walk.end) /* most frames are in the mapping the one before was in */
			record_code_mapping(&walk, ip);
	}
	ip = scratch->key.leaf_caller;
	if (ip && (ip < walk.start || ip >= walk.end))
		record_code_mapping(&walk, ip);
}

/* The call's path key and ends, as on_sys_exit counted it: from the thread's memo when the call repeats its
 * last call of the kind on the same fd (the hot path has just remembered it if not), else classified. */
static __always_inline void stack_path_key(struct task_struct *task, struct thread_state *state,
					   struct pt_regs *regs, struct stack_scratch *scratch, const bool direct)
{
	struct zc_stack_key *key = &scratch->key;

	if (direct && state) {
		struct file *file = NULL;
		struct call_memo *m;
		__u32 index = 0;
		int side = 0;

		m = memo_of_call(task, state, regs, &side, &index, &file);
		if (m && index < ZC_THREAD_PATHS) {
			key->path = state->counts.paths[index].key;
			if (side == 0)
				key->source = m->id;
			else
				key->sink = m->id;
			return;
		}
	}
	if (direct)
		path_key_direct(task, &key->path, regs, &scratch->files, state);
	else
		path_key_compat(task, &key->path, regs, &scratch->files, state);
	key->source = scratch->files.source.id;
	key->sink = scratch->files.sink.id;
}

/* A send from a file's mapping is an mmap+write flow's: its source is that file (the flow's source), which
 * tells its stacks from a read+write's to the same sink (the path key is the same). */
static __always_inline void mapped_send_source(struct thread_state *state, struct pt_regs *regs,
					       struct zc_stack_key *key)
{
	__u32 index = slot_index(key->path.slot);
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);
	struct file *mapped;

	if (!state || !proc || !(proc->flags & ZC_PROC_FILE_MMAP) || key->path.source != ZC_KIND_USER)
		return;
	mapped = write_buffer_file(key->path.syscall, regs, state, proc->mapping_generation);
	if (mapped)
		key->source = endpoint_of(mapped);
}

static __always_inline int sys_exit_stacks_body(void *ctx, struct pt_regs *regs, long ret, const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct zc_stack_counters *counters;
	struct thread_state *state = NULL;
	struct stack_scratch *scratch;
	struct zc_stack_key *key;
	__u32 slot = 0, zero = 0;
	__u64 word = 0;
	__u8 sc;

	if (!current_slot(task, &slot, &state))
		return 0;
	if (state && !state->traced)
		state = NULL; /* not claimed yet: its memos are not this thread's */
	sc = accounted_syscall(regs->orig_ax);
	if (sc == ZC_SYS_COUNT || sc == ZC_SYS_MMAP || sc == ZC_SYS_MUNMAP)
		return 0; /* mapping calls move nothing */
	scratch = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!scratch)
		return 0;
	key = &scratch->key;
	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memset(&scratch->files, 0, sizeof(scratch->files));
	key->path.slot = slot;
	key->path.syscall = sc;
	stack_path_key(task, state, regs, scratch, direct);
	mapped_send_source(state, regs, key);
	if (regs->bp > regs->sp && regs->bp - regs->sp < ZC_STACK_MAX_FRAME_SPAN)
		key->stack_id = bpf_get_stackid(ctx, &user_stacks, BPF_F_USER_STACK);
	else
		key->stack_id = ZC_STACK_NO_FRAME_CHAIN;
	key->space = (__u32)((__u64)BPF_CORE_READ(task, mm) >> 6); /* a scalar: no pointer arithmetic */
	/* a libc wrapper makes the syscall without a frame of its own: its caller is only in the return
	 * address at the stack pointer (userspace keeps it where it follows a call instruction) */
	bpf_probe_read_user(&word, sizeof(word), (void *)regs->sp);
	if (in_code(task, scratch, word))
		key->leaf_caller = word;
	/* a stack the table refused (its bucket taken): still its innermost frame and the wrapper's caller */
	if (key->stack_id < 0)
		key->leaf_ip = regs->ip;

	counters = bpf_map_lookup_elem(&stack_counts, key);
	if (!counters) {
		bpf_map_update_elem(&stack_counts, key, (void *)&zero_stack_counters, BPF_NOEXIST);
		counters = bpf_map_lookup_elem(&stack_counts, key);
		if (!counters) {
			count_stack_health(false);
			return 0;
		}
		record_stack_mappings(ctx, scratch);
	}
	counters->calls++;
	if (ret < 0)
		counters->errors++;
	else if (sc == ZC_SYS_SENDMMSG || sc == ZC_SYS_RECVMMSG)
		counters->bytes += mmsg_bytes(regs, ret);
	else
		counters->bytes += ret;
	return 0;
}

#endif /* ZCTRACE_STACKS_BPF_H */
