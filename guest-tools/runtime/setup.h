/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Setup shared by the virtio-iommu test guests: find the virtio-iommu and
 * the first edu through ACPI, PCI and VIOT, open both, and the top of RAM
 * from the PVH memory map.
 */
#ifndef GUEST_SETUP_H
#define GUEST_SETUP_H

#include <stdint.h>

#include "edu.h"
#include "pvh.h"
#include "virtio_iommu.h"

/* Each step is a named check ("setup.virtio_iommu_present", ...); 0, or -1
 * after the first failed one. *bdf (optional) gets the edu's BDF. */
int setup_viommu_edu(const struct hvm_start_info *si, uint64_t wanted, struct viommu *v,
		     struct edu *edu, uint32_t *ep, uint16_t *bdf);

/* End of the highest RAM entry of the PVH memory map; 0 without one. */
uint64_t setup_ram_top(const struct hvm_start_info *si);

#endif
