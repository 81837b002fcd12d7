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

static __always_inline int dma_map_sg_body(struct bpf_raw_tracepoint_args *ctx)
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

static __always_inline int swiotlb_bounced_body(struct bpf_raw_tracepoint_args *ctx)
{
	/* (dev, dev_addr, size) */
	count_dma(ctx->args[2], 1);
	return 0;
}

#endif /* ZCTRACE_DMA_BPF_H */
