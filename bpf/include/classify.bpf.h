/* SPDX-License-Identifier: GPL-2.0 */
/* classify.bpf.h — what an fd is: kind, loopback, SO_ZEROCOPY, its inode; through the thread's fd cache. */
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

/* What an fd is: read from the task's fd table at the call (CO-RE, so any 6.x layout). */
struct fd_facts {
	__u8 kind;
	bool loopback;
	bool zerocopy_socket; /* SO_ZEROCOPY set */
	bool writable;
	struct zc_endpoint_id id; /* the inode: what flows are keyed by */
};

/* The kind of a file that is not a socket, from its inode's type (and O_DIRECT for regular files). */
static __always_inline __u8 kind_of_inode(umode_t mode, dev_t rdev, unsigned int f_flags)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
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
		out->zerocopy_socket = BPF_CORE_READ(sk, __sk_common.skc_flags) &
				       (1UL << bpf_core_enum_value(enum sock_flags, SOCK_ZEROCOPY));
		return 0;
	}
	out->kind = kind_of_inode(mode, BPF_CORE_READ(inode, i_rdev), BPF_CORE_READ(file, f_flags));
	return 0;
}

/* classify_file_into is a subprogram, not inlined: classification is the cold path (the fd cache answers
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

/* classify_file through the thread's fd cache: a hit costs one read of the file's head (to check that
 * the fd still holds the same file and inode, and to see O_DIRECT or the mode if fcntl changed them). */
static __always_inline struct fd_facts classify_cached(int fd, struct file *file, struct thread_state *state,
						       const bool direct)
{
	struct fd_cache_entry *slot;
	struct fd_facts facts;
	struct file_head f;

	if (!state || !file)
		return classify_file(file);
	slot = &state->fds[fd & (FD_CACHE_SLOTS - 1)];
	if (direct)
		read_file_head_direct(file, &f);
	else
		read_file_head(file, &f);
	if (slot->fd == fd && slot->file == file && slot->inode == f.inode) {
		facts.kind = slot->kind;
		if (facts.kind == ZC_KIND_FILE || facts.kind == ZC_KIND_FILE_DIRECT)
			facts.kind = (f.flags & O_DIRECT) ? ZC_KIND_FILE_DIRECT : ZC_KIND_FILE;
		facts.loopback = slot->loopback;
		facts.zerocopy_socket = slot->zerocopy_socket;
		facts.writable = f.mode & FMODE_WRITE;
		facts.id = slot->id;
		return facts;
	}
	facts = classify_file(file);
	slot->fd = fd;
	slot->file = file;
	slot->inode = f.inode;
	slot->kind = facts.kind;
	slot->loopback = facts.loopback;
	slot->zerocopy_socket = facts.zerocopy_socket;
	slot->id = facts.id;
	return facts;
}

static __always_inline struct fd_facts classify_fd(struct task_struct *task, int fd, __u8 *flags,
						   struct path_end *end, struct thread_state *state,
						   const bool direct)
{
	struct file *file = file_of_fd(task, fd, direct);
	struct fd_facts facts;

	if (!file)
		*flags |= ZC_FLAG_BAD_FD;
	facts = classify_cached(fd, file, state, direct);
	end->file = file;
	end->id = facts.id;
	return facts;
}

#endif /* ZCTRACE_CLASSIFY_BPF_H */
