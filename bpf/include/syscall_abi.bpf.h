/* SPDX-License-Identifier: GPL-2.0 */
/* syscall_abi.bpf.h — the x86_64 syscall ABI: syscall numbers, which ones zctrace accounts, and which side of a
 * transfer each is. */
#ifndef ZCTRACE_SYSCALL_ABI_BPF_H
#define ZCTRACE_SYSCALL_ABI_BPF_H

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). Compat (ia32) syscalls use other
 * numbers and are not accounted. */
#define NR_read 0
#define NR_write 1
#define NR_mmap 9
#define NR_munmap 11
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_sendfile 40
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_splice 275
#define NR_tee 276
#define NR_vmsplice 278
#define NR_preadv 295
#define NR_pwritev 296
#define NR_recvmmsg 299
#define NR_sendmmsg 307
#define NR_copy_file_range 326
#define NR_preadv2 327
#define NR_pwritev2 328
#define NR_rt_sigaction 13
#define NR_fcntl 72
#define NR_mremap 25
#define NR_shmat 30
#define NR_shmdt 67
#define NR_remap_file_pages 216

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
	switch (nr) {
	case NR_read: return ZC_SYS_READ;
	case NR_pread64: return ZC_SYS_PREAD;
	case NR_readv: return ZC_SYS_READV;
	case NR_preadv: return ZC_SYS_PREADV;
	case NR_preadv2: return ZC_SYS_PREADV2;
	case NR_write: return ZC_SYS_WRITE;
	case NR_pwrite64: return ZC_SYS_PWRITE;
	case NR_writev: return ZC_SYS_WRITEV;
	case NR_pwritev: return ZC_SYS_PWRITEV;
	case NR_pwritev2: return ZC_SYS_PWRITEV2;
	case NR_sendto: return ZC_SYS_SENDTO;
	case NR_sendmsg: return ZC_SYS_SENDMSG;
	case NR_sendmmsg: return ZC_SYS_SENDMMSG;
	case NR_recvfrom: return ZC_SYS_RECVFROM;
	case NR_recvmsg: return ZC_SYS_RECVMSG;
	case NR_recvmmsg: return ZC_SYS_RECVMMSG;
	case NR_mmap: return ZC_SYS_MMAP;
	case NR_munmap: return ZC_SYS_MUNMAP;
	case NR_sendfile: return ZC_SYS_SENDFILE;
	case NR_splice: return ZC_SYS_SPLICE;
	case NR_vmsplice: return ZC_SYS_VMSPLICE;
	case NR_tee: return ZC_SYS_TEE;
	case NR_copy_file_range: return ZC_SYS_COPY_FILE_RANGE;
	default: return ZC_SYS_COUNT;
	}
}

static __always_inline bool is_receive(__u8 sc)
{
	return sc <= ZC_SYS_PREADV2 || (sc >= ZC_SYS_RECVFROM && sc <= ZC_SYS_RECVMMSG) ||
	       sc == ZC_SYS_IO_URING_READ;
}

static __always_inline bool is_send(__u8 sc)
{
	return sc >= ZC_SYS_WRITE && sc <= ZC_SYS_SENDMMSG;
}

#endif /* ZCTRACE_SYSCALL_ABI_BPF_H */
