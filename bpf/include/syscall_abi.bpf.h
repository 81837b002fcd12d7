/* SPDX-License-Identifier: GPL-2.0 */
/* syscall_abi.bpf.h — the x86_64 syscall ABI: syscall numbers, which ones zctrace accounts, and which side of a
 * transfer each is. */
#ifndef ZCTRACE_SYSCALL_ABI_BPF_H
#define ZCTRACE_SYSCALL_ABI_BPF_H

/* x86_64 numbers of the syscalls zctrace watches without accounting them (a defence against the mmap
 * hazard, a change of the mappings, a socket's zero-copy or TLS options, a clone ioctl). Compat (ia32)
 * syscalls use other numbers and are not looked at. */
#define NR_rt_sigaction 13
#define NR_fcntl 72
#define NR_accept 43
#define NR_accept4 288
#define NR_mremap 25
#define NR_shmat 30
#define NR_shmdt 67
#define NR_remap_file_pages 216
#define NR_setsockopt 54
#define NR_ioctl 16

/* The accounted syscalls' x86_64 numbers, from the table: ZC_NR_SENDFILE... */
#define ZC_NR_CONSTANT(id, camel, name, nr, family, memo, buffers) ZC_NR_##id = nr,
enum { ZC_SYSCALL_TABLE(ZC_NR_CONSTANT) };
#undef ZC_NR_CONSTANT

/* A family test as a switch over the table's rows, not a range comparison of ids (which would break
 * silently when a row is added): clang folds it into the syscall number's switch where both are used. */
#define ZC_IS_RECEIVE_RECEIVE 1
#define ZC_IS_RECEIVE_SEND 0
#define ZC_IS_RECEIVE_MAP 0
#define ZC_IS_RECEIVE_SPLICE 0
#define ZC_IS_SEND_RECEIVE 0
#define ZC_IS_SEND_SEND 1
#define ZC_IS_SEND_MAP 0
#define ZC_IS_SEND_SPLICE 0

/* Whether the task's saved user registers are a syscall's (rather than an exception's, such as a page
 * fault): x86 syscall entry stores -ENOSYS in pt_regs->ax until the handler returns, while an exception
 * saves the user's own rax and puts its error code in orig_ax — which would read as a syscall number. */
static __always_inline bool in_syscall(struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, ax) == (unsigned long)-38 /* -ENOSYS */;
}

/* Syscall number → accounted syscall; ZC_SYS_COUNT for the ones that move no data. */
static __always_inline __u8 accounted_syscall(long nr)
{
#define ZC_NR_CASE(id, camel, name, nr, family, memo, buffers) \
	case nr:                                       \
		return ZC_SYS_##id;
	switch (nr) {
		ZC_SYSCALL_TABLE(ZC_NR_CASE)
	default:
		return ZC_SYS_COUNT;
	}
#undef ZC_NR_CASE
}

/* A syscall that moves data from an fd into the caller's memory (read, recvfrom...). */
static __always_inline bool is_receive(__u8 sc)
{
#define ZC_RECEIVE_CASE(id, camel, name, nr, family, memo, buffers) \
	case ZC_SYS_##id:                                   \
		return ZC_IS_RECEIVE_##family;
	switch (sc) {
		ZC_SYSCALL_TABLE(ZC_RECEIVE_CASE)
	default:
		return false;
	}
#undef ZC_RECEIVE_CASE
}

/* A syscall that moves data from the caller's memory into an fd (write, sendto...). */
static __always_inline bool is_send(__u8 sc)
{
#define ZC_SEND_CASE(id, camel, name, nr, family, memo, buffers) \
	case ZC_SYS_##id:                                \
		return ZC_IS_SEND_##family;
	switch (sc) {
		ZC_SYSCALL_TABLE(ZC_SEND_CASE)
	default:
		return false;
	}
#undef ZC_SEND_CASE
}

/* Where a syscall's user memory is (the table's BUFFERS column), for flows by provenance. */
enum zc_buffers { ZC_BUFFERS_NONE, ZC_BUFFERS_BUFFER, ZC_BUFFERS_IOVEC, ZC_BUFFERS_MSGHDR };

static __always_inline enum zc_buffers buffers_of(__u8 sc)
{
#define ZC_BUFFERS_CASE(id, camel, name, nr, family, memo, buffers) \
	case ZC_SYS_##id:                                            \
		return ZC_BUFFERS_##buffers;
	switch (sc) {
		ZC_SYSCALL_TABLE(ZC_BUFFERS_CASE)
	default:
		return ZC_BUFFERS_NONE;
	}
#undef ZC_BUFFERS_CASE
}

#endif /* ZCTRACE_SYSCALL_ABI_BPF_H */
