/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-pci modern transport (virtio 1.3 section 4.1): common, notify,
 * ISR and device-config capabilities in one memory BAR, MSI-X in the same BAR,
 * split virtqueues. A device model supplies virtio_dev_ops; queue work runs on
 * the event loop (or synchronously when no loop is given, as in unit tests).
 */
#ifndef IOSHADE_VMM_VIRTIO_PCI_H
#define IOSHADE_VMM_VIRTIO_PCI_H

#include <stdint.h>

#include "vmm/pci.h"
#include "vmm/virtio/virtqueue.h"

struct evloop;
struct virtio_pci;

#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33
#define VIRTIO_F_RING_EVENT_IDX		29
#define VIRTIO_F_INDIRECT_DESC		28

#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

#define VIRTIO_MAX_QUEUES		8

struct virtio_dev_ops {
	/* Device-specific config space. */
	void (*cfg_read)(void *opaque, uint32_t off, void *data, uint32_t len);
	void (*cfg_write)(void *opaque, uint32_t off, const void *data, uint32_t len);
	/* Driver wrote FEATURES_OK with these features; return false to refuse. */
	bool (*features_ok)(void *opaque, uint64_t features);
	/* Queue q has new buffers. Runs on the event loop thread. */
	void (*queue_notify)(void *opaque, struct virtio_pci *vp, uint16_t q);
	/* Driver wrote DRIVER_OK. Optional. */
	void (*driver_ok)(void *opaque, struct virtio_pci *vp);
	/* Device reset (status written 0). */
	void (*reset)(void *opaque);
};

struct virtio_pci_config {
	uint16_t device_id;		/* virtio device ID; PCI ID = 0x1040 + id */
	uint32_t pci_class;		/* class code for the function */
	uint16_t num_queues;
	uint16_t queue_max;		/* max queue size offered */
	uint64_t features;		/* device features (VERSION_1 added) */
	uint32_t cfg_size;		/* device-specific config size */
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct dma_ctx dma;		/* how the device reaches memory (identity/IOMMU) */
	struct evloop *loop;		/* NULL: notify runs synchronously */
};

struct virtio_pci *virtio_pci_create(struct pci_host *host, const struct virtio_pci_config *cfg,
				     int slot);
void virtio_pci_destroy(struct virtio_pci *vp);

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);
struct virtq *virtio_pci_vq(struct virtio_pci *vp, uint16_t q);
uint64_t virtio_pci_driver_features(const struct virtio_pci *vp);
/* Replace the offered device features (VERSION_1 is kept) while no driver
 * has started: 0, or -EBUSY once the device status is non-zero. */
int virtio_pci_set_device_features(struct virtio_pci *vp, uint64_t features);
/* Interrupt the driver for queue q (MSI-X vector of the queue), if needed. */
void virtio_pci_notify(struct virtio_pci *vp, uint16_t q);
/* Config change interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* Mark DEVICE_NEEDS_RESET and send a config interrupt. */
void virtio_pci_needs_reset(struct virtio_pci *vp);
/* The eventfd that kicks queue q (for KVM ioeventfd registration), or -1. */
int virtio_pci_notify_fd(struct virtio_pci *vp, uint16_t q);
/* Guest physical address of queue q's notify register. */
uint64_t virtio_pci_notify_addr(struct virtio_pci *vp, uint16_t q);

#endif
