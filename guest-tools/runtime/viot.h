/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Endpoint IDs for PCI functions behind the virtio-iommu, from the ACPI VIOT
 * table (virtio-iommu-pci node + PCI range nodes pointing at it). Without a
 * VIOT the endpoint ID is taken to be the PCI BDF.
 */
#ifndef GUEST_VIOT_H
#define GUEST_VIOT_H

#include <stdbool.h>
#include <stdint.h>

#define VIOT_MAX_RANGES	8

struct viot_range {
	uint32_t endpoint_start;
	uint16_t segment_start;
	uint16_t segment_end;
	uint16_t bdf_start;
	uint16_t bdf_end;
};

struct viot_info {
	bool present;			/* a valid VIOT was found */
	bool has_viommu_pci;		/* it names a virtio-iommu-pci */
	uint16_t viommu_segment;
	uint16_t viommu_bdf;
	unsigned n_ranges;		/* PCI ranges translated by that IOMMU */
	struct viot_range ranges[VIOT_MAX_RANGES];
};

/* Parses the VIOT (acpi_init first); absence is not an error: present=false. */
void viot_parse(struct viot_info *out);
/*
 * Endpoint ID of segment:bdf. 0 with *ep set; -ENOENT if a VIOT exists but
 * no range covers the function. Without a VIOT, *ep = bdf.
 */
int viot_endpoint(const struct viot_info *v, uint16_t segment, uint16_t bdf, uint32_t *ep);

#endif
