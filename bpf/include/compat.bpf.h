/* SPDX-License-Identifier: GPL-2.0 */
/* compat.bpf.h — every kernel difference in one place, dated: direct loads through bpf_rdonly_cast (6.2+) or probe
 * reads (6.1) of an fd's file, a file's head and a task's user registers; the folio layout (6.1, 6.12, 6.18); and
 * io_uring's completion tracepoint (6.1 vs 6.3+) and zero-copy send opcodes (6.0+); kTLS's transmit mode, whose
 * type only the tls module's BTF has. The rest of the program
 * passes the build's `direct` on to these accessors; beyond them it only gates what 6.1 cannot afford (the
 * memo's one-step repeats, which load files directly). */
#ifndef ZCTRACE_COMPAT_BPF_H
#define ZCTRACE_COMPAT_BPF_H

/* bpf_rdonly_cast (Linux 6.2+) turns a kernel address into a typed pointer whose fields the program
 * loads directly (the JIT guards each load like a probe read), instead of a bpf_probe_read_kernel
 * call per read: the difference is most of the hot path's cost. Weak: on an older kernel it resolves
 * to nothing and on_sys_exit_compat, which never calls it, is loaded instead. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline struct file *file_of_fd(struct task_struct *task, int fd, const bool direct)
{
	/* task → files → fdt are plain loads of BTF pointers (no helper call); the array slot is not */
	struct files_struct *files;
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;

	/* through an untrusted view of the task (6.2+): a pointer loaded from a trusted one makes the
	 * verifier search the kernel's BTF for the field's trust by name, a linear scan of every type, each
	 * time it meets the load (a fifth of loading time) */
	if (direct)
		task = bpf_rdonly_cast(task, bpf_core_type_id_kernel(struct task_struct));
	files = task->files;
	if (!files)
		return NULL;
	fdt = files->fdt;
	if (fd < 0 || !fdt || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (direct) {
		/* the slot is a bare `struct file *`, which BTF cannot name as a type of its own: read it as
		 * the first member of a struct that starts with one (struct kiocb's ki_filp) */
		struct kiocb *slot = bpf_rdonly_cast(&fds[fd], bpf_core_type_id_kernel(struct kiocb));

		return slot->ki_filp;
	}
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* The task's saved user registers, for the programs that fire inside its syscalls. They sit at the top of
 * its kernel stack, which a task keeps for life, so in a 6.2+ build the thread's entry remembers the
 * address: one bpf_task_pt_regs call per thread instead of one per skb. */
static __always_inline struct pt_regs *user_regs_of(struct task_struct *task, struct thread_state *state,
						    const bool direct)
{
	struct pt_regs *regs;

	if (direct && state && state->user_regs)
		return bpf_rdonly_cast((void *)state->user_regs, bpf_core_type_id_kernel(struct pt_regs));
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (direct && state)
		state->user_regs = (__u64)regs;
	return regs;
}

/* The accounted syscall the task is in (ZC_SYS_COUNT: none, or not one zctrace accounts). */
static __always_inline __u8 syscall_in_flight(struct pt_regs *regs, const bool direct)
{
	if (direct) /* bpf_task_pt_regs gives a typed pointer: direct loads */
		return regs->ax == (unsigned long)-38 ? accounted_syscall(regs->orig_ax) : ZC_SYS_COUNT;
	return in_syscall(regs) ? accounted_syscall(BPF_CORE_READ(regs, orig_ax)) : ZC_SYS_COUNT;
}

/* What the classification needs of a struct file and a struct inode. */
struct file_head {
	struct inode *inode;
	void *private_data;
	unsigned int flags;
	unsigned int mode;
};

static __always_inline void read_file_head(struct file *file, struct file_head *out)
{
	/* one probe read per field: a buffer for one read of the struct's head would cost stack that the
	 * verifier's 512 bytes for the whole call chain cannot spare (6.2+ kernels read directly instead) */
	out->inode = BPF_CORE_READ(file, f_inode);
	out->private_data = BPF_CORE_READ(file, private_data);
	out->flags = BPF_CORE_READ(file, f_flags);
	out->mode = BPF_CORE_READ(file, f_mode);
}

static __always_inline void read_file_head_direct(struct file *file, struct file_head *out)
{
	struct file *f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));

	out->inode = f->f_inode;
	out->private_data = f->private_data;
	out->flags = f->f_flags;
	out->mode = f->f_mode;
}

/* Size of a folio: large folios cover many pages (copy-model.md: 211 events for 64 MiB). Its head's
 * flags word and order have three layouts in the kernels zctrace is tested on:
 *   6.1:   flags an unsigned long, the order the byte _folio_order;
 *   6.12:  flags an unsigned long, the order the low byte of _flags_1 (the second page's flags);
 *   6.18:  flags a memdesc_flags_t wrapping that word (.f), the order as in 6.12.
 * CO-RE cannot take one access for two types of one field (the relocation fails where the type differs,
 * and the verifier refuses the program), so each layout's branch names its own type; the relocations of
 * the others fail only in branches the verifier drops as dead. */
struct folio___v61 {
	unsigned long flags;
	unsigned char _folio_order;
} __attribute__((preserve_access_index));

struct folio___v612 {
	unsigned long flags;
	unsigned long _flags_1;
} __attribute__((preserve_access_index));

struct memdesc_flags___v618 {
	unsigned long f;
} __attribute__((preserve_access_index));

struct folio___v618 {
	struct memdesc_flags___v618 flags;
	unsigned long _flags_1;
} __attribute__((preserve_access_index));

static __always_inline __u64 folio_bytes(struct folio *folio)
{
	const bool v61 = bpf_core_field_exists(((struct folio___v61 *)folio)->_folio_order);
	const bool v618 = bpf_core_field_exists(((struct folio___v618 *)folio)->flags.f);
	unsigned long flags, order_word = 0;

	if (v61)
		flags = BPF_CORE_READ((struct folio___v61 *)folio, flags);
	else if (v618)
		flags = BPF_CORE_READ((struct folio___v618 *)folio, flags.f);
	else
		flags = BPF_CORE_READ((struct folio___v612 *)folio, flags);
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 4096;
	if (v61)
		order_word = BPF_CORE_READ((struct folio___v61 *)folio, _folio_order);
	else if (v618)
		order_word = BPF_CORE_READ((struct folio___v618 *)folio, _flags_1);
	else
		order_word = BPF_CORE_READ((struct folio___v612 *)folio, _flags_1);
	return 4096ULL << (order_word & 0xff & 31);
}

/* io_uring:io_uring_complete hands (ctx, req, cqe) since 6.3, but (ctx, req, user_data, res, cflags, extra1,
 * extra2) on 6.1: userspace says which from the kernel's BTF (the tracepoint's prototype) before load. */
const volatile bool io_uring_complete_has_res_arg = false;

static __always_inline __s32 io_uring_completion_result(struct io_uring_cqe *cqe, unsigned long long *ctx)
{
	if (io_uring_complete_has_res_arg)
		return (__s32)ctx[3]; /* 6.1: the fourth argument is the result itself */
	return BPF_CORE_READ(cqe, res);
}

static __always_inline __u32 io_uring_completion_flags(struct io_uring_cqe *cqe, unsigned long long *ctx)
{
	if (io_uring_complete_has_res_arg)
		return (__u32)ctx[4]; /* 6.1: the fifth argument is the CQE's flags */
	return BPF_CORE_READ(cqe, flags);
}

/* IORING_OP_SEND_ZC and IORING_OP_SENDMSG_ZC came with 6.0 and 6.1; on a kernel without them the test is
 * false and the verifier drops it. */
static __always_inline bool io_uring_is_send_zc(__u8 opcode)
{
	return bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_SEND_ZC) &&
	       (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SEND_ZC) ||
		opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SENDMSG_ZC));
}

/* kTLS's transmit mode, from the socket's struct tls_context (include/net/tls.h, the same bits 6.1-6.18). The
 * type is the tls module's (CONFIG_TLS=m), in its BTF only, where libbpf looks when vmlinux has none: there
 * when the module was loaded before zctrace. Without it the reading is left out and the mode is not known
 * (userspace checks the same BTF and says so). */
struct tls_context___zc {
	__u8 tx_conf : 3;
	__u8 zerocopy_sendfile : 1; /* TLS_TX_ZEROCOPY_RO: a device-offloaded socket sends sendfile's pages as they are */
} __attribute__((preserve_access_index));

enum ktls_transmit {
	KTLS_TX_SOFTWARE_OR_UNKNOWN = 0,
	KTLS_TX_DEVICE,          /* TLS_HW or TLS_HW_RECORD: the NIC encrypts */
	KTLS_TX_DEVICE_ZEROCOPY, /* and zerocopy_sendfile */
};

#define TLS_CONF_HW 2 /* enum { TLS_BASE, TLS_SW, TLS_HW, TLS_HW_RECORD } */
#define TLS_CONF_HW_RECORD 3

static __always_inline __u8 ktls_transmit_mode(struct sock *sk)
{
	struct tls_context___zc *ctx;
	__u8 conf;

	if (!bpf_core_type_exists(struct tls_context___zc))
		return KTLS_TX_SOFTWARE_OR_UNKNOWN;
	ctx = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_ulp_data);
	if (!ctx)
		return KTLS_TX_SOFTWARE_OR_UNKNOWN;
	conf = BPF_CORE_READ_BITFIELD_PROBED(ctx, tx_conf);
	if (conf != TLS_CONF_HW && conf != TLS_CONF_HW_RECORD)
		return KTLS_TX_SOFTWARE_OR_UNKNOWN;
	return BPF_CORE_READ_BITFIELD_PROBED(ctx, zerocopy_sendfile) ? KTLS_TX_DEVICE_ZEROCOPY : KTLS_TX_DEVICE;
}

#endif /* ZCTRACE_COMPAT_BPF_H */
