/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Debug state of a viommu, for tests and tools: snapshots of its domains and
 * endpoints with the host objects behind them, and its mappings, so that no
 * one outside viommu/ reads viommu_int.h. Each call takes the device lock;
 * none changes anything.
 */
#ifndef IOSHADE_VIOMMU_VIOMMU_DEBUG_H
#define IOSHADE_VIOMMU_VIOMMU_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "viommu/hiopt.h"
#include "viommu/iova_tree.h"
#include "viommu/viommu.h"

struct viommu_debug_dom {
	uint32_t id;
	bool bypass;
	bool nested;
	unsigned nr_eps, nr_host;	/* endpoints attached, host ones among them */
	size_t nr_mappings;
	uint64_t table_root;		/* nested: the stage-1 root GPA */
	/* The domain's host page table (its IOAS, or its nested HWPT), and
	 * that one's parent (a nest parent), as backend ids; 0: none. */
	uint32_t host_pt, host_parent;
};

struct viommu_debug_ep {
	uint32_t id;
	bool attached;			/* to domain dom */
	uint32_t dom;
	const struct hiopt_dev *dev;	/* host endpoints only, else NULL */
	uint32_t host_pt;		/* the device is attached to, on the host; 0: blocked */
};

/* Snapshots: up to max entries (domains newest first, endpoints in the order
 * they were added). Returns the total count, which may exceed max. */
size_t viommu_debug_domains(struct viommu *v, struct viommu_debug_dom *out, size_t max);
size_t viommu_debug_endpoints(struct viommu *v, struct viommu_debug_ep *out, size_t max);
/* One domain, or -ENOENT. */
int viommu_debug_domain(struct viommu *v, uint32_t id, struct viommu_debug_dom *out);
/* The domain's mappings in IOVA order: as iova_tree_foreach (fn's first
 * non-zero return stops and is returned), -ENOENT without the domain. fn
 * runs under the device lock and must not call into the viommu. */
int viommu_debug_foreach_map(struct viommu *v, uint32_t dom,
			     int (*fn)(const struct iova_map *m, void *opaque), void *opaque);
/* The mapping of domain dom that holds iova: 0, or -ENOENT. */
int viommu_debug_find_map(struct viommu *v, uint32_t dom, uint64_t iova, struct iova_map *out);
/* The identity (bypass, stage-2) IOAS id, 0 when there is none. */
uint32_t viommu_debug_s2_ioas(struct viommu *v);
/* The guest-visible bypass field (0 or 1). */
bool viommu_debug_bypass(struct viommu *v);
/* The limits in force (defaults filled in), and fault events pending for
 * the eventq. */
void viommu_debug_limits(struct viommu *v, struct viommu_limits *out);
size_t viommu_debug_pending_faults(struct viommu *v);

#endif
