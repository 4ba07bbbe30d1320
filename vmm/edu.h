/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An emulated "edu" PCI device with the register layout of QEMU's
 * hw/misc/edu.c, so one guest driver works on the emulated device, the
 * simulated host device and the real QEMU device in the lab. Its DMA goes
 * through a dma_ctx (identity, or viommu_translate behind the vIOMMU) and its
 * interrupts are MSI (one vector, 64-bit address, no per-vector masking).
 */
#ifndef IOSHADE_VMM_EDU_H
#define IOSHADE_VMM_EDU_H

#include <stdint.h>

#include "vmm/edu_regs.h"

struct pci_host;
struct evloop;
struct dma_ctx;
struct edu;

/*
 * Create the device and register it on host at slot (-1: first free).
 * dma is copied; its endpoint is replaced by the device's BDF. With loop,
 * DMA and factorial run on the event loop thread (the MMIO write only kicks
 * an eventfd); with loop == NULL they run synchronously in the MMIO write.
 * Returns NULL on failure (errno set).
 */
struct edu *edu_create(struct pci_host *host, struct evloop *loop,
		       const struct dma_ctx *dma, int slot);
/* With a loop: stop it first (evloop_stop), because after evloop_del a
 * callback that already started may still be running. */
void edu_destroy(struct edu *edu);

/* The PCI BDF (bus 0), which is also the DMA endpoint ID. */
uint16_t edu_bdf(const struct edu *edu);

#endif
