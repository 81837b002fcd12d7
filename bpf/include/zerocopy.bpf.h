/* SPDX-License-Identifier: GPL-2.0 */
/* zerocopy.bpf.h — what the kernel reported of a process's zero-copy sends: whether it copied them after
 * all. The kernel's own verdict, as the program receives it, counted per process. */
#ifndef ZCTRACE_ZEROCOPY_BPF_H
#define ZCTRACE_ZEROCOPY_BPF_H

/* The control message a MSG_ZEROCOPY completion arrives in: a cmsghdr, then a sock_extended_err. */
struct zerocopy_completion {
	__u64 cmsg_len;
	__s32 cmsg_level;
	__s32 cmsg_type;
	__u32 ee_errno;
	__u8 ee_origin;
	__u8 ee_type;
	__u8 ee_code;
	__u8 ee_pad;
	__u32 ee_info; /* the first send the completion covers (the socket counts its zerocopy sends) */
	__u32 ee_data; /* the last */
};

/* A recvmsg(MSG_ERRQUEUE) that returned: if the kernel wrote a MSG_ZEROCOPY completion into the caller's
 * msghdr, count the sends it covers, and those it flags SO_EE_CODE_ZEROCOPY_COPIED (net/core/skbuff.c,
 * __msg_zerocopy_callback: the pages were copied after all, as on loopback when skb_copy_ubufs runs at
 * local delivery). The msghdr's msg_controllen is the length the kernel wrote by now. A global function:
 * verified once, its frame apart from the hot path's. */
__noinline int note_zerocopy_completions(__u32 slot, __u64 msghdr)
{
	struct zerocopy_completion c;
	struct zc_process_counters *pc;
	__u64 control = 0, length = 0;
	__u32 index, sends;

	if (bpf_probe_read_user(&control, sizeof(control),
				(void *)(msghdr + __builtin_offsetof(struct user_msghdr, msg_control))) ||
	    bpf_probe_read_user(&length, sizeof(length),
				(void *)(msghdr + __builtin_offsetof(struct user_msghdr, msg_controllen))))
		return 0;
	if (!control || length < sizeof(c) || bpf_probe_read_user(&c, sizeof(c), (void *)control))
		return 0;
	if (!((c.cmsg_level == SOL_IP && c.cmsg_type == IP_RECVERR) ||
	      (c.cmsg_level == SOL_IPV6 && c.cmsg_type == IPV6_RECVERR)) ||
	    c.ee_origin != SO_EE_ORIGIN_ZEROCOPY || c.ee_errno != 0)
		return 0;
	index = slot_index(slot);
	pc = bpf_map_lookup_elem(&process_counters, &index);
	if (!pc)
		return 0;
	sends = c.ee_data - c.ee_info + 1; /* the range may wrap: the socket's counter is 32 bits */
	pc->msg_zerocopy_reported_sends += sends;
	if (c.ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
		pc->msg_zerocopy_copied_sends += sends;
	return 0;
}

/* An io_uring SEND_ZC notification (IORING_CQE_F_NOTIF: the kernel is done with the request's buffer).
 * With IORING_SEND_ZC_REPORT_USAGE its result has IORING_NOTIF_USAGE_ZC_COPIED when the payload was
 * copied (io_uring/notif.c); without, it is 0 whatever happened. */
static __always_inline void note_send_zc_notification(__u32 slot, __s32 res)
{
	__u32 index = slot_index(slot);
	struct zc_process_counters *pc = bpf_map_lookup_elem(&process_counters, &index);

	if (!pc)
		return;
	pc->send_zc_notifications++;
	if ((__u32)res & IORING_NOTIF_USAGE_ZC_COPIED)
		pc->send_zc_copied_notifications++;
}

#endif /* ZCTRACE_ZEROCOPY_BPF_H */
