/* SPDX-License-Identifier: GPL-2.0 */
/* user_tls.bpf.h — TLS done by the program itself: the records it writes to a socket, seen in a send's first bytes. */
#ifndef ZCTRACE_USER_TLS_BPF_H
#define ZCTRACE_USER_TLS_BPF_H

#define TLS_RECORD_HEADER 5
#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext.length's limit, RFC 8446 5.2 (TLS 1.2: the same) */

/* Whether a send's first bytes are a TLS record's header (RFC 8446 5.1): a content type of 20-23
 * (change_cipher_spec, alert, handshake, application_data), a legacy version 3.0-3.4, a length within the
 * limit. A server's first send on a connection is its handshake, a client's its ClientHello. */
static __always_inline bool is_tls_record_header(const __u8 *h)
{
	__u32 length = (__u32)h[3] << 8 | h[4];

	return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4 && length > 0 && length <= TLS_RECORD_MAX;
}

/* The first bytes a send call passes (write, send, writev, sendmsg: its first buffer), as a record header. */
static __always_inline bool send_starts_with_tls_record(__u8 sc, struct pt_regs *regs)
{
	__u8 header[TLS_RECORD_HEADER];
	struct iovec first = {};
	__u64 addr = regs->si;

	if (sc == ZC_SYS_SENDMSG) {
		struct iovec *iov = NULL;

		if (bpf_probe_read_user(&iov, sizeof(iov), &((struct user_msghdr *)addr)->msg_iov))
			return false;
		addr = (__u64)iov;
	}
	if (sc == ZC_SYS_SENDMSG || sc == ZC_SYS_WRITEV || sc == ZC_SYS_PWRITEV || sc == ZC_SYS_PWRITEV2) {
		if (bpf_probe_read_user(&first, sizeof(first), (void *)addr) || first.iov_len < TLS_RECORD_HEADER)
			return false;
		addr = (__u64)first.iov_base;
	} else if (sc != ZC_SYS_WRITE && sc != ZC_SYS_PWRITE && sc != ZC_SYS_SENDTO) {
		return false;
	}
	if (bpf_probe_read_user(header, sizeof(header), (void *)addr))
		return false;
	return is_tls_record_header(header);
}

/* Whether the program writes TLS records to this TCP socket: looked at in the first send classified on it
 * and kept in the fd table's entry, so that a socket costs one look however often its sends are
 * classified. Out of line: the look's locals stay off the hot path's frame. */
static __noinline bool sends_tls_records(struct thread_state *state, __u8 sc, struct pt_regs *regs, struct file *file)
{
	struct fd_facts_entry *e = state ? fd_entry_of(state->slot, regs->di, file) : NULL;
	bool seen;

	if (e && e->tls_records != TLS_RECORDS_NOT_LOOKED)
		return e->tls_records == TLS_RECORDS_SEEN;
	seen = send_starts_with_tls_record(sc, regs);
	if (e)
		e->tls_records = seen ? TLS_RECORDS_SEEN : TLS_RECORDS_NONE;
	return seen;
}

#endif /* ZCTRACE_USER_TLS_BPF_H */
