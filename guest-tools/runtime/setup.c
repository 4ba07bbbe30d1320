// SPDX-License-Identifier: GPL-2.0-only
/*
 * Setup shared by the virtio-iommu test guests (setup.h).
 */
#include "setup.h"

#include "acpi.h"
#include "check.h"
#include "pci.h"
#include "viot.h"

int setup_viommu_edu(const struct hvm_start_info *si, uint64_t wanted, struct viommu *v,
		     struct edu *edu, uint32_t *ep, uint16_t *bdf)
{
	struct pci_func fv, fe;
	struct viot_info viot;

	acpi_init(si);
	pci_init();
	viot_parse(&viot);
	if (!check("setup.virtio_iommu_present", !viommu_find(&fv)) ||
	    !check("setup.edu_present", !edu_find(0, &fe)) ||
	    !check("setup.edu_endpoint_id", !viot_endpoint(&viot, 0, fe.bdf, ep)) ||
	    !check("setup.virtio_iommu_init", !viommu_open(v, &fv, wanted)) ||
	    !check("setup.edu_bar0_mapped", !edu_open(edu, &fe)))
		return -1;
	if (bdf)
		*bdf = fe.bdf;
	return 0;
}

uint64_t setup_ram_top(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e;
	uint64_t top = 0;
	uint32_t i;

	if (!si || si->magic != HVM_START_MAGIC_VALUE || si->version < 1)
		return 0;
	e = (const void *)(uintptr_t)si->memmap_paddr;
	for (i = 0; e && i < si->memmap_entries; i++) {
		if (e[i].type == HVM_MEMMAP_TYPE_RAM && e[i].addr + e[i].size > top)
			top = e[i].addr + e[i].size;
	}
	return top;
}
