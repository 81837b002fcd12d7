/* SPDX-License-Identifier: GPL-2.0 */
/* precise.bpf.h — precise mode: the kernel's payload copy functions (fentry/fexit where the kernel allows them). */
#ifndef ZCTRACE_PRECISE_BPF_H
#define ZCTRACE_PRECISE_BPF_H

/* ---- precise mode: the kernel's payload copy functions (where fentry/fexit are allowed) ----
 *
 * Each hooked function gets an fentry (depth + 1) and an fexit (depth - 1; the outermost call's return
 * value, the bytes it copied, is added to the thread's copies in flight). Counting only the outermost
 * call keeps nested copies (copy_page_to_iter → _copy_to_iter; skb_copy_datagram_iter → _copy_to_iter)
 * from counting twice. sys_exit hands the sum to the syscall's path. Userspace picks the functions this
 * kernel has (BTF) and loads these programs only where a probe fentry program loads: "?" sections. */
static __always_inline int copy_enter(void)
{
	struct thread_state *state = traced_thread(bpf_get_current_task_btf());

	if (state)
		state->copy_depth++;
	return 0;
}

static __always_inline int copy_exit(void *ctx)
{
	struct thread_state *state = traced_thread(bpf_get_current_task_btf());
	__u64 ret = 0;

	/* depth 0: the call began before zctrace attached */
	if (!state || !state->copy_depth)
		return 0;
	if (--state->copy_depth)
		return 0;
	bpf_get_func_ret(ctx, &ret);
	if ((long)ret > 0) {
		state->copied_events++;
		state->copied_bytes += ret;
	}
	return 0;
}

#define COPY_FUNCTION_HOOKS(fn)                \
	SEC("?fentry/" #fn)                    \
	int BPF_PROG(copy_enter_##fn)          \
	{                                      \
		return copy_enter();           \
	}                                      \
	SEC("?fexit/" #fn)                     \
	int BPF_PROG(copy_exit_##fn)           \
	{                                      \
		return copy_exit(ctx);         \
	}

#endif /* ZCTRACE_PRECISE_BPF_H */
