/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the PCI host bridge and its MSI-X helper (and virtio-pci):
 * config register offsets and the hook that releases pending MSI-X vectors.
 */
#ifndef IOSHADE_VMM_PCI_INTERNAL_H
#define IOSHADE_VMM_PCI_INTERNAL_H

#include "vmm/pci.h"

#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CAP_PTR		0x34
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e

#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEM		0x0002
#define PCI_CMD_MASTER		0x0004
#define PCI_CMD_INTX_DISABLE	0x0400
#define PCI_STATUS_CAP_LIST	0x10

#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09

#define PCI_MSIX_CTRL_ENABLE	0x8000
#define PCI_MSIX_CTRL_MASKALL	0x4000

/* Send every pending vector that is no longer masked (no lock held). */
void pci_msix_deliver_pending(struct pci_dev *dev);
/* The MSI sink given to pci_host_create. */
const struct msi_sink *pci_host_msi(struct pci_host *host);

#endif
