/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-rng (virtio 1.3 section 5.4, device ID 4): one requestq whose
 * device-writable buffers are filled from getrandom(2), at most
 * VIRTIO_RNG_MAX_REQ bytes per chain. Its DMA goes through a dma_ctx
 * (identity, or viommu_translate behind the vIOMMU).
 */
#ifndef IOSHADE_VMM_VIRTIO_RNG_H
#define IOSHADE_VMM_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct dma_ctx;
struct evloop;
struct pci_host;
struct virtio_rng;

#define VIRTIO_ID_RNG		4
#define VIRTIO_RNG_QUEUE_MAX	64
#define VIRTIO_RNG_MAX_REQ	(64u << 10)	/* bytes filled per chain */

/*
 * Create the device and register it on host at slot (-1: first free). dma is
 * copied (dma->mem is required); its endpoint becomes the device's BDF.
 * behind_iommu offers VIRTIO_F_ACCESS_PLATFORM and refuses a driver that
 * does not accept it. With loop, requests run on the loop thread; without,
 * in the notifying vCPU thread. NULL with errno set on failure.
 */
struct virtio_rng *virtio_rng_create(struct pci_host *host, struct evloop *loop,
				     const struct dma_ctx *dma, bool behind_iommu, int slot);
/* With a loop: stop it first (evloop_stop). */
void virtio_rng_destroy(struct virtio_rng *rng);
/* The PCI BDF (bus 0), which is also the DMA endpoint ID. */
uint16_t virtio_rng_bdf(const struct virtio_rng *rng);

#endif
