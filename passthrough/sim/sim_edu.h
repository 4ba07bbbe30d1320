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
#include "vmm/edu_regs.h"

/* The simulated function's config space (VFIO region 7). */
#define EDU_CFG_SIZE		256
#define EDU_MSI_CAP		0x40

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
