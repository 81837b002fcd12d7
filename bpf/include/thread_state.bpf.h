/* SPDX-License-Identifier: GPL-2.0 */
/* thread_state.bpf.h — per-thread state: the thread table (an array indexed by thread id), its entries' memos and
 * counts, and how a thread takes and gives back its entry. */
#ifndef ZCTRACE_THREAD_STATE_BPF_H
#define ZCTRACE_THREAD_STATE_BPF_H

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

/* A user buffer of a data call: where, and how many of the call's bytes it held. */
struct user_buffer {
	__u64 addr;
	__u64 len;
};

/* The iovecs of a vectored call that provenance follows: a relay's writev sends a header and a body. */
#define ZC_MAX_BUFFERS 4

/* A source of a write's bytes: the endpoint whose read filled them, and how many. */
struct write_source {
	struct zc_endpoint_id source;
	__u64 bytes;
};

/* The distinct sources one write is paired with; bytes from further ones count as from memory. */
#define ZC_WRITE_SOURCES 4

/* A VMA the thread found its write buffer or a page fault in (end 0: none). */
struct known_vma {
	__u64 start;
	__u64 end;
	struct file *file;        /* the mapped file, NULL for anonymous memory */
	struct file *buffer_file; /* the file a write from here sends: NULL for a private writable mapping too */
};

/* A power of two. A program's start-up faults in its binary, ld.so, libc, heap and stack by turns: one
 * remembered VMA caught few of them. */
#define KNOWN_VMAS 8

/* Per thread: its memos, what it read last and what it spliced into a pipe last, to pair it with
 * what follows. */
struct thread_state {
	/* the thread the entry belongs to (thread_table): its id (0: free) and start time */
	__u32 owner_tid;
	__u32 slot_index; /* its process's entry in the per-process arrays: a map key in map memory */
	__u64 owner_start;
	/* hot: read or written on every traced syscall, kept together in the first cache lines */
	__u32 slot;   /* the traced process it belongs to */
	__u32 traced; /* slot is valid */
	__u32 has_splice;
	/* provenance.bpf.h: the entries of its process's fills that this thread's last receive filled and
	 * its last send was from (FILL_NONE: none), and the last send's buffer when it was from memory,
	 * while its process's fills_generation is memory_generation */
	__u8 fill_hint;
	__u8 send_hint;
	__u16 hints_pad;
	__u32 memory_generation;
	__u32 memory_pad;
	__u64 memory_start;
	__u64 memory_end;
	struct call_memo memo[2]; /* [0] receive-like, [1] send-like */
	struct pair_memo pair;
	/* the thread's own counts of its busiest paths and flows: see zctrace.h */
	struct zc_thread_counts counts;
	/* colder: splice relays and mmap+write */
	struct zc_flow_key flow_key;          /* the flow add_flow counts: scratch, off the BPF stack */
	__u64 flow_files[2];                  /* its source's and sink's struct file, if at hand: scratch */
	struct zc_endpoint_id mapped_source;  /* the file an mmap+write flow's buffer maps: scratch too */
	struct user_buffer buffers[ZC_MAX_BUFFERS]; /* a call's user buffers (call_buffers): scratch */
	__u32 nbuffers;
	__u32 nsources;
	__u64 paired; /* bytes of the write found in sources[] */
	struct write_source sources[ZC_WRITE_SOURCES]; /* where a write's bytes came from: scratch */
	struct zc_endpoint_id splice_pipe;
	struct zc_endpoint_id splice_origin;
	/* the VMAs of its last write buffers and page faults (vma.bpf.h) */
	struct known_vma vmas[KNOWN_VMAS];
	__u32 vmas_generation; /* the process's mapping_generation they were looked up in */
	__u32 vmas_next;       /* the entry the next lookup replaces */
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
	__u32 fill_take; /* remember_fill's scratch */
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
		/* an earlier owner's memos and counts go: all but the owner's id (word by word: clang
		 * expands a memset into stores only up to a size, and this one is larger) */
		state->slot_index = slot_index(slot);
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

#endif /* ZCTRACE_THREAD_STATE_BPF_H */
