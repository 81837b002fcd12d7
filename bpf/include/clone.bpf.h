/* SPDX-License-Identifier: GPL-2.0 */
/* clone.bpf.h — ioctl(FICLONE) and ioctl(FICLONERANGE): a file copied by sharing its extents. */
#ifndef ZCTRACE_CLONE_BPF_H
#define ZCTRACE_CLONE_BPF_H

/* struct file_clone_range (include/uapi/linux/fs.h), FICLONERANGE's argument. */
struct clone_range_arg {
	__s64 src_fd;
	__u64 src_offset;
	__u64 src_length; /* 0: to the source's end */
	__u64 dest_offset;
};

/* A clone's argument, files and path key: per CPU, not on the stack, which on_sys_exit's chain has little
 * of to spare. */
struct clone_scratch {
	struct clone_range_arg range;
	struct path_files files;
	struct zc_path_key key;
	__u8 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clone_scratch);
} clone_scratch SEC(".maps");

static __always_inline __u8 clone_operation(__u32 cmd)
{
#define ZC_CLONE_CASE(id, camel, name, command, method) \
	if (cmd == (command))                           \
		return ZC_SYS_##id;
	ZC_CLONE_TABLE(ZC_CLONE_CASE)
#undef ZC_CLONE_CASE
	return ZC_SYS_COUNT;
}

static __always_inline __u8 clone_flow_method(__u8 op)
{
#define ZC_CLONE_METHOD(id, camel, name, command, method) \
	if (op == ZC_SYS_##id)                            \
		return method;
	ZC_CLONE_TABLE(ZC_CLONE_METHOD)
#undef ZC_CLONE_METHOD
	return ZC_FLOW_COUNT;
}

/* An ioctl that returned: a clone is counted as a path of its own, and one that succeeded as a flow of
 * the bytes it shared. A clone succeeds whole or fails (no partial count is returned): its bytes are the
 * range's, or the source's size from the range's start. Probe reads: clones are rare, and the 6.1 build
 * has no other way. */
static __noinline void note_clone(struct task_struct *task, struct thread_state *state, __u32 slot,
				  struct pt_regs *regs, long ret)
{
	struct clone_range_arg *range;
	struct path_files *files;
	struct zc_path_key *key;
	struct clone_scratch *c;
	struct file *source;
	__u64 bytes = 0;
	__u32 zero = 0;
	__s64 size;

	c = bpf_map_lookup_elem(&clone_scratch, &zero);
	if (!c)
		return;
	__builtin_memset(c, 0, sizeof(*c));
	range = &c->range;
	files = &c->files;
	key = &c->key;
	key->slot = slot;
	key->syscall = clone_operation(regs->si);
	if (key->syscall == ZC_SYS_FICLONE)
		range->src_fd = (int)regs->dx;
	else if (bpf_probe_read_user(range, sizeof(*range), (void *)regs->dx))
		range->src_fd = -1; /* unreadable: the source is not known */
	key->source = classify_fd(task, range->src_fd, &c->flags, &files->source, state, false).kind;
	key->sink = classify_fd(task, regs->di, &c->flags, &files->sink, state, false).kind;
	key->flags = c->flags;
	source = files->source.file;
	if (ret == 0 && source) {
		size = BPF_CORE_READ(source, f_inode, i_size);
		if (range->src_length)
			bytes = range->src_length;
		else if (size > 0 && (__u64)size > range->src_offset)
			bytes = size - range->src_offset;
	}
	if (!state || !count_in_thread_record(state, key, ret, bytes))
		count_new_path(state, key, ret, bytes);
	if (bytes && state && files->sink.file)
		ADD_FLOW(slot, clone_flow_method(key->syscall), key->flags, &files->source.id, files->source.file,
			 &files->sink.id, files->sink.file, bytes);
	asm volatile("r0 = 0" ::: "r0"); /* no stack address left in r0 (see path_key_compat) */
}

#endif /* ZCTRACE_CLONE_BPF_H */
