/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The "edu" PCI device's identity and BAR0 register layout (QEMU
 * hw/misc/edu.c), the one copy spoken by the emulated device (vmm/edu.c), the
 * simulated assignable device (passthrough/sim/sim_edu.c), the freestanding
 * guests' driver (guest-tools/runtime/edu.c) and the lab's Linux tools. Only
 * constants: it must build freestanding, without libc.
 */
#ifndef IOSHADE_VMM_EDU_REGS_H
#define IOSHADE_VMM_EDU_REGS_H

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
#define EDU_REG_STATUS		0x20	/* EDU_STATUS_* */
#define EDU_REG_IRQ_STATUS	0x24	/* RO: raised interrupt bits */
#define EDU_REG_IRQ_RAISE	0x60	/* WO: OR into irq status and signal */
#define EDU_REG_IRQ_ACK		0x64	/* WO: clear bits in irq status */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98	/* EDU_DMA_CMD_* */

#define EDU_IDENT		0x010000edu

#define EDU_STATUS_COMPUTING	0x01	/* factorial in progress */
#define EDU_STATUS_IRQFACT	0x80	/* raise EDU_IRQ_FACT when a factorial ends */
/*
 * ioshade extension, absent from QEMU (guests must not rely on it): a DMA
 * transfer failed (the RAM-side IOVA did not translate or was not guest RAM,
 * the buffer range was outside the device buffer, or bus mastering was off).
 * The emulated edu keeps it until the guest writes 1 to it; the simulated one
 * clears it when the next DMA command starts and on reset, and ignores writes.
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
/* QEMU's edu masks RAM-side DMA addresses with its "dma_mask", 28 bits by
 * default: drivers keep IOVAs below EDU_DMA_MASK_DEFAULT + 1. */
#define EDU_DMA_MASK_DEFAULT	((1ull << 28) - 1)

#endif
