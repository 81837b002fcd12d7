/* zctrace.h — the one ABI shared by bpf/zctrace.bpf.c and the userspace collector.
 *
 * Everything that crosses the BPF/userspace boundary is defined here and nowhere else: map keys and
 * values, and the enums for syscalls and fd kinds. Both sides compile this file, so it is plain C with
 * fixed-width kernel types (from vmlinux.h in BPF, from <linux/types.h> in userspace).
 */
#ifndef ZCTRACE_H
#define ZCTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Sizes. Map sizes can be raised at run time before load (bpf_map__set_max_entries). */
#define ZC_COMM_LEN 16
#define ZC_DEFAULT_MAX_PROCESSES 8192
#define ZC_DEFAULT_MAX_PATHS 16384
#define ZC_DEFAULT_MAX_FLOWS 16384
#define ZC_DEFAULT_MAX_ENDPOINTS 16384
#define ZC_DEFAULT_MAX_DEAD_THREADS 16384 /* exited threads' records, drained at every read */
#define ZC_MAX_MMSG 1024 /* UIO_MAXIOV: the kernel caps sendmmsg/recvmmsg vlen at this */
/* Tgids are below PID_MAX_LIMIT (2^22 on 64-bit): the size of the traced-tgid bitmap (fixed). */
#define ZC_TGID_LIMIT (1u << 22)

/* The data-moving syscalls zctrace accounts: ONE table, expanded by the BPF side (an x86_64 syscall
 * number to its id, the memo a repeat uses) and by userspace (the enum, names, families). Adding a
 * syscall is a row here, its copy-model rows (userspace/core/copy_model.cpp) and its tests.
 * Columns: ID (ZC_SYS_<ID>), CamelName (zctrace::Syscall::k<CamelName>), its name in reports, its
 * x86_64 number (arch/x86/entry/syscalls/syscall_64.tbl), its family (RECEIVE: fd -> user memory, SEND:
 * user memory -> fd, MAP, SPLICE: fd -> fd), and MEMO: whether the per-thread memo counts its repeats
 * (RECEIVE or SEND side: its key is its fd's and its bytes its return value; NONE otherwise), and
 * BUFFERS: where its user memory is, for flows by provenance (BUFFER: its second argument, IOVEC: an iovec
 * array and its count in the second and third, MSGHDR: a msghdr's, NONE: not followed).
 * The ids are compact, not x86 numbers, so that map keys and userspace stay architecture-neutral. */
#define ZC_SYSCALL_TABLE(X)                                                           \
	X(READ, Read, "read", 0, RECEIVE, RECEIVE, BUFFER)                            \
	X(PREAD, Pread, "pread", 17, RECEIVE, RECEIVE, BUFFER)                        \
	X(READV, Readv, "readv", 19, RECEIVE, RECEIVE, IOVEC)                         \
	X(PREADV, Preadv, "preadv", 295, RECEIVE, RECEIVE, IOVEC)                     \
	X(PREADV2, Preadv2, "preadv2", 327, RECEIVE, RECEIVE, IOVEC)                  \
	X(WRITE, Write, "write", 1, SEND, SEND, BUFFER)                               \
	X(PWRITE, Pwrite, "pwrite", 18, SEND, SEND, BUFFER)                           \
	X(WRITEV, Writev, "writev", 20, SEND, SEND, IOVEC)                            \
	X(PWRITEV, Pwritev, "pwritev", 296, SEND, SEND, IOVEC)                        \
	X(PWRITEV2, Pwritev2, "pwritev2", 328, SEND, SEND, IOVEC)                     \
	X(SENDTO, Sendto, "sendto", 44, SEND, SEND, BUFFER)                           \
	X(SENDMSG, Sendmsg, "sendmsg", 46, SEND, SEND, MSGHDR)                        \
	X(SENDMMSG, Sendmmsg, "sendmmsg", 307, SEND, NONE, NONE)                      \
	X(RECVFROM, Recvfrom, "recvfrom", 45, RECEIVE, RECEIVE, BUFFER)               \
	X(RECVMSG, Recvmsg, "recvmsg", 47, RECEIVE, RECEIVE, MSGHDR)                  \
	X(RECVMMSG, Recvmmsg, "recvmmsg", 299, RECEIVE, NONE, NONE)                   \
	X(MMAP, Mmap, "mmap", 9, MAP, NONE, NONE)                                     \
	X(MUNMAP, Munmap, "munmap", 11, MAP, NONE, NONE)                              \
	X(SENDFILE, Sendfile, "sendfile", 40, SPLICE, NONE, NONE)                     \
	X(SPLICE, Splice, "splice", 275, SPLICE, NONE, NONE)                          \
	X(VMSPLICE, Vmsplice, "vmsplice", 278, SPLICE, NONE, NONE)                    \
	X(TEE, Tee, "tee", 276, SPLICE, NONE, NONE)                                   \
	X(COPY_FILE_RANGE, CopyFileRange, "copy_file_range", 326, SPLICE, NONE, NONE)

/* Clones: the ioctls that copy a file by asking its filesystem to share the source's extents (a reflink:
 * metadata only). Not rows of the syscall table, whose numbers are accounted whatever their arguments:
 * ioctl carries every driver's commands, and only these move a file's data. Columns: ID, CamelName, name,
 * the ioctl command (include/uapi/linux/fs.h), the flow method. */
#define ZC_CLONE_TABLE(X)                                                   \
	X(FICLONE, Ficlone, "ficlone", 0x40049409, ZC_FLOW_CLONE)                \
	X(FICLONERANGE, Ficlonerange, "ficlonerange", 0x4020940d, ZC_FLOW_CLONE_RANGE)

/* io_uring operations: they pass no syscalls:* tracepoint, only io_uring:io_uring_complete (no x86
 * number, no memo). Columns: ID, CamelName, name, family. */
#define ZC_IO_URING_TABLE(X)                                                     \
	X(IO_URING_READ, IoUringRead, "io_uring_read", RECEIVE)       /* READ, READV, READ_FIXED, RECV, RECVMSG */ \
	X(IO_URING_WRITE, IoUringWrite, "io_uring_write", SEND)       /* WRITE, WRITEV, WRITE_FIXED, SEND, SENDMSG */ \
	X(IO_URING_SEND_ZC, IoUringSendZc, "io_uring_send_zc", SEND)  /* SEND_ZC, SENDMSG_ZC */

#define ZC_SYSCALL_ID(id, ...) ZC_SYS_##id,
enum zc_syscall {
	ZC_SYSCALL_TABLE(ZC_SYSCALL_ID)
	ZC_CLONE_TABLE(ZC_SYSCALL_ID)
	ZC_IO_URING_TABLE(ZC_SYSCALL_ID)
	ZC_SYS_COUNT,
};
#undef ZC_SYSCALL_ID


/* Precise mode: the kernel functions that copy payload between user memory (or a kernel buffer) and
 * kernel pages, 6.1-6.18 (lib/iov_iter.c), hooked with fentry/fexit where the kernel allows it. ONE
 * table for the BPF programs (a pair per row) and the tracer (which loads those the kernel's BTF has). */
#define ZC_COPY_FUNCTION_TABLE(X)                                                                 \
	X(_copy_to_iter)                                                                           \
	X(_copy_from_iter)                                                                         \
	X(_copy_from_iter_nocache)                                                                 \
	X(copy_page_to_iter)                                                                       \
	X(copy_page_from_iter)                                                                     \
	X(copy_page_from_iter_atomic)  /* buffered writes into the page cache, to 6.11 */          \
	X(copy_folio_from_iter_atomic) /* its successor, 6.12+ */                                  \
	X(iov_iter_zero)               /* /dev/zero reads: the CPU fills the buffer */             \
	X(csum_and_copy_to_iter)       /* UDP receives that checksum while copying */              \
	X(csum_and_copy_from_iter)

/* What an fd (or the process's own memory) is. */
enum zc_kind {
	ZC_KIND_OTHER = 0,
	ZC_KIND_FILE,        /* regular file, buffered */
	ZC_KIND_FILE_DIRECT, /* regular file opened O_DIRECT */
	ZC_KIND_TCP,
	ZC_KIND_UDP,
	ZC_KIND_UNIX,
	ZC_KIND_PIPE,
	ZC_KIND_NULL, /* /dev/null */
	ZC_KIND_ZERO, /* /dev/zero */
	ZC_KIND_CHARDEV,
	ZC_KIND_BLOCKDEV,
	ZC_KIND_USER, /* the process's own memory */
	ZC_KIND_ANON, /* an anonymous mapping (mmap without a file) */
	ZC_KIND_PSEUDO, /* a regular file the kernel makes up as it is read (procfs, sysfs...): no page cache */
	ZC_KIND_COUNT,
};

/* Path flags: facts about the fds that change what a path costs. */
enum zc_path_flag {
	ZC_FLAG_SOURCE_LOOPBACK = 1 << 0, /* source socket talks over loopback (no NIC) */
	ZC_FLAG_SINK_LOOPBACK = 1 << 1,   /* sink socket talks over loopback (no NIC) */
	ZC_FLAG_MSG_ZEROCOPY = 1 << 2,    /* send with MSG_ZEROCOPY on an SO_ZEROCOPY socket */
	ZC_FLAG_BAD_FD = 1 << 3,          /* an fd could not be resolved at exit (closed meanwhile) */
	ZC_FLAG_SINK_KTLS = 1 << 4,       /* sink socket has the kernel's TLS ("tls" ULP): sends are encrypted */
	ZC_FLAG_SINK_NO_SG = 1 << 5,      /* sink TCP socket's route device has no scatter-gather or no checksum
					     offload: its pages take a CPU pass (classify.bpf.h) */
	/* who encrypts what the sink TCP socket sends: one value of the two bits ZC_FLAG_SINK_TLS_MASK */
	ZC_FLAG_SINK_USER_TLS = 1 << 6,           /* no kTLS: the program writes TLS records (it encrypts) */
	ZC_FLAG_SINK_KTLS_DEVICE = 2 << 6,        /* with SINK_KTLS: the NIC encrypts (tx_conf TLS_HW) */
	ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY = 3 << 6, /* and sendfile's pages go out as they are (TLS_TX_ZEROCOPY_RO) */
};
#define ZC_FLAG_SINK_TLS_MASK (3 << 6)

/* One path of one process: (syscall, source kind, sink kind, flags). */
struct zc_path_key {
	__u32 slot; /* the process's slot, see struct zc_process */
	__u8 syscall;
	__u8 source;
	__u8 sink;
	__u8 flags;
};

/* A path's counters: ONE table for the struct, the per-CPU sums and every fold of them. The second
 * column says whether a thread's own record of the path (zc_thread_path) keeps the field as well (1),
 * or only the shared map does (0). */
#define ZC_PATH_COUNTER_TABLE(X)                                                                    \
	X(calls, 1)                                                                                  \
	X(bytes, 1)  /* sum of successful returns (mmap/munmap: the length mapped) */                \
	X(errors, 1) /* returns < 0 */                                                               \
	/* skb:skb_copy_datagram_iovec — measured skb → user copies made inside this path's calls */ \
	X(skb_copy_events, 1)                                                                        \
	X(skb_copy_bytes, 1)                                                                         \
	/* the device side, measured inside this path's calls (or, for mmap, its page faults) */     \
	X(disk_read_events, 0)  /* block:block_bio_queue, reads submitted by the process */          \
	X(disk_read_bytes, 0)                                                                        \
	X(disk_write_events, 0) /* block:block_bio_queue, writes submitted (O_DIRECT, sync) */       \
	X(disk_write_bytes, 0)                                                                       \
	X(dirtied_events, 0)    /* writeback:writeback_dirty_folio: made dirty, DMAed at writeback */ \
	X(dirtied_bytes, 0)                                                                          \
	X(cache_fill_bytes, 0)  /* filemap:mm_filemap_add_to_page_cache: page-cache pages filled */  \
	X(nic_tx_events, 0)     /* net:net_dev_start_xmit on a NIC (a device with a bus device) */  \
	X(nic_tx_bytes, 0)                                                                           \
	X(page_faults, 0)       /* user page faults on this (mmap) path's file mappings */           \
	/* precise mode: payload copies by the copy functions (fentry/fexit), outermost calls only */ \
	X(copy_fn_events, 0)                                                                         \
	X(copy_fn_bytes, 0)                                                                          \
	/* drivers' DMA mappings (dma:dma_map_phys, dma:dma_map_sg; 6.12+) made inside this path's   \
	 * calls, and swiotlb bounce copies (swiotlb:swiotlb_bounced): CPU copies inside a "DMA" */  \
	X(dma_map_events, 0)                                                                         \
	X(dma_map_bytes, 0)                                                                          \
	X(bounce_events, 0)                                                                          \
	X(bounce_bytes, 0)                                                                           \
	/* the skb copies above by the device the skb arrived on (skb->skb_iif, by rx_devices) */    \
	X(nic_rx_events, 1)          /* arrived on a NIC: the NIC DMAed it into memory */            \
	X(nic_rx_bytes, 1)                                                                           \
	X(virtual_rx_bytes, 1)       /* arrived on lo, veth, a bridge, tun...: no DMA */             \
	X(unclassified_rx_events, 0) /* arrived on a device not in rx_devices (another netns) */     \
	X(unclassified_rx_bytes, 0)

/* Expands X(name) for the counters a thread's record keeps too (second column 1). */
#define ZC_THREAD_COUNTER_IF_1(X, name) X(name)
#define ZC_THREAD_COUNTER_IF_0(X, name)

#define ZC_COUNTER_FIELD(name, in_thread) __u64 name;
struct zc_path_counters {
	ZC_PATH_COUNTER_TABLE(ZC_COUNTER_FIELD)
};

/* Per-process counters that are not per path (per-CPU array indexed by slot): ONE table for the struct
 * and its per-CPU sum. */
#define ZC_PROCESS_COUNTER_TABLE(X)                                                                   \
	X(syscalls)    /* every syscall that returned: 2 mode switches each */                        \
	X(page_faults) /* exceptions:page_fault_user: 2 mode switches each */                         \
	X(skb_copy_bytes_unattributed) /* skb copies outside an accounted syscall (e.g. io_uring) */  \
	X(major_faults)      /* software perf event PAGE_FAULTS_MAJ: faults that waited for I/O */    \
	X(disk_read_bytes)   /* all block reads the process submitted, in a path or not */            \
	X(disk_write_bytes)  /* all block writes the process submitted */                             \
	X(dirtied_bytes)     /* all page cache it dirtied (written back later by a kworker) */        \
	X(cache_fill_bytes)  /* all page-cache fills in its context */                                \
	X(nic_tx_bytes)      /* all it transmitted on NICs */                                         \
	X(virtual_tx_bytes)  /* transmitted on lo, veth, a bridge, a bond...: real traffic, no DMA */ \
	X(dma_map_bytes)     /* all DMA mappings drivers made in its context (dma:* tracepoints) */   \
	X(bounce_bytes)      /* all swiotlb bounce copies in its context */                           \
	/* all skb copies to it, attributed to a path or not, by the device the skb arrived on */    \
	X(nic_rx_bytes)                                                                               \
	X(virtual_rx_bytes)                                                                           \
	X(unclassified_rx_bytes)                                                                      \
	/* what the kernel reported of its zero-copy sends: MSG_ZEROCOPY completions read from the   \
	 * socket's error queue (each covers a range of sends; SO_EE_CODE_ZEROCOPY_COPIED: copied)   \
	 * and io_uring SEND_ZC notifications (one per request; IORING_NOTIF_USAGE_ZC_COPIED, only   \
	 * with IORING_SEND_ZC_REPORT_USAGE) */                                                      \
	X(msg_zerocopy_reported_sends)                                                                \
	X(msg_zerocopy_copied_sends)                                                                  \
	X(send_zc_notifications)                                                                      \
	X(send_zc_copied_notifications)

#define ZC_PROCESS_COUNTER_FIELD(name) __u64 name;
struct zc_process_counters {
	ZC_PROCESS_COUNTER_TABLE(ZC_PROCESS_COUNTER_FIELD)
};

/* What a network device is, for the receive side (the rx_devices map, filled by userspace from
 * /sys/class/net): whether a frame that arrived on it was DMAed into memory by a device. */
enum zc_rx_device_class {
	ZC_RX_LOCAL = 0,        /* no device: ifindex 0 (UNIX sockets, locally made skbs); not in the map */
	ZC_RX_NIC = 1,          /* the netdev has a bus device (PCI, virtio, USB...): the NIC DMAed the frame */
	ZC_RX_VIRTUAL = 2,      /* no bus device (lo, veth, bridge, tun, ifb...): the CPU moved it, no DMA */
	ZC_RX_UNCLASSIFIED = 3, /* not in the map: a device the tracer cannot see (another network namespace) */
};

/* rx_devices key: an ifindex is unique only within its network namespace. */
struct zc_rx_device_key {
	__u32 netns;   /* the namespace's inode number (stat /proc/self/ns/net; net->ns.inum) */
	__u32 ifindex;
};

/* Flows: what a thread moves from one endpoint to another, pairing syscalls where one is not enough. */
enum zc_flow_method {
	ZC_FLOW_READ_WRITE = 0, /* write-like to B from user memory a read-like call from A filled (any thread) */
	ZC_FLOW_MMAP_WRITE,     /* write-like to B from a buffer inside a mapping of file A */
	ZC_FLOW_SENDFILE,
	ZC_FLOW_SPLICE,         /* one splice call: A → pipe or pipe → B */
	ZC_FLOW_SPLICE_RELAY,   /* splice A → pipe, then pipe → B, by the same thread */
	ZC_FLOW_TEE,
	ZC_FLOW_COPY_FILE_RANGE,
	ZC_FLOW_VMSPLICE,
	ZC_FLOW_FROM_MEMORY,    /* write-like to B from memory no traced read filled (source: ZC_MEMORY_SOURCE) */
	ZC_FLOW_CLONE,          /* ioctl(FICLONE): the whole file, by shared extents */
	ZC_FLOW_CLONE_RANGE,    /* ioctl(FICLONERANGE): a range of it */
	ZC_FLOW_COUNT,
};

/* The source of a ZC_FLOW_FROM_MEMORY flow: no inode has number 0. */
#define ZC_MEMORY_SOURCE_INO 0

/* An endpoint: an open file description's inode, which fd reuse cannot confuse. */
struct zc_endpoint_id {
	__u64 ino;
	__u32 dev; /* the superblock's s_dev (kernel dev_t encoding) */
	__u32 pad;
};

#define ZC_PATH_DEPTH 8
#define ZC_NAME_LEN 48

/* What userspace needs to name an endpoint, read from the kernel when it is first seen. */
struct zc_endpoint_info {
	__u8 kind;
	__u8 depth;  /* path components stored, leaf first */
	__u16 family;
	__u16 local_port;
	__u16 peer_port; /* host byte order */
	__u8 accepted;   /* a socket a traced process accepted: the server side of its connection */
	__u8 unix_address; /* UNIX sockets: 1 names holds its own address's path, 2 its peer's, 0 neither */
	__u8 unix_path_len; /* bytes of that path in names (flat; an abstract one starts with a 0 byte) */
	__u8 pad[5];
	__u8 local_addr[16];
	__u8 peer_addr[16];
	char names[ZC_PATH_DEPTH][ZC_NAME_LEN]; /* dentry names, leaf first (files; an anon inode's name; a
						  * UNIX socket's path, flat) */
};

/* The path flags a flow keeps: what the program asked of the kernel for its sends, which decides what
 * it claimed, and what its sink's socket makes of it (MSG_ZEROCOPY sends are a flow of their own beside the
 * plain sends to the same sink; a kTLS socket's sends, once its ULP is set, beside its handshake's). */
#define ZC_FLOW_KEY_FLAGS (ZC_FLAG_MSG_ZEROCOPY | ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_NO_SG | ZC_FLAG_SINK_TLS_MASK)

struct zc_flow_key {
	__u32 slot;
	__u8 method;
	__u8 flags; /* the path's flags & ZC_FLOW_KEY_FLAGS */
	__u8 pad[2];
	struct zc_endpoint_id source;
	struct zc_endpoint_id sink;
};

struct zc_flow_counters {
	__u64 bytes;
	__u64 chunks; /* calls that delivered bytes to the sink */
};

/* The flow table: flows counted in place, without a hash lookup (a server's per-connection flows outnumber
 * a thread's record), in an array that userspace maps and reads directly. An entry's place is a hash of
 * its key (ZC_FLOW_TABLE_PROBES places tried); a flow that finds none free is counted in the flows map. An
 * entry is held from its claim until userspace has taken its exited process's counts and frees it. */
#define ZC_FLOW_TABLE_ENTRIES 8192 /* a power of two */
#define ZC_FLOW_TABLE_PROBES 2
#define ZC_FLOW_ENTRY_FREE 0
#define ZC_FLOW_ENTRY_CLAIMING 1
#define ZC_FLOW_ENTRY_HELD 2

struct zc_flow_table_entry {
	struct zc_flow_key key;
	__u64 bytes;  /* added atomically: the threads of a process may count one flow at once */
	__u64 chunks;
	__u64 state; /* ZC_FLOW_ENTRY_*, written last when claiming and when freeing */
};

/* Per-thread counting. A busy thread repeats the same few paths and flows call after call; it counts
 * them, and all its syscalls, in its own entry of the BPF side's thread table (no map update on its hot
 * path) and the totals are collected without
 * stopping it: live threads through a task iterator that dumps this record, exited threads from the
 * record they leave in the dead_threads map at exit. `serial` is unique per thread and never reused,
 * so userspace takes each thread's record once, from one of the two places. Entries are taken first come,
 * never given back, so the paths that fill them must be the ones that repeat: mmap and munmap (a
 * program's start-up maps a dozen libraries and areas, then mostly stops) are counted in the shared
 * map and leave the record's slots to the read/write/send paths of its loop. */
/* The BPF side's table of per-thread state (a power of two), and how many neighbouring entries a thread
 * may take (its thread id's entry or the next ones). */
#define ZC_THREAD_TABLE_SIZE 8192
#define ZC_THREAD_TABLE_PROBES 4

#define ZC_THREAD_PATHS 8
#define ZC_THREAD_FLOWS 4

/* A path in a thread's own record: its key and the counters of ZC_PATH_COUNTER_TABLE marked 1 (the
 * thread's own receives' skb copies by arrival device; those from unseen devices stay in the shared
 * map). */
#define ZC_THREAD_COUNTER_FIELD(name, in_thread) ZC_THREAD_COUNTER_IF_##in_thread(ZC_U64_NAMED, name)
#define ZC_U64_NAMED(name) __u64 name;
struct zc_thread_path {
	struct zc_path_key key;
	ZC_PATH_COUNTER_TABLE(ZC_THREAD_COUNTER_FIELD)
};

struct zc_thread_flow {
	struct zc_flow_key key;
	__u64 bytes;
	__u64 chunks;
};

struct zc_thread_counts {
	__u64 serial;
	__u32 npaths; /* entries in use; an entry's key is written before npaths covers it */
	__u32 nflows;
	__u32 slot;   /* the traced process the thread belongs to */
	__u32 pad;
	__u64 syscalls; /* every syscall of the thread that returned (zc_process_counters.syscalls) */
	struct zc_thread_path paths[ZC_THREAD_PATHS];
	struct zc_thread_flow flows[ZC_THREAD_FLOWS];
};

/* Process facts for the mmap hazards (zc_process.flags). */
enum zc_process_flag {
	ZC_PROC_FILE_MMAP = 1 << 0,      /* it mapped a file: writes are checked for mapped buffers */
	ZC_PROC_SIGBUS_HANDLER = 1 << 1, /* it installed a SIGBUS handler */
	ZC_PROC_FILE_LEASE = 1 << 2,     /* it took a file lease (fcntl F_SETLEASE) */
	/* its address space may hold file mappings it was not seen to make (vma.bpf.h, mapped ranges): it was
	 * running when tracing began, is the child of such a process, or moved a mapping (mremap) */
	ZC_PROC_UNSEEN_MAPPINGS = 1 << 3,
};

/* A traced process's slot: the index of its entry in the per-process arrays (processes, process_counters,
 * fills) in the low bits, as many as --max-processes needs, and in the bits above, up to bit 30, how often
 * that entry has been taken. An exited process's entry is handed to the next process, but the slot, which
 * keys its paths, flows and threads' records, comes back only when the count wraps (2^18 takings of one
 * entry with the default table), long after userspace has taken everything keyed by it. So a PID that
 * exits and is reused by an unrelated process is never mixed up with it either. Slots with bit 31 set are
 * userspace's (folded groups of exited processes). */
#define ZC_MAX_SLOT_INDEX_BITS 20 /* --max-processes is at most 1 << 20 */
#define ZC_DEFAULT_MAX_EXITED 16384  /* exited processes' records waiting for userspace (drained every second) */

/* The index bits for a table of max_processes entries. */
static inline __u32 zc_slot_index_bits(__u32 max_processes)
{
	__u32 bits = 1;

	while (bits < ZC_MAX_SLOT_INDEX_BITS && (1u << bits) < max_processes)
		bits++;
	return bits;
}

static inline __u32 zc_slot_index(__u32 slot, __u32 index_bits)
{
	return slot & ((1u << index_bits) - 1);
}

/* The slot of the next taking of entry `index`, whose last slot was `last`. */
static inline __u32 zc_next_slot(__u32 last, __u32 index, __u32 index_bits)
{
	return ((((last >> index_bits) + 1) & ((1u << (31 - index_bits)) - 1)) << index_bits) | index;
}

/* A traced process. */
struct zc_process {
	__u32 tgid;
	__u32 parent_tgid;
	__u64 start_ns; /* bpf_ktime_get_ns() when tracing of it began */
	__u64 exit_ns;  /* 0 while alive */
	__s32 exit_code;
	__u32 flags;    /* zc_process_flag */
	__u32 mapping_generation; /* bumped by each mmap/munmap/mremap: expires threads' remembered VMAs */
	__u32 slot;     /* the entry's current slot (index and generation); kept when the entry is freed */
	__u64 sigbus;   /* SIGBUS signals delivered (signal:signal_deliver) */
	__u64 cgroup_id; /* its cgroup v2 (the directory's inode number) when tracing began, or it last moved */
	char comm[ZC_COMM_LEN];
};

/* An exited process, as the kernel hands it over when its last thread exits (the exited map, by slot): its
 * entry and its counters summed over the CPUs, so that its array entries can take the next process at once. */
struct zc_exited {
	struct zc_process info;
	struct zc_process_counters counters;
};

/* --stacks: the user call stack of every accounted data call, counted in the kernel by (path, ends, stack)
 * (no event per call). The stack is the frame-pointer chain (bpf_get_stackid) plus the word at the user
 * stack pointer: the caller of a libc syscall wrapper, which sets up no frame of its own, is only there. */
#define ZC_STACK_DEPTH 48          /* frames kept per stack (the stack map's value: 8 bytes each) */
#define ZC_DEFAULT_MAX_STACKS 16384 /* distinct stacks (stack ids): a hash table that refuses collisions */
#define ZC_DEFAULT_MAX_STACK_COUNTS 16384
/* The frame-pointer register did not point into the stack above the stack pointer: the code keeps no
 * frame pointers, and a walk would only find noise (a new "stack" per call). Not walked. */
#define ZC_STACK_NO_FRAME_CHAIN (-4096)
#define ZC_STACK_MAX_FRAME_SPAN (8u << 20) /* how far above the stack pointer a frame may be */
#define ZC_DEFAULT_MAX_CODE_MAPPINGS 8192

struct zc_stack_key {
	struct zc_path_key path;
	struct zc_endpoint_id source; /* the call's ends as its path key saw them (zero: user memory) */
	struct zc_endpoint_id sink;
	__s32 stack_id; /* < 0: not captured (-errno of bpf_get_stackid, or ZC_STACK_NO_FRAME_CHAIN) */
	__u32 space;    /* the address space (mm) the addresses are in: a process's exec starts a new one */
	__u64 leaf_caller; /* the word at the user stack pointer when it points into mapped code, else 0 */
	__u64 leaf_ip;     /* the user instruction pointer when the stack was not captured (else 0) */
};

struct zc_stack_counters {
	__u64 calls;
	__u64 errors;
	__u64 bytes;
};

/* An executable mapping a captured stack has a frame in, recorded while the process is alive (it may
 * have exited when the report is made): where it is, and its file (named in the endpoints map). */
struct zc_code_mapping_key {
	__u32 slot;
	__u32 space;
	__u64 start;
};

struct zc_code_mapping {
	__u64 end;
	__u64 pgoff; /* the file offset of start, in pages */
	struct zc_endpoint_id file; /* zero: anonymous code (a JIT's: perf-PID.map names it) */
};

/* What --stacks could not keep (per-CPU array, one element). */
struct zc_stack_health {
	__u64 counts_full;   /* calls whose (path, ends, stack) entry found no room: not in any stack */
	__u64 mappings_full; /* code mappings not recorded: their frames show as addresses */
};

/* Health counters (per-CPU array, one element): anything lost is counted, never silent. */
struct zc_health {
	__u64 path_map_full;    /* a path could not be inserted: its counts are lost */
	__u64 process_map_full; /* a child could not get a slot: it is not traced */
	__u64 flow_map_full;    /* a flow could not be inserted: its bytes are not in flows */
	__u64 thread_table_full; /* syscalls of threads that found no free entry in the thread table:
				  * counted in the shared maps, their reads and writes not paired into flows */
	__u64 fills_forgotten;   /* buffers filled by reads and forgotten (a process remembers its last 16)
				  * before any of their bytes were written: a later write from one shows as
				  * from memory */
};

#endif /* ZCTRACE_H */
