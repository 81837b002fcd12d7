/* SPDX-License-Identifier: GPL-2.0 */
/* provenance.bpf.h — where a write's bytes come from: the user memory each read filled, remembered per process
 * with the endpoint it came from, so that a write is paired with the reads that filled its buffer, in whichever
 * of the process's threads they ran (a thread pool reads, an event loop writes). A write from memory no
 * remembered read filled is "from memory". */
#ifndef ZCTRACE_PROVENANCE_BPF_H
#define ZCTRACE_PROVENANCE_BPF_H

/* A range of user memory a read filled (end 0: none). */
struct filled_range {
	__u64 start;
	__u64 end;
	struct zc_endpoint_id source;
	__u64 written; /* how far from start its bytes were written since the fill (a range forgotten
			* unwritten is counted) */
};

/* A power of two: a relay's buffers in flight (nginx reads a file in 32 KiB buffers, a proxy holds a
 * buffer per direction), with room for a process's other reads. */
#define FILLED_RANGES 16

struct process_fills {
	struct filled_range ranges[FILLED_RANGES];
	__u32 next;       /* the entry the next new fill takes */
	__u32 generation; /* bumped by every fill that changed the entries: threads' "from memory" expires */
};

/* By process slot (userspace sets max_entries to --max-processes). Threads of a process update it without a
 * lock: two fills racing for one entry can leave it mixed, which pairs at most that entry's bytes wrongly. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, struct process_fills);
} fills SEC(".maps");

static __always_inline bool same_endpoint(const struct zc_endpoint_id *a, const struct zc_endpoint_id *b)
{
	return a->ino == b->ino && a->dev == b->dev;
}

/* The user buffers of a receive- or send-like call (where the syscall table's BUFFERS column says: a buffer,
 * an iovec array and its length, or a msghdr), as far as its `bytes` reached, into state->buffers: how
 * many. A vectored call's first ZC_MAX_BUFFERS iovecs; sendmmsg and recvmmsg none (their bytes stay
 * unpaired). A
 * global function: verified once (its loop's many ways out, inlined, multiplied the states of the code
 * after it). */
__noinline int call_buffers(struct thread_state *state, __u32 sc, __u64 arg2, __u64 arg3, __u64 bytes)
{
	struct iovec *iov = NULL;
	__u64 count = 0;
	__u32 n = 0;

	if (!state)
		return 0;
	state->nbuffers = 0;
	switch (buffers_of(sc)) {
	case ZC_BUFFERS_BUFFER:
		state->buffers[0].addr = arg2;
		state->buffers[0].len = bytes;
		state->nbuffers = 1;
		return 1;
	case ZC_BUFFERS_IOVEC:
		iov = (struct iovec *)arg2;
		count = arg3;
		break;
	case ZC_BUFFERS_MSGHDR: {
		struct user_msghdr *msg = (struct user_msghdr *)arg2;

		bpf_probe_read_user(&iov, sizeof(iov), &msg->msg_iov);
		bpf_probe_read_user(&count, sizeof(count), &msg->msg_iovlen);
		break;
	}
	default:
		return 0;
	}
	for (__u32 i = 0; i < ZC_MAX_BUFFERS; i++) {
		struct iovec v = {};
		__u64 len;

		if (i >= count || !bytes)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), &iov[i]))
			break;
		len = v.iov_len < bytes ? v.iov_len : bytes;
		state->buffers[i].addr = (__u64)v.iov_base;
		state->buffers[i].len = len;
		bytes -= len;
		n = i + 1;
	}
	state->nbuffers = n;
	return n;
}

/* Remembers that [start, end) now holds bytes from `source`. The entries stay disjoint: those the fill
 * covers are dropped (the first one is reused), those it overlaps are cut back. Returns the entry's index.
 * A global function: verified once, not once per buffer and path of its callers (it was most of
 * on_sys_exit's load time). The entry to reuse is kept in state->fill_take, not in a variable whose every
 * value the verifier would follow through the loop. */
__noinline int remember_fill(struct thread_state *state, struct process_fills *pf, __u64 start, __u64 end,
			     struct zc_endpoint_id *source)
{
	__u32 take;

	if (!state || !pf || !source)
		return 0;
	state->fill_take = FILLED_RANGES;
	for (__u32 i = 0; i < FILLED_RANGES; i++) {
		struct filled_range *e = &pf->ranges[i];

		if (!e->end || e->end <= start || end <= e->start)
			continue;
		if (e->start >= start && e->end <= end) {
			if (state->fill_take == FILLED_RANGES)
				state->fill_take = i;
			else
				e->end = 0;
		} else if (e->start < start) {
			e->end = start; /* its head keeps its bytes (a tail beyond the fill is forgotten) */
		} else {
			/* its tail keeps its bytes, and its write cursor stays where it was */
			__u64 cursor = e->start + e->written;

			e->start = end;
			e->written = cursor > end ? cursor - end : 0;
		}
	}
	take = state->fill_take;
	if (take == FILLED_RANGES) {
		take = __sync_fetch_and_add(&pf->next, 1) & (FILLED_RANGES - 1);
		if (pf->ranges[take].end && !pf->ranges[take].written)
			count_health(FILLS_FORGOTTEN);
	}
	take &= FILLED_RANGES - 1;
	pf->ranges[take].start = start;
	pf->ranges[take].end = end;
	pf->ranges[take].source = *source;
	pf->ranges[take].written = 0;
	return take;
}

/* A receive filled state->buffers from `source`: remembered in its process's fills. A global function:
 * verified once. */
__noinline int remember_fills(struct thread_state *state, struct zc_endpoint_id *source)
{
	struct process_fills *pf;
	__u32 taken = 0, slot;

	if (!state || !source)
		return 0;
	slot = state->slot_index; /* a map key on the stack: 6.1 refuses a global function's argument memory */
	pf = bpf_map_lookup_elem(&fills, &slot);
	if (!pf)
		return 0;
	for (__u32 i = 0; i < ZC_MAX_BUFFERS && i < state->nbuffers; i++) {
		__u64 start = state->buffers[i].addr;

		if (state->buffers[i].len)
			taken = remember_fill(state, pf, start, start + state->buffers[i].len, source) & (FILLED_RANGES - 1);
	}
	__sync_fetch_and_add(&pf->generation, 1);
	state->fill_hint = taken + 1;
	return 0;
}

/* bpf_loop's context, on the stack (its bytes paired go to state->paired: the deepest chain's frames) */
struct pairing {
	struct thread_state *state;
	struct process_fills *pf;
};

/* One (buffer, fill) pair of a write: the bytes where they overlap came from the fill's source. */
static long pair_with_fill(__u64 index, struct pairing *p)
{
	struct thread_state *state = p->state;
	__u32 b = (index / FILLED_RANGES) & (ZC_MAX_BUFFERS - 1);
	struct filled_range *e = &p->pf->ranges[index & (FILLED_RANGES - 1)];
	__u64 start = state->buffers[b].addr, end = start + state->buffers[b].len;
	__u64 from = e->start > start ? e->start : start;
	__u64 to = e->end < end ? e->end : end;
	__u32 n = state->nsources;

	if (b >= state->nbuffers || to <= from)
		return 0;
	/* a fill's bytes pair once, in order: a relay writes a fill from its start on, the rest of a short
	 * write next. Writing them again (a generator sending one buffer it read once) costs no new read: from
	 * memory; and memory the program reused since a read (a stack frame, a freed and reallocated buffer) is
	 * written from elsewhere in it as often as not: from memory too, not from that read */
	if (from != e->start + e->written)
		return 0;
	e->written = to - e->start;
	state->send_hint = (index & (FILLED_RANGES - 1)) + 1;
	for (__u32 i = 0; i < ZC_WRITE_SOURCES; i++) {
		if (i >= n)
			break;
		if (same_endpoint(&state->sources[i].source, &e->source)) {
			state->sources[i].bytes += to - from;
			state->paired += to - from;
			return 0;
		}
	}
	if (n < ZC_WRITE_SOURCES) {
		state->sources[n].source = e->source;
		state->sources[n].bytes = to - from;
		state->nsources = n + 1;
		state->paired += to - from;
	}
	return 0;
}

/* Whether any of the process's fills overlaps the span of the write's n buffers (from the lowest start to
 * the highest end: a superset, the pairing then tells). Without a branch per fill: user addresses are
 * below 2^63, so a difference's top bit is the comparison (and the verifier walks the loop once). */
static __always_inline bool fills_overlap(struct thread_state *state, struct process_fills *pf, __u32 n)
{
	__u64 low = ~0ull, high = 0, any = 0;

	for (__u32 b = 0; b < ZC_MAX_BUFFERS && b < n; b++) {
		__u64 start = state->buffers[b].addr, end = start + state->buffers[b].len;

		low = start < low ? start : low;
		high = end > high ? end : high;
	}
	for (__u32 i = 0; i < FILLED_RANGES; i++) /* fill end > low, and fill start < high */
		any |= ((low - pf->ranges[i].end) & (pf->ranges[i].start - high)) >> 63;
	return any;
}

/* Where the bytes of a write from state->buffers came from: its process's fills, into state->sources
 * (state->nsources of them). Returns the bytes paired; the rest are from memory (and a single buffer all
 * from memory is remembered as such). A global function. */
__noinline __u64 find_write_sources(struct thread_state *state)
{
	struct pairing p = {};
	__u32 n, slot;

	if (!state)
		return 0;
	slot = state->slot_index; /* as in remember_fills */
	state->nsources = 0;
	state->paired = 0;
	state->send_hint = 0;
	p.state = state;
	p.pf = bpf_map_lookup_elem(&fills, &slot);
	n = state->nbuffers < ZC_MAX_BUFFERS ? state->nbuffers : ZC_MAX_BUFFERS;
	if (!p.pf || !n)
		return 0;
	/* pairing calls pair_with_fill once per (buffer, fill): a write from memory no fill overlaps (a
	 * server's response header) skips them all */
	if (fills_overlap(state, p.pf, n))
		bpf_loop(n * FILLED_RANGES, pair_with_fill, &p, 0);
	if (!state->paired && n == 1) {
		/* all from memory: a loop sending from this buffer stays on track_flow_inline's path until a
		 * read fills something */
		state->memory_start = state->buffers[0].addr;
		state->memory_end = state->buffers[0].addr + state->buffers[0].len;
		state->memory_generation = p.pf->generation;
	}
	return state->paired;
}

/* The calling thread unmapped [start, end): reads into that memory are forgotten, for the address may come
 * back as other memory. */
static __noinline void forget_fills(__u32 slot, __u64 start, __u64 end)
{
	struct process_fills *pf;

	slot = slot_index(slot);
	pf = bpf_map_lookup_elem(&fills, &slot);

	if (!pf)
		return;
	for (__u32 i = 0; i < FILLED_RANGES; i++) {
		struct filled_range *e = &pf->ranges[i];

		if (e->end && e->start < end && start < e->end)
			e->end = 0;
	}
	__sync_fetch_and_add(&pf->generation, 1);
}

#endif /* ZCTRACE_PROVENANCE_BPF_H */
