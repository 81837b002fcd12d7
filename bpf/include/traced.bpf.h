/* SPDX-License-Identifier: GPL-2.0 */
/* traced.bpf.h — which processes are traced: the tgid -> slot map and the bitmap that lets every other process's
 * events leave after one load. */
#ifndef ZCTRACE_TRACED_BPF_H
#define ZCTRACE_TRACED_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32);   /* tgid */
	__type(value, __u32); /* slot */
} traced SEC(".maps");

/* A bit per tgid that `traced` may hold: set before an entry goes in, cleared after it comes out, so a
 * clear bit is certain and a set one is checked against `traced`. Every syscall on the machine tests
 * it first: one load instead of a hash lookup (and a task-storage lookup) for the processes zctrace
 * does not trace. 512 KiB. */
__u64 traced_tgid_bits[ZC_TGID_LIMIT / 64];
_Static_assert(ZC_TGID_LIMIT / 64 - 1 == 0xffff, "tgid_word's mask");

/* The bitmap word of a tgid. The mask is asm: clang drops it as redundant after the callers' bound check
 * and then indexes from a register the verifier has no bound for. */
static __always_inline __u64 tgid_word(__u32 tgid)
{
	__u64 word = tgid / 64;

	asm volatile("%0 &= 0xffff" : "+r"(word)); /* ZC_TGID_LIMIT / 64 - 1 */
	return word;
}

static __always_inline bool maybe_traced(__u32 tgid)
{
	if (tgid >= ZC_TGID_LIMIT)
		return true; /* not a tgid the bitmap can hold: let `traced` decide */
	return traced_tgid_bits[tgid_word(tgid)] & (1ull << (tgid % 64));
}

/* The slot of a traced process, or NULL: the bitmap's load, then the map only for a set bit. The answer for a
 * tgid; for the current task, current.bpf.h answers from the thread's state first. */
static __always_inline __u32 *traced_slot(__u32 tgid)
{
	return maybe_traced(tgid) ? bpf_map_lookup_elem(&traced, &tgid) : NULL;
}

/* A slot's entry in the per-process arrays (zctrace.h: the slot's low bits). */
static __always_inline __u32 slot_index(__u32 slot)
{
	return zc_slot_index(slot, slot_index_bits);
}

static __always_inline void set_traced_bit(__u32 tgid, bool on)
{
	if (tgid >= ZC_TGID_LIMIT)
		return;
	if (on)
		__sync_fetch_and_or(&traced_tgid_bits[tgid_word(tgid)], 1ull << (tgid % 64));
	else
		__sync_fetch_and_and(&traced_tgid_bits[tgid_word(tgid)], ~(1ull << (tgid % 64)));
}

#endif /* ZCTRACE_TRACED_BPF_H */
