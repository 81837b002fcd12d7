/* SPDX-License-Identifier: GPL-2.0 */
/* counting.bpf.h — counting a call of a path: in the thread's record when it is there, else in the shared map. */
#ifndef ZCTRACE_COUNTING_BPF_H
#define ZCTRACE_COUNTING_BPF_H

struct mmsg_sum_ctx {
	struct mmsghdr *vec;
	__u64 bytes;
};

static long add_mmsg_len(__u64 index, struct mmsg_sum_ctx *ctx)
{
	unsigned int len = 0;

	bpf_probe_read_user(&len, sizeof(len), &ctx->vec[index].msg_len);
	ctx->bytes += len;
	return 0;
}

/* sendmmsg/recvmmsg return a message count; the bytes are in each mmsghdr's msg_len. */
static __noinline __u64 mmsg_bytes(struct pt_regs *regs, long messages)
{
	struct mmsg_sum_ctx ctx = {.vec = (struct mmsghdr *)regs->si};

	if (messages > ZC_MAX_MMSG)
		messages = ZC_MAX_MMSG;
	bpf_loop(messages, add_mmsg_len, &ctx, 0);
	return ctx.bytes;
}

/* The new path's first value, from .rodata: a zeroed struct on the stack would cost every caller's frame
 * its 184 bytes (the verifier allows 512 for a program's whole call chain). */
const struct zc_path_counters zero_path_counters = {};

static __always_inline struct zc_path_counters *path_counters(struct zc_path_key *key)
{
	struct zc_path_counters *counters = bpf_map_lookup_elem(&paths, key);

	if (counters)
		return counters;
	/* EEXIST (another CPU inserted it first) is fine: the lookup below finds it either way */
	bpf_map_update_elem(&paths, key, (void *)&zero_path_counters, BPF_NOEXIST);
	counters = bpf_map_lookup_elem(&paths, key);
	if (!counters)
		count_health(PATH_MAP_FULL);
	return counters;
}

#define COUNT_CALL(c, ret_, moved_)          \
	do {                                 \
		(c)->calls++;                \
		if ((ret_) < 0)              \
			(c)->errors++;       \
		else                         \
			(c)->bytes += (moved_); \
	} while (0)

/* 1 + the index of the path's entry in the thread's record, 0 if the record has none. */
static __always_inline __u32 thread_path_index(struct thread_state *state, const struct zc_path_key *key)
{
	__u64 wanted = *(const __u64 *)key;
	__u32 used = state->counts.npaths;

	for (__u32 i = 0; i < ZC_THREAD_PATHS && i < used; i++) {
		if (*(__u64 *)&state->counts.paths[i].key == wanted)
			return i + 1;
	}
	return 0;
}

/* Counts one call of a path, the hot path's case: the path is already in the thread's record (no map
 * update), inlined (a call costs a speculation barrier here). 1 + its index there, 0 if it is not there:
 * then count_new_path counts it. */
static __always_inline __u32 count_in_thread_record(struct thread_state *state, struct zc_path_key *key,
						    long ret, __u64 bytes)
{
	__u64 wanted = *(__u64 *)key;
	__u32 used = state->counts.npaths;

	/* thread_path_index's search, with the count where the entry is found: a count after the loop
	 * would index the record by a returned value, which costs the hot path a bounds check */
	for (__u32 i = 0; i < ZC_THREAD_PATHS && i < used; i++) {
		struct zc_thread_path *p = &state->counts.paths[i];

		if (*(__u64 *)&p->key == wanted) {
			COUNT_CALL(p, ret, bytes);
			return i + 1;
		}
	}
	return 0;
}

/* Counts one call of a path that the thread's record does not hold (count_in_thread_record looked first):
 * in a new entry of the record when there is room for it (a busy thread's later calls then take the hot
 * path), else in the shared per-CPU map. A path enters the thread's record only once the map holds it too,
 * so that a full map is counted when the path first appears, as for any other path, and the device-side
 * programs find it to add their events to. Returns 1 + the path's index in the thread's record, 0 if it
 * was counted in the map. */
__noinline int count_new_path(struct thread_state *state, struct zc_path_key *key, long ret, __u64 bytes)
{
	struct zc_path_counters *counters;
	struct zc_path_key local;

	/* a global function: verified once, not again for every path through on_sys_exit */
	if (!key)
		return 0;
	/* map helpers take a key on the stack (6.1 refuses the argument's own memory) */
	local = *key;
	key = &local;

	/* mapping calls are rare after start-up: they must not take the entries of the loop's paths */
	if (state && key->syscall != ZC_SYS_MMAP && key->syscall != ZC_SYS_MUNMAP) {
		struct zc_thread_counts *tc = &state->counts;
		__u32 used = tc->npaths;

		if (used < ZC_THREAD_PATHS) {
			struct zc_thread_path *p = &tc->paths[used];

			if (!path_counters(key))
				return 0; /* counted as path_map_full */
			p->key = *key;
			/* the iterator may read the record meanwhile: the key is in place before npaths covers it */
			barrier();
			tc->npaths = used + 1;
			COUNT_CALL(p, ret, bytes);
			return used + 1;
		}
	}
	counters = path_counters(key);
	if (counters)
		COUNT_CALL(counters, ret, bytes);
	return 0;
}

#endif /* ZCTRACE_COUNTING_BPF_H */
