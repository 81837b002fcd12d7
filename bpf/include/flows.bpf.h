/* SPDX-License-Identifier: GPL-2.0 */
/* flows.bpf.h — flows: pairing what a thread reads with what it writes, and single-call transfers (sendfile,
 * splice, tee, vmsplice, copy_file_range). */
#ifndef ZCTRACE_FLOWS_BPF_H
#define ZCTRACE_FLOWS_BPF_H

/* add_flow's copy of the flow key, for the map helpers. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_flow_key);
} flow_key_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ZC_FLOW_TABLE_ENTRIES);
	__type(key, __u32);
	__type(value, struct zc_flow_table_entry);
} flow_table SEC(".maps");

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

/* The first of the flow table's places for a key. */
static __always_inline __u32 flow_table_place(const struct zc_flow_key *key)
{
	const __u64 *w = (const __u64 *)key;
	__u64 h = w[0] ^ (w[1] * 0x9e3779b97f4a7c15ull) ^ (w[2] * 0xc2b2ae3d27d4eb4full) ^
		  (w[3] * 0x165667b19e3779f9ull) ^ (w[4] * 0x27d4eb2f165667c5ull);

	return (h * 0xff51afd7ed558ccdull) >> 40;
}

/* The flow's entry in the flow table (key: a copy of state->flow_key in a map value, which map helpers
 * take as a key on 6.1; its files, to name its ends at first sight, in state->flow_files), claimed at
 * first sight; NULL if its places hold other flows. *index: the caller's stack word for the map key. */
static __always_inline struct zc_flow_table_entry *flow_table_entry(struct thread_state *state,
								    struct zc_flow_key *key, __u32 *index)
{
	__u32 place = flow_table_place(key);

	for (__u32 probe = 0; probe < ZC_FLOW_TABLE_PROBES; probe++) {
		struct zc_flow_table_entry *e;

		*index = (place + probe) & (ZC_FLOW_TABLE_ENTRIES - 1);
		e = bpf_map_lookup_elem(&flow_table, index);

		if (!e)
			return NULL;
		if (e->state == ZC_FLOW_ENTRY_HELD) {
			if (same_flow(&e->key, key))
				return e;
			continue;
		}
		if (e->state != ZC_FLOW_ENTRY_FREE ||
		    __sync_val_compare_and_swap(&e->state, ZC_FLOW_ENTRY_FREE, ZC_FLOW_ENTRY_CLAIMING) !=
			    ZC_FLOW_ENTRY_FREE)
			continue;
		/* first sight of this flow: name its ends while their files are at hand */
		if (state->flow_files[0])
			register_endpoint((struct file *)state->flow_files[0], &key->source);
		if (state->flow_files[1])
			register_endpoint((struct file *)state->flow_files[1], &key->sink);
		e->key = *key;
		e->bytes = e->chunks = 0;
		barrier(); /* x86 keeps stores in order: a reader that sees it held sees its key */
		e->state = ZC_FLOW_ENTRY_HELD;
		return e;
	}
	return NULL;
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

/* Counts a chunk of the flow in state->flow_key (its files, to name its ends at first sight, in
 * state->flow_files) like count_new_path counts a path: in the thread's record when it is there or there
 * is room, else in the flow table, else in the shared map. A flow enters the record once the table or the
 * map holds it (and its ends are named), so that a full map is counted at first sight. */
__noinline int add_flow(struct thread_state *state, __u64 bytes)
{
	struct zc_flow_table_entry *table;
	struct zc_flow_counters *c;
	struct zc_flow_key *key;
	__u32 zero = 0;

	/* a global function: verified once, not again for each of the places a flow is counted from */
	if (!state)
		return 0;
	if (count_thread_flow(state, &state->flow_key, bytes))
		return 0;
	/* map helpers take a key in a map or on the stack, not in a global function's argument (6.1 refuses
	 * it), and a copy on the stack would lengthen the deepest call chain under on_sys_exit */
	key = bpf_map_lookup_elem(&flow_key_scratch, &zero);
	if (!key)
		return 0;
	*key = state->flow_key;
	table = flow_table_entry(state, key, &zero); /* zero's stack word is free again: the table's key */
	if (table) {
		if (claim_thread_flow(state, key, bytes))
			return 0;
		__sync_fetch_and_add(&table->bytes, bytes);
		__sync_fetch_and_add(&table->chunks, 1);
		return 0;
	}
	c = flow_counters(key, (struct file *)state->flow_files[0], (struct file *)state->flow_files[1]);
	if (!c || claim_thread_flow(state, key, bytes))
		return 0;
	c->bytes += bytes;
	c->chunks++;
	return 0;
}

/* The source of bytes written from memory no traced read filled. */
const struct zc_endpoint_id memory_source = {.ino = ZC_MEMORY_SOURCE_INO};

/* The flow a call continues, in its common cases, inlined into the hot path (each call costs a
 * speculation barrier there): a read into the buffer the thread filled last from the same source, and a
 * single-buffer write from inside the fill the thread's last write was from (or from the memory it was
 * from, while no read filled anything since), whose flow is already in the thread's record (memo: the
 * fd's memo, which may point at that flow). True if done; false, with nothing changed, for
 * track_flow_rest. */
static __always_inline bool track_flow_inline(struct zc_path_key *key, struct path_files *files,
					      struct pt_regs *regs, __u64 bytes, struct thread_state *state,
					      struct call_memo *memo)
{
	__u8 sc = key->syscall;
	struct process_fills *pf;
	__u64 addr = regs->si;

	if (sc >= ZC_SYS_IO_URING_READ)
		return true; /* no flow is kept for them */
	if (is_receive(sc)) {
		struct fd_facts_entry *fd_entry;
		struct filled_range *e;
		__u32 hint = state->fill_hint;

		if (!files->source.file)
			return true;
		if (sc != ZC_SYS_READ && sc != ZC_SYS_PREAD && sc != ZC_SYS_RECVFROM)
			return false;
		/* the fill this fd's last receive took, if any: a server reads each connection into a buffer of
		 * its own, and the thread's last fill is another connection's */
		fd_entry = fd_entry_of(state->slot, regs->di, files->source.file);
		if (fd_entry && fd_entry->fill)
			hint = fd_entry->fill;
		if (!hint)
			return false;
		pf = bpf_map_lookup_elem(&fills, &state->slot_index);
		if (!pf)
			return false;
		e = &pf->ranges[(hint - 1) & (FILLED_RANGES - 1)];
		/* the bytes beyond this read's that the fill holds are still that source's */
		if (e->start != addr || addr + bytes > e->end || !same_endpoint(&e->source, &files->source.id))
			return false;
		e->written = 0; /* new bytes, to be written */
		return true;
	}
	if (!is_send(sc) || !files->sink.file || (sc != ZC_SYS_WRITE && sc != ZC_SYS_PWRITE && sc != ZC_SYS_SENDTO))
		return false;
	{
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &state->slot_index);
		/* the thread's flow key, not one on the stack: on_sys_exit's frame is the base of every call
		 * chain beneath it */
		struct zc_flow_key *fk = &state->flow_key;
		const struct zc_endpoint_id *source;
		struct filled_range *e = NULL;
		__u32 index;

		pf = bpf_map_lookup_elem(&fills, &state->slot_index);
		if (!proc || !pf)
			return false;
		/* only a buffer known to be anonymous (the thread's remembered VMA) stays on this path */
		if ((proc->flags & ZC_PROC_FILE_MMAP) &&
		    !last_write_buffer_anonymous(state, proc->mapping_generation, addr))
			return false;
		if (state->send_hint) {
			e = &pf->ranges[(state->send_hint - 1) & (FILLED_RANGES - 1)];
			if (addr != e->start + e->written || addr + bytes > e->end)
				return false;
			source = &e->source;
		} else {
			if (state->memory_generation != pf->generation || addr < state->memory_start ||
			    addr + bytes > state->memory_end)
				return false;
			source = &memory_source;
		}
		if (memo && memo->flow && same_endpoint(source, &memo->flow_source)) {
			/* the same source as this fd's last send: the flow the memo points at */
			index = memo->flow;
		} else {
			fk->slot = key->slot;
			fk->method = e ? ZC_FLOW_READ_WRITE : ZC_FLOW_FROM_MEMORY;
			fk->flags = key->flags & ZC_FLOW_KEY_FLAGS;
			fk->source = *source;
			fk->sink = files->sink.id;
			index = thread_flow_index(state, fk);
			if (!index)
				return false;
			if (memo) {
				memo->flow = index;
				memo->flow_source = *source;
			}
		}
		if (index > ZC_THREAD_FLOWS)
			return false;
		count_flow_chunk(&state->counts.flows[index - 1], bytes);
		if (e)
			e->written = addr + bytes - e->start;
		return true;
	}
}

/* A flow of `method` from source to sink (endpoint ids), by the process in `slot`: fills the thread's
 * flow key (in its state, not on the BPF stack: the call chain under on_sys_exit must stay well within
 * the verifier's 512 bytes) and counts the chunk. */
#define ADD_FLOW(slot_, method_, flags_, source_id, source_file, sink_id, sink_file, bytes_)               \
	do {                                                                                                \
		state->flow_key.slot = (slot_);                                                             \
		state->flow_key.method = (method_);                                                         \
		state->flow_key.flags = (flags_) & ZC_FLOW_KEY_FLAGS;                                       \
		state->flow_key.source = *(source_id);                                                      \
		state->flow_key.sink = *(sink_id);                                                          \
		state->flow_files[0] = (__u64)(source_file);                                                \
		state->flow_files[1] = (__u64)(sink_file);                                                  \
		add_flow(state, (bytes_));                                                                  \
	} while (0)

/* A write from state->buffers to the sink in state->flow_key (its file in state->flow_files[1]): a
 * read+write flow from each source whose fills it was from, and a from-memory flow of the rest. A global
 * function: verified once. */
__noinline int count_write_flows(struct thread_state *state, __u64 bytes)
{
	__u64 paired;

	if (!state)
		return 0;
	paired = find_write_sources(state);
	state->flow_files[0] = 0;
	for (__u32 i = 0; i < ZC_WRITE_SOURCES; i++) {
		if (i >= state->nsources)
			break;
		state->flow_key.method = ZC_FLOW_READ_WRITE;
		state->flow_key.source = state->sources[i].source;
		add_flow(state, state->sources[i].bytes);
	}
	if (bytes <= paired)
		return 0;
	state->flow_key.method = ZC_FLOW_FROM_MEMORY;
	state->flow_key.source = memory_source;
	add_flow(state, bytes - paired);
	return 0;
}

/* The flow a call makes or continues, in the cases track_flow_inline declined (it runs first): a read
 * into a new buffer or from a new source (remembered in the process's fills), a write whose sources are
 * to be found or whose flows are not in the thread's record, or from a buffer that may be a mapped file,
 * and the single-call methods (sendfile, splice, tee, vmsplice, copy_file_range). */
static __always_inline void track_flow_rest(__u32 slot, __u8 sc, struct zc_path_key *key, struct path_files *files,
					    struct pt_regs *regs, __u64 bytes, struct thread_state *state)
{
	struct zc_endpoint_id *source = &files->source.id, *sink = &files->sink.id;

	if (is_receive(sc)) {
		struct fd_facts_entry *fd_entry;

		if (!files->source.file)
			return;
		/* name it now, while the file is at hand; once per file of the fd, not per receive */
		fd_entry = fd_entry_of(slot, regs->di, files->source.file);
		if (!fd_entry || !same_endpoint(&fd_entry->named, source)) {
			register_endpoint(files->source.file, source);
			if (fd_entry)
				fd_entry->named = *source;
		}
		if (call_buffers(state, sc, regs->si, regs->dx, bytes)) {
			remember_fills(state, source);
			if (fd_entry && state->nbuffers == 1)
				fd_entry->fill = state->fill_hint;
		}
		return;
	}
	if (!files->sink.file)
		return;
	if (is_send(sc)) {
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &state->slot_index);

		/* only processes that mapped a file pay for the VMA lookup */
		if (proc && (proc->flags & ZC_PROC_FILE_MMAP)) {
			struct file *mapped = write_buffer_file(sc, regs, state, proc->mapping_generation);

			if (mapped) {
				state->mapped_source = endpoint_of(mapped);
				ADD_FLOW(slot, ZC_FLOW_MMAP_WRITE, key->flags, &state->mapped_source, mapped, sink, files->sink.file,
					 bytes);
				return;
			}
		}
		if (!call_buffers(state, sc, regs->si, regs->dx, bytes))
			return;
		state->flow_key.slot = slot;
		state->flow_key.flags = key->flags & ZC_FLOW_KEY_FLAGS;
		state->flow_key.sink = *sink;
		state->flow_files[1] = (__u64)files->sink.file;
		count_write_flows(state, bytes);
		return;
	}
	if (!files->source.file)
		return;
	switch (sc) {
	case ZC_SYS_SENDFILE:
		ADD_FLOW(slot, ZC_FLOW_SENDFILE, key->flags, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_COPY_FILE_RANGE:
		ADD_FLOW(slot, ZC_FLOW_COPY_FILE_RANGE, key->flags, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_TEE:
		ADD_FLOW(slot, ZC_FLOW_TEE, key->flags, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_VMSPLICE:
		ADD_FLOW(slot, ZC_FLOW_VMSPLICE, key->flags, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_SPLICE:
		ADD_FLOW(slot, ZC_FLOW_SPLICE, key->flags, source, files->source.file, sink, files->sink.file, bytes);
		if (key->sink == ZC_KIND_PIPE) { /* first leg: remember where the pipe's bytes came from */
			state->splice_pipe = *sink;
			state->splice_origin = *source;
			state->has_splice = 1;
		} else if (key->source == ZC_KIND_PIPE && state->has_splice && state->splice_pipe.ino == source->ino &&
			   state->splice_pipe.dev == source->dev) {
			ADD_FLOW(slot, ZC_FLOW_SPLICE_RELAY, key->flags, &state->splice_origin, NULL, sink, files->sink.file, bytes);
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
