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
	/*
	 * Host pointers of the rings, a cache of their translation: valid only
	 * inside an access window (vq_begin/vq_end) whose generation equals
	 * gen. vq_begin re-translates them when the generation moved (an UNMAP,
	 * DETACH, ATTACH or IOMMU reset happened), and clears them when a ring
	 * is no longer reachable: the queue then stops (vq_pop says -EPIPE).
	 */
	void *desc, *avail, *used;
	uint64_t gen;
};

struct vq_elem {
	uint16_t head;
	uint16_t n_out;			/* driver-to-device segments, first */
	uint16_t n_in;			/* device-to-driver segments, after */
	uint32_t in_len;		/* total writable bytes */
	struct iovec iov[VQ_MAX_SEGS];
};

/*
 * Threads: a virtq has no lock of its own. Every call below runs under the
 * lock of the device that owns the queue (struct virtio_pci's device lock),
 * and vq_pop/vq_push/vq_should_signal and the use of a popped element's
 * iovecs run inside one access window: vq_begin ... vq_end.
 */

/* Resolve ring addresses (after the driver set queue_enable). -EFAULT if any
 * ring is not in guest RAM through the DMA context. */
int vq_enable(struct virtq *vq);
void vq_reset(struct virtq *vq);

/*
 * Open the access window on the queue's DMA context (dma_begin) and make the
 * ring pointers current: re-translated if the generation moved. 0, or
 * -EFAULT when a ring became unreachable (the translator reported a fault
 * event; the queue stays stopped until a reset). vq_end closes the window
 * in both cases.
 */
int vq_begin(struct virtq *vq);
void vq_end(struct virtq *vq);

/*
 * Pop the next available chain. Returns 1 with *elem filled, 0 when the ring
 * is empty or not enabled, -EPIPE when the ring itself is broken (an avail
 * index or head it cannot hold, rings unreachable: nothing to give back, only
 * a reset recovers), other -errno when the chain is malformed (out-of-RAM
 * address, length overflow, loop, too long, bad indirect table, readable
 * after writable). On a malformed chain the head is consumed; the caller
 * should vq_push it with len 0 so the driver gets its descriptor back.
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
