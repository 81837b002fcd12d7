/* SPDX-License-Identifier: GPL-2.0 */
/* classify.bpf.h — what an fd is: kind, loopback, SO_ZEROCOPY and kTLS, its inode; through the fd table. */
#ifndef ZCTRACE_CLASSIFY_BPF_H
#define ZCTRACE_CLASSIFY_BPF_H

static __always_inline bool ipv4_is_loopback(__be32 addr)
{
	/* network byte order: the first octet is the lowest byte on little-endian x86 */
	return (addr & 0xff) == 127;
}

static __always_inline bool sock_is_loopback(struct sock *sk, __u16 family)
{
	if (family == AF_INET)
		return ipv4_is_loopback(BPF_CORE_READ(sk, __sk_common.skc_daddr)) ||
		       ipv4_is_loopback(BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
	if (family == AF_INET6) {
		struct in6_addr daddr = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		__u32 *w = (__u32 *)&daddr;

		/* ::1, or an IPv4-mapped 127.x.y.z */
		if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == bpf_htonl(1))
			return true;
		return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff) && ipv4_is_loopback(w[3]);
	}
	return false;
}

/* What a socket asks of the kernel for its sends (fd_facts.socket_flags). */
enum socket_flag {
	SOCKET_ZEROCOPY = 1 << 0, /* SO_ZEROCOPY set: MSG_ZEROCOPY sends pin their pages */
	SOCKET_KTLS = 1 << 1,     /* the "tls" ULP: the kernel encrypts what it sends */
	SOCKET_NO_SG = 1 << 2,    /* a connected TCP socket whose route's device cannot send pages as they are */
	SOCKET_KTLS_DEVICE = 1 << 3,          /* with SOCKET_KTLS: the NIC encrypts (TLS offload) */
	SOCKET_KTLS_DEVICE_ZEROCOPY = 1 << 4, /* and sendfile's pages go out as they are (TLS_TX_ZEROCOPY_RO) */
};

/* A connected TCP socket whose route's device cannot send pages as they are, so that sendfile, splice and
 * MSG_ZEROCOPY pages take a CPU pass after all. Without NETIF_F_SG, GSO segments them into linear frames,
 * copying every byte (skb_segment): the socket itself still builds page fragments (sk_setup_caps grants
 * GSO sockets SG). Without checksum offload for the socket's family (NETIF_F_HW_CSUM, or NETIF_F_IP_CSUM /
 * NETIF_F_IPV6_CSUM), the kernel checksums every byte itself, copying pages shared with the page cache
 * first (skb_checksum_help linearizes them). The bits are netdev_features_t's first, unchanged since they
 * exist. The device is the cached route's (sk_dst_cache), set at connect; none cached: not known, not
 * flagged. */
#define NETIF_F_SG_FLAG (1ULL << 0)
#define NETIF_F_IP_CSUM_FLAG (1ULL << 1)
#define NETIF_F_HW_CSUM_FLAG (1ULL << 3)
#define NETIF_F_IPV6_CSUM_FLAG (1ULL << 4)
#define TCP_ESTABLISHED_STATE 1

static __always_inline __u8 route_device_flag(__u8 state, __u16 family, bool has_device, __u64 features)
{
	__u64 checksums = NETIF_F_HW_CSUM_FLAG | (family == AF_INET6 ? NETIF_F_IPV6_CSUM_FLAG : NETIF_F_IP_CSUM_FLAG);

	if (state != TCP_ESTABLISHED_STATE || !has_device)
		return 0;
	return !(features & NETIF_F_SG_FLAG) || !(features & checksums) ? SOCKET_NO_SG : 0;
}

static __always_inline __u8 route_flag_probed(struct sock *sk, __u16 family)
{
	struct net_device *dev = BPF_CORE_READ(sk, sk_dst_cache, dev);

	return route_device_flag(BPF_CORE_READ(sk, __sk_common.skc_state), family, dev != NULL,
				 dev ? BPF_CORE_READ(dev, features) : 0);
}

static __always_inline __u8 route_flag_direct(struct sock *sk, __u16 family)
{
	struct dst_entry *dst = sk->sk_dst_cache;
	struct net_device *dev = dst ? dst->dev : NULL;

	return route_device_flag(sk->__sk_common.skc_state, family, dev != NULL, dev ? dev->features : 0);
}

/* Whether a TCP socket has the kernel's TLS (the "tls" upper-layer protocol, set by
 * setsockopt(TCP_ULP, "tls")): its ULP's name, read through inet_connection_sock. */
static __always_inline bool name_is_tls(const char *name)
{
	return name[0] == 't' && name[1] == 'l' && name[2] == 's' && name[3] == 0;
}

/* SOCKET_KTLS, with the transmit mode where the tls module's type is known. */
static __always_inline __u8 ktls_flags(struct sock *sk)
{
	switch (ktls_transmit_mode(sk)) {
	case KTLS_TX_DEVICE:
		return SOCKET_KTLS | SOCKET_KTLS_DEVICE;
	case KTLS_TX_DEVICE_ZEROCOPY:
		return SOCKET_KTLS | SOCKET_KTLS_DEVICE | SOCKET_KTLS_DEVICE_ZEROCOPY;
	}
	return SOCKET_KTLS;
}

static __always_inline __u8 tls_flag_probed(struct sock *sk)
{
	const struct tcp_ulp_ops *ops = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_ulp_ops);
	char name[4] = {};

	if (!ops || bpf_probe_read_kernel(name, sizeof(name), ops->name))
		return 0;
	return name_is_tls(name) ? ktls_flags(sk) : 0;
}

static __always_inline __u8 tls_flag_direct(struct sock *sk)
{
	struct inet_connection_sock *icsk =
		bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct inet_connection_sock));
	const struct tcp_ulp_ops *ops = icsk->icsk_ulp_ops;

	return ops && name_is_tls(ops->name) ? ktls_flags(sk) : 0;
}

/* What an fd is: read from the task's fd table at the call (CO-RE, so any 6.x layout). */
struct fd_facts {
	__u8 kind;
	bool loopback;
	__u8 socket_flags; /* enum socket_flag */
	bool writable;
	struct zc_endpoint_id id; /* the inode: what flows are keyed by */
};

/* A filesystem with no page cache behind its regular files: their reads format what the kernel has, and
 * splicing from them copies (copy_splice_read; 6.1: read_iter into pipe pages). */
static __always_inline bool is_pseudo_filesystem(unsigned long magic)
{
	return magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || magic == DEBUGFS_MAGIC || magic == TRACEFS_MAGIC ||
	       magic == SECURITYFS_MAGIC || magic == CONFIGFS_MAGIC || magic == CGROUP_SUPER_MAGIC ||
	       magic == CGROUP2_SUPER_MAGIC || magic == PSTOREFS_MAGIC || magic == EFIVARFS_MAGIC;
}

/* The kind of a file that is not a socket, from its inode's type (and for regular files O_DIRECT and the
 * filesystem's magic, which the caller reads for them only: 0 otherwise). */
static __always_inline __u8 kind_of_inode(umode_t mode, dev_t rdev, unsigned int f_flags, unsigned long magic)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		if (is_pseudo_filesystem(magic))
			return ZC_KIND_PSEUDO;
		return (f_flags & O_DIRECT) ? ZC_KIND_FILE_DIRECT : ZC_KIND_FILE;
	case S_IFIFO:
		return ZC_KIND_PIPE;
	case S_IFBLK:
		return ZC_KIND_BLOCKDEV;
	case S_IFCHR:
		if (rdev == KERNEL_MKDEV(1, 3))
			return ZC_KIND_NULL;
		if (rdev == KERNEL_MKDEV(1, 5))
			return ZC_KIND_ZERO;
		return ZC_KIND_CHARDEV;
	default:
		return ZC_KIND_OTHER;
	}
}

/* The kind of a socket, from its family, type and protocol. */
static __always_inline __u8 kind_of_socket(__u16 family, __u16 type, __u16 protocol)
{
	if (family == AF_UNIX)
		return ZC_KIND_UNIX;
	if (family != AF_INET && family != AF_INET6)
		return ZC_KIND_OTHER;
	if (type == SOCK_STREAM && protocol == IPPROTO_TCP)
		return ZC_KIND_TCP;
	if (type == SOCK_DGRAM && protocol == IPPROTO_UDP)
		return ZC_KIND_UDP;
	return ZC_KIND_OTHER;
}

/* int, not void: a subprogram must not leave a stack address in r0 (the verifier refuses it) */
static __noinline int classify_file_into(struct file *file, struct fd_facts *out)
{
	struct inode *inode;
	umode_t mode;

	/* filled in place and field by field as read, so that few values stay live across the probe reads
	 * (each a helper call): a small frame, at the bottom of the longest call chains */
	__builtin_memset(out, 0, sizeof(*out));
	if (!file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	out->writable = BPF_CORE_READ(file, f_mode) & FMODE_WRITE;
	out->id.ino = BPF_CORE_READ(inode, i_ino);
	out->id.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) == S_IFSOCK) {
		/* For socket files private_data is the struct socket (sock_alloc_file). */
		struct socket *sock = BPF_CORE_READ(file, private_data);
		struct sock *sk = BPF_CORE_READ(sock, sk);
		__u16 family;

		if (!sk)
			return 0;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		out->kind = kind_of_socket(family, BPF_CORE_READ(sk, sk_type), BPF_CORE_READ(sk, sk_protocol));
		if (family == AF_INET || family == AF_INET6)
			out->loopback = sock_is_loopback(sk, family);
		if (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_ZEROCOPY)))
			out->socket_flags |= SOCKET_ZEROCOPY;
		if (out->kind == ZC_KIND_TCP)
			out->socket_flags |= tls_flag_probed(sk) | route_flag_probed(sk, family);
		return 0;
	}
	out->kind = kind_of_inode(mode, BPF_CORE_READ(inode, i_rdev), BPF_CORE_READ(file, f_flags),
				  (mode & S_IFMT) == S_IFREG ? BPF_CORE_READ(inode, i_sb, s_magic) : 0);
	return 0;
}

/* The same with direct loads (6.2+ builds): a field costs a guarded load instead of a helper call, which
 * made the probe-read classification most of a miss's cost on a server turning over many connections. */
static __noinline int classify_file_direct_into(struct file *file, struct fd_facts *out)
{
	struct inode *inode;
	struct file *f;
	umode_t mode;

	__builtin_memset(out, 0, sizeof(*out));
	if (!file)
		return 0;
	f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	inode = f->f_inode;
	out->writable = f->f_mode & FMODE_WRITE;
	out->id.ino = inode->i_ino;
	out->id.dev = inode->i_sb->s_dev;
	mode = inode->i_mode;
	if ((mode & S_IFMT) == S_IFSOCK) {
		struct socket *sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
		struct sock *sk = sock->sk;
		__u16 family;

		if (!sk)
			return 0;
		family = sk->__sk_common.skc_family;
		out->kind = kind_of_socket(family, sk->sk_type, sk->sk_protocol);
		if (family == AF_INET)
			out->loopback = ipv4_is_loopback(sk->__sk_common.skc_daddr) ||
					ipv4_is_loopback(sk->__sk_common.skc_rcv_saddr);
		else if (family == AF_INET6)
			out->loopback = sock_is_loopback(sk, family);
		if (sk->__sk_common.skc_flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_ZEROCOPY)))
			out->socket_flags |= SOCKET_ZEROCOPY;
		if (out->kind == ZC_KIND_TCP)
			out->socket_flags |= tls_flag_direct(sk) | route_flag_direct(sk, family);
		return 0;
	}
	out->kind = kind_of_inode(mode, inode->i_rdev, f->f_flags, (mode & S_IFMT) == S_IFREG ? inode->i_sb->s_magic : 0);
	return 0;
}

/* classify_file_into is a subprogram, not inlined: classification is the cold path (the fd table answers
 * most calls). */
static __always_inline struct fd_facts classify_file(struct file *file)
{
	struct fd_facts facts;

	classify_file_into(file, &facts);
	return facts;
}

/* One end of a path: its open file (NULL for user memory) and the inode that identifies it. */
struct path_end {
	struct file *file;
	struct zc_endpoint_id id;
};

/* Whether the program writes TLS records to a TCP socket (user_tls.bpf.h), looked at once per socket. */
enum tls_records_hint {
	TLS_RECORDS_NOT_LOOKED = 0,
	TLS_RECORDS_NONE,
	TLS_RECORDS_SEEN,
};

/* What the classification found for one fd of one process. A server's loop turns over hundreds of
 * connections, more than a per-thread cache holds, so the entries live in one table for all CPUs,
 * direct-mapped by (process slot, fd): a process's consecutive fds take consecutive entries. An entry
 * holds while its fd holds the same file and inode. Two CPUs may write one entry at once: `check`, a
 * hash of the other fields written last, rejects an entry mixed from both. */
struct fd_facts_entry {
	__u64 check; /* 0: empty or being written */
	__u64 file;
	__u64 inode;
	struct zc_endpoint_id id;
	__u32 slot;
	__s32 fd;
	__u8 kind;
	__u8 loopback;
	__u8 socket_flags;
	/* hints for the flows and the path key, each checked where used (not covered by `check`): */
	__u8 fill; /* 1 + the entry of its process's fills that its last receive took; 0: none */
	__u8 tls_records; /* enum tls_records_hint: whether the program writes TLS records to it */
	__u8 pad[3];
	struct zc_endpoint_id named; /* the endpoint register_endpoint was asked to name for this file */
	__u64 memo[2]; /* its last receive-like [0] and send-like [1] call (memo.bpf.h: fd_memo_word) */
};

#define FD_FACTS_ENTRIES 16384 /* a power of two */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FD_FACTS_ENTRIES);
	__type(key, __u32);
	__type(value, struct fd_facts_entry);
} fd_facts SEC(".maps");

static __always_inline __u32 fd_facts_index(__u32 slot, int fd)
{
	return (slot * 2654435761u + (__u32)fd) & (FD_FACTS_ENTRIES - 1);
}

static __always_inline __u64 fd_facts_check(__u64 file, __u64 inode, __u64 ino, __u32 dev, __u32 slot, int fd,
					    __u8 kind, __u8 loopback, __u8 socket_flags)
{
	__u64 h = file ^ (inode * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full) ^
		  ((__u64)dev << 32 | (__u32)fd) ^ ((__u64)slot << 24 | (__u64)kind << 16 | loopback << 8 | socket_flags);

	return (h * 0xff51afd7ed558ccdull) | 1;
}

/* The fd table's entry for fd while it describes `file`: where the flows' code keeps its hints about the
 * fd. NULL if the entry is another fd's or file's. */
static __always_inline struct fd_facts_entry *fd_entry_of(__u32 slot, int fd, struct file *file)
{
	__u32 index = fd_facts_index(slot, fd);
	struct fd_facts_entry *e = bpf_map_lookup_elem(&fd_facts, &index);

	if (!e || !e->check || e->slot != slot || e->fd != fd || e->file != (__u64)file)
		return NULL;
	return e;
}

/* classify_file through the fd table: a hit costs one read of the file's head (to check that the fd
 * still holds the same file and inode, and to see O_DIRECT or the mode if fcntl changed them). */
static __always_inline struct fd_facts classify_cached(int fd, struct file *file, struct thread_state *state,
						       const bool direct)
{
	struct fd_facts_entry *e;
	struct fd_facts facts;
	struct file_head f;
	__u32 index, slot;
	__u64 check;

	if (!state || !file)
		return classify_file(file);
	slot = state->slot;
	index = fd_facts_index(slot, fd);
	e = bpf_map_lookup_elem(&fd_facts, &index);
	if (!e)
		return classify_file(file);
	if (direct)
		read_file_head_direct(file, &f);
	else
		read_file_head(file, &f);
	check = e->check;
	/* the hash over what was read here of the entry (the kernel pointers as the entry's own scalars: the
	 * verifier allows no arithmetic on pointers) */
	if (check && e->slot == slot && e->fd == fd && e->file == (__u64)file && e->inode == (__u64)f.inode) {
		facts.kind = e->kind;
		facts.loopback = e->loopback;
		facts.socket_flags = e->socket_flags;
		facts.id = e->id;
		if (check == fd_facts_check(e->file, e->inode, facts.id.ino, facts.id.dev, slot, fd, facts.kind,
					    facts.loopback, facts.socket_flags)) {
			if (facts.kind == ZC_KIND_FILE || facts.kind == ZC_KIND_FILE_DIRECT)
				facts.kind = (f.flags & O_DIRECT) ? ZC_KIND_FILE_DIRECT : ZC_KIND_FILE;
			facts.writable = f.mode & FMODE_WRITE;
			return facts;
		}
	}
	if (direct)
		classify_file_direct_into(file, &facts);
	else
		classify_file_into(file, &facts);
	e->check = 0;
	barrier(); /* a reader meanwhile sees an empty entry, then one whose check matches */
	e->file = (__u64)file;
	e->inode = (__u64)f.inode;
	e->id = facts.id;
	e->slot = slot;
	e->fd = fd;
	e->kind = facts.kind;
	e->loopback = facts.loopback;
	e->socket_flags = facts.socket_flags;
	e->fill = 0;
	e->tls_records = TLS_RECORDS_NOT_LOOKED;
	e->named.ino = 0;
	e->memo[0] = e->memo[1] = 0;
	barrier();
	e->check = fd_facts_check(e->file, e->inode, facts.id.ino, facts.id.dev, slot, fd, facts.kind, facts.loopback,
				  facts.socket_flags);
	return facts;
}

/* An fd of the current task, classified through the fd table, its file (0: not open) in *file. Global
 * functions, one per build: verified once, not once for every fd of every path of their callers (six
 * sites in the path key's build). The file comes back as a number: a global function takes and gives no
 * kernel pointers, and every later use of it reads through bpf_rdonly_cast or probe reads anyway. */
static __always_inline int classify_fd_into(int fd, struct thread_state *state, struct fd_facts *out, __u64 *file,
					    const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f;

	if (!out || !file)
		return 0;
	*file = (__u64)file_of_fd(task, fd, direct);
	f = (struct file *)*(volatile __u64 *)file; /* read back: a number to the verifier, hashable */
	*out = classify_cached(fd, f, state, direct);
	return 0;
}

__noinline int classify_fd_direct(int fd, struct thread_state *state, struct fd_facts *out, __u64 *file)
{
	return classify_fd_into(fd, state, out, file, true);
}

__noinline int classify_fd_compat(int fd, struct thread_state *state, struct fd_facts *out, __u64 *file)
{
	return classify_fd_into(fd, state, out, file, false);
}

static __always_inline struct fd_facts classify_fd(struct task_struct *task, int fd, __u8 *flags,
						   struct path_end *end, struct thread_state *state,
						   const bool direct)
{
	struct fd_facts facts;
	__u64 file = 0;

	if (direct)
		classify_fd_direct(fd, state, &facts, &file);
	else
		classify_fd_compat(fd, state, &facts, &file);
	if (!file)
		*flags |= ZC_FLAG_BAD_FD;
	end->file = (struct file *)file;
	end->id = facts.id;
	return facts;
}

#endif /* ZCTRACE_CLASSIFY_BPF_H */
