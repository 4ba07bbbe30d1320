/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the virtio devices (rng, blk, the viommu's requestq): a
 * bounded request loop that turns every malformed chain into a used entry of
 * length 0 or DEVICE_NEEDS_RESET. A device gets its final DMA context at
 * creation (its PCI slot is reserved first, so its BDF is known).
 */
#ifndef IOSHADE_VMM_VIRTIO_VDEV_H
#define IOSHADE_VMM_VIRTIO_VDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/dma.h"
#include "vmm/virtio/virtio_pci.h"

/* Chains handled per queue_notify before the rest is re-queued on the loop,
 * so one busy queue cannot starve the other event-loop users. */
#define VDEV_BATCH	64

/*
 * Handle one popped chain. err is 0 for a well-formed chain, or what vq_pop
 * returned (-EFAULT, -EINVAL, ...) with elem->head valid and elem holding
 * the segments mapped before the failure. Returns the used length (bytes
 * written into the chain's writable buffers).
 */
typedef uint32_t (*vdev_req_fn)(void *opaque, struct virtq *vq, struct vq_elem *elem, int err);

/* Per-queue state of the drain loop. Under the device lock, like the queue. */
struct vdev_queue {
	bool broken;			/* ring unusable until the driver resets */
	/* Set by a request handler that did a lot of work (the viommu's
	 * ATTACH replay): the batch ends after it, so one kick never holds
	 * the loop for more than one expensive request. */
	bool yield;
	struct vq_elem elem;
};

void vdev_queue_init(struct vdev_queue *s);
void vdev_queue_fini(struct vdev_queue *s);
/* Forget a broken ring (device reset). Device lock held. */
void vdev_queue_reset(struct vdev_queue *s);
/*
 * Pop, handle and push up to VDEV_BATCH available chains of queue q inside
 * one access window, then interrupt. Runs from the queue_notify callback,
 * with the device lock held, on whichever thread delivered the notify.
 * A ring that is broken or became unreachable sets DEVICE_NEEDS_RESET and
 * is left alone until the driver resets the device.
 */
void vdev_queue_drain(struct vdev_queue *s, struct virtio_pci *vp, uint16_t q,
		      vdev_req_fn fn, void *opaque);

#endif
