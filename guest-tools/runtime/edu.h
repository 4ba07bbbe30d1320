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

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

#define EDU_REG_ID		0x00	/* 0xRRrr00ed: major, minor version */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of what was written */
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20	/* bit0: computing, bit7: irq on fact */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_STATUS_COMPUTING	0x01
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2	/* device buffer -> RAM */
#define EDU_DMA_IRQ		0x4

#define EDU_BUF_ADDR		0x40000ull
#define EDU_BUF_SIZE		4096u
#define EDU_DMA_TIMEOUT_MS	3000
/* QEMU's edu masks DMA addresses to 28 bits by default: keep IOVAs below. */
#define EDU_DMA_ADDR_LIMIT	0x10000000ull

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
