/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Assigning a host PCI device (struct pdev: a VFIO cdev or the simulated edu)
 * to the guest: a struct pci_dev with virtualized config space, BARs that are
 * KVM memory slots when mmap-able (trapped otherwise), and emulated MSI/MSI-X
 * whose vectors are eventfds bound with VFIO_DEVICE_SET_IRQS and delivered by
 * KVM irqfd or, as a fallback, by the event loop. It attaches nothing to an
 * IOMMU: the caller registers pdev->hiopt_dev with the viommu.
 */
#ifndef IOSHADE_PASSTHROUGH_VFIO_PCI_H
#define IOSHADE_PASSTHROUGH_VFIO_PCI_H

#include "passthrough/pdev.h"
#include "vmm/evloop.h"
#include "vmm/memslot.h"
#include "vmm/msi.h"
#include "vmm/pci.h"

struct vfio_pci;

/*
 * Reset dev, build its virtual function and register it on host at slot
 * (< 0: first free). slots may be NULL (every BAR is then trapped); loop may
 * be NULL (user-space delivered vectors then wait for vfio_pci_poll).
 * msi should be the sink host was created with (MSI-X pending delivery goes
 * through the host). NULL with errno set on failure.
 */
struct vfio_pci *vfio_pci_assign(struct pci_host *host, const struct pdev *dev,
				 const struct msi_sink *msi, const struct memslot_sink *slots,
				 struct evloop *loop, int slot);
/* Unregister, disable interrupts, unmap, reset. Stop the event loop first
 * (or accept that a vector callback already running may finish). */
void vfio_pci_release(struct vfio_pci *v);

struct pci_dev *vfio_pci_dev(struct vfio_pci *v);
/* Deliver signalled vectors that are not on irqfd (when loop is NULL). Returns
 * how many eventfds had fired. */
int vfio_pci_poll(struct vfio_pci *v);

#endif
