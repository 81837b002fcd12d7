// SPDX-License-Identifier: GPL-2.0
/* floor.bpf.c — the benchmark's floor: the least a BPF tracer can do on every syscall.
 *
 * It hooks the same place zctrace's hot path does (tp_btf/sys_exit), so the difference between the
 * two is exactly what zctrace's accounting costs on top of "being called at all". It counts the
 * syscalls of one process and nothing else: no children, no maps keyed by process, no path keys.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader between open and load: the verifier then sees a constant, so the comparison
 * below is a compare against an immediate, the cheapest possible filter. */
const volatile __u32 target_tgid = 0;

/* Per-CPU so that the increment needs no atomic operation and no cache line bounces between CPUs;
 * the loader sums the CPUs' slots at the end. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} syscalls SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 key = 0;
	__u64 *count;

	/* The filter comes first: every other process's syscall leaves after this one test. */
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	count = bpf_map_lookup_elem(&syscalls, &key);
	if (count)
		*count += 1;
	return 0;
}

/* Does nothing: loaded instead (floor --empty) while kernel.bpf_stats_enabled is on, its run time per
 * run is what the stats' own clock reads add to every program's figure, to be taken off them. */
SEC("tp_btf/sys_exit")
int BPF_PROG(empty_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
