/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-pci modern transport (virtio 1.x) with split virtqueues, polled.
 * Rings come from a static pool (one page per queue, size <= VQ_MAX_SIZE);
 * buffers are passed by guest-physical address (memory is identity mapped).
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_MODERN_ID(type)	(0x1040 + (type))

#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33

/* struct virtio_pci_common_cfg offsets (for raw access through d->common) */
#define VIRTIO_CC_DFSELECT		0x00
#define VIRTIO_CC_DF			0x04
#define VIRTIO_CC_GFSELECT		0x08
#define VIRTIO_CC_GF			0x0c
#define VIRTIO_CC_NUM_QUEUES		0x12
#define VIRTIO_CC_STATUS		0x14
#define VIRTIO_CC_CFGGEN		0x15
#define VIRTIO_CC_Q_SELECT		0x16
#define VIRTIO_CC_Q_SIZE		0x18
#define VIRTIO_CC_Q_ENABLE		0x1c
#define VIRTIO_CC_Q_NOFF		0x1e
#define VIRTIO_CC_Q_DESC		0x20
#define VIRTIO_CC_Q_DRIVER		0x28
#define VIRTIO_CC_Q_DEVICE		0x30

#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2

#define VQ_MAX_SIZE			64
#define VIRTIO_MAX_VQS			4

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq {
	uint16_t index;
	uint16_t size;			/* 0: not set up */
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[size], used_event */
	volatile uint16_t *used_hdr;	/* flags, idx */
	volatile struct virtq_used_elem *used_ring;
	uint64_t notify_addr;
	uint16_t avail_idx;		/* next avail->idx to publish */
	uint16_t last_used;		/* next used->idx entry to consume */
	uint16_t free_head;		/* free descriptor list, linked by next */
	uint16_t n_free;
	uint16_t chain_len[VQ_MAX_SIZE];
	bool done[VQ_MAX_SIZE];		/* completed, waiting to be collected */
	uint32_t done_len[VQ_MAX_SIZE];
};

struct virtio_dev {
	struct pci_func pci;
	uint64_t common;		/* struct virtio_pci_common_cfg */
	uint64_t notify_base;
	uint32_t notify_mult;
	uint64_t isr;
	uint64_t device_cfg;		/* 0: none */
	uint32_t device_cfg_len;
	uint64_t offered;		/* device features */
	uint64_t features;		/* negotiated */
	struct virtq vq[VIRTIO_MAX_VQS];
	uint8_t *ring_page[VIRTIO_MAX_VQS];	/* kept across resets */
};

/* One buffer of a chain; device-readable ones must precede writable ones. */
struct virtq_buf {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

/* Finds the virtio capabilities, maps the BARs, enables MEM + bus master. */
int virtio_pci_open(struct virtio_dev *d, const struct pci_func *f);
/* Writes 0 to device_status and waits (bounded) until it reads back 0. */
int virtio_reset(struct virtio_dev *d);
uint8_t virtio_get_status(struct virtio_dev *d);
void virtio_set_status(struct virtio_dev *d, uint8_t status);
/*
 * Full init up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER, features =
 * offered & wanted (VERSION_1 required, -ENOTSUP otherwise), FEATURES_OK
 * and its read-back (-EIO if the device refused).
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);
/* Sets up queue idx with at most max_size entries; then virtio_driver_ok. */
int virtio_setup_vq(struct virtio_dev *d, uint16_t idx, uint16_t max_size);
/* The same with the rings in the caller's 4 KiB page (e.g. one it mapped). */
int virtio_setup_vq_page(struct virtio_dev *d, uint16_t idx, uint16_t max_size, uint8_t *page);
/* Raw: programs size and ring addresses of queue idx and enables it, without
 * touching memory or d->vq (for tests that drive the rings themselves). */
void virtio_program_vq(struct virtio_dev *d, uint16_t idx, uint16_t size, uint64_t desc,
		       uint64_t avail, uint64_t used);
uint64_t virtio_notify_addr(struct virtio_dev *d, uint16_t idx);
void virtio_driver_ok(struct virtio_dev *d);
uint16_t virtio_num_queues(struct virtio_dev *d);

/* Device-specific config space (generation-checked for 64-bit reads). */
uint8_t virtio_cfg_read8(struct virtio_dev *d, uint32_t off);
uint32_t virtio_cfg_read32(struct virtio_dev *d, uint32_t off);
uint64_t virtio_cfg_read64(struct virtio_dev *d, uint32_t off);
void virtio_cfg_write8(struct virtio_dev *d, uint32_t off, uint8_t v);

/* Adds a chain; returns its head descriptor index or -ENOSPC. */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n);
void virtq_kick(struct virtq *vq);
/* Collects one completed chain if any: true with its head and len set. */
bool virtq_poll(struct virtq *vq, uint16_t *head, uint32_t *len);
/* Waits for chain head; 0 and *len, or -ETIMEDOUT (the chain stays queued). */
int virtq_wait(struct virtq *vq, uint16_t head, uint32_t *len, unsigned timeout_ms);

#endif
