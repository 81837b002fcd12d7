/* SPDX-License-Identifier: GPL-2.0 */
/* slots.bpf.h — the per-process array entries: taken by a process when tracing of it begins, handed back when it
 * exits, its entry and summed counters moved to the exited map for userspace, so that a service that forks
 * for days runs in a table of --max-processes live processes. */
#ifndef ZCTRACE_SLOTS_BPF_H
#define ZCTRACE_SLOTS_BPF_H

/* Entries handed back by exited processes (and by userspace, for those the exited map had no room for). */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(value, __u32);
} free_entries SEC(".maps");

/* Exited processes, by slot, until userspace takes them (every read, and every second). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_EXITED);
	__type(key, __u32);
	__type(value, struct zc_exited);
} exited SEC(".maps");

/* The record being handed over: too large for the exit program's stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_exited);
} exit_scratch SEC(".maps");

#define COUNTER_WORDS (sizeof(struct zc_process_counters) / 8)

/* A free entry (handed back, else never used) and the slot it becomes: one generation on from its last. */
static __always_inline struct zc_process *take_slot(__u32 *slot)
{
	struct zc_process *proc;
	__u32 index;

	if (bpf_map_pop_elem(&free_entries, &index) != 0)
		index = __sync_fetch_and_add(&next_slot, 1);
	proc = bpf_map_lookup_elem(&processes, &index);
	if (!proc)
		return NULL;
	*slot = zc_next_slot(proc->slot, index, slot_index_bits);
	return proc;
}

/* bpf_loop over the possible CPUs: one CPU's counters of the entry (ctx) added to the scratch record. */
static long add_cpu_counters(__u32 cpu, void *ctx)
{
	__u32 zero = 0;
	__u64 *counters = bpf_map_lookup_percpu_elem(&process_counters, ctx, cpu);
	struct zc_exited *out = bpf_map_lookup_elem(&exit_scratch, &zero);
	__u64 *sum;

	if (!counters || !out)
		return 1;
	sum = (__u64 *)&out->counters;
	for (__u32 i = 0; i < COUNTER_WORDS; i++)
		sum[i] += counters[i];
	return 0;
}

static long clear_cpu_counters(__u32 cpu, void *ctx)
{
	__u64 *counters = bpf_map_lookup_percpu_elem(&process_counters, ctx, cpu);

	if (!counters)
		return 1;
	for (__u32 i = 0; i < COUNTER_WORDS; i++)
		counters[i] = 0;
	return 0;
}

/* The last thread of the process in `slot` exited: its entry and counters go to the exited map, and the
 * entry, cleared, to the free queue. With no room in the exited map it stays as it is, for userspace to
 * take from the arrays. Its paths, flows and threads' records stay keyed by the slot, which no other
 * process takes (zctrace.h). */
static __noinline void hand_over_exited(__u32 slot)
{
	__u32 index = slot_index(slot), zero = 0;
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &index);
	struct zc_exited *out = bpf_map_lookup_elem(&exit_scratch, &zero);
	struct process_fills *pf;

	if (!proc || !out || proc->slot != slot)
		return;
	out->info = *proc;
	__builtin_memset(&out->counters, 0, sizeof(out->counters));
	bpf_loop(nr_cpus, add_cpu_counters, &index, 0);
	if (bpf_map_update_elem(&exited, &slot, out, BPF_NOEXIST) != 0)
		return;
	bpf_loop(nr_cpus, clear_cpu_counters, &index, 0);
	pf = bpf_map_lookup_elem(&fills, &index);
	if (pf) {
		for (__u32 i = 0; i < FILLED_RANGES; i++)
			pf->ranges[i].end = 0;
		pf->next = 0;
		pf->generation++;
	}
	proc->tgid = 0; /* first: a read meanwhile skips the entry (the exited map has it) */
	proc->parent_tgid = 0;
	proc->exit_ns = 0;
	proc->exit_code = 0;
	proc->flags = 0;
	proc->sigbus = 0;
	proc->cgroup_id = 0;
	bpf_map_push_elem(&free_entries, &index, 0);
}

#endif /* ZCTRACE_SLOTS_BPF_H */
