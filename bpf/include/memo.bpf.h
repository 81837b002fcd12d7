/* SPDX-License-Identifier: GPL-2.0 */
/* memo.bpf.h — the per-thread memos: a loop's repeat of its last receive, send, sendfile or copy_file_range is
 * counted in one step, before the syscall is classified. */
#ifndef ZCTRACE_MEMO_BPF_H
#define ZCTRACE_MEMO_BPF_H

/* Which memo a call uses: 0 receive-like, 1 send-like, -1 none (its key needs more than its fd, or its
 * bytes are not its return value). */
static __always_inline int memo_side(__u8 sc)
{
#define ZC_MEMO_SIDE_RECEIVE 0
#define ZC_MEMO_SIDE_SEND 1
#define ZC_MEMO_SIDE_NONE -1
#define ZC_MEMO_CASE(id, camel, name, nr, family, memo, buffers) \
	case ZC_SYS_##id:                                \
		return ZC_MEMO_SIDE_##memo;
	switch (sc) {
		ZC_SYSCALL_TABLE(ZC_MEMO_CASE)
	default:
		return -1;
	}
#undef ZC_MEMO_CASE
}

/* The raw syscall numbers a memo can hold (memo_side >= 0), as two bitmaps: numbers 0-63 and 288-351
 * (the vectored p* calls). */
#define ZC_MEMO_WINDOW_HIGH 288
#define ZC_MEMO_NR_NONE(nr) 0
#define ZC_MEMO_NR_RECEIVE(nr) 1
#define ZC_MEMO_NR_SEND(nr) 1
#define ZC_MEMO_LOW_BIT(id, camel, name, nr, family, memo, buffers) \
	| (ZC_MEMO_NR_##memo(nr) && (nr) < 64 ? 1ull << ((nr) & 63) : 0)
#define ZC_MEMO_HIGH_BIT(id, camel, name, nr, family, memo, buffers)                                 \
	| (ZC_MEMO_NR_##memo(nr) && (nr) >= ZC_MEMO_WINDOW_HIGH && (nr) < ZC_MEMO_WINDOW_HIGH + 64 \
		   ? 1ull << (((nr) - ZC_MEMO_WINDOW_HIGH) & 63)                                   \
		   : 0)
#define ZC_MEMO_OUTSIDE(id, camel, name, nr, family, memo, buffers) \
	+(ZC_MEMO_NR_##memo(nr) && (nr) >= 64 && ((nr) < ZC_MEMO_WINDOW_HIGH || (nr) >= ZC_MEMO_WINDOW_HIGH + 64))
_Static_assert((0 ZC_SYSCALL_TABLE(ZC_MEMO_OUTSIDE)) == 0, "a memo'd syscall number outside both bitmaps");

/* Whether a raw syscall number is one a memo can hold, before it is classified: the fd table's memo is
 * looked up for those only (not for every sendfile or mmap a thread's memos miss). */
static __always_inline bool memo_nr(long nr)
{
	const __u64 low = 0 ZC_SYSCALL_TABLE(ZC_MEMO_LOW_BIT), high = 0 ZC_SYSCALL_TABLE(ZC_MEMO_HIGH_BIT);

	if ((unsigned long)nr < 64)
		return (low >> nr) & 1;
	if ((unsigned long)(nr - ZC_MEMO_WINDOW_HIGH) < 64)
		return (high >> (nr - ZC_MEMO_WINDOW_HIGH)) & 1;
	return false;
}

/* A call the memo does not repeat: a send that asks for MSG_ZEROCOPY (its key may carry
 * ZC_FLAG_MSG_ZEROCOPY, which the memo does not), and a read of a socket's error queue (the completions it
 * returns are read, see zerocopy.bpf.h). */
static __always_inline bool memo_cannot_repeat(__u8 sc, struct pt_regs *regs)
{
	if (sc == ZC_SYS_SENDTO)
		return regs->r10 & MSG_ZEROCOPY;
	if (sc == ZC_SYS_SENDMSG)
		return regs->dx & MSG_ZEROCOPY;
	if (sc == ZC_SYS_RECVMSG)
		return regs->dx & MSG_ERRQUEUE;
	return false;
}

/* The file fd holds if it is still the file a memo saw, with the same inode and flags (O_DIRECT decides
 * the kind of a file): then the call's path key is the memo's. NULL if not. 6.2+ builds. */
static __always_inline struct file *still_open(struct task_struct *task, int fd, struct file *file,
					       struct inode *inode, __u32 flags)
{
	struct file *now = file_of_fd(task, fd, true);
	struct file *f;

	if (!now || now != file)
		return NULL;
	f = bpf_rdonly_cast(now, bpf_core_type_id_kernel(struct file));
	return f->f_inode == inode && f->f_flags == flags ? now : NULL;
}

/* The thread's memo entry if this call repeats it: the same syscall (by its raw number, so before any
 * classification) on the same fd, holding the same file, inode and flags, so the same path key. Its
 * side (0 receive-like, 1 send-like) in *side, its path's index in the thread's record in *index, the
 * fd's file in *file. 6.2+ builds (direct loads). */
static __always_inline struct call_memo *repeated_call(struct task_struct *task, struct thread_state *state,
						       struct pt_regs *regs, int *side, __u32 *index,
						       struct file **file)
{
	long nr = regs->orig_ax;
	int fd = regs->di;
	struct call_memo *m = &state->memo[0];

	*side = 0;
	if (m->nr != nr || m->fd != fd || !m->path) {
		m = &state->memo[1];
		*side = 1;
		if (unlikely(m->nr != nr || m->fd != fd || !m->path))
			return NULL;
	}
	if (unlikely(memo_cannot_repeat(m->sc, regs)))
		return NULL;
	if (unlikely(!still_open(task, fd, m->file, m->inode, m->f_flags)))
		return NULL;
	*file = m->file; /* the same file, as a number: the verifier then sees one state after either memo */
	*index = m->path - 1;
	return *index < ZC_THREAD_PATHS ? m : NULL;
}

/* Sets the thread's memo of a call on fd: its file (and the file seen through a direct-load view, for
 * its inode and flags), the fd's endpoint, the accounted and raw syscall, and 1 + its path's index. */
static __always_inline void set_call_memo(struct call_memo *m, struct file *file, struct file *view,
					  const struct zc_endpoint_id *id, int fd, __u8 sc, long nr, __u32 path)
{
	m->file = file;
	m->inode = view->f_inode;
	m->f_flags = view->f_flags;
	m->id = *id;
	m->fd = fd;
	m->sc = sc;
	m->nr = nr;
	m->path = path;
	m->flow = 0;
}

/* The fd table's memo of a call (struct fd_facts_entry.memo), one word: the raw syscall number, 1 + its
 * path's index in the record of the thread that made it, whether the file was O_DIRECT then (it decides
 * the kind), and the low half of that record's serial. Written and read whole, so two threads writing
 * one entry at once cannot leave one's syscall with the other's index. */
static __always_inline __u64 fd_memo_word(long nr, __u32 path, bool o_direct, __u64 serial)
{
	return (__u64)(__u16)nr | (__u64)(__u8)path << 16 | (__u64)o_direct << 24 | serial << 32;
}

/* The fd table's memo of the current call (syscall nr on fd): the thread's last call of its kind on this
 * fd while it held this file, which holds where the thread's own two memos (its last receive and send,
 * whatever the fd) do not: a server turning over many connections. Found, it becomes the thread's memo of
 * its side (it is the thread's last call of its kind now). zerocopy_flags: bit 0 set if the call's
 * fourth argument (sendto's flags) has MSG_ZEROCOPY, bit 1 if its third (sendmsg's) has, bit 2 if that
 * third has MSG_ERRQUEUE (recvmsg's): calls memo_cannot_repeat refuses. Returns 1 + that
 * side, 0 if not found. A global function, verified once: its loads through kernel pointers, inlined,
 * were verified again for every state of the hot path reaching them. 6.2+ builds. */
__noinline int fd_memo_promote(struct thread_state *state, __u64 nr, __s64 fd, __u64 zerocopy_flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fd_facts_entry *e;
	struct file *file, *f;
	__u32 index, side;
	__u64 word;
	__u8 sc;

	if (!state)
		return 0;
	file = file_of_fd(task, fd, true);
	if (!file)
		return 0;
	e = fd_entry_of(state->slot, fd, file);
	if (!e)
		return 0;
	f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	word = e->memo[0];
	if ((__u16)word != (__u16)nr)
		word = e->memo[1];
	if (word != fd_memo_word(nr, word >> 16, f->f_flags & O_DIRECT, state->counts.serial) ||
	    e->inode != (__u64)f->f_inode)
		return 0;
	index = ((word >> 16) & 0xff) - 1;
	if (index >= ZC_THREAD_PATHS)
		return 0;
	sc = state->counts.paths[index].key.syscall;
	if ((sc == ZC_SYS_SENDTO && (zerocopy_flags & 1)) || (sc == ZC_SYS_SENDMSG && (zerocopy_flags & 2)) ||
	    (sc == ZC_SYS_RECVMSG && (zerocopy_flags & 4)))
		return 0;
	side = is_receive(sc) ? 0 : 1;
	set_call_memo(&state->memo[side], file, f, &e->id, fd, sc, nr, index + 1);
	return side + 1;
}

/* The thread's memo of this call, from its own memos or else the fd table's (fd_memo_promote), as
 * repeated_call gives it. */
static __always_inline struct call_memo *memo_of_call(struct task_struct *task, struct thread_state *state,
						      struct pt_regs *regs, int *side, __u32 *index,
						      struct file **file)
{
	struct call_memo *m = repeated_call(task, state, regs, side, index, file);
	int found;

	if (likely(m))
		return m;
	if (!memo_nr(regs->orig_ax))
		return NULL;
	found = fd_memo_promote(state, regs->orig_ax, regs->di,
				!!(regs->r10 & MSG_ZEROCOPY) | (!!(regs->dx & MSG_ZEROCOPY) << 1) |
					(!!(regs->dx & MSG_ERRQUEUE) << 2));
	if (!found)
		return NULL;
	*side = (found - 1) & 1;
	m = &state->memo[*side];
	*index = m->path - 1;
	*file = m->file;
	return *index < ZC_THREAD_PATHS ? m : NULL;
}

/* Counts a repeat of the thread's last call of its kind on the same fd from the memos (the thread's, see
 * struct call_memo, then the fd table's): true if done, false, with nothing counted, for the full path. */
static __always_inline bool count_repeat(struct task_struct *task, struct thread_state *state, __u32 slot,
					 struct pt_regs *regs, long ret)
{
	struct call_memo *m;
	struct file *file = NULL;
	__u32 index = 0;
	int side = 0;

	if (unlikely(ret < 0))
		return false;
	m = memo_of_call(task, state, regs, &side, &index, &file);
	if (unlikely(!m || index >= ZC_THREAD_PATHS))
		return false;
	COUNT_CALL(&state->counts.paths[index], ret, ret);
	if (likely(ret > 0)) {
		/* the path's flags: a kTLS socket's sends are flows of their own */
		struct zc_path_key key = {.slot = slot, .syscall = m->sc, .flags = state->counts.paths[index].key.flags};
		struct path_files files = {};

		if (side == 0) {
			files.source.file = file;
			files.source.id = m->id;
		} else {
			files.sink.file = file;
			files.sink.id = m->id;
		}
		if (unlikely(!track_flow_inline(&key, &files, regs, ret, state, m)))
			track_flow_call(&key, &files, regs, ret, state);
	}
	return true;
}

/* Remembers a call that was counted in the thread's record (`path`: 1 + its index there), for
 * count_repeat. */
static __always_inline void remember_call(struct thread_state *state, __u8 sc, struct pt_regs *regs,
					  struct zc_path_key *key, struct path_files *files, __u32 path)
{
	int side = memo_side(sc);
	struct fd_facts_entry *fd_entry;
	struct path_end *end;
	struct call_memo *m;
	struct file *f;

	if (side < 0 || !path || (key->flags & (ZC_FLAG_BAD_FD | ZC_FLAG_MSG_ZEROCOPY)) ||
	    memo_cannot_repeat(sc, regs))
		return;
	end = side == 0 ? &files->source : &files->sink;
	if (!end->file)
		return;
	m = &state->memo[side];
	f = bpf_rdonly_cast(end->file, bpf_core_type_id_kernel(struct file));
	fd_entry = fd_entry_of(state->slot, regs->di, end->file);
	if (fd_entry)
		fd_entry->memo[side] = fd_memo_word(regs->orig_ax, path, f->f_flags & O_DIRECT, state->counts.serial);
	set_call_memo(m, end->file, f, &end->id, regs->di, sc, regs->orig_ax, path);
}

/* The (in, out) fds of a sendfile or copy_file_range. */
static __always_inline void pair_fds(long nr, struct pt_regs *regs, int *in_fd, int *out_fd)
{
	if (nr == ZC_NR_SENDFILE) { /* sendfile(out, in, ...) */
		*in_fd = regs->si;
		*out_fd = regs->di;
	} else { /* copy_file_range(in, off_in, out, ...) */
		*in_fd = regs->di;
		*out_fd = regs->dx;
	}
}

/* Counts a repeat of the thread's last sendfile or copy_file_range (struct pair_memo): 1 if done. Out of
 * line (the caller tests the syscall number first): inlined, it made on_sys_exit too many paths for the
 * verifier. */
static __noinline int count_pair_repeat(struct task_struct *task, struct thread_state *state, struct pt_regs *regs,
					long ret)
{
	struct pair_memo *m;
	long nr = regs->orig_ax;
	__u32 path, flow;
	int in_fd, out_fd;

	if (!state || ret < 0)
		return false;
	m = &state->pair;
	if (m->nr != nr || !m->path)
		return false;
	pair_fds(nr, regs, &in_fd, &out_fd);
	if (in_fd != m->in_fd || out_fd != m->out_fd ||
	    !still_open(task, in_fd, m->in_file, m->in_inode, m->in_flags) ||
	    !still_open(task, out_fd, m->out_file, m->out_inode, m->out_flags))
		return false;
	path = m->path - 1;
	flow = m->flow - 1;
	if (path >= ZC_THREAD_PATHS || flow >= ZC_THREAD_FLOWS)
		return false;
	COUNT_CALL(&state->counts.paths[path], ret, ret);
	if (ret > 0) {
		state->counts.flows[flow].bytes += ret;
		state->counts.flows[flow].chunks++;
	}
	return true;
}

/* Remembers a sendfile or copy_file_range counted in the thread's record (path: 1 + its index) whose
 * flow is in the record too, for count_pair_repeat. */
static __always_inline void remember_pair(struct thread_state *state, struct pt_regs *regs,
					  struct zc_path_key *key, struct path_files *files)
{
	struct zc_flow_key *fk;
	struct file *in, *out;
	struct pair_memo *m;
	__u32 path = 0;
	int in_fd, out_fd;
	long nr;
	__u8 sc;

	if (!state || !key || !files)
		return;
	fk = &state->flow_key;
	m = &state->pair;
	nr = regs->orig_ax;
	sc = key->syscall;
	if ((sc != ZC_SYS_SENDFILE && sc != ZC_SYS_COPY_FILE_RANGE) || (key->flags & ZC_FLAG_BAD_FD) ||
	    !files->source.file || !files->sink.file)
		return;
	path = thread_path_index(state, key);
	if (!path)
		return;
	fk->slot = key->slot;
	fk->method = sc == ZC_SYS_SENDFILE ? ZC_FLOW_SENDFILE : ZC_FLOW_COPY_FILE_RANGE;
	fk->flags = key->flags & ZC_FLOW_KEY_FLAGS;
	fk->source = files->source.id;
	fk->sink = files->sink.id;
	for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < state->counts.nflows; i++) {
		if (!same_flow(&state->counts.flows[i].key, fk))
			continue;
		pair_fds(nr, regs, &in_fd, &out_fd);
		in = bpf_rdonly_cast(files->source.file, bpf_core_type_id_kernel(struct file));
		out = bpf_rdonly_cast(files->sink.file, bpf_core_type_id_kernel(struct file));
		m->in_file = files->source.file;
		m->out_file = files->sink.file;
		m->in_inode = in->f_inode;
		m->out_inode = out->f_inode;
		m->in_flags = in->f_flags;
		m->out_flags = out->f_flags;
		m->in_fd = in_fd;
		m->out_fd = out_fd;
		m->nr = nr;
		m->path = path;
		m->flow = i + 1;
		break;
	}
}

/* The same, then a sendfile or copy_file_range whose path and flow are now in the thread's record is
 * remembered for count_pair_repeat (6.2+ builds: it loads the files directly). */
static __noinline void track_flow_and_remember(struct zc_path_key *key, struct path_files *files,
					       struct pt_regs *regs, __u64 bytes, struct thread_state *state)
{
	track_flow_rest(key->slot, key->syscall, key, files, regs, bytes, state);
	remember_pair(state, regs, key, files);
	asm volatile("r0 = 0" ::: "r0");
}

/* The key of the syscall in flight, for the programs that fire inside it (skb copies, transmits) in a
 * 6.2+ build: from the thread's memo when the call repeats the thread's last call of its kind on the same
 * fd, the common case of a transfer loop. False if not: the caller classifies the fds. */
static __always_inline int inflight_key_from_memo(struct task_struct *task, struct thread_state *state,
						  struct pt_regs *regs, struct zc_path_key *key)
{
	struct file *file = NULL;
	__u32 index = 0;
	int side = 0;

	if (!state)
		return -1;
	if (!memo_of_call(task, state, regs, &side, &index, &file))
		return -1;
	if (index >= ZC_THREAD_PATHS)
		return -1;
	*key = state->counts.paths[index].key;
	return index;
}

/* The key of the syscall in flight (sc), by the build's means. Returns the path's index in the thread's
 * record when the memo had the call (6.2+ builds), else -1. */
static __always_inline int inflight_key(struct task_struct *task, struct thread_state *state,
					struct pt_regs *regs, __u32 slot, __u8 sc, struct zc_path_key *key,
					const bool direct)
{
	struct path_files files = {};
	int index = -1;

	key->slot = slot;
	key->syscall = sc;
	if (!direct)
		path_key_compat(task, key, regs, &files, NULL);
	else if ((index = inflight_key_from_memo(task, state, regs, key)) < 0)
		path_key_direct(task, key, regs, &files, state);
	return index;
}

/* A setsockopt that changes what a socket asks of the kernel for its sends (SO_ZEROCOPY, the "tls" ULP,
 * its TLS keys) and so the path key of its calls: the fd's classification, and the memos that would count
 * its calls on the old path, are forgotten. The thread's own memos only: another thread's memo of the fd
 * holds until its next miss. A global function: verified once, off the hot path. */
__noinline int forget_socket_options(struct thread_state *state, __u32 slot, __s64 fd, __u64 level, __u64 optname)
{
	struct fd_facts_entry *e;
	__u32 index;

	if (!((level == SOL_SOCKET && optname == SO_ZEROCOPY) || (level == SOL_TCP && optname == TCP_ULP) ||
	      level == SOL_TLS))
		return 0;
	index = fd_facts_index(slot, fd);
	e = bpf_map_lookup_elem(&fd_facts, &index);
	if (e && e->slot == slot && e->fd == fd)
		e->check = 0;
	if (!state)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (state->memo[i].fd == fd)
			state->memo[i].path = 0;
	}
	if (state->pair.in_fd == fd || state->pair.out_fd == fd)
		state->pair.path = 0;
	return 0;
}

#endif /* ZCTRACE_MEMO_BPF_H */
