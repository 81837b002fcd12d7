// SPDX-License-Identifier: GPL-2.0
/* zctrace.bpf.c — counts, in the kernel and per traced process, how data-moving syscalls move bytes.
 *
 * The hot path is one tp_btf program on sys_exit: at exit the syscall number and its arguments are
 * still in pt_regs and the return value says how many bytes moved, so one program sees everything.
 * Nothing is sent to userspace per syscall: counters live in per-CPU maps that the collector sums.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "zctrace.h"

char LICENSE[] SEC("license") = "GPL";

/* count_call and same_flow compare keys as whole words */
_Static_assert(sizeof(struct zc_path_key) == 8, "zc_path_key is one word");
_Static_assert(sizeof(struct zc_flow_key) == 40, "zc_flow_key is five words");

/* Configuration, set by userspace between open and load. */
const volatile bool follow_children = true;
/* With `zctrace -- CMD`, the forked child's tgid: tracing of it starts at its exec, so that nothing
 * zctrace's own child does before exec is counted. */
const volatile __u32 exec_target_tgid = 0;
/* io_uring:io_uring_complete hands (ctx, req, cqe) on 6.x since 6.3, but (ctx, req, user_data, res, cflags,
 * extra1, extra2) on 6.1: userspace says which from the kernel's BTF. */
const volatile bool io_uring_complete_has_res_arg = false;
/* Precise mode: the copy-function hooks (fentry/fexit) are loaded. Without them the verifier drops the
 * hot path's hand-over of their counts as dead code. */
const volatile bool count_copy_functions = false;

/* Next free process slot. Userspace sets it past the slots it filled for -p before attaching. */
__u32 next_slot = 0;
/* Next thread serial (struct zc_thread_counts); 0 is never handed out. */
__u64 next_thread_serial = 0;
/* Bumped by userspace each time it changes rx_devices: threads' remembered device classes expire. */
__u32 rx_devices_generation = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32);   /* tgid */
	__type(value, __u32); /* slot */
} traced SEC(".maps");

/* A bit per tgid that `traced` may hold: set before an entry goes in, cleared after it comes out, so a
 * clear bit is certain and a set one is checked against `traced`. Every syscall on the machine tests
 * it first: one load instead of a hash lookup (and a task-storage lookup) for the processes zctrace
 * does not trace. 512 KiB. */
__u64 traced_tgid_bits[ZC_TGID_LIMIT / 64];
_Static_assert(ZC_TGID_LIMIT / 64 - 1 == 0xffff, "tgid_word's mask");

/* The bitmap word of a tgid. The mask is asm: clang drops it as redundant after the callers' bound check
 * and then indexes from a register the verifier has no bound for. */
static __always_inline __u64 tgid_word(__u32 tgid)
{
	__u64 word = tgid / 64;

	asm volatile("%0 &= 0xffff" : "+r"(word)); /* ZC_TGID_LIMIT / 64 - 1 */
	return word;
}

/* Branch hints for clang's block placement: the hot path (a traced loop's repeat) laid out straight, its
 * rare branches out of line, so that it runs through a few adjacent cache lines of a 30 KB program. */
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Leaves the program where it stands, returning 0, instead of branching to the shared exit block, which
 * clang places at the far end of a large program. The x86 JIT emits its epilogue at the program's first
 * exit instruction, so one placed first keeps the code that untraced processes run in one place: their
 * early exit from on_sys_exit cost about 20 ns more than the floor's, waiting for the far exit's code. */
#define RETURN_ZERO_HERE()                                \
	do {                                              \
		asm volatile("r0 = 0\n\texit" ::: "r0"); \
		__builtin_unreachable();                  \
	} while (0)

static __always_inline bool maybe_traced(__u32 tgid)
{
	if (tgid >= ZC_TGID_LIMIT)
		return true; /* not a tgid the bitmap can hold: let `traced` decide */
	return traced_tgid_bits[tgid_word(tgid)] & (1ull << (tgid % 64));
}

static __always_inline void set_traced_bit(__u32 tgid, bool on)
{
	if (tgid >= ZC_TGID_LIMIT)
		return;
	if (on)
		__sync_fetch_and_or(&traced_tgid_bits[tgid_word(tgid)], 1ull << (tgid % 64));
	else
		__sync_fetch_and_and(&traced_tgid_bits[tgid_word(tgid)], ~(1ull << (tgid % 64)));
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32); /* slot */
	__type(value, struct zc_process);
} processes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_DEFAULT_MAX_PROCESSES);
	__type(key, __u32); /* slot */
	__type(value, struct zc_process_counters);
} process_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_PATHS);
	__type(key, struct zc_path_key);
	__type(value, struct zc_path_counters);
} paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_health);
} health SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_FLOWS);
	__type(key, struct zc_flow_key);
	__type(value, struct zc_flow_counters);
} flows SEC(".maps");

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

/* What a thread learnt of an fd: classifying one costs several reads of kernel memory, and a busy
 * loop uses the same fds call after call. Valid while the fd still holds the same file and inode. */
struct fd_cache_entry {
	struct file *file;
	struct inode *inode;
	struct zc_endpoint_id id;
	__s32 fd;
	__u8 kind;
	__u8 loopback;
	__u8 zerocopy_socket;
	__u8 pad;
};

#define FD_CACHE_SLOTS 4 /* a power of two: slot = fd % FD_CACHE_SLOTS */

/* A thread's last receive-like and last send-like call on one fd, and where its path is in the thread's
 * record: a loop's next call on the same fd (same file, inode and flags) has the same path key, so it is
 * counted without classifying the fd, building the key or searching the record. */
struct call_memo {
	struct file *file;
	struct inode *inode;
	struct zc_endpoint_id id; /* the fd's inode: the flow's source (receive) or sink (send) */
	__u32 f_flags;
	__s32 fd;
	__u8 sc;   /* the accounted syscall */
	__u8 path; /* 1 + its index in counts.paths; 0: nothing remembered */
	/* sends: 1 + the index in counts.flows of the read+write flow from flow_source to this fd; 0: none */
	__u8 flow;
	__u8 pad;
	__u16 nr; /* the raw syscall number: a repeat is found before the syscall is classified */
	__u8 pad2[2];
	struct zc_endpoint_id flow_source;
};

/* A thread's last sendfile or copy_file_range, which a call_memo cannot hold (two fds): a server's
 * sendfile loop repeats it chunk after chunk, and each repeat is counted here in one step too, its path
 * and its flow both in the thread's record. */
struct pair_memo {
	struct file *in_file;
	struct file *out_file;
	struct inode *in_inode;
	struct inode *out_inode;
	__u32 in_flags;
	__u32 out_flags;
	__s32 in_fd;
	__s32 out_fd;
	__u16 nr;  /* the raw syscall number */
	__u8 path; /* 1 + its index in counts.paths; 0: nothing remembered */
	__u8 flow; /* 1 + the index of its flow in counts.flows */
	__u8 pad[4];
};

/* A VMA a thread's page fault was in (end 0: none). */
struct fault_vma {
	__u64 start;
	__u64 end;
	struct file *file;
};

/* A power of two. A program's start-up faults in its binary, ld.so, libc, heap and stack by turns: one
 * remembered VMA caught few of them. */
#define FAULT_VMAS 8

/* Per thread: its fd cache, what it read last and what it spliced into a pipe last, to pair it with
 * what follows. */
struct thread_state {
	/* the thread the entry belongs to (thread_table): its id (0: free) and start time */
	__u32 owner_tid;
	__u32 owner_pad;
	__u64 owner_start;
	/* hot: read or written on every traced syscall, kept together in the first cache lines */
	__u32 slot;   /* the traced process it belongs to */
	__u32 traced; /* slot is valid */
	__u32 has_read;
	__u32 has_splice;
	__u64 unwritten; /* bytes read from last_read and not yet written anywhere */
	struct zc_endpoint_id last_read;
	struct call_memo memo[2]; /* [0] receive-like, [1] send-like */
	struct pair_memo pair;
	struct fd_cache_entry fds[FD_CACHE_SLOTS];
	/* the thread's own counts of its busiest paths and flows: see zctrace.h */
	struct zc_thread_counts counts;
	/* colder: splice relays and mmap+write */
	struct zc_flow_key flow_key;          /* the flow track_flow counts: scratch, off the BPF stack */
	struct zc_endpoint_id mapped_source;  /* the file an mmap+write flow's buffer maps: scratch too */
	struct zc_endpoint_id splice_pipe;
	struct zc_endpoint_id splice_origin;
	/* the VMA that held this thread's last write buffer, and the file it maps (NULL: anonymous) */
	__u64 vma_start;
	__u64 vma_end;
	struct file *vma_file;
	__u32 vma_generation; /* the process's mapping_generation when it was looked up */
	__u32 vma_valid;
	/* the same for the VMAs of its last page faults (the mapping as it is: a private writable file
	 * mapping is its file's here, where the write buffer's cache above calls it anonymous) */
	struct fault_vma fault_vmas[FAULT_VMAS];
	__u32 fault_vmas_generation; /* the process's mapping_generation they were looked up in */
	__u32 fault_vmas_next;       /* the entry the next lookup replaces */
	/* the class of the device its last received skb arrived on (rx_device_class), while
	 * rx_devices_generation is rx_generation */
	__u32 rx_netns;
	__u32 rx_ifindex;
	__u32 rx_class;
	__u32 rx_generation; /* 1 + rx_devices_generation when remembered; 0: nothing */
	__u64 user_regs; /* where the task's saved user registers are (user_regs_of); 0: not yet known */
	/* precise mode: copy functions entered and not yet left (they nest: copy_page_to_iter calls
	 * _copy_to_iter), and the payload the outermost ones copied in the syscall in flight */
	__u32 copy_depth;
	__u32 pad;
	__u64 copied_events;
	__u64 copied_bytes;
};

/* Traced threads' state: an array indexed by thread id (then up to ZC_THREAD_TABLE_PROBES - 1 next
 * entries), owned by (tid, start time). Not task storage: its lookup is a helper call that cost a fifth
 * of the hot path here, where an array lookup is inlined. A thread that finds no free entry is counted in
 * the shared maps instead, and the report says how many syscalls ran so (health.thread_table_full). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZC_THREAD_TABLE_SIZE);
	__type(key, __u32);
	__type(value, struct thread_state);
} thread_table SEC(".maps");

/* Records of exited threads, by serial: userspace drains them at every read. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_DEFAULT_MAX_DEAD_THREADS);
	__type(key, __u64);
	__type(value, struct zc_thread_counts);
} dead_threads SEC(".maps");

/* The mmap path whose page fault a task is handling, so that I/O it submits meanwhile (outside any
 * syscall) is charged to that path. */
struct fault_context {
	struct zc_path_key key;
	__u64 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fault_context);
} faulting SEC(".maps");

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

/* Macros that vmlinux.h cannot carry. */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define O_DIRECT 00040000
#define FMODE_WRITE 0x2
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define MSG_ZEROCOPY 0x4000000
#define MAP_ANONYMOUS 0x20
#define F_SETLEASE 1024
#define F_UNLCK 2
#define SIGBUS 7
#define KERNEL_MKDEV(major, minor) (((major) << 20) | (minor))

enum health_counter { PATH_MAP_FULL, PROCESS_MAP_FULL, FLOW_MAP_FULL, THREAD_TABLE_FULL };

static __always_inline void count_health(enum health_counter which)
{
	__u32 zero = 0;
	struct zc_health *h = bpf_map_lookup_elem(&health, &zero);

	if (!h)
		return;
	if (which == PATH_MAP_FULL)
		h->path_map_full++;
	else if (which == PROCESS_MAP_FULL)
		h->process_map_full++;
	else if (which == FLOW_MAP_FULL)
		h->flow_map_full++;
	else
		h->thread_table_full++;
}

/* The thread's entry in thread_table, or NULL. Its own tid's entry first: a hit on the first probe is
 * the common case. */
/* any_start: match by thread id alone, for a thread whose start time changed (see on_exec) */
static __always_inline struct thread_state *thread_state_by(__u32 tid, __u64 start, const bool any_start)
{
	for (__u32 i = 0; i < ZC_THREAD_TABLE_PROBES; i++) {
		__u32 index = (tid + i) & (ZC_THREAD_TABLE_SIZE - 1);
		struct thread_state *state = bpf_map_lookup_elem(&thread_table, &index);

		if (likely(state && state->owner_tid == tid && (any_start || state->owner_start == start)))
			return state;
	}
	return NULL;
}

static __always_inline struct thread_state *thread_state_of(struct task_struct *task)
{
	return thread_state_by(task->pid, task->start_time, false);
}

/* Takes a free entry for the thread (compare-and-swap of the owner: two new threads may race for it),
 * reset for it. NULL, counted as thread_table_full, if its entries are all taken. */
#define RESET_WORDS ((sizeof(struct thread_state) - offsetof(struct thread_state, owner_start)) / 8)

static __noinline struct thread_state *claim_thread_state(struct task_struct *task, __u32 slot)
{
	__u32 tid = task->pid;
	__u64 *reset;

	for (__u32 i = 0; i < ZC_THREAD_TABLE_PROBES; i++) {
		__u32 index = (tid + i) & (ZC_THREAD_TABLE_SIZE - 1);
		struct thread_state *state = bpf_map_lookup_elem(&thread_table, &index);

		if (!state || state->owner_tid || __sync_val_compare_and_swap(&state->owner_tid, 0, tid) != 0)
			continue;
		/* an earlier owner's fd cache, memo and counts go: all but the owner's id (word by word: clang
		 * expands a memset into stores only up to a size, and this one is larger) */
		state->owner_pad = 0;
		reset = (__u64 *)&state->owner_start;
		for (__u32 word = 0; word < RESET_WORDS; word++) {
			reset[word] = 0;
			barrier(); /* or clang turns the loop back into the memset it cannot emit */
		}
		state->owner_start = task->start_time;
		state->slot = slot;
		state->counts.slot = slot;
		state->counts.serial = __sync_fetch_and_add(&next_thread_serial, 1) + 1;
		barrier(); /* the task iterator may look meanwhile: traced last */
		state->traced = 1;
		return state;
	}
	count_health(THREAD_TABLE_FULL);
	return NULL;
}

/* Whether a thread's record holds anything to collect: a thread that moved no data still counted its
 * syscalls (its mode switches). */
static __always_inline bool has_counts(struct thread_state *state)
{
	return state->counts.syscalls || state->counts.npaths || state->counts.nflows;
}

/* Gives the entry back when its thread exits (after its counts are retired). */
static __always_inline void release_thread_state(struct thread_state *state)
{
	state->traced = 0;
	barrier();
	state->owner_tid = 0;
}

/* bpf_rdonly_cast (Linux 6.2+) turns a kernel address into a typed pointer whose fields the program
 * loads directly (the JIT guards each load like a probe read), instead of a bpf_probe_read_kernel
 * call per read: the difference is most of the hot path's cost. Weak: on an older kernel it resolves
 * to nothing and on_sys_exit_compat, which never calls it, is loaded instead. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline struct file *file_of_fd(struct task_struct *task, int fd, const bool direct)
{
	/* task → files → fdt are plain loads of BTF pointers (no helper call); the array slot is not */
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;

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

/* The two ends of a path. */
struct path_files {
	struct path_end source;
	struct path_end sink;
};

/* Fills the path key of an accounted syscall from its arguments (x86_64: di, si, dx, r10, r8, r9). */
static __always_inline void build_path_key(struct task_struct *task, struct zc_path_key *key, __u8 sc,
					   struct pt_regs *regs, struct path_files *files,
					   struct thread_state *state, const bool direct)
{
	/* one fd's facts at a time, used up before the next fd's: one stack slot, not two */
	struct fd_facts facts;
	__u8 flags = 0;

	key->syscall = sc;
	if (is_receive(sc)) {
		facts = classify_fd(task, regs->di, &flags, &files->source, state, direct);
		key->source = facts.kind;
		key->sink = ZC_KIND_USER;
		if (facts.loopback)
			flags |= ZC_FLAG_SOURCE_LOOPBACK;
	} else if (is_send(sc)) {
		__u64 msg_flags = 0;

		facts = classify_fd(task, regs->di, &flags, &files->sink, state, direct);
		key->source = ZC_KIND_USER;
		key->sink = facts.kind;
		if (facts.loopback)
			flags |= ZC_FLAG_SINK_LOOPBACK;
		if (sc == ZC_SYS_SENDTO || sc == ZC_SYS_SENDMMSG)
			msg_flags = regs->r10;
		else if (sc == ZC_SYS_SENDMSG)
			msg_flags = regs->dx;
		/* MSG_ZEROCOPY is ignored by the kernel unless the socket has SO_ZEROCOPY */
		if ((msg_flags & MSG_ZEROCOPY) && facts.zerocopy_socket)
			flags |= ZC_FLAG_MSG_ZEROCOPY;
	} else if (sc == ZC_SYS_MMAP) {
		if (regs->r10 & MAP_ANONYMOUS) {
			key->source = ZC_KIND_ANON;
		} else {
			facts = classify_fd(task, regs->r8, &flags, &files->source, state, direct);
			key->source = facts.kind;
		}
		key->sink = ZC_KIND_USER;
	} else if (sc == ZC_SYS_MUNMAP) {
		/* the fd is long gone: munmap only says how much was unmapped */
		key->source = ZC_KIND_OTHER;
		key->sink = ZC_KIND_USER;
	} else if (sc == ZC_SYS_VMSPLICE) {
		/* vmsplice on a pipe's write end maps user pages in; on its read end it copies out */
		struct path_end pipe;

		facts = classify_fd(task, regs->di, &flags, &pipe, state, direct);
		if (facts.writable) {
			key->source = ZC_KIND_USER;
			key->sink = facts.kind;
			files->sink = pipe;
		} else {
			key->source = facts.kind;
			key->sink = ZC_KIND_USER;
			files->source = pipe;
		}
	} else {
		/* sendfile(out, in, ...); splice(in, off, out, ...); tee(in, out, ...);
		 * copy_file_range(in, off, out, ...) */
		int in_fd = regs->di, out_fd = regs->dx;

		if (sc == ZC_SYS_SENDFILE) {
			in_fd = regs->si;
			out_fd = regs->di;
		} else if (sc == ZC_SYS_TEE) {
			out_fd = regs->si;
		}
		facts = classify_fd(task, in_fd, &flags, &files->source, state, direct);
		key->source = facts.kind;
		if (facts.loopback)
			flags |= ZC_FLAG_SOURCE_LOOPBACK;
		facts = classify_fd(task, out_fd, &flags, &files->sink, state, direct);
		key->sink = facts.kind;
		if (facts.loopback)
			flags |= ZC_FLAG_SINK_LOOPBACK;
	}
	key->flags = flags;
}

/* The path key's build as a subprogram, one per build: the classification's locals get a frame of their
 * own instead of growing every caller's (the verifier sums a call chain's frames against 512 bytes). A
 * call costs a speculation barrier here (AMD's SRSO "safe RET"), so the memo's repeats never make it:
 * only calls the memo misses do. */
static __noinline void path_key_compat(struct task_struct *task, struct zc_path_key *key, struct pt_regs *regs,
				       struct path_files *files, struct thread_state *state)
{
	/* five arguments at most: the syscall comes in the key */
	build_path_key(task, key, key->syscall, regs, files, state, false);
	/* the verifier refuses a subprogram that leaves a stack address in r0, and clang leaves r0 as it
	 * is in a function whose result nobody uses: clear it */
	asm volatile("r0 = 0" ::: "r0");
}

/* The direct build, for account_call and for the programs that fire inside a syscall (skb copies,
 * transmits) and find no memo for it, such as a splice loop's every skb. With the thread's fd cache
 * (state) its two fds cost two cache checks instead of two classifications by probe reads. */
static __noinline void path_key_direct(struct task_struct *task, struct zc_path_key *key, struct pt_regs *regs,
				       struct path_files *files, struct thread_state *state)
{
	build_path_key(task, key, key->syscall, regs, files, state, true);
	asm volatile("r0 = 0" ::: "r0"); /* as in path_key_compat */
}

struct mmsg_sum_ctx {
	struct mmsghdr *vec;
	__u64 bytes;
};

static long add_mmsg_len(__u64 index, struct mmsg_sum_ctx *ctx)
{
	unsigned int len = 0;

	bpf_probe_read_user(&len, sizeof(len), &ctx->vec[index].msg_len);
	ctx->bytes += len;
	return 0;
}

/* sendmmsg/recvmmsg return a message count; the bytes are in each mmsghdr's msg_len. */
static __noinline __u64 mmsg_bytes(struct pt_regs *regs, long messages)
{
	struct mmsg_sum_ctx ctx = {.vec = (struct mmsghdr *)regs->si};

	if (messages > ZC_MAX_MMSG)
		messages = ZC_MAX_MMSG;
	bpf_loop(messages, add_mmsg_len, &ctx, 0);
	return ctx.bytes;
}

/* The new path's first value, from .rodata: a zeroed struct on the stack would cost every caller's frame
 * its 184 bytes (the verifier allows 512 for a program's whole call chain). */
const struct zc_path_counters zero_path_counters = {};

static __always_inline struct zc_path_counters *path_counters(struct zc_path_key *key)
{
	struct zc_path_counters *counters = bpf_map_lookup_elem(&paths, key);

	if (counters)
		return counters;
	/* EEXIST (another CPU inserted it first) is fine: the lookup below finds it either way */
	bpf_map_update_elem(&paths, key, (void *)&zero_path_counters, BPF_NOEXIST);
	counters = bpf_map_lookup_elem(&paths, key);
	if (!counters)
		count_health(PATH_MAP_FULL);
	return counters;
}

#define COUNT_CALL(c, ret_, moved_)          \
	do {                                 \
		(c)->calls++;                \
		if ((ret_) < 0)              \
			(c)->errors++;       \
		else                         \
			(c)->bytes += (moved_); \
	} while (0)

/* The hot path's case, inlined (a call costs a speculation barrier here): the path is already in the
 * thread's record. */
static __always_inline __u32 count_in_thread_record(struct thread_state *state, struct zc_path_key *key,
						    long ret, __u64 bytes)
{
	struct zc_thread_counts *tc = &state->counts;
	__u64 wanted = *(__u64 *)key;
	__u32 used = tc->npaths;

	for (__u32 i = 0; i < ZC_THREAD_PATHS && i < used; i++) {
		struct zc_thread_path *p = &tc->paths[i];

		if (*(__u64 *)&p->key == wanted) {
			COUNT_CALL(p, ret, bytes);
			return i + 1;
		}
	}
	return 0;
}

/* Counts one call of a path: in the thread's own record when the path is there or there is room for
 * it (no map update: the hot path of a busy thread), else in the shared per-CPU map. A path enters the
 * thread's record only once the map holds it too, so that a full map is counted when the path first
 * appears, as for any other path, and the device-side programs find it to add their events to.
 * Returns 1 + the path's index in the thread's record, 0 if it was counted in the map. */
__noinline int count_call(struct thread_state *state, struct zc_path_key *key, long ret, __u64 bytes)
{
	struct zc_path_counters *counters;

	struct zc_path_key local;

	/* a global function: verified once, not again for every path through on_sys_exit */
	if (!key)
		return 0;
	/* map helpers take a key on the stack (6.1 refuses the argument's own memory) */
	local = *key;
	key = &local;

	/* mapping calls are rare after start-up: they must not take the slots of the loop's paths */
	if (state && key->syscall != ZC_SYS_MMAP && key->syscall != ZC_SYS_MUNMAP) {
		struct zc_thread_counts *tc = &state->counts;
		__u64 wanted = *(__u64 *)key;
		__u32 used = tc->npaths;

		for (__u32 i = 0; i < ZC_THREAD_PATHS; i++) {
			struct zc_thread_path *p = &tc->paths[i];

			if (i == used) {
				if (!path_counters(key))
					return 0; /* counted as path_map_full */
				p->key = *key;
				/* the iterator may read the record meanwhile: the key is in place before npaths
				 * covers it */
				barrier();
				tc->npaths = used + 1;
				COUNT_CALL(p, ret, bytes);
				return i + 1;
			}
			if (*(__u64 *)&p->key == wanted) {
				COUNT_CALL(p, ret, bytes);
				return i + 1;
			}
		}
	}
	counters = path_counters(key);
	if (counters)
		COUNT_CALL(counters, ret, bytes);
	return 0;
}

/* ---- flows: pairing what a thread reads with what it writes ---- */

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
		info->kind = kind_of_inode(mode, BPF_CORE_READ(inode, i_rdev), BPF_CORE_READ(file, f_flags));
	}
	if (info->kind == ZC_KIND_TCP || info->kind == ZC_KIND_UDP) {
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
		   info->kind == ZC_KIND_CHARDEV || info->kind == ZC_KIND_NULL || info->kind == ZC_KIND_ZERO) {
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
	}
	bpf_map_update_elem(&endpoints, id, info, BPF_NOEXIST);
}

/* A new flow's first value, from .rodata (a zeroed struct on the stack would grow the frame). */
const struct zc_flow_counters zero_flow_counters = {};

/* The flow's shared counters, made (and its ends named) at first sight. Inlined into add_flow, its
 * only caller: a frame of its own would lengthen the call chain under on_sys_exit. */
static __always_inline struct zc_flow_counters *flow_counters(struct zc_flow_key *key, struct file *source_file,
							struct file *sink_file)
{
	struct zc_flow_counters *c = bpf_map_lookup_elem(&flows, key);

	if (!c) {
		/* first sight of this flow: name its ends while their files are at hand */
		if (source_file)
			register_endpoint(source_file, &key->source);
		if (sink_file)
			register_endpoint(sink_file, &key->sink);
		bpf_map_update_elem(&flows, key, (void *)&zero_flow_counters, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&flows, key);
		if (!c)
			count_health(FLOW_MAP_FULL);
	}
	return c;
}

static __always_inline bool same_flow(const struct zc_flow_key *a, const struct zc_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* A flow's chunk, counted in the thread's record when the flow is there: true if so. A global function:
 * verified once, not again for each of the places a flow is counted from. */
__noinline int count_thread_flow(struct thread_state *state, struct zc_flow_key *key, __u64 bytes)
{
	if (!state || !key)
		return 0;
	for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < state->counts.nflows; i++) {
		struct zc_thread_flow *f = &state->counts.flows[i];

		if (same_flow(&f->key, key)) {
			f->bytes += bytes;
			f->chunks++;
			return 1;
		}
	}
	return 0;
}

/* Gives the flow an entry in the thread's record, counting this chunk there, if there is room. */
__noinline int claim_thread_flow(struct thread_state *state, struct zc_flow_key *key, __u64 bytes)
{
	__u32 used;

	if (!state || !key)
		return 0;
	used = state->counts.nflows;
	if (used >= ZC_THREAD_FLOWS)
		return 0;
	state->counts.flows[used].key = *key;
	state->counts.flows[used].bytes += bytes;
	state->counts.flows[used].chunks++;
	barrier(); /* the entry is complete before nflows covers it (the iterator may read meanwhile) */
	state->counts.nflows = used + 1;
	return 1;
}

/* Counts a flow's chunk like count_call counts a path: in the thread's record when it is there or
 * there is room, else in the shared map. A flow enters the record once the map holds it (and its ends
 * are named), so that a full map is counted at first sight. */
static __noinline void add_flow(struct zc_flow_key *key, struct file *source_file, struct file *sink_file,
				__u64 bytes, struct thread_state *state)
{
	struct zc_flow_counters *c;

	if (count_thread_flow(state, key, bytes))
		return;
	c = flow_counters(key, source_file, sink_file);
	if (!c || claim_thread_flow(state, key, bytes))
		return;
	c->bytes += bytes;
	c->chunks++;
}

/* A flow of `method` from source to sink (endpoint ids), by the process in `slot`: fills the thread's
 * flow key (in its state, not on the BPF stack: the call chain under on_sys_exit must stay well within
 * the verifier's 512 bytes) and counts the chunk. */
#define ADD_FLOW(slot_, method_, source_id, source_file, sink_id, sink_file, bytes_)                       \
	do {                                                                                                \
		state->flow_key.slot = (slot_);                                                             \
		state->flow_key.method = (method_);                                                         \
		state->flow_key.source = *(source_id);                                                      \
		state->flow_key.sink = *(sink_id);                                                          \
		add_flow(&state->flow_key, (source_file), (sink_file), (bytes_), state);                    \
	} while (0)

struct mapped_file {
	struct file *file;
	__u64 start;
	__u64 end;
};

#define VM_WRITE 0x2
#define VM_SHARED 0x8

static long mapping_file(struct task_struct *task, struct vm_area_struct *vma, struct mapped_file *out)
{
	unsigned long flags = BPF_CORE_READ(vma, vm_flags);

	/* a private writable mapping (a library's .data, say) holds the process's own copies, not the
	 * file's page cache: writing from it is a write from anonymous memory */
	out->file = (flags & VM_WRITE) && !(flags & VM_SHARED) ? NULL : BPF_CORE_READ(vma, vm_file);
	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* The file a write-like call's buffer is mapped from, or NULL (anonymous memory, or not looked at).
 * A VMA lookup takes the mmap lock, so each thread remembers the last VMA it found: a loop writing
 * from the same buffer looks it up once, until the process maps or unmaps something. */
static __noinline struct file *write_buffer_file(__u8 sc, struct pt_regs *regs, struct thread_state *state,
						      __u32 generation)
{
	struct mapped_file found = {};
	__u64 addr = 0;

	if (sc == ZC_SYS_WRITE || sc == ZC_SYS_PWRITE || sc == ZC_SYS_SENDTO) {
		addr = regs->si;
	} else if (sc == ZC_SYS_WRITEV || sc == ZC_SYS_PWRITEV || sc == ZC_SYS_PWRITEV2) {
		bpf_probe_read_user(&addr, sizeof(addr), (void *)regs->si); /* iov[0].iov_base */
	} else if (sc == ZC_SYS_SENDMSG) {
		struct iovec *iov = NULL;

		bpf_probe_read_user(&iov, sizeof(iov), &((struct user_msghdr *)regs->si)->msg_iov);
		bpf_probe_read_user(&addr, sizeof(addr), &iov->iov_base);
	}
	if (!addr)
		return NULL;
	if (state->vma_valid && state->vma_generation == generation && addr >= state->vma_start &&
	    addr < state->vma_end)
		return state->vma_file;
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, mapping_file, &found, 0))
		return NULL;
	state->vma_start = found.start;
	state->vma_end = found.end;
	state->vma_file = found.file;
	state->vma_generation = generation;
	state->vma_valid = 1;
	return found.file;
}

static __always_inline void track_flow(__u32 slot, __u8 sc, struct zc_path_key *key, struct path_files *files,
				       struct pt_regs *regs, __u64 bytes, struct thread_state *state)
{
	struct zc_endpoint_id *source = &files->source.id, *sink = &files->sink.id;

	if (sc >= ZC_SYS_IO_URING_READ)
		return;
	if (is_receive(sc)) {
		if (!files->source.file)
			return;
		/* name it now, while the file is at hand, but only when the thread turns to a new source */
		if (!state->has_read || state->last_read.ino != source->ino || state->last_read.dev != source->dev) {
			register_endpoint(files->source.file, source);
			state->unwritten = 0;
		}
		state->last_read = *source;
		state->has_read = 1;
		state->unwritten += bytes;
		return;
	}
	if (!files->sink.file)
		return;
	if (is_send(sc)) {
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);

		/* only processes that mapped a file pay for the VMA lookup */
		if (proc && (proc->flags & ZC_PROC_FILE_MMAP)) {
			struct file *mapped = write_buffer_file(sc, regs, state, proc->mapping_generation);

			if (mapped) {
				state->mapped_source = endpoint_of(mapped);
				ADD_FLOW(slot, ZC_FLOW_MMAP_WRITE, &state->mapped_source, mapped, sink, files->sink.file,
					 bytes);
				return;
			}
		}
		/* a relay writes what it read: only bytes read and not yet written pair up, so a thread that
		 * read a config file once is not a relay of everything it writes afterwards */
		if (state->has_read && state->unwritten) {
			__u64 paired = bytes < state->unwritten ? bytes : state->unwritten;

			state->unwritten -= paired;
			ADD_FLOW(slot, ZC_FLOW_READ_WRITE, &state->last_read, NULL, sink, files->sink.file, paired);
		}
		return;
	}
	if (!files->source.file)
		return;
	switch (sc) {
	case ZC_SYS_SENDFILE:
		ADD_FLOW(slot, ZC_FLOW_SENDFILE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_COPY_FILE_RANGE:
		ADD_FLOW(slot, ZC_FLOW_COPY_FILE_RANGE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_TEE:
		ADD_FLOW(slot, ZC_FLOW_TEE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_VMSPLICE:
		ADD_FLOW(slot, ZC_FLOW_VMSPLICE, source, files->source.file, sink, files->sink.file, bytes);
		break;
	case ZC_SYS_SPLICE:
		ADD_FLOW(slot, ZC_FLOW_SPLICE, source, files->source.file, sink, files->sink.file, bytes);
		if (key->sink == ZC_KIND_PIPE) { /* first leg: remember where the pipe's bytes came from */
			state->splice_pipe = *sink;
			state->splice_origin = *source;
			state->has_splice = 1;
		} else if (key->source == ZC_KIND_PIPE && state->has_splice && state->splice_pipe.ino == source->ino &&
			   state->splice_pipe.dev == source->dev) {
			ADD_FLOW(slot, ZC_FLOW_SPLICE_RELAY, &state->splice_origin, NULL, sink, files->sink.file, bytes);
		}
		break;
	}
}

/* track_flow as a subprogram: its locals get a frame of their own rather than growing its callers'
 * (the verifier sums a call chain's frames against 512 bytes). */
static __noinline void track_flow_call(struct zc_path_key *key, struct path_files *files, struct pt_regs *regs,
				       __u64 bytes, struct thread_state *state)
{
	track_flow(key->slot, key->syscall, key, files, regs, bytes, state);
	asm volatile("r0 = 0" ::: "r0"); /* no stack address left in r0 (see path_key_compat) */
}

/* The loop's cases of track_flow, inlined (each call costs a speculation barrier here): a read from the
 * source the thread read last, and a write from anonymous memory of bytes read before, whose flow is
 * already in the thread's record. True if done; false, with nothing changed, for track_flow_call. */
static __always_inline bool track_flow_inline(struct zc_path_key *key, struct path_files *files,
					      struct pt_regs *regs, __u64 bytes, struct thread_state *state,
					      struct call_memo *memo)
{
	__u8 sc = key->syscall;

	if (sc >= ZC_SYS_IO_URING_READ)
		return true; /* track_flow keeps no flow for them either */
	if (is_receive(sc)) {
		if (!files->source.file || !state->has_read || state->last_read.ino != files->source.id.ino ||
		    state->last_read.dev != files->source.id.dev)
			return false;
		state->unwritten += bytes;
		return true;
	}
	if (!is_send(sc) || !files->sink.file)
		return false;
	{
		struct zc_process *proc = bpf_map_lookup_elem(&processes, &key->slot);
		/* the thread's flow key, not one on the stack: on_sys_exit's frame is the base of every call
		 * chain beneath it */
		struct zc_flow_key *fk = &state->flow_key;
		__u64 paired;

		if (!proc)
			return false;
		if (proc->flags & ZC_PROC_FILE_MMAP) {
			/* only a buffer known to be anonymous (the thread's cached VMA) stays on this path */
			__u64 addr = regs->si;

			if ((sc != ZC_SYS_WRITE && sc != ZC_SYS_PWRITE && sc != ZC_SYS_SENDTO) || !state->vma_valid ||
			    state->vma_generation != proc->mapping_generation || addr < state->vma_start ||
			    addr >= state->vma_end || state->vma_file)
				return false;
		}
		if (!state->has_read || !state->unwritten)
			return true; /* nothing read to pair with: no flow */
		paired = bytes < state->unwritten ? bytes : state->unwritten;
		if (memo && memo->flow && state->last_read.ino == memo->flow_source.ino &&
		    state->last_read.dev == memo->flow_source.dev) {
			/* the same source as this fd's last send: the flow the memo points at */
			__u32 i = memo->flow - 1;

			if (i < ZC_THREAD_FLOWS) {
				state->unwritten -= paired;
				state->counts.flows[i].bytes += paired;
				state->counts.flows[i].chunks++;
				return true;
			}
		}
		fk->slot = key->slot;
		fk->method = ZC_FLOW_READ_WRITE;
		fk->source = state->last_read;
		fk->sink = files->sink.id;
		for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < state->counts.nflows; i++) {
			struct zc_thread_flow *f = &state->counts.flows[i];

			if (same_flow(&f->key, fk)) {
				state->unwritten -= paired;
				f->bytes += paired;
				f->chunks++;
				if (memo) {
					memo->flow = i + 1;
					memo->flow_source = state->last_read;
				}
				return true;
			}
		}
	}
	return false;
}

/* Which memo a call uses: 0 receive-like, 1 send-like, -1 none (its key needs more than its fd, or its
 * bytes are not its return value). */
static __always_inline int memo_side(__u8 sc)
{
	switch (sc) {
	case ZC_SYS_READ:
	case ZC_SYS_PREAD:
	case ZC_SYS_READV:
	case ZC_SYS_PREADV:
	case ZC_SYS_PREADV2:
	case ZC_SYS_RECVFROM:
	case ZC_SYS_RECVMSG:
		return 0;
	case ZC_SYS_WRITE:
	case ZC_SYS_PWRITE:
	case ZC_SYS_WRITEV:
	case ZC_SYS_PWRITEV:
	case ZC_SYS_PWRITEV2:
	case ZC_SYS_SENDTO:
	case ZC_SYS_SENDMSG:
		return 1;
	default:
		return -1;
	}
}

/* A send that asks for MSG_ZEROCOPY: its key may carry ZC_FLAG_MSG_ZEROCOPY, which the memo does not. */
static __always_inline bool asks_msg_zerocopy(__u8 sc, struct pt_regs *regs)
{
	if (sc == ZC_SYS_SENDTO)
		return regs->r10 & MSG_ZEROCOPY;
	if (sc == ZC_SYS_SENDMSG)
		return regs->dx & MSG_ZEROCOPY;
	return false;
}

/* The file fd holds if it is still the file a memo saw, with the same inode and flags (O_DIRECT decides
 * the kind of a file): then the call's path key is the memo's. NULL if not. 6.2+ builds. */
static __always_inline struct file *still_open(struct task_struct *task, int fd, struct file *file,
					       struct inode *inode, __u32 flags)
{
	struct file *now = file_of_fd(task, fd, true);
	struct file *f;

	if (!now || now != file)
		return NULL;
	f = bpf_rdonly_cast(now, bpf_core_type_id_kernel(struct file));
	return f->f_inode == inode && f->f_flags == flags ? now : NULL;
}

/* The thread's memo entry if this call repeats it: the same syscall (by its raw number, so before any
 * classification) on the same fd, holding the same file, inode and flags, so the same path key. Its
 * side (0 receive-like, 1 send-like) in *side, its path's index in the thread's record in *index, the
 * fd's file in *file. 6.2+ builds (direct loads). */
static __always_inline struct call_memo *repeated_call(struct task_struct *task, struct thread_state *state,
						       struct pt_regs *regs, int *side, __u32 *index,
						       struct file **file)
{
	long nr = regs->orig_ax;
	int fd = regs->di;
	struct call_memo *m = &state->memo[0];

	*side = 0;
	if (m->nr != nr || m->fd != fd || !m->path) {
		m = &state->memo[1];
		*side = 1;
		if (unlikely(m->nr != nr || m->fd != fd || !m->path))
			return NULL;
	}
	if (unlikely(asks_msg_zerocopy(m->sc, regs)))
		return NULL;
	*file = still_open(task, fd, m->file, m->inode, m->f_flags);
	if (unlikely(!*file))
		return NULL;
	*index = m->path - 1;
	return *index < ZC_THREAD_PATHS ? m : NULL;
}

/* Counts a repeat of the thread's last call of its kind on the same fd from the memo (see struct
 * call_memo): true if done, false, with nothing counted, for the full path. */
static __always_inline bool count_repeat(struct task_struct *task, struct thread_state *state, __u32 slot,
					 struct pt_regs *regs, long ret)
{
	struct call_memo *m;
	struct file *file = NULL;
	__u32 index = 0;
	int side = 0;

	if (unlikely(ret < 0))
		return false;
	m = repeated_call(task, state, regs, &side, &index, &file);
	if (unlikely(!m || index >= ZC_THREAD_PATHS))
		return false;
	COUNT_CALL(&state->counts.paths[index], ret, ret);
	if (likely(ret > 0)) {
		struct zc_path_key key = {.slot = slot, .syscall = m->sc};
		struct path_files files = {};

		if (side == 0) {
			files.source.file = file;
			files.source.id = m->id;
		} else {
			files.sink.file = file;
			files.sink.id = m->id;
		}
		if (unlikely(!track_flow_inline(&key, &files, regs, ret, state, m)))
			track_flow_call(&key, &files, regs, ret, state);
	}
	return true;
}

/* Remembers a call that was counted in the thread's record (`path`: 1 + its index there), for
 * count_repeat. */
static __always_inline void remember_call(struct thread_state *state, __u8 sc, struct pt_regs *regs,
					  struct zc_path_key *key, struct path_files *files, __u32 path)
{
	int side = memo_side(sc);
	struct path_end *end;
	struct call_memo *m;
	struct file *f;

	if (side < 0 || !path || (key->flags & (ZC_FLAG_BAD_FD | ZC_FLAG_MSG_ZEROCOPY)))
		return;
	end = side == 0 ? &files->source : &files->sink;
	if (!end->file)
		return;
	m = &state->memo[side];
	f = bpf_rdonly_cast(end->file, bpf_core_type_id_kernel(struct file));
	m->file = end->file;
	m->inode = f->f_inode;
	m->f_flags = f->f_flags;
	m->id = end->id;
	m->fd = regs->di;
	m->sc = sc;
	m->nr = regs->orig_ax;
	m->path = path;
	m->flow = 0;
}

/* The (in, out) fds of a sendfile or copy_file_range. */
static __always_inline void pair_fds(long nr, struct pt_regs *regs, int *in_fd, int *out_fd)
{
	if (nr == NR_sendfile) { /* sendfile(out, in, ...) */
		*in_fd = regs->si;
		*out_fd = regs->di;
	} else { /* copy_file_range(in, off_in, out, ...) */
		*in_fd = regs->di;
		*out_fd = regs->dx;
	}
}

/* Counts a repeat of the thread's last sendfile or copy_file_range (struct pair_memo): 1 if done. Out of
 * line (the caller tests the syscall number first): inlined, it made on_sys_exit too many paths for the
 * verifier. */
static __noinline int count_pair_repeat(struct task_struct *task, struct thread_state *state, struct pt_regs *regs,
					long ret)
{
	struct pair_memo *m;
	long nr = regs->orig_ax;
	__u32 path, flow;
	int in_fd, out_fd;

	if (!state || ret < 0)
		return false;
	m = &state->pair;
	if (m->nr != nr || !m->path)
		return false;
	pair_fds(nr, regs, &in_fd, &out_fd);
	if (in_fd != m->in_fd || out_fd != m->out_fd ||
	    !still_open(task, in_fd, m->in_file, m->in_inode, m->in_flags) ||
	    !still_open(task, out_fd, m->out_file, m->out_inode, m->out_flags))
		return false;
	path = m->path - 1;
	flow = m->flow - 1;
	if (path >= ZC_THREAD_PATHS || flow >= ZC_THREAD_FLOWS)
		return false;
	COUNT_CALL(&state->counts.paths[path], ret, ret);
	if (ret > 0) {
		state->counts.flows[flow].bytes += ret;
		state->counts.flows[flow].chunks++;
	}
	return true;
}

/* Remembers a sendfile or copy_file_range counted in the thread's record (path: 1 + its index) whose
 * flow is in the record too, for count_pair_repeat. */
static __always_inline void remember_pair(struct thread_state *state, struct pt_regs *regs,
					  struct zc_path_key *key, struct path_files *files)
{
	struct zc_flow_key *fk;
	struct file *in, *out;
	struct pair_memo *m;
	__u32 path = 0;
	int in_fd, out_fd;
	long nr;
	__u8 sc;

	if (!state || !key || !files)
		return;
	fk = &state->flow_key;
	m = &state->pair;
	nr = regs->orig_ax;
	sc = key->syscall;
	if ((sc != ZC_SYS_SENDFILE && sc != ZC_SYS_COPY_FILE_RANGE) || (key->flags & ZC_FLAG_BAD_FD) ||
	    !files->source.file || !files->sink.file)
		return;
	for (__u32 i = 0; i < ZC_THREAD_PATHS && i < state->counts.npaths; i++) {
		if (*(__u64 *)&state->counts.paths[i].key == *(__u64 *)key) {
			path = i + 1;
			break;
		}
	}
	if (!path)
		return;
	fk->slot = key->slot;
	fk->method = sc == ZC_SYS_SENDFILE ? ZC_FLOW_SENDFILE : ZC_FLOW_COPY_FILE_RANGE;
	fk->source = files->source.id;
	fk->sink = files->sink.id;
	for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < state->counts.nflows; i++) {
		if (!same_flow(&state->counts.flows[i].key, fk))
			continue;
		pair_fds(nr, regs, &in_fd, &out_fd);
		in = bpf_rdonly_cast(files->source.file, bpf_core_type_id_kernel(struct file));
		out = bpf_rdonly_cast(files->sink.file, bpf_core_type_id_kernel(struct file));
		m->in_file = files->source.file;
		m->out_file = files->sink.file;
		m->in_inode = in->f_inode;
		m->out_inode = out->f_inode;
		m->in_flags = in->f_flags;
		m->out_flags = out->f_flags;
		m->in_fd = in_fd;
		m->out_fd = out_fd;
		m->nr = nr;
		m->path = path;
		m->flow = i + 1;
		break;
	}
}

/* The same, then a sendfile or copy_file_range whose path and flow are now in the thread's record is
 * remembered for count_pair_repeat (6.2+ builds: it loads the files directly). */
static __noinline void track_flow_and_remember(struct zc_path_key *key, struct path_files *files,
					       struct pt_regs *regs, __u64 bytes, struct thread_state *state)
{
	track_flow(key->slot, key->syscall, key, files, regs, bytes, state);
	remember_pair(state, regs, key, files);
	asm volatile("r0 = 0" ::: "r0");
}

/* The key of the syscall in flight, for the programs that fire inside it (skb copies, transmits) in a
 * 6.2+ build: from the thread's memo when the call repeats the thread's last call of its kind on the same
 * fd, the common case of a transfer loop. False if not: the caller classifies the fds. */
static __always_inline int inflight_key_from_memo(struct task_struct *task, struct thread_state *state,
						  struct pt_regs *regs, struct zc_path_key *key)
{
	struct file *file = NULL;
	__u32 index = 0;
	int side = 0;

	if (!state || !repeated_call(task, state, regs, &side, &index, &file) || index >= ZC_THREAD_PATHS)
		return -1;
	*key = state->counts.paths[index].key;
	return index;
}

/* The key of the syscall in flight (sc), by the build's means. Returns the path's index in the thread's
 * record when the memo had the call (6.2+ builds), else -1. */
static __always_inline int inflight_key(struct task_struct *task, struct thread_state *state,
					struct pt_regs *regs, __u32 slot, __u8 sc, struct zc_path_key *key,
					const bool direct)
{
	struct path_files files = {};
	int index = -1;

	key->slot = slot;
	key->syscall = sc;
	if (!direct)
		path_key_compat(task, key, regs, &files, NULL);
	else if ((index = inflight_key_from_memo(task, state, regs, key)) < 0)
		path_key_direct(task, key, regs, &files, state);
	return index;
}

/* The process's mappings changed: a new generation, so every thread's remembered VMAs expire. Returns
 * the generation it replaced (~0 when there is no process). */
static __noinline __u32 note_mapping_change(__u32 slot, bool file_mapped)
{
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);
	__u32 replaced;

	if (!proc)
		return ~0u;
	replaced = __sync_fetch_and_add(&proc->mapping_generation, 1);
	if (file_mapped && !(proc->flags & ZC_PROC_FILE_MMAP))
		__sync_fetch_and_or(&proc->flags, ZC_PROC_FILE_MMAP);
	return replaced;
}

/* The calling thread mapped or unmapped [start, end) itself, replacing generation `replaced`: it knows
 * what changed, so it forgets only the fault VMAs it remembered there and keeps the others under the new
 * generation. A program's start-up alternates like that (ld.so maps a library, faults in it, maps the
 * next), and forgetting everything each time made nearly every start-up fault a VMA lookup. Other
 * threads see the new generation and forget all theirs. */
static __noinline void forget_fault_vmas(struct thread_state *state, __u64 start, __u64 end, __u32 replaced)
{
	if (!state || state->fault_vmas_generation != replaced) /* stale already: the generation test */
		return;
	for (__u32 i = 0; i < FAULT_VMAS; i++) {
		struct fault_vma *v = &state->fault_vmas[i];

		if (v->end && v->start < end && start < v->end)
			v->end = 0;
	}
	state->fault_vmas_generation = replaced + 1;
}

/* The seed's two defences against SIGBUS from a truncated mapping: a SIGBUS handler, a file lease. */
static __noinline void note_hazard_defence(__u32 slot, long nr, struct pt_regs *regs)
{
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);

	if (!proc)
		return;
	if (nr == NR_fcntl) {
		if (regs->si == F_SETLEASE && regs->dx != F_UNLCK)
			__sync_fetch_and_or(&proc->flags, ZC_PROC_FILE_LEASE);
		return;
	}
	if (regs->di == SIGBUS && regs->si) { /* rt_sigaction(SIGBUS, act, ...) */
		unsigned long handler = 0;

		bpf_probe_read_user(&handler, sizeof(handler), (void *)regs->si); /* act->sa_handler */
		if (handler > 1)                                                    /* not SIG_DFL, not SIG_IGN */
			__sync_fetch_and_or(&proc->flags, ZC_PROC_SIGBUS_HANDLER);
		else
			__sync_fetch_and_and(&proc->flags, ~ZC_PROC_SIGBUS_HANDLER);
	}
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(on_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *slot;
	struct zc_process *proc;

	if (sig != SIGBUS)
		return 0;
	slot = bpf_map_lookup_elem(&traced, &tgid);
	if (!slot)
		return 0;
	proc = bpf_map_lookup_elem(&processes, slot);
	if (proc)
		__sync_fetch_and_add(&proc->sigbus, 1);
	return 0;
}

/* Precise mode, at the end of a syscall: the payload the copy functions moved inside it goes to its
 * path (NULL: a syscall zctrace does not account, whose copies are dropped), and the thread starts the
 * next one from zero. */
static __noinline void hand_over_copies(struct thread_state *state, struct zc_path_key *key)
{
	struct zc_path_counters *counters = key ? path_counters(key) : NULL;

	if (counters) {
		counters->copy_fn_events += state->copied_events;
		counters->copy_fn_bytes += state->copied_bytes;
	}
	state->copied_events = state->copied_bytes = 0;
	state->copy_depth = 0;
}

/* An accounted call the memo could not count: classify its fds, build its key, count it, pair it. */
static __always_inline void account_call(struct task_struct *task, struct thread_state *state, __u32 slot,
					 __u8 sc, struct pt_regs *regs, long ret, const bool direct)
{
	struct zc_path_key call_key = {.slot = slot, .syscall = sc};
	struct path_files call_files = {};
	struct zc_path_key *key = &call_key;
	struct path_files *files = &call_files;
	__u64 moved = 0, bytes = 0;
	__u32 path;

	/* out of line in both builds: the classification's frame beside the flow's chain (track_flow,
	 * add_flow, register_endpoint), not beneath this one's */
	if (direct)
		path_key_direct(task, key, regs, files, state);
	else
		path_key_compat(task, key, regs, files, state);
	if (ret >= 0) {
		if (sc == ZC_SYS_MMAP || sc == ZC_SYS_MUNMAP)
			bytes = regs->si; /* mapped, not moved: no flow */
		else if (sc == ZC_SYS_SENDMMSG || sc == ZC_SYS_RECVMMSG)
			bytes = moved = mmsg_bytes(regs, ret);
		else
			bytes = moved = ret;
	}
	path = state ? count_in_thread_record(state, key, ret, bytes) : 0;
	if (!path)
		path = count_call(state, key, ret, bytes);
	if (direct && state && ret >= 0)
		remember_call(state, sc, regs, key, files, path);
	if (count_copy_functions && state && state->copied_events)
		hand_over_copies(state, key); /* precise mode: they belong to this call's path */
	if ((sc == ZC_SYS_MMAP || sc == ZC_SYS_MUNMAP) && ret >= 0) {
		__u64 start = sc == ZC_SYS_MMAP ? (__u64)ret : regs->di;
		__u64 end = start + ((regs->si + 4095) & ~4095ull);
		__u32 replaced = note_mapping_change(slot, sc == ZC_SYS_MMAP && files->source.file);

		if (state && replaced != ~0u)
			forget_fault_vmas(state, start, end, replaced);
	}
	if (moved > 0 && state && !(direct && track_flow_inline(key, files, regs, moved, state, NULL))) {
		if (direct)
			track_flow_and_remember(key, files, regs, moved, state);
		else
			track_flow_call(key, files, regs, moved, state);
	}
}

/* account_call out of line, one per build: on_sys_exit's frame is then the hot path's alone, and the
 * call chain beneath it (the classification, or the flow's add_flow and register_endpoint) fits the
 * verifier's 512 bytes with room to spare. Only calls the memo could not count pay for the call. */
static __noinline void account_call_direct(struct thread_state *state, struct pt_regs *regs, long ret,
					   __u32 slot, __u8 sc)
{
	account_call(bpf_get_current_task_btf(), state, slot, sc, regs, ret, true);
	asm volatile("r0 = 0" ::: "r0"); /* no stack address left in r0 (see path_key_compat) */
}

static __noinline void account_call_compat(struct thread_state *state, struct pt_regs *regs, long ret,
					   __u32 slot, __u8 sc)
{
	account_call(bpf_get_current_task_btf(), state, slot, sc, regs, ret, false);
	asm volatile("r0 = 0" ::: "r0");
}

/* The hot path: every syscall exit of every process on the machine passes here. */
static __always_inline int sys_exit_body(struct pt_regs *regs, long ret, const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *state;
	long nr = regs->orig_ax;
	__u32 slot;
	__u8 sc;

	/* the test that every other process's syscall leaves after */
	if (!maybe_traced(task->tgid))
		RETURN_ZERO_HERE();
	/* a traced thread carries its slot in its thread_table entry: no hash lookup on its hot path */
	state = thread_state_of(task);
	if (likely(state && state->traced)) {
		slot = state->slot;
		state->counts.syscalls++;
		/* a loop's repeat on the same fd, in one step before the syscall is even classified (6.2+
		 * builds only: it loads the file directly) */
		if (direct && !(count_copy_functions && state->copied_events) &&
		    (likely(count_repeat(task, state, slot, regs, ret)) ||
		     (state->pair.nr == nr && state->pair.path && count_pair_repeat(task, state, regs, ret))))
			return 0;
	} else {
		__u32 tgid = task->tgid;
		__u32 *found = bpf_map_lookup_elem(&traced, &tgid);

		if (!found)
			return 0;
		slot = *found;
		/* its first syscall since tracing began; NULL if the table has no room near its tid */
		state = claim_thread_state(task, slot);
		if (state) {
			state->counts.syscalls++;
		} else {
			struct zc_process_counters *pc = bpf_map_lookup_elem(&process_counters, &slot);

			if (pc)
				pc->syscalls++;
		}
	}

	sc = accounted_syscall(nr);
	if (count_copy_functions && state && state->copied_events && sc == ZC_SYS_COUNT)
		hand_over_copies(state, NULL); /* a syscall zctrace does not account (stat, getdents...) */
	if (sc == ZC_SYS_COUNT) {
		if ((nr == NR_fcntl || nr == NR_rt_sigaction) && ret == 0)
			note_hazard_defence(slot, nr, regs);
		else if ((nr == NR_mremap || nr == NR_shmat || nr == NR_shmdt || nr == NR_remap_file_pages) && ret >= 0)
			note_mapping_change(slot, false);
		return 0;
	}
	if (direct)
		account_call_direct(state, regs, ret, slot, sc);
	else
		account_call_compat(state, regs, ret, slot, sc);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	return sys_exit_body(regs, ret, true);
}

/* The same for kernels without bpf_rdonly_cast (before 6.2): probe reads. Loaded instead of on_sys_exit
 * there ("?": not loaded unless userspace asks). */
SEC("?tp_btf/sys_exit")
int BPF_PROG(on_sys_exit_compat, struct pt_regs *regs, long ret)
{
	return sys_exit_body(regs, ret, false);
}

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
static __always_inline __u32 rx_device_class(const struct sk_buff *skb, struct thread_state *state)
{
	struct zc_rx_device_key key = {};
	__u32 generation = rx_devices_generation + 1;
	struct sock *sk;
	__u32 *class;
	__u32 found;

	key.ifindex = (__u32)skb->skb_iif;
	if (!key.ifindex)
		return ZC_RX_LOCAL;
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

/* skb → user copies (skb_copy_datagram_iter), in the receiving task: measured CPU copies, and by the
 * device the skb arrived on, the receive DMA (a NIC's) or its absence (lo, veth). They are added to the
 * path of the syscall in flight, found from the task's saved user registers. */
/* The traced process the current task belongs to (its slot), for the programs that fire inside its
 * syscalls: from the thread's entry when it has one (no hash lookup; *state, also for the memo), else
 * from `traced`. */
static __always_inline bool current_slot(struct task_struct *task, __u32 *slot, struct thread_state **state)
{
	__u32 tgid = task->tgid;
	__u32 *found;

	*state = NULL;
	if (!maybe_traced(tgid))
		return false;
	*state = thread_state_of(task);
	if (*state && (*state)->traced) {
		*slot = (*state)->slot;
		return true;
	}
	found = bpf_map_lookup_elem(&traced, &tgid);
	if (!found)
		return false;
	*slot = *found;
	return true;
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

static __always_inline int skb_copy_body(const struct sk_buff *skb, int len, const bool direct)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *state;
	struct zc_process_counters *pc;
	struct pt_regs *regs;
	struct zc_path_counters *counters;
	struct zc_path_key key = {};
	__u32 arrived_on, slot;
	int index;
	__u8 sc;

	if (!current_slot(task, &slot, &state)) /* every receive on the machine passes here */
		RETURN_ZERO_HERE();
	arrived_on = rx_device_class(skb, state);
	pc = bpf_map_lookup_elem(&process_counters, &slot);
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
		struct zc_thread_path *own = &state->counts.paths[index];

		own->skb_copy_events++;
		own->skb_copy_bytes += len;
		if (arrived_on == ZC_RX_NIC) {
			own->nic_rx_events++;
			own->nic_rx_bytes += len;
		} else if (arrived_on == ZC_RX_VIRTUAL) {
			own->virtual_rx_bytes += len;
		}
		return 0;
	}
	counters = path_counters(&key);
	if (!counters)
		return 0;
	counters->skb_copy_events++;
	counters->skb_copy_bytes += len;
	if (arrived_on == ZC_RX_NIC) {
		counters->nic_rx_events++;
		counters->nic_rx_bytes += len;
	} else if (arrived_on == ZC_RX_VIRTUAL) {
		counters->virtual_rx_bytes += len;
	} else if (arrived_on == ZC_RX_UNCLASSIFIED) {
		counters->unclassified_rx_events++;
		counters->unclassified_rx_bytes += len;
	}
	return 0;
}

/* Two builds, as for sys_exit: the 6.2+ one finds the path from the thread's memo (it loads the file
 * directly), the other classifies the fd with probe reads. Userspace loads one. */
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(on_skb_copy, const struct sk_buff *skb, int len)
{
	return skb_copy_body(skb, len, true);
}

SEC("?tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(on_skb_copy_compat, const struct sk_buff *skb, int len)
{
	return skb_copy_body(skb, len, false);
}

struct vma_lookup {
	struct file *file;
	__u64 start;
	__u64 end;
};

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, struct vma_lookup *out)
{
	out->file = BPF_CORE_READ(vma, vm_file);
	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* The file mapped where a page fault happened (NULL: anonymous memory); false if the VMA could not be
 * looked up. The tracepoint fires with interrupts off, so bpf_find_vma hands its mmap-lock release to
 * an irq_work, a self-interrupt: in a virtual machine that costs microseconds (5.6 µs a fault here).
 * Faults come in runs over one mapping (a buffer first touched, a library loaded), so each thread
 * remembers the last VMA, until its process maps, unmaps or execs something (mapping_generation). */
static __always_inline bool faulted_file(struct task_struct *task, struct thread_state *state, __u32 slot,
					 __u64 address, struct file **file)
{
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);
	struct vma_lookup found = {};
	__u32 generation;

	if (!state || !proc)
		goto look_up;
	generation = proc->mapping_generation;
	if (state->fault_vmas_generation != generation) {
		for (__u32 i = 0; i < FAULT_VMAS; i++)
			state->fault_vmas[i].end = 0;
		state->fault_vmas_generation = generation;
	}
	for (__u32 i = 0; i < FAULT_VMAS; i++) {
		struct fault_vma *v = &state->fault_vmas[i];

		if (address >= v->start && address < v->end) {
			*file = v->file;
			return true;
		}
	}
	if (bpf_find_vma(task, address, vma_file, &found, 0))
		return false;
	{
		struct fault_vma *v = &state->fault_vmas[state->fault_vmas_next & (FAULT_VMAS - 1)];

		v->start = found.start;
		v->end = found.end;
		v->file = found.file;
		state->fault_vmas_next++;
	}
	*file = found.file;
	return true;
look_up:
	if (bpf_find_vma(task, address, vma_file, &found, 0))
		return false;
	*file = found.file;
	return true;
}

/* Each user page fault is two mode switches. A fault in a file mapping is charged to that file kind's
 * mmap path: the path that caused it. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(on_page_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *slot = maybe_traced(tgid) ? bpf_map_lookup_elem(&traced, &tgid) : NULL;
	struct task_struct *task;
	struct zc_process_counters *pc;
	struct file *file = NULL;
	struct fault_context *fc;
	struct zc_path_counters *counters;

	if (!slot) /* every user page fault on the machine passes here */
		RETURN_ZERO_HERE();
	pc = bpf_map_lookup_elem(&process_counters, slot);
	if (pc)
		pc->page_faults++;
	task = bpf_get_current_task_btf();
	if (!faulted_file(task, thread_state_of(task), *slot, address, &file) || !file) {
		/* anonymous memory: no path; forget any earlier file fault */
		fc = bpf_task_storage_get(&faulting, task, 0, 0);
		if (fc)
			fc->active = 0;
		return 0;
	}
	fc = bpf_task_storage_get(&faulting, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!fc)
		return 0;
	fc->key.slot = *slot;
	fc->key.syscall = ZC_SYS_MMAP;
	fc->key.source = classify_file(file).kind;
	fc->key.sink = ZC_KIND_USER;
	fc->key.flags = 0;
	/* the fault's I/O is submitted before the task next returns to user mode: the next syscall exit
	 * or fault clears this */
	fc->active = 1;
	counters = path_counters(&fc->key);
	if (counters)
		counters->page_faults++;
	return 0;
}

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

/* Size of a folio: large folios cover many pages (copy-model.md: 211 events for 64 MiB). */
struct folio___v61 {
	unsigned long flags;
	unsigned char _folio_order;
} __attribute__((preserve_access_index));

static __always_inline __u64 folio_bytes(struct folio *folio)
{
	unsigned long flags = 0;
	unsigned int order = 0;

	/* 6.1 (_folio_order exists): folio->flags is an unsigned long and the order is the byte _folio_order;
	 * _flags_1 exists there too but is the second page's flags. 6.18: flags is a memdesc_flags_t wrapping
	 * the word, and the order is the low byte of _flags_1. CO-RE cannot take one access for both types of
	 * flags (the relocation fails on 6.1, and the verifier refuses on_dirty_folio), so each kernel's
	 * branch names its own type; the other branch is dead code the verifier drops. */
	const bool v61 = bpf_core_field_exists(((struct folio___v61 *)folio)->_folio_order);

	if (v61)
		flags = BPF_CORE_READ((struct folio___v61 *)folio, flags);
	else
		bpf_probe_read_kernel(&flags, sizeof(flags), &folio->flags);
	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))) {
		if (v61)
			order = BPF_CORE_READ((struct folio___v61 *)folio, _folio_order);
		else
			order = BPF_CORE_READ(folio, _flags_1) & 0xff;
	}
	return 4096ULL << (order & 31);
}

static __always_inline struct zc_process_counters *traced_process(__u32 *slot_out)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *slot;

	if (!maybe_traced(tgid))
		return NULL;
	slot = bpf_map_lookup_elem(&traced, &tgid);
	if (!slot)
		return NULL;
	*slot_out = *slot;
	return bpf_map_lookup_elem(&process_counters, slot);
}

/* Block I/O submitted in the process's own context: sync and readahead reads, O_DIRECT both ways.
 * Buffered writeback is submitted by kworkers; it is counted where the pages were dirtied. */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(on_block_bio_queue, struct bio *bio)
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

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(on_dirty_folio, struct folio *folio, struct address_space *mapping)
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

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(on_page_cache_fill, struct folio *folio)
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

/* Transmit on a device: loopback moves real traffic but no device DMAs it. Counted only while the
 * task is in a syscall that sends to a socket: ACK-clocked transmits run from softirq in whatever
 * task they interrupted, and must not be charged to it.
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
	__u32 slot, len;
	__u8 sc;

	if (!current_slot(task, &slot, &state)) /* every transmit on the machine passes here */
		RETURN_ZERO_HERE();
	regs = user_regs_of(task, state, direct);
	pc = bpf_map_lookup_elem(&process_counters, &slot);
	if (!pc)
		return 0;
	sc = syscall_in_flight(regs, direct);
	if (sc == ZC_SYS_COUNT || is_receive(sc) || sc == ZC_SYS_MMAP || sc == ZC_SYS_MUNMAP)
		return 0;
	/* tp_btf arguments are typed pointers: direct loads */
	len = skb->len;
	/* a virtual device: real traffic but no DMA, and no path to charge, so no key to build (on loopback,
	 * every transmit of a transfer comes here) */
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

/* Two builds, as for sys_exit and skb copies. */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(on_net_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
	return net_xmit_body(skb, dev, true);
}

SEC("?tp_btf/net_dev_start_xmit")
int BPF_PROG(on_net_xmit_compat, const struct sk_buff *skb, const struct net_device *dev)
{
	return net_xmit_body(skb, dev, false);
}

/* Software perf event PERF_COUNT_SW_PAGE_FAULTS_MAJ, one per CPU, sample period 1: the kernel's own
 * verdict that a fault had to wait for I/O. */
SEC("perf_event")
int on_major_fault(void *ctx)
{
	__u32 slot;
	struct zc_process_counters *pc = traced_process(&slot);

	if (pc)
		pc->major_faults++;
	return 0;
}

static __always_inline void start_tracing(struct task_struct *task, __u32 parent_tgid)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 slot = __sync_fetch_and_add(&next_slot, 1);
	struct zc_process *proc = bpf_map_lookup_elem(&processes, &slot);

	if (!proc) { /* slots exhausted: the process is not traced, and the report says so */
		count_health(PROCESS_MAP_FULL);
		return;
	}
	proc->tgid = tgid;
	proc->parent_tgid = parent_tgid;
	proc->start_ns = bpf_ktime_get_ns();
	proc->exit_ns = 0;
	BPF_CORE_READ_STR_INTO(&proc->comm, task, comm);
	set_traced_bit(tgid, true);
	if (bpf_map_update_elem(&traced, &tgid, &slot, BPF_ANY))
		count_health(PROCESS_MAP_FULL);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);

	/* a new thread shares its tgid and is already covered */
	if (!follow_children || BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	if (!bpf_map_lookup_elem(&traced, &parent_tgid))
		return 0;
	start_tracing(child, parent_tgid);
	return 0;
}

static __noinline void retire_thread(struct thread_state *state);

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 *slot = bpf_map_lookup_elem(&traced, &tgid);

	if (slot) { /* keep the name current: the report names the program, not the shell that forked it */
		struct zc_process *proc = bpf_map_lookup_elem(&processes, slot);
		struct thread_state *renamed;

		if (proc) {
			BPF_CORE_READ_STR_INTO(&proc->comm, task, comm);
			/* a new address space: every thread's remembered VMAs are stale */
			__sync_fetch_and_add(&proc->mapping_generation, 1);
		}
		/* a thread other than the leader exec'd: it took the leader's id and start time (de_thread),
		 * and its entry under its old ones would be found no more. Its counts retire now; it takes a
		 * new entry at its next syscall. No other live thread has its old id, and exited threads give
		 * their entries back: the entry with that id in this process is its own. */
		if ((__u32)old_pid != task->pid) {
			renamed = thread_state_by(old_pid, 0, true);
			if (renamed && renamed->slot == *slot) {
				if (renamed->traced && has_counts(renamed))
					retire_thread(renamed);
				release_thread_state(renamed);
			}
		}
		return 0;
	}
	if (exec_target_tgid && tgid == exec_target_tgid)
		start_tracing(task, BPF_CORE_READ(task, real_parent, tgid));
	return 0;
}

/* A traced thread exits: its record moves to dead_threads, where userspace takes it once (by serial)
 * whether or not a task-iterator read already saw the thread alive. */
static __noinline void retire_thread(struct thread_state *state)
{
	struct zc_thread_counts *tc = &state->counts;
	__u64 serial = tc->serial;

	if (bpf_map_update_elem(&dead_threads, &serial, tc, BPF_NOEXIST) != 0) {
		/* no room (userspace drains the map at every read, so it is far behind): fold the counts
		 * into the shared maps instead. A read racing with this fold may count them twice once. */
		for (__u32 i = 0; i < ZC_THREAD_PATHS && i < tc->npaths; i++) {
			struct zc_path_counters *c = bpf_map_lookup_elem(&paths, &tc->paths[i].key);

			if (c) {
				c->calls += tc->paths[i].calls;
				c->bytes += tc->paths[i].bytes;
				c->errors += tc->paths[i].errors;
				c->skb_copy_events += tc->paths[i].skb_copy_events;
				c->skb_copy_bytes += tc->paths[i].skb_copy_bytes;
				c->nic_rx_events += tc->paths[i].nic_rx_events;
				c->nic_rx_bytes += tc->paths[i].nic_rx_bytes;
				c->virtual_rx_bytes += tc->paths[i].virtual_rx_bytes;
			}
		}
		if (tc->syscalls) {
			__u32 slot = tc->slot;
			struct zc_process_counters *pc = bpf_map_lookup_elem(&process_counters, &slot);

			if (pc)
				pc->syscalls += tc->syscalls;
		}
		for (__u32 i = 0; i < ZC_THREAD_FLOWS && i < tc->nflows; i++) {
			struct zc_flow_counters *c = bpf_map_lookup_elem(&flows, &tc->flows[i].key);

			if (c) {
				c->bytes += tc->flows[i].bytes;
				c->chunks += tc->flows[i].chunks;
			}
		}
	}
	tc->npaths = 0;
	tc->nflows = 0;
	tc->syscalls = 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 *slot = bpf_map_lookup_elem(&traced, &tgid);
	/* not gated on maybe_traced: threads of a group exit concurrently, and the one that finds the group
	 * dead (below) clears the bit while others may not have reached this point yet */
	struct thread_state *state = thread_state_of(task);
	struct zc_process *proc;

	/* every thread, not only the last: each has its own record */
	if (state) {
		if (state->traced && has_counts(state))
			retire_thread(state);
		release_thread_state(state);
	}

	/* only when the last thread of the group exits */
	if (!slot || BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	proc = bpf_map_lookup_elem(&processes, slot);
	if (proc) {
		proc->exit_ns = bpf_ktime_get_ns();
		proc->exit_code = BPF_CORE_READ(task, exit_code);
	}
	/* the tgid may be reused by an unrelated process: stop matching it; the counts stay in its slot */
	bpf_map_delete_elem(&traced, &tgid);
	set_traced_bit(tgid, false);
	return 0;
}

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
	if (bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_SEND_ZC) &&
	    (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SEND_ZC) ||
	     opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SENDMSG_ZC)))
		return ZC_SYS_IO_URING_SEND_ZC;
	return ZC_SYS_COUNT;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(on_io_uring_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *slot = maybe_traced(tgid) ? bpf_map_lookup_elem(&traced, &tgid) : NULL;
	struct io_kiocb *kiocb = req;
	struct zc_path_counters *counters;
	struct zc_path_key key = {};
	struct fd_facts facts;
	__s32 res;
	__u8 op;

	if (!slot)
		return 0;
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
	if (io_uring_complete_has_res_arg)
		res = (__s32)ctx[3]; /* 6.1: the fourth argument is the result itself */
	else
		res = BPF_CORE_READ(cqe, res);
	counters->calls++;
	if (res < 0)
		counters->errors++;
	else
		counters->bytes += res;
	return 0;
}

/* Read time: the records of the traced threads that are alive, for userspace to add to the maps'
 * counts (bpf_iter_create on this program's link; one struct zc_thread_counts per thread). */
SEC("iter/task")
int dump_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct thread_state *state;

	if (!task)
		return 0;
	if (!maybe_traced(task->tgid))
		return 0;
	state = thread_state_of(task);
	if (!state || !state->traced || !has_counts(state))
		return 0;
	bpf_seq_write(ctx->meta->seq, &state->counts, sizeof(state->counts));
	return 0;
}

/* ---- drivers' DMA (dma:* tracepoints, 6.12+) and swiotlb bounce buffers ----
 *
 * A driver that uses the DMA API maps each buffer before the device reads or writes it; these events
 * are the device-side copies as the kernel itself sees them, where the driver submits in the traced
 * task's context (sync reads, O_DIRECT, a transmit inside send). Virtio devices without
 * VIRTIO_F_ACCESS_PLATFORM bypass the DMA API and fire none. A swiotlb bounce is the CPU copying the
 * buffer to or from a bounce buffer the device can reach: a CPU copy hidden inside a DMA. raw_tp: the
 * arguments arrive as plain numbers, which the scatterlist walk needs. */
__noinline int count_dma(__u64 bytes, int bounce)
{
	/* a global function: verified once, not once per exit of the scatterlist walk */
	struct zc_process_counters *pc;
	struct zc_path_counters *c;
	__u32 slot;

	pc = traced_process(&slot);
	if (!pc || !bytes)
		return 0;
	if (bounce)
		pc->bounce_bytes += bytes;
	else
		pc->dma_map_bytes += bytes;
	c = inflight_path(slot);
	if (!c)
		return 0;
	if (bounce) {
		c->bounce_events++;
		c->bounce_bytes += bytes;
	} else {
		c->dma_map_events++;
		c->dma_map_bytes += bytes;
	}
	return 0;
}

SEC("raw_tp/dma_map_phys")
int on_dma_map_phys(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, phys_addr, dma_addr, size, dir, attrs) */
	count_dma(ctx->args[3], 0);
	return 0;
}

#define SG_CHAIN 0x01UL
#define SG_END 0x02UL
#define DMA_SG_MAX_ENTRIES 1024 /* bounded walk: a longer list is counted up to here */

struct sg_walk {
	__u64 entry; /* address of the struct scatterlist to read next */
	__u64 bytes;
	int left;    /* entries still to count */
};

/* One step of the walk (bpf_loop callback: verified once, however long the list). */
static long sg_step(__u64 index, struct sg_walk *walk)
{
	struct scatterlist *sg = (struct scatterlist *)walk->entry;
	unsigned long link = BPF_CORE_READ(sg, page_link);

	if (link & SG_CHAIN) { /* the last slot of a chunk points at the next chunk */
		walk->entry = link & ~(SG_CHAIN | SG_END);
		return 0;
	}
	walk->bytes += BPF_CORE_READ(sg, length);
	if ((link & SG_END) || --walk->left <= 0)
		return 1;
	walk->entry += bpf_core_type_size(struct scatterlist);
	return 0;
}

SEC("raw_tp/dma_map_sg")
int on_dma_map_sg(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, sgl, nents, ents, dir, attrs): the mapped size is the sum of the entries' lengths */
	struct sg_walk walk = {.entry = ctx->args[1], .left = (int)ctx->args[2]};

	if (walk.left > DMA_SG_MAX_ENTRIES)
		walk.left = DMA_SG_MAX_ENTRIES;
	if (walk.left > 0)
		bpf_loop(2 * DMA_SG_MAX_ENTRIES, sg_step, &walk, 0);
	count_dma(walk.bytes, 0);
	return 0;
}

SEC("raw_tp/swiotlb_bounced")
int on_swiotlb_bounced(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, dev_addr, size) */
	count_dma(ctx->args[2], 1);
	return 0;
}

/* ---- precise mode: the kernel's payload copy functions (where fentry/fexit are allowed) ----
 *
 * Each hooked function gets an fentry (depth + 1) and an fexit (depth - 1; the outermost call's return
 * value, the bytes it copied, is added to the thread's copies in flight). Counting only the outermost
 * call keeps nested copies (copy_page_to_iter → _copy_to_iter; skb_copy_datagram_iter → _copy_to_iter)
 * from counting twice. sys_exit hands the sum to the syscall's path. Userspace picks the functions this
 * kernel has (BTF) and loads these programs only where a probe fentry program loads: "?" sections. */
static __always_inline struct thread_state *copying_thread(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *state = maybe_traced(task->tgid) ? thread_state_of(task) : NULL;

	return state && state->traced ? state : NULL;
}

static __always_inline int copy_enter(void)
{
	struct thread_state *state = copying_thread();

	if (state)
		state->copy_depth++;
	return 0;
}

static __always_inline int copy_exit(void *ctx)
{
	struct thread_state *state = copying_thread();
	__u64 ret = 0;

	/* depth 0: the call began before zctrace attached */
	if (!state || !state->copy_depth)
		return 0;
	if (--state->copy_depth)
		return 0;
	bpf_get_func_ret(ctx, &ret);
	if ((long)ret > 0) {
		state->copied_events++;
		state->copied_bytes += ret;
	}
	return 0;
}

#define COPY_FUNCTION_HOOKS(fn)                \
	SEC("?fentry/" #fn)                    \
	int BPF_PROG(copy_enter_##fn)          \
	{                                      \
		return copy_enter();           \
	}                                      \
	SEC("?fexit/" #fn)                     \
	int BPF_PROG(copy_exit_##fn)           \
	{                                      \
		return copy_exit(ctx);         \
	}

/* Keep in sync with kCopyFunctions in userspace/tracer/copy_hooks.cpp. */
COPY_FUNCTION_HOOKS(_copy_to_iter)
COPY_FUNCTION_HOOKS(_copy_from_iter)
COPY_FUNCTION_HOOKS(_copy_from_iter_nocache)
COPY_FUNCTION_HOOKS(copy_page_to_iter)
COPY_FUNCTION_HOOKS(copy_page_from_iter)
COPY_FUNCTION_HOOKS(copy_page_from_iter_atomic) /* buffered writes into the page cache, to 6.11 */
COPY_FUNCTION_HOOKS(copy_folio_from_iter_atomic) /* its successor, 6.12+ */
COPY_FUNCTION_HOOKS(iov_iter_zero)               /* /dev/zero reads: the CPU fills the buffer */
COPY_FUNCTION_HOOKS(csum_and_copy_to_iter)       /* UDP receives that checksum while copying */
COPY_FUNCTION_HOOKS(csum_and_copy_from_iter)
