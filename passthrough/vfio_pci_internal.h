/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to vfio_pci.c (config space and BARs) and vfio_pci_irq.c (MSI and
 * MSI-X vectors).
 */
#ifndef IOSHADE_PASSTHROUGH_VFIO_PCI_INTERNAL_H
#define IOSHADE_PASSTHROUGH_VFIO_PCI_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "passthrough/vfio_pci.h"

#define VFIO_PCI_CFG_STD	256	/* the part of config space we virtualize */
#define VFIO_PCI_MAX_SEGS	3	/* mmap'ed pieces of a BAR around MSI-X pages */

struct vfio_seg {
	uint64_t off;
	uint64_t size;
};

struct vfio_bar {
	struct vfio_pci *v;
	int idx;
	uint64_t size;
	void *hva;			/* mmap of the region, NULL when trapped */
	struct vfio_seg seg[VFIO_PCI_MAX_SEGS];	/* memslot pieces (page aligned) */
	int nseg;
	uint64_t slot_gpa;		/* where the pieces are mapped */
	bool slot_mapped;
};

/* One interrupt vector: an eventfd the host device signals. */
struct vfio_vec {
	struct vfio_pci *v;
	uint16_t idx;
	int fd;				/* -1 when unused */
	uint64_t addr;			/* MSI message the guest programmed */
	uint32_t data;
	bool routed;			/* bound to a KVM irqfd route */
	bool watched;			/* delivered from user space */
	bool dead;			/* switched off: fd closed; the memory lives
					 * until the event loop is past any callback
					 * dispatched for it (evloop_defer) */
};

struct vfio_irqs {
	int type;			/* PDEV_IRQ_MSI / _MSIX, -1 when off */
	unsigned n;			/* vectors enabled */
	struct vfio_vec *vec;		/* n entries */
};

struct vfio_pci {
	struct pci_dev pci;		/* pci.opaque == this */
	struct pdev pdev;
	struct pci_host *host;
	struct msi_sink msi;
	struct memslot_sink slots;
	bool have_slots;
	struct evloop *loop;
	struct vfio_bar bars[PCI_NUM_BARS];
	uint8_t emu[VFIO_PCI_CFG_STD];	/* 1: byte is emulated, 0: passed through */
	uint8_t msi_cap;		/* 0: no MSI */
	bool msi_64;
	unsigned msi_max;		/* vectors the device offers */
	uint8_t msix_cap;		/* 0: no MSI-X */
	/* Lock order: pci.lock is never held while taking irq_lock. */
	pthread_mutex_t irq_lock;	/* protects irqs */
	struct vfio_irqs irqs;
};

/* vfio_pci_irq.c */
void vfio_pci_msi_update(struct vfio_pci *v);
void vfio_pci_msix_update(struct vfio_pci *v);
void vfio_pci_msix_entry_update(struct vfio_pci *v, uint16_t vector);
void vfio_pci_irqs_off(struct vfio_pci *v);

#endif
