// SPDX-License-Identifier: GPL-2.0-only
/*
 * The GPA ownership rules of DESIGN.md section 4. A MAP may only point at
 * guest RAM of this VM (or, with VIRTIO_IOMMU_F_MMIO, inside one assigned
 * BAR), granule-aligned, away from the MSI window and RESV_MEM regions.
 * Pure: reads the memmap and the policy, changes nothing.
 */
#include <errno.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "viommu/ownership.h"

static bool touches_resv(const struct ownership_policy *pol, uint64_t start, uint64_t last)
{
	size_t i;

	for (i = 0; i < pol->nr_resv; i++)
		if (ranges_overlap(start, last, pol->resv[i].start, pol->resv[i].last))
			return true;
	return false;
}

/* Why the region holding the first byte is not mappable. */
static int region_error(const struct memmap_region *reg)
{
	if (reg->flags & MEMMAP_F_BAR)
		return OWN_E_BAR;
	switch (reg->kind) {
	case MEMMAP_ROM:
		/* ROM (ACPI tables) is VMM-owned: refused for read and, explicitly,
		 * for write mappings. */
		return OWN_E_ROM;
	case MEMMAP_RESERVED:
		return OWN_E_RESERVED;
	case MEMMAP_MMIO:
		return OWN_E_MMIO;
	default:
		return 0;
	}
}

/* [gpa, last] must be covered by RAM regions (adjacent RAM regions chain). */
static int check_ram(const struct memmap *mem, uint64_t gpa, uint64_t last)
{
	struct memmap_region reg;
	uint64_t cur = gpa;
	int ret;

	for (;;) {
		ret = memmap_query(mem, cur, last - cur + 1, &reg);
		if (ret == -ENOENT)
			return cur == gpa ? OWN_E_UNMAPPED : OWN_E_STRADDLE;
		if (reg.kind != MEMMAP_RAM || (reg.flags & MEMMAP_F_BAR))
			return cur == gpa ? region_error(&reg) : OWN_E_STRADDLE;
		if (ret == 0)
			return 0;
		if (ret != -E2BIG)
			return OWN_E_UNMAPPED;
		cur = reg.last + 1;	/* reg.last < last here, so no wrap */
	}
}

/* MAP_F_MMIO: only with the feature, and only inside one assigned BAR. */
static int check_mmio(const struct memmap *mem, uint64_t gpa, uint64_t len,
		      const struct ownership_policy *pol)
{
	struct memmap_region reg;
	const uint32_t want = MEMMAP_F_BAR | MEMMAP_F_ASSIGNED;

	if (!pol->mmio_negotiated)
		return OWN_E_MMIO_FLAG;
	if (memmap_query(mem, gpa, len, &reg) || (reg.flags & want) != want)
		return OWN_E_MMIO_TARGET;
	return 0;
}

void *ownership_hva(const struct memmap *mem, uint64_t gpa, uint64_t len, uint32_t map_flags)
{
	struct memmap_region reg;

	if (!(map_flags & VIRTIO_IOMMU_MAP_F_MMIO))
		return memmap_hva(mem, gpa, len, map_flags & VIRTIO_IOMMU_MAP_F_WRITE);
	if (memmap_query(mem, gpa, len, &reg) || !reg.hva)
		return NULL;
	return (uint8_t *)reg.hva + (gpa - reg.start);
}

static int check_rules(const struct memmap *mem, uint64_t gpa, uint64_t len,
		       uint32_t map_flags, const struct ownership_policy *pol)
{
	uint64_t last, granule = pol->granule ? pol->granule : 1;

	if (!len)
		return OWN_E_LENGTH;
	if (__builtin_add_overflow(gpa, len - 1, &last))
		return OWN_E_WRAP;
	if ((gpa | len) & (granule - 1))
		return OWN_E_ALIGN;
	if (ranges_overlap(gpa, last, LAYOUT_MSI_BASE, LAYOUT_MSI_LAST))
		return OWN_E_MSI;
	if (touches_resv(pol, gpa, last))
		return OWN_E_RESV;
	if (map_flags & VIRTIO_IOMMU_MAP_F_MMIO)
		return check_mmio(mem, gpa, len, pol);
	return check_ram(mem, gpa, last);
}

int ownership_check(const struct memmap *mem, uint64_t gpa, uint64_t len,
		    uint32_t map_flags, const struct ownership_policy *pol, void **hva)
{
	int ret = check_rules(mem, gpa, len, map_flags, pol);

	if (!ret && hva)
		*hva = ownership_hva(mem, gpa, len, map_flags);
	return ret;
}

static const struct {
	int err;
	const char *name;
} own_names[] = {
	{ 0, "ok" },
	{ OWN_E_LENGTH, "zero-length" },
	{ OWN_E_WRAP, "wraps-2^64" },
	{ OWN_E_ALIGN, "misaligned" },
	{ OWN_E_MSI, "msi-window" },
	{ OWN_E_RESV, "resv-mem" },
	{ OWN_E_MMIO_FLAG, "mmio-flag-not-negotiated" },
	{ OWN_E_MMIO_TARGET, "mmio-not-assigned-bar" },
	{ OWN_E_UNMAPPED, "not-guest-memory" },
	{ OWN_E_BAR, "pci-bar" },
	{ OWN_E_MMIO, "mmio" },
	{ OWN_E_RESERVED, "vmm-reserved" },
	{ OWN_E_ROM, "rom" },
	{ OWN_E_STRADDLE, "leaves-ram" },
};

#define OWN_NAMES (sizeof(own_names) / sizeof(own_names[0]))
_Static_assert(OWN_NAMES == OWN_NR_REASONS, "one name per reason");

unsigned ownership_reason(int err)
{
	unsigned i;

	for (i = 0; i < OWN_NAMES; i++)
		if (own_names[i].err == err)
			return i;
	return 0;
}

const char *ownership_strerror(int err)
{
	unsigned i = ownership_reason(err);

	return own_names[i].err == err ? own_names[i].name : "unknown";
}
