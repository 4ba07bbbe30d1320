// SPDX-License-Identifier: GPL-2.0-only
/*
 * Finds and validates ACPI tables. Tables are read in place through the
 * identity map; anything above 4 GiB is mapped first. Every table is length
 * and checksum checked before use; unaligned fields are copied out.
 */
#include "acpi.h"

#include "errno.h"
#include "lib.h"
#include "paging.h"

#define RSDP_SCAN_START	0xe0000ull
#define RSDP_SCAN_END	0x100000ull
#define RSDP_V1_LEN	20
#define RSDP_V2_LEN	36
#define SDT_HDR_LEN	36
#define MCFG_ENTRIES	44	/* header + 8 reserved bytes */
#define TABLE_MAX_LEN	0x100000u

static struct acpi_info info;

bool acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum == 0;
}

static bool rsdp_valid(uint64_t addr)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
	uint32_t len;

	if (memcmp(p, "RSD PTR ", 8) || !acpi_checksum_ok(p, RSDP_V1_LEN))
		return false;
	if (p[15] < 2)
		return true;
	memcpy(&len, p + 20, 4);
	return len >= RSDP_V2_LEN && len < 4096 && acpi_checksum_ok(p, len);
}

static uint64_t rsdp_scan(void)
{
	uint64_t a;

	for (a = RSDP_SCAN_START; a < RSDP_SCAN_END; a += 16) {
		if (rsdp_valid(a))
			return a;
	}
	return 0;
}

/* A table at addr with a sane length and a good checksum, or NULL. */
static const struct acpi_sdt_header *table_at(uint64_t addr)
{
	const struct acpi_sdt_header *h;

	if (!addr || paging_map_identity(addr, SDT_HDR_LEN))
		return NULL;
	h = (const void *)(uintptr_t)addr;
	if (h->length < SDT_HDR_LEN || h->length > TABLE_MAX_LEN ||
	    paging_map_identity(addr, h->length))
		return NULL;
	return acpi_checksum_ok(h, h->length) ? h : NULL;
}

static void pick_root(void)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)info.rsdp;
	uint64_t xsdt = 0;
	uint32_t rsdt;

	info.revision = p[15];
	if (info.revision >= 2)
		memcpy(&xsdt, p + 24, 8);
	memcpy(&rsdt, p + 16, 4);
	if (xsdt && table_at(xsdt) && !memcmp(table_at(xsdt)->signature, "XSDT", 4)) {
		info.root = xsdt;
		info.root_is_xsdt = true;
	} else if (table_at(rsdt) && !memcmp(table_at(rsdt)->signature, "RSDT", 4)) {
		info.root = rsdt;
	}
}

int acpi_init(const struct hvm_start_info *si)
{
	const struct acpi_sdt_header *root;

	if (info.root)
		return 0;
	if (si && si->rsdp_paddr && !paging_map_identity(si->rsdp_paddr, RSDP_V2_LEN) &&
	    rsdp_valid(si->rsdp_paddr)) {
		info.rsdp = si->rsdp_paddr;
		info.rsdp_from_start_info = true;
	} else {
		info.rsdp = rsdp_scan();
	}
	if (!info.rsdp)
		return -ENOENT;
	pick_root();
	root = table_at(info.root);
	if (!root)
		return -ENOENT;
	info.n_tables = (root->length - SDT_HDR_LEN) / (info.root_is_xsdt ? 8 : 4);
	return 0;
}

const struct acpi_info *acpi_get(void)
{
	return &info;
}

static uint64_t root_entry(unsigned i)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)info.root + SDT_HDR_LEN;
	uint64_t a64 = 0;
	uint32_t a32;

	if (info.root_is_xsdt) {
		memcpy(&a64, p + 8 * i, 8);
		return a64;
	}
	memcpy(&a32, p + 4 * i, 4);
	return a32;
}

const struct acpi_sdt_header *acpi_find_table(const char *sig, unsigned index)
{
	const struct acpi_sdt_header *h;
	unsigned i;

	if (!info.root)
		return NULL;
	for (i = 0; i < info.n_tables; i++) {
		h = table_at(root_entry(i));
		if (h && !memcmp(h->signature, sig, 4) && index-- == 0)
			return h;
	}
	return NULL;
}

int acpi_mcfg_lookup(uint16_t segment, uint8_t bus, struct acpi_mcfg_entry *out)
{
	const struct acpi_sdt_header *mcfg = acpi_find_table("MCFG", 0);
	const uint8_t *p;
	uint32_t off;

	if (!mcfg)
		return -ENOENT;
	p = (const uint8_t *)mcfg;
	for (off = MCFG_ENTRIES; off + sizeof(*out) <= mcfg->length; off += sizeof(*out)) {
		memcpy(out, p + off, sizeof(*out));
		if (out->segment == segment && bus >= out->bus_start && bus <= out->bus_end)
			return 0;
	}
	return -ENOENT;
}
