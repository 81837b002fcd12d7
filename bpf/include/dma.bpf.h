/* SPDX-License-Identifier: GPL-2.0 */
/* dma.bpf.h — drivers' DMA mappings (dma:* tracepoints, 6.12+) and swiotlb bounce copies. */
#ifndef ZCTRACE_DMA_BPF_H
#define ZCTRACE_DMA_BPF_H

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

static __always_inline int dma_map_phys_body(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, phys_addr, dma_addr, size, dir, attrs) */
	count_dma(ctx->args[3], 0);
	return 0;
}

struct sg_walk {
	__u64 entry; /* address of the struct scatterlist to read next */
	__u64 bytes;
	int left;    /* entries still to count */
};

/* bpf_loop's context must be on the stack: it holds where the walk's state is. */
struct sg_walk_ctx {
	struct sg_walk *walk;
};

/* One step of the walk (bpf_loop callback: verified once, however long the list). */
static long sg_step(__u64 index, struct sg_walk_ctx *ctx)
{
	struct sg_walk *walk = ctx->walk;
	struct scatterlist *sg;
	unsigned long link;

	if (!walk)
		return 1;
	sg = (struct scatterlist *)walk->entry;
	link = BPF_CORE_READ(sg, page_link);

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

/* The walk's state, in a map value rather than on the stack: the verifier knows nothing of a value it
 * loads from a map, so the callback's states match after one step, where on the stack it tracked the
 * countdown and walked the callback once per possible count (half of zctrace's whole load time). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_walk);
} sg_walk_scratch SEC(".maps");

static __always_inline int dma_map_sg_body(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, sgl, nents, ents, dir, attrs): the mapped size is the sum of the entries' lengths */
	__u32 zero = 0;
	struct sg_walk *walk = bpf_map_lookup_elem(&sg_walk_scratch, &zero);
	int entries = (int)ctx->args[2];
	struct sg_walk_ctx loop = {.walk = walk};

	if (!walk)
		return 0;
	walk->entry = ctx->args[1];
	walk->bytes = 0;
	walk->left = entries > DMA_SG_MAX_ENTRIES ? DMA_SG_MAX_ENTRIES : entries;
	if (walk->left > 0)
		bpf_loop(2 * DMA_SG_MAX_ENTRIES, sg_step, &loop, 0);
	count_dma(walk->bytes, 0);
	return 0;
}

static __always_inline int swiotlb_bounced_body(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, dev_addr, size) */
	count_dma(ctx->args[2], 1);
	return 0;
}

#endif /* ZCTRACE_DMA_BPF_H */
