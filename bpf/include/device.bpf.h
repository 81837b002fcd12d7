/* SPDX-License-Identifier: GPL-2.0 */
/* device.bpf.h — the device side of a path: block I/O, dirtied and filled page cache, transmits, major faults. */
#ifndef ZCTRACE_DEVICE_BPF_H
#define ZCTRACE_DEVICE_BPF_H

/* The path that device work in the current task belongs to: the syscall in flight, or the mmap path
 * whose fault is being handled. NULL when neither (the work still counts for the process). */
static __always_inline struct zc_path_counters *inflight_path_files(__u32 slot, struct path_files *files)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct zc_path_key key = {.slot = slot};
	struct fault_context *fc;
	__u8 sc;

	if (in_syscall(regs)) {
		sc = accounted_syscall(BPF_CORE_READ(regs, orig_ax));
		if (sc == ZC_SYS_COUNT) /* another syscall, e.g. fsync or io_uring_enter */
			return NULL;
		key.syscall = sc;
		path_key_compat(task, &key, regs, files, NULL);
		return path_counters(&key);
	}
	/* outside a syscall, kernel work in a task's own context is the handling of its page fault */
	fc = bpf_task_storage_get(&faulting, task, 0, 0);
	if (!fc || !fc->active || fc->key.slot != slot)
		return NULL;
	return path_counters(&fc->key);
}

static __always_inline struct zc_path_counters *inflight_path(__u32 slot)
{
	struct path_files files = {};

	return inflight_path_files(slot, &files);
}

/* Block I/O submitted in the process's own context: sync and readahead reads, O_DIRECT both ways.
 * Buffered writeback is submitted by kworkers; it is counted where the pages were dirtied. */
static __always_inline int block_bio_queue_body(struct bio *bio)
{
	struct zc_process_counters *pc;
	struct zc_path_counters *path;
	__u32 slot, bytes, op;

	pc = traced_process(&slot);
	if (!pc)
		return 0;
	bytes = BPF_CORE_READ(bio, bi_iter.bi_size);
	op = BPF_CORE_READ(bio, bi_opf) & 0xff; /* REQ_OP_MASK */
	if (op != REQ_OP_READ && op != REQ_OP_WRITE)
		return 0;
	if (op == REQ_OP_READ)
		pc->disk_read_bytes += bytes;
	else
		pc->disk_write_bytes += bytes;
	path = inflight_path(slot);
	if (!path)
		return 0;
	if (op == REQ_OP_READ) {
		path->disk_read_events++;
		path->disk_read_bytes += bytes;
	} else {
		path->disk_write_events++;
		path->disk_write_bytes += bytes;
	}
	return 0;
}

static __always_inline int dirty_folio_body(struct folio *folio, struct address_space *mapping)
{
	struct path_files files = {};
	struct zc_process_counters *pc;
	struct zc_path_counters *path;
	__u64 bytes;
	__u32 slot;

	pc = traced_process(&slot);
	if (!pc)
		return 0;
	bytes = folio_bytes(folio);
	pc->dirtied_bytes += bytes;
	path = inflight_path_files(slot, &files);
	/* In a syscall, only the folios of the files it moves data between are its path's: a block that it
	 * dirties on the way is the filesystem's own (ext4 journals an atime update during a read or a
	 * sendfile: 4 KiB of the block device's cache). A fault (no files) dirties the mapped file. */
	if (path && (files.source.file || files.sink.file)) {
		struct file *source = files.source.file, *sink = files.sink.file;

		if (mapping != BPF_CORE_READ(source, f_mapping) && mapping != BPF_CORE_READ(sink, f_mapping))
			path = NULL;
	}
	if (path) {
		path->dirtied_events++;
		path->dirtied_bytes += bytes;
	}
	return 0;
}

static __always_inline int page_cache_fill_body(struct folio *folio)
{
	struct zc_process_counters *pc;
	struct zc_path_counters *path;
	__u64 bytes;
	__u32 slot;

	pc = traced_process(&slot);
	if (!pc)
		return 0;
	bytes = folio_bytes(folio);
	pc->cache_fill_bytes += bytes;
	path = inflight_path(slot);
	if (path)
		path->cache_fill_bytes += bytes;
	return 0;
}

/* Whether an skb is the one the task's send in flight writes: its socket is the socket of the call's out
 * fd. A transmit runs from softirq in whatever task it interrupted (an ACK of another connection, or of a
 * download, while the task writes a file or another socket), and must not be charged to that task. */
static __always_inline bool transmits_for_call(struct task_struct *task, struct pt_regs *regs, __u8 sc,
					       const struct sk_buff *skb, const bool direct)
{
	struct socket *sock;
	struct file *file;
	struct sock *sk;
	umode_t mode;
	int fd;

	if (sc != ZC_SYS_SENDFILE && sc != ZC_SYS_SPLICE && !is_send(sc))
		return false; /* tee, vmsplice and copy_file_range never write to a socket */
	if (direct)
		fd = sc == ZC_SYS_SPLICE ? regs->dx : regs->di;
	else
		fd = sc == ZC_SYS_SPLICE ? BPF_CORE_READ(regs, dx) : BPF_CORE_READ(regs, di);
	file = file_of_fd(task, fd, direct);
	if (!file)
		return false;
	if (direct) {
		struct file *f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
		const struct sk_buff *b = bpf_rdonly_cast(skb, bpf_core_type_id_kernel(struct sk_buff));

		mode = f->f_inode->i_mode;
		if ((mode & S_IFMT) != S_IFSOCK)
			return false;
		sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
		sk = sock->sk;
		return sk && sk == b->sk;
	}
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return false;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	return sk && sk == BPF_CORE_READ(skb, sk);
}

/* Transmit on a device: loopback moves real traffic but no device DMAs it. Counted only for the socket
 * the task's send in flight writes to (transmits_for_call).
 * A NIC is a device with a parent bus device (SET_NETDEV_DEV: PCI, virtio, USB), the same test the
 * receive side's device table makes from /sys/class/net/NAME/device. Without one it is virtual: lo,
 * veth, a bridge, tun — no DMA — and a bond or vlan, which hands the frame on to a real device whose own
 * transmit counts it: counting both would count the frame twice. */
static __always_inline int net_xmit_body(const struct sk_buff *skb, const struct net_device *dev,
					 const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct zc_process_counters *pc;
	struct zc_path_counters *path;
	struct thread_state *state;
	struct zc_path_key key = {};
	struct pt_regs *regs;
	__u32 slot, index, len;
	__u8 sc;

	if (!current_slot(task, &slot, &state)) /* every transmit on the machine passes here */
		RETURN_ZERO_HERE();
	regs = user_regs_of(task, state, direct);
	index = slot_index(slot);
	pc = bpf_map_lookup_elem(&process_counters, &index);
	if (!pc)
		return 0;
	sc = syscall_in_flight(regs, direct);
	if (sc == ZC_SYS_COUNT || !transmits_for_call(task, regs, sc, skb, direct))
		return 0;
	/* tp_btf arguments are typed pointers: direct loads */
	len = skb->len;
	/* a virtual device: real traffic but no DMA, and no path to charge, so no key to build (on loopback,
	 * every transmit of a transfer comes here) */
	if (direct) /* pointer loads through an untrusted view (see file_of_fd) */
		dev = bpf_rdonly_cast(dev, bpf_core_type_id_kernel(struct net_device));
	if ((dev->flags & IFF_LOOPBACK) || !dev->dev.parent) {
		pc->virtual_tx_bytes += len;
		return 0;
	}
	inflight_key(task, state, regs, slot, sc, &key, direct);
	if (key.sink != ZC_KIND_TCP && key.sink != ZC_KIND_UDP)
		return 0;
	pc->nic_tx_bytes += len;
	path = path_counters(&key);
	if (path) {
		path->nic_tx_events++;
		path->nic_tx_bytes += len;
	}
	return 0;
}

/* Software perf event PERF_COUNT_SW_PAGE_FAULTS_MAJ, one per CPU, sample period 1: the kernel's own
 * verdict that a fault had to wait for I/O. */
static __always_inline int major_fault_body(void *ctx)
{
	__u32 slot;
	struct zc_process_counters *pc = traced_process(&slot);

	if (pc)
		pc->major_faults++;
	return 0;
}

#endif /* ZCTRACE_DEVICE_BPF_H */
