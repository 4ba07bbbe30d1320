/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * GPA ownership (DESIGN.md section 4): may the guest point a DMA mapping at
 * [gpa, gpa+len)? A pure function of the memory map and a policy; it never
 * changes state. Every rejection reason has its own errno and name.
 */
#ifndef IOSHADE_VIOMMU_OWNERSHIP_H
#define IOSHADE_VIOMMU_OWNERSHIP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "viommu/virtio_iommu.h"

struct memmap;

/* An inclusive address range. */
struct viommu_range {
	uint64_t start;
	uint64_t last;
};

static inline bool ranges_overlap(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

struct ownership_policy {
	uint64_t granule;			/* power of two, >= 1 */
	bool mmio_negotiated;			/* VIRTIO_IOMMU_F_MMIO accepted */
	const struct viommu_range *resv;	/* RESV_MEM regions reported by PROBE */
	size_t nr_resv;
};

/* Rejection reasons, as the errno ownership_check returns. */
#define OWN_E_LENGTH		(-EINVAL)	/* len == 0 */
#define OWN_E_WRAP		(-EOVERFLOW)	/* gpa + len wraps past 2^64 */
#define OWN_E_ALIGN		(-EDOM)		/* gpa or len not granule-aligned */
#define OWN_E_MSI		(-EADDRINUSE)	/* touches 0xfee00000-0xfeefffff */
#define OWN_E_RESV		(-EADDRNOTAVAIL) /* touches a RESV_MEM region */
#define OWN_E_MMIO_FLAG		(-EOPNOTSUPP)	/* MAP_F_MMIO without F_MMIO */
#define OWN_E_MMIO_TARGET	(-EPERM)	/* MAP_F_MMIO not inside one assigned BAR */
#define OWN_E_UNMAPPED		(-ENXIO)	/* nothing at gpa (holes, beyond RAM) */
#define OWN_E_BAR		(-EBUSY)	/* a PCI BAR */
#define OWN_E_MMIO		(-EFAULT)	/* device registers, ECAM, IOAPIC */
#define OWN_E_RESERVED		(-EACCES)	/* VMM-reserved (boot data, legacy hole) */
#define OWN_E_ROM		(-EROFS)	/* ROM (ACPI): VMM-owned, never DMA-mappable */
#define OWN_E_STRADDLE		(-E2BIG)	/* leaves guest RAM part-way */

/* 0 when the mapping is allowed, else one of OWN_E_*. map_flags are
 * VIRTIO_IOMMU_MAP_F_*. On 0, *hva (if hva is not NULL) is what
 * ownership_hva gives for the same range: the host address it validated. */
int ownership_check(const struct memmap *mem, uint64_t gpa, uint64_t len,
		    uint32_t map_flags, const struct ownership_policy *pol, void **hva);

/* Host address of [gpa, gpa+len) as a mapping with map_flags targets it:
 * guest RAM (writable for MAP_F_WRITE), or an assigned BAR for MAP_F_MMIO,
 * only when the whole range lies in one region that has host memory; else
 * NULL. Checks no ownership rule: for ranges ownership_check accepted. */
void *ownership_hva(const struct memmap *mem, uint64_t gpa, uint64_t len, uint32_t map_flags);

#define OWN_NR_REASONS		14	/* including 0 = ok */

/* Index of a result in [0, OWN_NR_REASONS) (0 for ok and unknown values). */
unsigned ownership_reason(int err);

/* Short stable name of a result ("ok", "msi-window", ...), for logs and tests. */
const char *ownership_strerror(int err);

#endif
