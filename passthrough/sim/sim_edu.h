/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sim_edu: a simulated assignable copy of QEMU's edu device behind struct
 * pdev_ops, i.e. what a VFIO cdev would expose for edu: region 7 = 256-byte
 * config space (1234:11e8, class 00ff00, BAR0 1 MiB mem32, MSI cap), region 0 =
 * BAR0 registers (trapped: no mmap, they have side effects), one MSI vector
 * delivered through an eventfd. Its DMA goes through the *simulated host
 * IOMMU* (sim_iommu_dma_*), so bad-address / bad-device / invalid-use all
 * end in a recorded fault and a refused transfer.
 */
#ifndef IOSHADE_PASSTHROUGH_SIM_EDU_H
#define IOSHADE_PASSTHROUGH_SIM_EDU_H

#include <stdint.h>

#include "passthrough/pdev.h"
#include "passthrough/sim/sim_iommu.h"

/* BAR0 register map (QEMU hw/misc/edu.c). */
#define EDU_REG_IDENT		0x00	/* reads 0x010000ed */
#define EDU_REG_LIVENESS	0x04	/* reads back ~written */
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_IDENT		0x010000edu
#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80
/*
 * ioshade extension in an unused status bit: the last DMA command failed
 * (IOMMU fault, buffer range outside 0x40000-0x40fff, or bus mastering off).
 * Cleared when the next DMA command starts and by reset; read-only.
 */
#define EDU_STATUS_DMA_ERROR	0x100

#define EDU_IRQ_FACT		0x00000001
#define EDU_IRQ_DMA		0x00000100

#define EDU_DMA_CMD_START	0x1
#define EDU_DMA_CMD_TO_RAM	0x2	/* 1: device buffer -> RAM, 0: RAM -> buffer */
#define EDU_DMA_CMD_IRQ		0x4

#define EDU_DMA_BUF_ADDR	0x40000
#define EDU_DMA_BUF_SIZE	4096
#define EDU_DMA_MASK_DEFAULT	((1ull << 28) - 1)	/* QEMU's dma_mask default */

#define EDU_BAR0_SIZE		(1u << 20)
#define EDU_CFG_SIZE		256
#define EDU_MSI_CAP		0x40

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

struct sim_edu;

/* A new edu bound to sim (a sim device, not attached: it reaches nothing). */
struct sim_edu *sim_edu_create(struct sim_iommu *sim);
void sim_edu_destroy(struct sim_edu *edu);
const struct pdev *sim_edu_pdev(struct sim_edu *edu);
/* Same as pdev ops->hiopt_dev: the handle to attach with the sim's hiopt. */
struct hiopt_dev *sim_edu_hiopt_dev(struct sim_edu *edu);
/* DMA address mask applied to RAM-side addresses like QEMU's "dma_mask". */
void sim_edu_set_dma_mask(struct sim_edu *edu, uint64_t mask);

#endif
