/* SPDX-License-Identifier: GPL-2.0 */
/* io_uring.bpf.h — io_uring operations, which pass no syscall tracepoint of their own: counted at completion. */
#ifndef ZCTRACE_IO_URING_BPF_H
#define ZCTRACE_IO_URING_BPF_H

/* io_uring: the operations run without a syscall of their own; each completion says what moved.
 * The completing task may be the submitter or one of its io-wq workers: both share its tgid. */
static __always_inline __u8 io_uring_operation(__u8 opcode)
{
	if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_READ) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_READV) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_READ_FIXED) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_RECV) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_RECVMSG))
		return ZC_SYS_IO_URING_READ;
	if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_WRITE) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_WRITEV) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_WRITE_FIXED) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SEND) ||
	    opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SENDMSG))
		return ZC_SYS_IO_URING_WRITE;
	if (io_uring_is_send_zc(opcode))
		return ZC_SYS_IO_URING_SEND_ZC;
	return ZC_SYS_COUNT;
}

static __always_inline int io_uring_complete_body(struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe, unsigned long long *ctx)
{
	__u32 *slot = traced_slot(bpf_get_current_pid_tgid() >> 32);
	struct io_kiocb *kiocb = req;
	struct zc_path_counters *counters;
	struct zc_path_key key = {};
	struct fd_facts facts;
	__s32 res;
	__u8 op;

	if (!slot)
		return 0;
	if (io_uring_completion_flags(cqe, ctx) & IORING_CQE_F_NOTIF) {
		note_send_zc_notification(*slot, io_uring_completion_result(cqe, ctx));
		return 0;
	}
	op = io_uring_operation(BPF_CORE_READ(kiocb, opcode));
	if (op == ZC_SYS_COUNT)
		return 0;
	facts = classify_file(BPF_CORE_READ(kiocb, file));
	key.slot = *slot;
	key.syscall = op;
	if (op == ZC_SYS_IO_URING_READ) {
		key.source = facts.kind;
		key.sink = ZC_KIND_USER;
		key.flags = facts.loopback ? ZC_FLAG_SOURCE_LOOPBACK : 0;
	} else {
		key.source = ZC_KIND_USER;
		key.sink = facts.kind;
		key.flags = facts.loopback ? ZC_FLAG_SINK_LOOPBACK : 0;
		if (op == ZC_SYS_IO_URING_SEND_ZC)
			key.flags |= ZC_FLAG_MSG_ZEROCOPY;
	}
	counters = path_counters(&key);
	if (!counters)
		return 0;
	res = io_uring_completion_result(cqe, ctx);
	counters->calls++;
	if (res < 0)
		counters->errors++;
	else
		counters->bytes += res;
	return 0;
}

#endif /* ZCTRACE_IO_URING_BPF_H */
