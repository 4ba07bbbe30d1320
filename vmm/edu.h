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

struct pci_host;
struct evloop;
struct dma_ctx;
struct edu;

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8
#define EDU_CLASS		0x00ff00	/* unclassified device */
#define EDU_REVISION		0x10
#define EDU_BAR_SIZE		0x100000	/* BAR0: 1 MiB, 32-bit MMIO */

/* BAR0 registers. Offsets below 0x80 take 4-byte accesses only; the DMA
 * registers take 4- or 8-byte accesses. Other accesses read all ones and
 * writes are dropped. */
#define EDU_REG_IDENT		0x00	/* RO: 0x010000ed (major 1, minor 0, 0xed) */
#define EDU_REG_LIVENESS	0x04	/* reads back the bitwise NOT of the last write */
#define EDU_REG_FACT		0x08	/* write n (ignored while computing); read n! mod 2^32 */
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24	/* RO: raised interrupt bits */
#define EDU_REG_IRQ_RAISE	0x60	/* WO: OR into irq status and signal */
#define EDU_REG_IRQ_ACK		0x64	/* WO: clear bits in irq status */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_IDENT		0x010000edu

#define EDU_STATUS_COMPUTING	0x01	/* factorial in progress */
#define EDU_STATUS_IRQFACT	0x80	/* raise EDU_IRQ_FACT when a factorial ends */
/*
 * ioshade extension, absent from QEMU (guests must not rely on it): set when
 * a DMA transfer stopped because the RAM-side IOVA did not translate (vIOMMU
 * fault) or was not guest RAM, or bus mastering was disabled. Sticky; the
 * guest clears it by writing 1 to it in EDU_REG_STATUS.
 */
#define EDU_STATUS_DMA_FAULT	0x100

#define EDU_IRQ_FACT		0x00000001
#define EDU_IRQ_DMA		0x00000100

#define EDU_DMA_CMD_RUN		0x1	/* write 1 to start; reads 1 while busy */
#define EDU_DMA_CMD_TO_RAM	0x2	/* 0: RAM -> device buffer, 1: buffer -> RAM */
#define EDU_DMA_CMD_IRQ		0x4	/* raise EDU_IRQ_DMA when done */

/* The device buffer as seen in the DMA address registers. */
#define EDU_DMA_BUF_ADDR	0x40000
#define EDU_DMA_BUF_SIZE	4096

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

/* Replace the DMA context (e.g. once a vIOMMU exists); endpoint := BDF. */
void edu_set_dma(struct edu *edu, const struct dma_ctx *dma);
/* The PCI BDF (bus 0), which is also the DMA endpoint ID. */
uint16_t edu_bdf(const struct edu *edu);

#endif
