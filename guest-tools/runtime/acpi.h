/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI discovery: RSDP (from start_info or the BIOS area 0xE0000-0xFFFFF),
 * then XSDT (or RSDT when there is no XSDT), then tables by signature with
 * their checksums verified. Plus the MCFG (ECAM) lookup.
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvh.h"

struct acpi_sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_info {
	uint64_t rsdp;		/* 0: not found */
	bool rsdp_from_start_info;
	uint8_t revision;
	uint64_t root;		/* XSDT or RSDT address */
	bool root_is_xsdt;
	unsigned n_tables;
};

struct acpi_mcfg_entry {
	uint64_t base;		/* ECAM address of bus 0 of this segment */
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
	uint32_t reserved;
} __attribute__((packed));

/* 0 or -ENOENT (no valid RSDP / root table). Call once; later calls reuse it. */
int acpi_init(const struct hvm_start_info *si);
const struct acpi_info *acpi_get(void);
bool acpi_checksum_ok(const void *p, size_t len);
/* The index-th table (0-based) with signature sig whose checksum is valid. */
const struct acpi_sdt_header *acpi_find_table(const char *sig, unsigned index);
/* The MCFG entry that covers segment/bus; 0 or -ENOENT. */
int acpi_mcfg_lookup(uint16_t segment, uint8_t bus, struct acpi_mcfg_entry *out);

#endif
