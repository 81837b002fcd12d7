// SPDX-License-Identifier: GPL-2.0
/* stack_probe.bpf.c — programs whose stack is known by construction, for the stack-budget analysis
 * (tests/stack): `too_deep` chains three subprograms of 200 bytes each (624 bytes in 16-byte frames: a
 * kernel without private stacks refuses it), `fits` reaches a global function and a bpf_loop callback
 * (calls the verifier walks too). Each frame is one probe read into a buffer, so its depth is the
 * buffer's size. Loaded only by the tests, never attached. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define FRAME_BYTES 200

static __noinline int third(__u64 arg)
{
	volatile char buf[FRAME_BYTES];

	bpf_probe_read_kernel((void *)buf, sizeof(buf), (void *)arg);
	return buf[0] + buf[FRAME_BYTES - 1];
}

static __noinline int second(__u64 arg)
{
	volatile char buf[FRAME_BYTES];

	bpf_probe_read_kernel((void *)buf, sizeof(buf), (void *)arg);
	return buf[0] + third(arg + buf[FRAME_BYTES - 1]);
}

static __noinline int first(__u64 arg)
{
	volatile char buf[FRAME_BYTES];

	bpf_probe_read_kernel((void *)buf, sizeof(buf), (void *)arg);
	return buf[0] + second(arg + buf[FRAME_BYTES - 1]);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int too_deep(void *ctx)
{
	return first((__u64)ctx) & 1;
}

#define CALLBACK_BYTES 40
#define GLOBAL_BYTES 96

struct loop_state {
	__u64 arg;
	__u64 sum;
};

static long add_one(__u64 index, struct loop_state *state)
{
	volatile char buf[CALLBACK_BYTES];

	bpf_probe_read_kernel((void *)buf, sizeof(buf), (void *)state->arg);
	state->sum += buf[0] + index;
	return 0;
}

__noinline int probe_global(__u64 arg)
{
	volatile char buf[GLOBAL_BYTES];
	struct loop_state state = {.arg = arg};

	bpf_probe_read_kernel((void *)buf, sizeof(buf), (void *)arg);
	bpf_loop(4, add_one, &state, 0);
	return (int)state.sum + buf[0];
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int fits(void *ctx)
{
	volatile char buf[24];

	bpf_probe_read_kernel((void *)buf, sizeof(buf), ctx);
	/* a global function takes scalars: the task's address, not the context pointer */
	return probe_global(bpf_get_current_task() + buf[0]) & 1;
}
