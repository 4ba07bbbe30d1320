/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Driver for the "edu" educational PCI device (QEMU hw/misc/edu.c layout,
 * also spoken by ioshade's emulated and simulated DMA devices): BAR0 MMIO
 * registers, a 4 KiB device buffer at device address 0x40000, and a DMA
 * engine that is polled through the command register's busy bit.
 */
#ifndef GUEST_EDU_H
#define GUEST_EDU_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "vmm/edu_regs.h"

/* The device layout is vmm/edu_regs.h; this is the driver's own limit. */
#define EDU_DMA_TIMEOUT_MS	3000

struct edu {
	struct pci_func pci;
	uint64_t mmio;		/* BAR0 */
};

/* The index-th edu function on bus 0; 0 or -ENOENT. */
int edu_find(unsigned index, struct pci_func *out);
/* Maps BAR0 and enables memory decoding + bus mastering; 0 or -errno. */
int edu_open(struct edu *e, const struct pci_func *f);
uint32_t edu_id(const struct edu *e);
/* Writes a few patterns to the liveness register and checks each inverts. */
bool edu_alive(const struct edu *e);
/* n! computed by the device (bounded wait); 0 or -ETIMEDOUT. */
int edu_factorial(const struct edu *e, uint32_t n, uint32_t *out);
/* Raw DMA: programs src/dst/count, starts with cmd, waits for the busy bit
 * to clear. 0, -ETIMEDOUT, or -EBUSY if a previous DMA is still running. */
int edu_dma(const struct edu *e, uint64_t src, uint64_t dst, uint32_t count, uint32_t cmd);
/* RAM (iova) -> device buffer at offset off. */
int edu_dma_to_dev(const struct edu *e, uint64_t iova, uint32_t off, uint32_t count);
/* Device buffer at offset off -> RAM (iova). */
int edu_dma_to_ram(const struct edu *e, uint32_t off, uint64_t iova, uint32_t count);

#endif
