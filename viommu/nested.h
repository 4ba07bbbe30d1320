/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Nested mode of the virtio-iommu (ioshade experimental feature
 * VIRTIO_IOMMU_F_X_NESTED, wire format in docs/nested.md): the guest owns an
 * x86-64 4-level stage-1 table; host endpoints get a nested HWPT on a
 * stage-2 IOAS of all guest RAM, emulated endpoints are walked in software.
 */
#ifndef IOSHADE_VIOMMU_NESTED_H
#define IOSHADE_VIOMMU_NESTED_H

#include <stdint.h>

#include "viommu/viommu.h"

struct viommu_nested_stats {
	uint64_t attach_tables;		/* ATTACH_TABLE requests handled */
	uint64_t invalidates;		/* INVALIDATE requests handled */
	uint64_t host_invalidates;	/* INVALIDATEs forwarded to a host HWPT */
	uint64_t walks;			/* stage-1 walks for emulated endpoints */
	uint64_t walk_faults;		/* walks that failed closed */
};

void viommu_nested_stats(struct viommu *v, struct viommu_nested_stats *out);

/* Is VIRTIO_IOMMU_F_X_NESTED offered? It is withdrawn when a host endpoint
 * whose backend cannot nest is added before a transport exists (see
 * docs/nested.md "Feature negotiation"). */
bool viommu_nested_offered(const struct viommu *v);

#endif
