/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-blk (virtio 1.3 section 5.2, device ID 2) backed by a host file or
 * block device: one requestq; IN, OUT, FLUSH and GET_ID requests. Its DMA
 * goes through a dma_ctx (identity, or viommu_translate behind the vIOMMU).
 */
#ifndef IOSHADE_VMM_VIRTIO_BLK_H
#define IOSHADE_VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

struct dma_ctx;
struct evloop;
struct pci_host;
struct virtio_blk;

#define VIRTIO_ID_BLOCK		2

/* Feature bits (virtio 1.3 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	1
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_SECTOR	512
#define VIRTIO_BLK_ID_BYTES	20
#define VIRTIO_BLK_QUEUE_MAX	256
/* Offered limits: data segments per request (leaves room in VQ_MAX_SEGS for
 * the header, the status byte and buffers split at RAM region edges) and
 * bytes per segment. A request carrying more data than seg_max * size_max
 * fails with S_IOERR, which bounds the work one request can cause. */
#define VIRTIO_BLK_SEG_MAX	120
#define VIRTIO_BLK_SIZE_MAX	(256u << 10)
#define VIRTIO_BLK_MAX_DATA	((uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX)

/* Device config offsets (5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY	0x00
#define VIRTIO_BLK_CFG_SIZE_MAX	0x08
#define VIRTIO_BLK_CFG_SEG_MAX	0x0c
#define VIRTIO_BLK_CFG_BLK_SIZE	0x14
#define VIRTIO_BLK_CFG_SIZE	0x40

/*
 * Open path (read-only when read_only), create the device and register it on
 * host at slot (-1: first free). Capacity is the file size in whole 512-byte
 * sectors. dma is copied (dma->mem is required); its endpoint becomes the
 * device's BDF. behind_iommu offers VIRTIO_F_ACCESS_PLATFORM and refuses a
 * driver that does not accept it. With loop, requests run on the loop thread;
 * without, in the notifying vCPU thread. NULL with errno set on failure.
 */
struct virtio_blk *virtio_blk_create(struct pci_host *host, struct evloop *loop,
				     const struct dma_ctx *dma, bool behind_iommu, int slot,
				     const char *path, bool read_only);
/* With a loop: stop it first (evloop_stop). Closes the file. */
void virtio_blk_destroy(struct virtio_blk *blk);
/* The PCI BDF (bus 0), which is also the DMA endpoint ID. */
uint16_t virtio_blk_bdf(const struct virtio_blk *blk);
/* Capacity in 512-byte sectors. */
uint64_t virtio_blk_capacity(const struct virtio_blk *blk);

#endif
