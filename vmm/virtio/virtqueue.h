/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split virtqueues (virtio 1.3 section 2.7). The device side: pop an available
 * chain into a validated scatter list, push it to the used ring, decide whether
 * to interrupt. Every ring, descriptor and buffer address goes through the
 * queue's dma_ctx (identity or an IOMMU) and is bounds-checked against guest
 * RAM; loops, over-long chains and bad indirect tables are refused.
 */
#ifndef IOSHADE_VMM_VIRTQUEUE_H
#define IOSHADE_VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/dma.h"

#define VQ_MAX_SIZE	1024
#define VQ_MAX_SEGS	128	/* scatter list entries per chain */
#define VQ_MAX_CHAIN_LEN	(1u << 30)	/* bytes per chain, all segments */

/* Wire format (virtio 1.3 section 2.7), little-endian. */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq {
	uint16_t size;			/* queue_size, power of two; 0 = not set up */
	bool ready;
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t last_avail;		/* next avail index to consume */
	uint16_t used_idx;		/* shadow of used->idx */
	bool event_idx;			/* VIRTIO_F_RING_EVENT_IDX negotiated */
	uint16_t signalled_used;	/* used_idx at the last interrupt */
	bool signalled_valid;
	struct dma_ctx dma;
	/* host pointers, resolved at enable time */
	void *desc, *avail, *used;
};

struct vq_elem {
	uint16_t head;
	uint16_t n_out;			/* driver-to-device segments, first */
	uint16_t n_in;			/* device-to-driver segments, after */
	uint32_t in_len;		/* total writable bytes */
	struct iovec iov[VQ_MAX_SEGS];
};

/* Resolve ring addresses (after the driver set queue_enable). -EFAULT if any
 * ring is not in guest RAM through the DMA context. */
int vq_enable(struct virtq *vq);
void vq_reset(struct virtq *vq);

/*
 * Pop the next available chain. Returns 1 with *elem filled, 0 when the ring
 * is empty, -errno when the chain is malformed (out-of-RAM address, length
 * overflow, loop, too long, bad indirect table, readable after writable). On
 * error the head is consumed; the caller should vq_push it with len 0 so the
 * driver gets its descriptor back, or set DEVICE_NEEDS_RESET.
 */
int vq_pop(struct virtq *vq, struct vq_elem *elem);
/* Put a chain on the used ring with the number of bytes written. */
void vq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* After pushes: should the device interrupt the driver now? */
bool vq_should_signal(struct virtq *vq);

/* Gather/scatter helpers over an element's segments. */
size_t vq_copy_from_out(const struct vq_elem *elem, void *buf, size_t len);
size_t vq_copy_to_in(const struct vq_elem *elem, const void *buf, size_t len);

#endif
