/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables for the guest: RSDP, XSDT, FADT (hardware-reduced), MADT,
 * MCFG, DSDT (PCI root bridge) and, when a virtio-iommu is present, VIOT.
 * Built into a buffer that backs guest memory at a known GPA.
 */
#ifndef IOSHADE_VMM_ACPI_H
#define IOSHADE_VMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_VIOT_MAX_RANGES	32

struct acpi_viot_range {
	uint16_t bdf_start;		/* endpoint_start = bdf_start (endpoint ID = BDF) */
	uint16_t bdf_end;		/* inclusive */
};

struct acpi_config {
	unsigned nr_cpus;
	uint64_t ecam_base;
	uint8_t bus_start, bus_end;
	uint64_t mmio32_base, mmio32_size;	/* PCI windows for the DSDT _CRS */
	uint64_t mmio64_base, mmio64_size;
	uint64_t ioapic_base;
	/* VIOT: present when has_viommu */
	bool has_viommu;
	uint16_t viommu_bdf;
	unsigned nr_viot_ranges;
	struct acpi_viot_range viot_ranges[ACPI_VIOT_MAX_RANGES];
};

/*
 * Build all tables into buf, which the guest sees at gpa. The RSDP is placed
 * at the start of buf (16-byte aligned, inside 0xe0000-0xfffff when gpa is the
 * layout's ACPI base). Returns the bytes used or -ENOSPC/-EINVAL.
 */
long acpi_build(const struct acpi_config *cfg, void *buf, size_t size, uint64_t gpa);

#endif
