/* SPDX-License-Identifier: GPL-2.0 */
/* receive.bpf.h — skb -> user copies, measured, by the device the skb arrived on. */
#ifndef ZCTRACE_RECEIVE_BPF_H
#define ZCTRACE_RECEIVE_BPF_H

/* The network devices the tracer can see, by (network namespace, ifindex): NIC or virtual. Userspace
 * fills it from /sys/class/net before attaching and refreshes it every second and at every read
 * (devices come and go). 4096: far more devices than a host has at once, containers' veths included. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct zc_rx_device_key);
	__type(value, __u32); /* enum zc_rx_device_class */
} rx_devices SEC(".maps");

/* What the device an skb arrived on is. At skb_copy_datagram_iter the skb sits in a socket's receive
 * queue and skb->dev is NULL (seen with bpftrace on 6.18), but skb_iif still holds the ifindex
 * __netif_receive_skb_core stamped on it; UNIX skbs never pass a device and keep 0. An
 * ifindex is unique per network namespace only: the socket's namespace is the receiving device's.
 * Direct loads (tp_btf arguments are typed kernel pointers; a faulting load reads 0): cheaper than probe
 * reads, and this runs for every skb copied to a traced process. */
static __always_inline __u32 rx_device_class(const struct sk_buff *skb, struct thread_state *state,
					      const bool direct)
{
	struct zc_rx_device_key key = {};
	__u32 generation = rx_devices_generation + 1;
	struct sock *sk;
	__u32 *class;
	__u32 found;

	key.ifindex = (__u32)skb->skb_iif;
	if (!key.ifindex)
		return ZC_RX_LOCAL;
	/* pointer loads through an untrusted view where the kernel has it (see file_of_fd) */
	if (direct)
		skb = bpf_rdonly_cast(skb, bpf_core_type_id_kernel(struct sk_buff));
	sk = skb->sk;
	if (!sk)
		return ZC_RX_UNCLASSIFIED;
	key.netns = sk->__sk_common.skc_net.net->ns.inum;
	/* a receive loop's skbs arrive on one device: the thread remembers its class (no hash lookup) */
	if (state && state->rx_generation == generation && state->rx_ifindex == key.ifindex &&
	    state->rx_netns == key.netns)
		return state->rx_class;
	class = bpf_map_lookup_elem(&rx_devices, &key);
	found = class ? *class : ZC_RX_UNCLASSIFIED;
	if (state) {
		state->rx_netns = key.netns;
		state->rx_ifindex = key.ifindex;
		state->rx_class = found;
		state->rx_generation = generation;
	}
	return found;
}

/* An skb copy on a path, by the device the skb arrived on, in the thread's record of the path or in the
 * shared map (the same fields; only the map holds the unclassified devices' counts). */
#define ADD_SKB_COPY(c, arrived_on, len)               \
	do {                                           \
		(c)->skb_copy_events++;                \
		(c)->skb_copy_bytes += (len);          \
		if ((arrived_on) == ZC_RX_NIC) {       \
			(c)->nic_rx_events++;          \
			(c)->nic_rx_bytes += (len);    \
		} else if ((arrived_on) == ZC_RX_VIRTUAL) { \
			(c)->virtual_rx_bytes += (len); \
		}                                      \
	} while (0)

static __always_inline int skb_copy_body(const struct sk_buff *skb, int len, const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *state;
	struct zc_process_counters *pc;
	struct pt_regs *regs;
	struct zc_path_counters *counters;
	struct zc_path_key key = {};
	__u32 arrived_on, slot, entry;
	int index;
	__u8 sc;

	if (!current_slot(task, &slot, &state)) /* every receive on the machine passes here */
		RETURN_ZERO_HERE();
	arrived_on = rx_device_class(skb, state, direct);
	entry = slot_index(slot);
	pc = bpf_map_lookup_elem(&process_counters, &entry);
	if (pc) {
		if (arrived_on == ZC_RX_NIC)
			pc->nic_rx_bytes += len;
		else if (arrived_on == ZC_RX_VIRTUAL)
			pc->virtual_rx_bytes += len;
		else if (arrived_on == ZC_RX_UNCLASSIFIED)
			pc->unclassified_rx_bytes += len;
	}
	regs = user_regs_of(task, state, direct);
	sc = syscall_in_flight(regs, direct);
	if (!is_receive(sc)) {
		if (pc)
			pc->skb_copy_bytes_unattributed += len;
		return 0;
	}
	index = inflight_key(task, state, regs, slot, sc, &key, direct);
	/* a receive loop's repeat: counted in the thread's own record of the path, which has every field but
	 * the unseen devices' */
	if (state && index >= 0 && index < ZC_THREAD_PATHS && arrived_on != ZC_RX_UNCLASSIFIED) {
		ADD_SKB_COPY(&state->counts.paths[index], arrived_on, len);
		return 0;
	}
	counters = path_counters(&key);
	if (!counters)
		return 0;
	ADD_SKB_COPY(counters, arrived_on, len);
	if (arrived_on == ZC_RX_UNCLASSIFIED) {
		counters->unclassified_rx_events++;
		counters->unclassified_rx_bytes += len;
	}
	return 0;
}

#endif /* ZCTRACE_RECEIVE_BPF_H */
