/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal state of the viommu, shared by device.c (transport, config,
 * eventq, translate), request.c (request parsing), domain.c (domains,
 * endpoints, mappings) and shadow.c (host IOASes). Not for other folders.
 */
#ifndef IOSHADE_VIOMMU_VIOMMU_INT_H
#define IOSHADE_VIOMMU_VIOMMU_INT_H

#include <pthread.h>

#include "vmm/virtio/vdev.h"
#include "viommu/hobj.h"
#include "viommu/iova_tree.h"
#include "viommu/nested.h"
#include "viommu/viommu.h"
#include "viommu/virtio_iommu.h"

struct virtio_pci;

/* A guest stage-1 table as ATTACH_TABLE gave it (validated). */
struct vnest_table {
	uint64_t root;			/* GPA, 4 KiB aligned, guest-owned RAM */
	uint16_t format;		/* VIRTIO_IOMMU_X_FMT_* */
	uint8_t addr_width;
	uint32_t flags;
};

/* A guest domain. Exists while at least one endpoint is attached. */
struct vdomain {
	struct vdomain *next;
	uint32_t id;
	bool bypass;			/* created with ATTACH_F_BYPASS: no mappings */
	unsigned nr_eps;		/* endpoints attached, >= 1 */
	struct iova_tree *tree;		/* the guest's mappings (empty when bypass) */
	unsigned nr_host;		/* host endpoints attached */
	/* The domain's host page table, a user of it (hobj.h): its IOAS, which
	 * maps exactly the tree's mappings (shadow), or the nested HWPT on a
	 * nest parent on the stage-2 IOAS (nested). Present iff nr_host > 0 and
	 * !bypass; its backend is the one of every host endpoint attached. */
	struct hobj *hpt;
	/* Nested (ATTACH_TABLE): the guest table holds the mappings, the tree
	 * stays empty and MAP/UNMAP get S_INVAL. */
	bool nested;
	struct vnest_table table;
};

struct vendpoint {
	uint32_t id;			/* PCI BDF */
	struct vdomain *dom;		/* NULL: not attached */
	/* Host endpoints only (hw != NULL). */
	const struct hiopt *hw;
	struct hiopt_dev *dev;
	/* What the device is attached to on the host, a user of it; NULL:
	 * blocked. Usually dom's hpt or the stage-2 IOAS; after a detach the
	 * host refused, the object of a domain that is gone, which lives on
	 * through this reference until the device leaves it. */
	struct hobj *host_pt;
	bool nest_ok;			/* backend nests a 48-bit x86 stage 1 */
};

/* A host backend whose faults are forwarded to the eventq (host_fault.c). */
#define VIOMMU_MAX_FAULT_SRC	4
struct viommu_fault_src {
	struct viommu *v;
	const struct hiopt *hw;
	int fd;				/* the backend's fault_fd, not owned */
};

/*
 * Threads and locks. Lock order: lock -> xlate -> fault_lock.
 * - lock, the device lock: the virtio-pci transport runs every callback
 *   under it (config, features, requestq, eventq, reset), so all of the
 *   state below changes under it; a request runs on whichever thread
 *   delivered the notify.
 * - xlate, a rwlock around the translation state (eps, domains, their
 *   trees and tables, bypass, resv): read-held by emulated endpoints for an
 *   access window (viommu_translate, dma_begin..dma_end), write-held, with
 *   lock, by whatever changes it. Translation never takes lock, so devices
 *   behind the viommu never wait for a request that waits for them.
 * - fault_lock: the pending fault events, filled from any thread (a
 *   translation inside a device's window), moved to the eventq under lock.
 */
struct viommu {
	pthread_mutex_t lock;		/* the device lock, see above */
	pthread_rwlock_t xlate;
	uint64_t gen;			/* under xlate: bumped when a translation
					 * may have been removed */
	pthread_mutex_t fault_lock;
	struct virtio_iommu_fault *faults;	/* ring of max_faults, under fault_lock */
	unsigned fault_head, nr_faults, max_faults;
	int fault_efd;			/* wakes the loop to deliver them, or -1 */
	struct viommu_config cfg;	/* cfg.resv points to nothing after create */
	uint64_t granule;		/* lowest bit of page_size_mask */
	uint64_t dev_features, drv_features;
	uint8_t bypass;			/* config field, 0 or 1 */
	struct vdomain *domains;
	/* Live domains and mappings (all domains): kept by domain.c, never
	 * above cfg.limits (filled with defaults at create). */
	size_t nr_domains, nr_mappings;
	struct vendpoint *eps;
	size_t nr_eps, cap_eps;
	/* RESV_MEM: the MSI window plus these RESERVED ranges, sorted, merged,
	 * disjoint from the MSI window. */
	struct viommu_range resv[VIOMMU_MAX_RESV];
	size_t nr_resv;
	/* The VMM's own reserved ranges (cfg.resv) alone: GPA ranges a MAP may
	 * not target. Host IOVA holes are in resv too but constrain only the
	 * IOVA of a MAP: in shadow mode the host maps IOVA -> the page's host
	 * address, and where that page sits in GPA space means nothing to it. */
	struct viommu_range own_resv[VIOMMU_MAX_RESV];
	size_t nr_own_resv;
	/* Identity IOAS of all guest RAM (lazy, a user of it): host endpoints
	 * in bypass mode, and stage 2 of every nest parent. */
	struct hobj *s2_ioas;
	struct viommu_stats stats;	/* under lock; not the three below */
	struct viommu_nested_stats nstats;	/* under lock; not walks, walk_faults */
	/* Bumped from device threads without lock (stat_inc); read atomically
	 * into stats/nstats by viommu_stats/viommu_nested_stats. */
	struct {
		uint64_t translations, faults, faults_dropped, walks, walk_faults;
	} astats;
	struct virtio_pci *vp;		/* NULL without a transport */
	struct vdev_queue reqq;		/* the requestq's drain state */
	bool eventq_broken;		/* its ring broke: NEEDS_RESET, nothing more */
	unsigned batch_host_ops;	/* host maps replayed in this drain batch */
	viommu_fault_sink sink;		/* under fault_lock */
	void *sink_opaque;
	struct viommu_fault_src fault_src[VIOMMU_MAX_FAULT_SRC];
	size_t nr_fault_src;
};

/* Take / drop the translation lock for writing (v->lock held). removed:
 * a translation may be gone, so the generation moves and every cached
 * translation (ring pointers) is re-checked at the next access window. */
static inline void viommu_xlate_wrlock(struct viommu *v)
{
	pthread_rwlock_wrlock(&v->xlate);
}

static inline void viommu_xlate_unlock(struct viommu *v, bool removed)
{
	if (removed)
		v->gen++;
	pthread_rwlock_unlock(&v->xlate);
}

/* Counters bumped from several threads without v->lock. */
static inline void stat_inc(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* device.c: queue a fault event (any thread; xlate may be held, not
 * fault_lock; 0, or -ENOSPC when dropped), and move pending events to the
 * eventq (v->lock held). */
int viommu_fault_put(struct viommu *v, uint32_t endpoint, uint8_t reason, uint32_t flags,
		      uint64_t address);
void viommu_faults_flush_locked(struct viommu *v);

/* request.c: one request, v->lock held. Returns the used length. */
size_t viommu_handle_request_locked(struct viommu *v, const void *req, size_t req_len,
				    void *resp, size_t resp_cap);

/* host_fault.c */
int viommu_watch_host_faults_locked(struct viommu *v, const struct hiopt *hw);
void viommu_unwatch_host_faults(struct viommu *v);

static inline bool has_feature(const struct viommu *v, unsigned bit)
{
	return v->drv_features & (1ULL << bit);
}

/* domain.c (caller holds v->lock) */
struct vendpoint *ep_find_locked(struct viommu *v, uint32_t id);
struct vendpoint *ep_add_locked(struct viommu *v, uint32_t id);
struct vdomain *dom_find_locked(struct viommu *v, uint32_t id);
/* A new domain, linked and counted; NULL (-ENOMEM) past max_domains. ep is
 * the endpoint that will join it: if it is the last one of its current
 * domain, that one goes, so the count does not grow. */
struct vdomain *dom_create_locked(struct viommu *v, const struct vendpoint *ep, uint32_t id,
				  bool bypass);
void dom_destroy_locked(struct viommu *v, struct vdomain *d);
int dom_attach_locked(struct viommu *v, struct vendpoint *ep, uint32_t dom_id, bool bypass);
int dom_detach_locked(struct viommu *v, struct vendpoint *ep);
/* hva: the host address of m's target that ownership_check validated. */
int dom_map_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m, void *hva);
/* -ERANGE when the range would split a mapping (nothing removed). */
int dom_unmap_locked(struct viommu *v, struct vdomain *d, uint64_t start, uint64_t last);
void dom_reset_locked(struct viommu *v);
void dom_free_all_locked(struct viommu *v);
/* Re-point every unattached host endpoint after a bypass change. */
void dom_bypass_changed_locked(struct viommu *v);

/* shadow.c (caller holds v->lock). Return 0 or -errno from the backend. */
int shadow_switch_locked(struct viommu *v, struct vendpoint *ep, struct vdomain *target);
int shadow_block_locked(struct viommu *v, struct vendpoint *ep);
/* Follow the guest view, else block, else park on an empty IOAS. */
int shadow_fail_closed_locked(struct viommu *v, struct vendpoint *ep);
/* Drop d's host page table once no host endpoint of d needs it. */
void shadow_domain_put_locked(struct viommu *v, struct vdomain *d);
int shadow_map_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m, void *hva);
int shadow_unmap_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m);
/* Teardown, after every endpoint was blocked and every domain freed: drop
 * the stage-2 IOAS and forget what devices the host would not detach hold. */
void shadow_teardown_locked(struct viommu *v);
/* Does m exist on the host? Only with READ or WRITE: no access, no host map. */
bool shadow_is_host_mapped(const struct iova_map *m);
/* Count a backend failure and fold it into -ENOMEM or -EIO (0 stays 0). */
int viommu_be_err(struct viommu *v, int ret);
int shadow_host_resv(const struct hiopt *hw, struct hiopt_dev *dev, uint64_t in_start,
		     uint64_t in_end, struct viommu_range *gaps, size_t max, size_t *n);

/* Shadow helpers nested.c reuses: the identity IOAS of all guest RAM (it is
 * stage 2 of every nested HWPT) and pointing a device at a page table. */
int shadow_s2_ioas_get_locked(struct viommu *v, const struct hiopt *hw, struct hobj **ioas);
int shadow_dev_attach_locked(struct viommu *v, struct vendpoint *ep, struct hobj *pt);

/* nested.c (caller holds v->lock) */
uint8_t nested_attach_table_locked(struct viommu *v,
				   const struct virtio_iommu_req_x_attach_table *r);
uint8_t nested_invalidate_locked(struct viommu *v, const struct virtio_iommu_req_x_invalidate *r);
/* Stage-1 walk for an emulated endpoint; no fault reported (the caller does).
 * -EFAULT not mapped / table outside guest RAM, -EPERM write to read-only. */
int nested_translate_locked(struct viommu *v, struct vdomain *d, uint64_t iova, uint64_t len,
			    unsigned access, uint64_t *gpa, uint64_t *contig);
/* Give d its host nest parent + nested HWPT for ep's backend. */
int nested_host_get_locked(struct viommu *v, struct vdomain *d, struct vendpoint *ep,
			   bool *fresh);
/* Can hw nest an x86 48-bit stage 1 for dev? (hw_info) */
bool nested_host_capable(const struct hiopt *hw, struct hiopt_dev *dev);

/* Reserved bytes of a request must be zero. */
static inline bool is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* request.c: checks every request handler shares. */
/* dom within the DOMAIN_RANGE offered (outside it: S_RANGE, 5.13.6). */
bool viommu_domain_ok(const struct viommu *v, uint32_t dom);
/* [start, last] touches the MSI window or a RESV_MEM region. */
bool viommu_iova_reserved(const struct viommu *v, uint64_t start, uint64_t last);
int viommu_resv_add_locked(struct viommu *v, const struct viommu_range *r, size_t n);
/* errno -> virtio status: 0 S_OK, -ENOMEM S_NOMEM, anything else S_IOERR. */
uint8_t viommu_host_status(int err);
/* dom_attach_locked's errno -> status (-EINVAL bypass mismatch: S_INVAL;
 * -EXDEV/-EOPNOTSUPP cannot attach: S_UNSUPP; else viommu_host_status). */
uint8_t viommu_attach_status(int err);

#endif
