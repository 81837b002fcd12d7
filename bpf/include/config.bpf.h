/* SPDX-License-Identifier: GPL-2.0 */
/* config.bpf.h — configuration: rodata set by userspace between open and load, globals it reads and writes, and
 * the code-layout helpers every program uses. */
#ifndef ZCTRACE_CONFIG_BPF_H
#define ZCTRACE_CONFIG_BPF_H

/* the thread-record searches and same_flow compare keys as whole words */
_Static_assert(sizeof(struct zc_path_key) == 8, "zc_path_key is one word");
_Static_assert(sizeof(struct zc_flow_key) == 40, "zc_flow_key is five words");

/* Configuration, set by userspace between open and load. */
const volatile bool follow_children = true;
/* With `zctrace -- CMD`, the forked child's tgid: tracing of it starts at its exec, so that nothing
 * zctrace's own child does before exec is counted. */
const volatile __u32 exec_target_tgid = 0;
/* Precise mode: the copy-function hooks (fentry/fexit) are loaded. Without them the verifier drops the
 * hot path's hand-over of their counts as dead code. */
const volatile bool count_copy_functions = false;

/* How many low bits of a slot are its entry's index (zctrace.h), for --max-processes. */
const volatile __u32 slot_index_bits = ZC_MAX_SLOT_INDEX_BITS;
/* libbpf_num_possible_cpus(): how many CPUs' copies a per-CPU value has. */
const volatile __u32 nr_cpus = 1;

/* The next per-process array entry never used yet (slots.bpf.h: handed-back ones are taken first). */
__u32 next_slot = 0;
/* Next thread serial (struct zc_thread_counts); 0 is never handed out. */
__u64 next_thread_serial = 0;
/* Bumped by userspace each time it changes rx_devices: threads' remembered device classes expire. */
__u32 rx_devices_generation = 0;

/* Branch hints for clang's block placement: the hot path (a traced loop's repeat) laid out straight, its
 * rare branches out of line, so that it runs through a few adjacent cache lines of a 30 KB program. */
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Leaves the program where it stands, returning 0, instead of branching to the shared exit block, which
 * clang places at the far end of a large program. The x86 JIT emits its epilogue at the program's first
 * exit instruction, so one placed first keeps the code that untraced processes run in one place: their
 * early exit from on_sys_exit cost about 20 ns more than the floor's, waiting for the far exit's code. */
#define RETURN_ZERO_HERE()                                \
	do {                                              \
		asm volatile("r0 = 0\n\texit" ::: "r0"); \
		__builtin_unreachable();                  \
	} while (0)

#endif /* ZCTRACE_CONFIG_BPF_H */
