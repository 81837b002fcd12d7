/* SPDX-License-Identifier: GPL-2.0 */
/* maps.bpf.h — the shared per-process counting maps (per-CPU where counters are) and the health counters that say
 * what could not be counted. */
#ifndef ZCTRACE_MAPS_BPF_H
#define ZCTRACE_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32); /* slot */
	__type(value, struct zc_process);
} processes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32); /* slot */
	__type(value, struct zc_process_counters);
} process_counters SEC(".maps");

/* Preallocated, though creating it makes a per-CPU allocation per entry (a seventh of starting): without,
 * an entry made from a tracepoint comes from a cache refilled asynchronously, and a burst of new processes
 * (a fork+exec loop) emptied it: their first paths were lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_PATHS);
	__type(key, struct zc_path_key);
	__type(value, struct zc_path_counters);
} paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_health);
} health SEC(".maps");

struct { /* preallocated, as paths */
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_FLOWS);
	__type(key, struct zc_flow_key);
	__type(value, struct zc_flow_counters);
} flows SEC(".maps");

enum health_counter { PATH_MAP_FULL, PROCESS_MAP_FULL, FLOW_MAP_FULL, THREAD_TABLE_FULL, FILLS_FORGOTTEN };

static __always_inline void count_health(enum health_counter which)
{
	__u32 zero = 0;
	struct zc_health *h = bpf_map_lookup_elem(&health, &zero);

	if (!h)
		return;
	if (which == PATH_MAP_FULL)
		h->path_map_full++;
	else if (which == PROCESS_MAP_FULL)
		h->process_map_full++;
	else if (which == FLOW_MAP_FULL)
		h->flow_map_full++;
	else if (which == THREAD_TABLE_FULL)
		h->thread_table_full++;
	else
		h->fills_forgotten++;
}

#endif /* ZCTRACE_MAPS_BPF_H */
