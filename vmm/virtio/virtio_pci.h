/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-pci modern transport (virtio 1.3 section 4.1): common, notify,
 * ISR and device-config capabilities in one memory BAR, MSI-X in the same BAR,
 * split virtqueues. A device model supplies virtio_dev_ops; queue work runs on
 * the event loop (or synchronously when no loop is given, as in unit tests).
 */
#ifndef IOSHADE_VMM_VIRTIO_PCI_H
#define IOSHADE_VMM_VIRTIO_PCI_H

#include <pthread.h>
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

/*
 * Every callback runs with the device lock held (virtio_pci_config.lock),
 * on whichever thread delivered the access: a vCPU thread for register
 * accesses, the event loop (or the notifying vCPU without one) for queue
 * work. A callback must not take the device lock again, and calls the
 * transport only through the _locked functions below.
 */
struct virtio_dev_ops {
	/* Device-specific config space. */
	void (*cfg_read)(void *opaque, uint32_t off, void *data, uint32_t len);
	void (*cfg_write)(void *opaque, uint32_t off, const void *data, uint32_t len);
	/* Driver wrote FEATURES_OK with these features; return false to refuse. */
	bool (*features_ok)(void *opaque, uint64_t features);
	/* Queue q (enabled) has new buffers. */
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
	/* The device lock: transport state, queues and the device model's
	 * state all change under it. NULL: the transport makes one. */
	pthread_mutex_t *lock;
};

struct virtio_pci *virtio_pci_create(struct pci_host *host, const struct virtio_pci_config *cfg,
				     int slot);
void virtio_pci_destroy(struct virtio_pci *vp);

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);
/* The device lock (the one given in the config, or the transport's own). */
pthread_mutex_t *virtio_pci_lock(struct virtio_pci *vp);
/* Queue q's ring state; use it with the device lock held. */
struct virtq *virtio_pci_vq(struct virtio_pci *vp, uint16_t q);

/* The device side. The caller holds the device lock. */
uint64_t virtio_pci_driver_features_locked(const struct virtio_pci *vp);
/* Replace the offered device features (VERSION_1 is kept) while no driver
 * has started: 0, or -EBUSY once the device status is non-zero. */
int virtio_pci_set_device_features_locked(struct virtio_pci *vp, uint64_t features);
/* Interrupt the driver for queue q (MSI-X vector of the queue), if needed.
 * Reads the driver's suppression flags: inside the queue's access window. */
void virtio_pci_notify_locked(struct virtio_pci *vp, uint16_t q);
/* Config change interrupt. */
void virtio_pci_config_changed_locked(struct virtio_pci *vp);
/* Mark DEVICE_NEEDS_RESET and send a config interrupt (once). */
void virtio_pci_needs_reset_locked(struct virtio_pci *vp);

/* The eventfd that kicks queue q (for KVM ioeventfd registration), or -1. */
int virtio_pci_notify_fd(struct virtio_pci *vp, uint16_t q);
/* Guest physical address of queue q's notify register. */
uint64_t virtio_pci_notify_addr(struct virtio_pci *vp, uint16_t q);

#endif
