/* SPDX-License-Identifier: GPL-2.0 */
/* flows.bpf.h — flows: pairing what a thread reads with what it writes, and single-call transfers (sendfile,
 * splice, tee, vmsplice, copy_file_range). */
#ifndef ZCTRACE_FLOWS_BPF_H
#define ZCTRACE_FLOWS_BPF_H

/* A new flow's first value, from .rodata (a zeroed struct on the stack would grow the frame). */
const struct zc_flow_counters zero_flow_counters = {};

/* The flow's shared counters, made (and its ends named) at first sight. Inlined into add_flow, its
 * only caller: a frame of its own would lengthen the call chain under on_sys_exit. */
static __always_inline struct zc_flow_counters *flow_counters(struct zc_flow_key *key, struct file *source_file,
							struct file *sink_file)
{
	struct zc_flow_counters *c = bpf_map_lookup_elem(&flows, key);

	if (!c) {
		/* first sight of this flow: name its ends while their files are at hand */
		if (source_file)
			register_endpoint(source_file, &key->source);
		if (sink_file)
			register_endpoint(sink_file, &key->sink);
		bpf_map_update_elem(&flows, key, (void *)&zero_flow_counters, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&flows, key);
		if (!c)
			count_health(FLOW_MAP_FULL);
	}
	return c;
}

static __always_inline bool same_flow(const struct zc_flow_key *a, const struct zc_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* 1 + the index of the flow's entry in the thread's record, 0 if the record has none. */
static __always_inline __u32 thread_flow_index(struct thread_state *state, const struct zc_flow_key *key)
{
	for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < state->counts.nflows; i++) {
		if (same_flow(&state->counts.flows[i].key, key))
			return i + 1;
	}
	return 0;
}

static __always_inline void count_flow_chunk(struct zc_thread_flow *f, __u64 bytes)
{
	f->bytes += bytes;
	f->chunks++;
}

/* A flow's chunk, counted in the thread's record when the flow is there: true if so. A global function:
 * verified once, not again for each of the places a flow is counted from. */
__noinline int count_thread_flow(struct thread_state *state, struct zc_flow_key *key, __u64 bytes)
{
	__u32 index;

	if (!state || !key)
		return 0;
	index = thread_flow_index(state, key);
	if (!index || index > ZC_THREAD_FLOWS)
		return 0;
	count_flow_chunk(&state->counts.flows[index - 1], bytes);
	return 1;
}

/* Gives the flow an entry in the thread's record, counting this chunk there, if there is room. */
__noinline int claim_thread_flow(struct thread_state *state, struct zc_flow_key *key, __u64 bytes)
{
	__u32 used;

	if (!state || !key)
		return 0;
	used = state->counts.nflows;
	if (used >= ZC_THREAD_FLOWS)
		return 0;
	state->counts.flows[used].key = *key;
	count_flow_chunk(&state->counts.flows[used], bytes);
	barrier(); /* the entry is complete before nflows covers it (the iterator may read meanwhile) */
	state->counts.nflows = used + 1;
	return 1;
}

/* Counts a flow's chunk like count_new_path counts a path: in the thread's record when it is there or
 * there is room, else in the shared map. A flow enters the record once the map holds it (and its ends
 * are named), so that a full map is counted at first sight. */
static __noinline void add_flow(struct zc_flow_key *key, struct file *source_file, struct file *sink_file,
				__u64 bytes, struct thread_state *state)
{
	struct zc_flow_counters *c;

	if (count_thread_flow(state, key, bytes))
		return;
	c = flow_counters(key, source_file, sink_file);
	if (!c || claim_thread_flow(state, key, bytes))
		return;
	c->bytes += bytes;
	c->chunks++;
}

/* The bytes of a write that pair with bytes read before and not yet written, taken from the thread's
 * unwritten count: a relay writes what it read, so a thread that read a config file once is not a relay
 * of everything it writes afterwards. */
static __always_inline __u64 take_paired(struct thread_state *state, __u64 bytes)
{
	__u64 paired = bytes < state->unwritten ? bytes : state->unwritten;

	state->unwritten -= paired;
	return paired;
}

/* The flow a call continues, in its common cases, inlined into the hot path (each call costs a
 * speculation barrier there): a read from the source the thread read last, and a write from anonymous
 * memory of bytes read before whose flow is already in the thread's record (memo: the fd's memo, which
 * may point at that flow). True if done; false, with nothing changed, for track_flow_rest. */
static __always_inline bool track_flow_inline(struct zc_path_key *key, struct path_files *files,
					      struct pt_regs *regs, __u64 bytes, struct thread_state *state,
					      struct call_memo *memo)
{
	__u8 sc = key->syscall;

	if (sc >= ZC_SYS_IO_URING_READ)
		return true; /* no flow is kept for them */
	if (is_receive(sc)) {
		if (!files->source.file || !state->has_read || state->last_read.ino != files->source.id.ino ||
		    state->last_read.dev != files->source.id.dev)
			return false;
		state->unwritten += bytes;
		return true;
	}
	if (!is_send(sc) || !files->sink.file)
		return false;
	{
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &key->slot);
		/* the thread's flow key, not one on the stack: on_sys_exit's frame is the base of every call
		 * chain beneath it */
		struct zc_flow_key *fk = &state->flow_key;
		__u32 index;

		if (!proc)
			return false;
		if (proc->flags & ZC_PROC_FILE_MMAP) {
			/* only a buffer known to be anonymous (the thread's remembered VMA) stays on this path */
			__u64 addr = regs->si;

			if ((sc != ZC_SYS_WRITE && sc != ZC_SYS_PWRITE && sc != ZC_SYS_SENDTO) ||
			    !last_write_buffer_anonymous(state, proc->mapping_generation, addr))
				return false;
		}
		if (!state->has_read || !state->unwritten)
			return true; /* nothing read to pair with: no flow */
		if (memo && memo->flow && state->last_read.ino == memo->flow_source.ino &&
		    state->last_read.dev == memo->flow_source.dev) {
			/* the same source as this fd's last send: the flow the memo points at */
			index = memo->flow;
		} else {
			fk->slot = key->slot;
			fk->method = ZC_FLOW_READ_WRITE;
			fk->source = state->last_read;
			fk->sink = files->sink.id;
			index = thread_flow_index(state, fk);
			if (!index)
				return false;
			if (memo) {
				memo->flow = index;
				memo->flow_source = state->last_read;
			}
		}
		if (index > ZC_THREAD_FLOWS)
			return false;
		count_flow_chunk(&state->counts.flows[index - 1], take_paired(state, bytes));
		return true;
	}
}

/* A flow of `method` from source to sink (endpoint ids), by the process in `slot`: fills the thread's
 * flow key (in its state, not on the BPF stack: the call chain under on_sys_exit must stay well within
 * the verifier's 512 bytes) and counts the chunk. */
#define ADD_FLOW(slot_, method_, source_id, source_file, sink_id, sink_file, bytes_)                       \
	do {                                                                                                \
		state->flow_key.slot = (slot_);                                                             \
		state->flow_key.method = (method_);                                                         \
		state->flow_key.source = *(source_id);                                                      \
		state->flow_key.sink = *(sink_id);                                                          \
		add_flow(&state->flow_key, (source_file), (sink_file), (bytes_), state);                    \
	} while (0)

/* The flow a call makes or continues, in the cases track_flow_inline declined (it runs first): a read
 * from a new source, a write the thread's record has no flow for or from a buffer that may be a mapped
 * file, and the single-call methods (sendfile, splice, tee, vmsplice, copy_file_range). */
static __always_inline void track_flow_rest(__u32 slot, __u8 sc, struct zc_path_key *key, struct path_files *files,
					    struct pt_regs *regs, __u64 bytes, struct thread_state *state)
{
	struct zc_endpoint_id *source = &files->source.id, *sink = &files->sink.id;

	if (is_receive(sc)) {
		if (!files->source.file)
			return;
		/* the thread turned to a new source: name it now, while the file is at hand */
		register_endpoint(files->source.file, source);
		state->last_read = *source;
		state->has_read = 1;
		state->unwritten = bytes;
		return;
	}
	if (!files->sink.file)
		return;
	if (is_send(sc)) {
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);

		/* only processes that mapped a file pay for the VMA lookup */
		if (proc && (proc->flags & ZC_PROC_FILE_MMAP)) {
			struct file *mapped = write_buffer_file(sc, regs, state, proc->mapping_generation);

			if (mapped) {
				state->mapped_source = endpoint_of(mapped);
				ADD_FLOW(slot, ZC_FLOW_MMAP_WRITE, &state->mapped_source, mapped, sink, files->sink.file,
					 bytes);
				return;
			}
		}
		if (state->has_read && state->unwritten)
			ADD_FLOW(slot, ZC_FLOW_READ_WRITE, &state->last_read, NULL, sink, files->sink.file,
				 take_paired(state, bytes));
		return;
	}
	if (!files->source.file)
		return;
	switch (sc) {
	case ZC_SYS_SENDFILE:
		ADD_FLOW(slot, ZC_FLOW_SENDFILE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_COPY_FILE_RANGE:
		ADD_FLOW(slot, ZC_FLOW_COPY_FILE_RANGE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_TEE:
		ADD_FLOW(slot, ZC_FLOW_TEE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_VMSPLICE:
		ADD_FLOW(slot, ZC_FLOW_VMSPLICE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_SPLICE:
		ADD_FLOW(slot, ZC_FLOW_SPLICE, source, files->source.file, sink, files->sink.file, bytes);
		if (key->sink == ZC_KIND_PIPE) { /* first leg: remember where the pipe's bytes came from */
			state->splice_pipe = *sink;
			state->splice_origin = *source;
			state->has_splice = 1;
		} else if (key->source == ZC_KIND_PIPE && state->has_splice && state->splice_pipe.ino == source->ino &&
			   state->splice_pipe.dev == source->dev) {
			ADD_FLOW(slot, ZC_FLOW_SPLICE_RELAY, &state->splice_origin, NULL, sink, files->sink.file, bytes);
		}
		break;
	}
}

/* track_flow_rest as a subprogram: its locals get a frame of their own rather than growing its callers'
 * (the verifier sums a call chain's frames against 512 bytes). */
static __noinline void track_flow_call(struct zc_path_key *key, struct path_files *files, struct pt_regs *regs,
				       __u64 bytes, struct thread_state *state)
{
	track_flow_rest(key->slot, key->syscall, key, files, regs, bytes, state);
	asm volatile("r0 = 0" ::: "r0"); /* no stack address left in r0 (see path_key_compat) */
}

#endif /* ZCTRACE_FLOWS_BPF_H */
