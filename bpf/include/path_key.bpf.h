/* SPDX-License-Identifier: GPL-2.0 */
/* path_key.bpf.h — a syscall's path key (syscall, source kind, sink kind, flags) from its arguments. */
#ifndef ZCTRACE_PATH_KEY_BPF_H
#define ZCTRACE_PATH_KEY_BPF_H

/* The two ends of a path. */
struct path_files {
	struct path_end source;
	struct path_end sink;
};

/* The sink socket's kTLS bits of the path flags: the kernel encrypts, in software or on the NIC. */
static __always_inline __u8 ktls_path_flags(__u8 socket_flags)
{
	if (!(socket_flags & SOCKET_KTLS))
		return 0;
	if (socket_flags & SOCKET_KTLS_DEVICE_ZEROCOPY)
		return ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY;
	if (socket_flags & SOCKET_KTLS_DEVICE)
		return ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE;
	return ZC_FLAG_SINK_KTLS;
}

/* Fills the path key of an accounted syscall from its arguments (x86_64: di, si, dx, r10, r8, r9). */
static __always_inline void build_path_key(struct task_struct *task, struct zc_path_key *key, __u8 sc,
					   struct pt_regs *regs, struct path_files *files,
					   struct thread_state *state, const bool direct)
{
	/* one fd's facts at a time, used up before the next fd's: one stack slot, not two */
	struct fd_facts facts;
	__u8 flags = 0;

	key->syscall = sc;
	if (is_receive(sc)) {
		facts = classify_fd(task, regs->di, &flags, &files->source, state, direct);
		key->source = facts.kind;
		key->sink = ZC_KIND_USER;
		if (facts.loopback)
			flags |= ZC_FLAG_SOURCE_LOOPBACK;
	} else if (is_send(sc)) {
		__u64 msg_flags = 0;

		facts = classify_fd(task, regs->di, &flags, &files->sink, state, direct);
		key->source = ZC_KIND_USER;
		key->sink = facts.kind;
		if (facts.loopback)
			flags |= ZC_FLAG_SINK_LOOPBACK;
		if (sc == ZC_SYS_SENDTO || sc == ZC_SYS_SENDMMSG)
			msg_flags = regs->r10;
		else if (sc == ZC_SYS_SENDMSG)
			msg_flags = regs->dx;
		/* MSG_ZEROCOPY is ignored by the kernel unless the socket has SO_ZEROCOPY */
		if ((msg_flags & MSG_ZEROCOPY) && (facts.socket_flags & SOCKET_ZEROCOPY))
			flags |= ZC_FLAG_MSG_ZEROCOPY;
		flags |= ktls_path_flags(facts.socket_flags);
		if (facts.kind == ZC_KIND_TCP && !(facts.socket_flags & SOCKET_KTLS) &&
		    sends_tls_records(state, sc, regs, files->sink.file))
			flags |= ZC_FLAG_SINK_USER_TLS;
		if (facts.socket_flags & SOCKET_NO_SG)
			flags |= ZC_FLAG_SINK_NO_SG;
	} else if (sc == ZC_SYS_MMAP) {
		if (regs->r10 & MAP_ANONYMOUS) {
			key->source = ZC_KIND_ANON;
		} else {
			facts = classify_fd(task, regs->r8, &flags, &files->source, state, direct);
			key->source = facts.kind;
		}
		key->sink = ZC_KIND_USER;
	} else if (sc == ZC_SYS_MUNMAP) {
		/* the fd is long gone: munmap only says how much was unmapped */
		key->source = ZC_KIND_OTHER;
		key->sink = ZC_KIND_USER;
	} else if (sc == ZC_SYS_VMSPLICE) {
		/* vmsplice on a pipe's write end maps user pages in; on its read end it copies out */
		struct path_end pipe;

		facts = classify_fd(task, regs->di, &flags, &pipe, state, direct);
		if (facts.writable) {
			key->source = ZC_KIND_USER;
			key->sink = facts.kind;
			files->sink = pipe;
		} else {
			key->source = facts.kind;
			key->sink = ZC_KIND_USER;
			files->source = pipe;
		}
	} else {
		/* sendfile(out, in, ...); splice(in, off, out, ...); tee(in, out, ...);
		 * copy_file_range(in, off, out, ...) */
		int in_fd = regs->di, out_fd = regs->dx;

		if (sc == ZC_SYS_SENDFILE) {
			in_fd = regs->si;
			out_fd = regs->di;
		} else if (sc == ZC_SYS_TEE) {
			out_fd = regs->si;
		}
		facts = classify_fd(task, in_fd, &flags, &files->source, state, direct);
		key->source = facts.kind;
		if (facts.loopback)
			flags |= ZC_FLAG_SOURCE_LOOPBACK;
		facts = classify_fd(task, out_fd, &flags, &files->sink, state, direct);
		key->sink = facts.kind;
		if (facts.loopback)
			flags |= ZC_FLAG_SINK_LOOPBACK;
		flags |= ktls_path_flags(facts.socket_flags);
		if (facts.socket_flags & SOCKET_NO_SG)
			flags |= ZC_FLAG_SINK_NO_SG;
	}
	key->flags = flags;
}

/* The path key's build as a subprogram, one per build: the classification's locals get a frame of their
 * own instead of growing every caller's (the verifier sums a call chain's frames against 512 bytes). A
 * call costs a speculation barrier here (AMD's SRSO "safe RET"), so the memo's repeats never make it:
 * only calls the memo misses do. */
static __noinline void path_key_compat(struct task_struct *task, struct zc_path_key *key, struct pt_regs *regs,
				       struct path_files *files, struct thread_state *state)
{
	/* five arguments at most: the syscall comes in the key */
	build_path_key(task, key, key->syscall, regs, files, state, false);
	/* the verifier refuses a subprogram that leaves a stack address in r0, and clang leaves r0 as it
	 * is in a function whose result nobody uses: clear it */
	asm volatile("r0 = 0" ::: "r0");
}

/* The direct build, for account_call and for the programs that fire inside a syscall (skb copies,
 * transmits) and find no memo for it, such as a splice loop's every skb. With the fd table
 * (state) its two fds cost two cache checks instead of two classifications by probe reads. */
static __noinline void path_key_direct(struct task_struct *task, struct zc_path_key *key, struct pt_regs *regs,
				       struct path_files *files, struct thread_state *state)
{
	build_path_key(task, key, key->syscall, regs, files, state, true);
	asm volatile("r0 = 0" ::: "r0"); /* as in path_key_compat */
}

#endif /* ZCTRACE_PATH_KEY_BPF_H */
