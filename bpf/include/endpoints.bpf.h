/* SPDX-License-Identifier: GPL-2.0 */
/* endpoints.bpf.h — naming an endpoint (a file's path, a socket's addresses) once, when a flow first meets it. */
#ifndef ZCTRACE_ENDPOINTS_BPF_H
#define ZCTRACE_ENDPOINTS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_ENDPOINTS);
	__type(key, struct zc_endpoint_id);
	__type(value, struct zc_endpoint_info);
} endpoints SEC(".maps");

/* Scratch for building an endpoint's info: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_endpoint_info);
} endpoint_scratch SEC(".maps");

/* The sockets traced processes accepted, by inode: the server side of their connections, which a report
 * groups under the address they were accepted on. LRU: a server accepts without end. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct zc_endpoint_id);
	__type(value, __u8);
} accepted_sockets SEC(".maps");

static __always_inline struct zc_endpoint_id endpoint_of(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct zc_endpoint_id id = {};

	id.ino = BPF_CORE_READ(inode, i_ino);
	id.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	return id;
}

/* Names an endpoint once, when a flow first meets it: the file's path (dentry names up to its
 * filesystem's root), or the socket's addresses. Keyed by inode, so a reused fd names nothing wrong. */
static __noinline void register_endpoint(struct file *file, struct zc_endpoint_id *id)
{
	__u32 zero = 0;
	struct zc_endpoint_info *info;
	struct sock *sk = NULL;
	struct inode *inode;
	struct dentry *d;
	umode_t mode;

	if (bpf_map_lookup_elem(&endpoints, id))
		return;
	info = bpf_map_lookup_elem(&endpoint_scratch, &zero);
	if (!info)
		return;
	__builtin_memset(info, 0, sizeof(*info));
	/* the kind without classify_file's subprogram: a frame fewer in the call chain under on_sys_exit */
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) == S_IFSOCK) {
		struct socket *sock = BPF_CORE_READ(file, private_data);

		sk = BPF_CORE_READ(sock, sk);
		info->kind = kind_of_socket(BPF_CORE_READ(sk, __sk_common.skc_family), BPF_CORE_READ(sk, sk_type),
					    BPF_CORE_READ(sk, sk_protocol));
	} else {
		info->kind = kind_of_inode(mode, BPF_CORE_READ(inode, i_rdev), BPF_CORE_READ(file, f_flags),
					   (mode & S_IFMT) == S_IFREG ? BPF_CORE_READ(inode, i_sb, s_magic) : 0);
	}
	if (info->kind == ZC_KIND_TCP || info->kind == ZC_KIND_UDP) {
		info->accepted = bpf_map_lookup_elem(&accepted_sockets, id) != NULL;
		info->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		info->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
		info->peer_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (info->family == AF_INET) {
			__be32 local = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__be32 peer = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memcpy(info->local_addr, &local, 4);
			__builtin_memcpy(info->peer_addr, &peer, 4);
		} else {
			BPF_CORE_READ_INTO(&info->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&info->peer_addr, sk, __sk_common.skc_v6_daddr);
		}
	} else if (info->kind == ZC_KIND_FILE || info->kind == ZC_KIND_FILE_DIRECT || info->kind == ZC_KIND_BLOCKDEV ||
		   info->kind == ZC_KIND_CHARDEV || info->kind == ZC_KIND_NULL || info->kind == ZC_KIND_ZERO ||
		   info->kind == ZC_KIND_PSEUDO) {
		d = BPF_CORE_READ(file, f_path.dentry);
		/* a real loop, not unrolled: one frame slot for each temporary (the 512-byte call chain) */
#pragma clang loop unroll(disable)
		for (int i = 0; i < ZC_PATH_DEPTH; i++) {
			struct dentry *parent = BPF_CORE_READ(d, d_parent);

			bpf_probe_read_kernel_str(info->names[i], ZC_NAME_LEN, BPF_CORE_READ(d, d_name.name));
			info->depth = i + 1;
			if (!parent || parent == d)
				break;
			d = parent;
		}
	} else if (info->kind == ZC_KIND_UNIX) {
		/* a server's connections carry the address it listens on; a client's has none of its own, and
		 * its peer's is that path */
		struct unix_address *addr = BPF_CORE_READ((struct unix_sock *)sk, addr);
		int len;

		info->accepted = bpf_map_lookup_elem(&accepted_sockets, id) != NULL;
		info->unix_address = 1;
		if (!addr) {
			struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);

			addr = peer ? BPF_CORE_READ((struct unix_sock *)peer, addr) : NULL;
			info->unix_address = 2;
		}
		len = addr ? BPF_CORE_READ(addr, len) - (int)sizeof(__kernel_sa_family_t) : 0;
		if (len > 0 && len <= (int)sizeof(((struct sockaddr_un *)0)->sun_path)) {
			/* the whole of sun_path, a constant size (6.1 cannot bound a variable one here: clang drops
			 * the mask after the test above); only len bytes of it are the address */
			bpf_probe_read_kernel(info->names, sizeof(((struct sockaddr_un *)0)->sun_path),
					      (void *)addr + bpf_core_field_offset(struct unix_address, name) +
						      sizeof(__kernel_sa_family_t));
			info->unix_path_len = len;
		} else {
			info->unix_address = 0;
		}
	} else if (info->kind == ZC_KIND_OTHER) {
		/* an anon inode's dentry says what it is: [eventfd], [eventpoll], [timerfd], [io_uring]... */
		d = BPF_CORE_READ(file, f_path.dentry);
		bpf_probe_read_kernel_str(info->names[0], ZC_NAME_LEN, BPF_CORE_READ(d, d_name.name));
		info->depth = 1;
	}
	bpf_map_update_elem(&endpoints, id, info, BPF_NOEXIST);
}

/* A traced process accepted a connection on fd: remembered as the server side. Off the hot path (once a
 * connection), so by probe reads in both builds. */
static __noinline void note_accepted(struct task_struct *task, int fd)
{
	struct file *file = file_of_fd(task, fd, false);
	struct zc_endpoint_id id;
	__u8 yes = 1;

	if (!file)
		return;
	id = endpoint_of(file);
	bpf_map_update_elem(&accepted_sockets, &id, &yes, BPF_ANY);
}

#endif /* ZCTRACE_ENDPOINTS_BPF_H */
