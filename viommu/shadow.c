// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shadow mode: host endpoints get the guest's mappings through hiopt. One
 * IOAS per guest domain (allocated on the first host endpoint's attach, with
 * the domain's mappings replayed 1:1), one identity IOAS of all guest RAM for
 * bypass (also stage 2 of nested domains, see nested.c). Only this file and
 * nested.c call hiopt ops. All under v->lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/memmap.h"
#include "viommu/viommu_int.h"

/*
 * Every backend result passes here: failures are counted and folded into
 * -ENOMEM (out of memory, memlock) or -EIO (anything else). A backend's
 * -EINVAL or -EOPNOTSUPP says nothing about the guest's request, so it must
 * not reach the request handlers, which give those errnos their own meaning.
 */
int viommu_be_err(struct viommu *v, int ret)
{
	if (!ret)
		return 0;
	v->stats.host_errors++;
	return ret == -ENOMEM ? -ENOMEM : -EIO;
}

static unsigned prot_of(uint32_t flags)
{
	return (flags & VIRTIO_IOMMU_MAP_F_READ ? HIOPT_PROT_READ : 0) |
	       (flags & VIRTIO_IOMMU_MAP_F_WRITE ? HIOPT_PROT_WRITE : 0);
}

bool shadow_is_host_mapped(const struct iova_map *m)
{
	return prot_of(m->flags) != 0;
}

/* Host address of a mapping's target (RAM, or an assigned BAR for MMIO). */
static void *map_hva(struct viommu *v, const struct iova_map *m)
{
	uint64_t len = m->last - m->start + 1;
	struct memmap_region reg;

	if (!(m->flags & VIRTIO_IOMMU_MAP_F_MMIO))
		return memmap_hva(v->cfg.mem, m->gpa, len, m->flags & VIRTIO_IOMMU_MAP_F_WRITE);
	if (memmap_query(v->cfg.mem, m->gpa, len, &reg) || !reg.hva)
		return NULL;
	return (uint8_t *)reg.hva + (m->gpa - reg.start);
}

/* A mapping without READ or WRITE is recorded in the tree only: on the host,
 * "not mapped" is exactly "no access" (and iommufd refuses prot 0). */
int shadow_map_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m)
{
	void *hva;

	if (!shadow_is_host_mapped(m))
		return 0;
	hva = map_hva(v, m);
	if (!hva)
		return viommu_be_err(v, -EFAULT);
	return viommu_be_err(v, d->hw->ops->map(d->hw->be, d->ioas, m->start, hva,
					 m->last - m->start + 1, prot_of(m->flags)));
}

int shadow_unmap_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m)
{
	uint64_t unmapped = 0;

	return viommu_be_err(v, d->hw->ops->unmap(d->hw->be, d->ioas, m->start,
					   m->last - m->start + 1, &unmapped));
}

struct replay {
	struct viommu *v;
	struct vdomain *d;
};

static int replay_one(const struct iova_map *m, void *opaque)
{
	struct replay *r = opaque;

	return shadow_map_locked(r->v, r->d, m);
}

struct vendpoint *shadow_pt_holder_locked(struct viommu *v, const struct hiopt *hw, uint32_t pt)
{
	for (size_t i = 0; i < v->nr_eps; i++)
		if (v->eps[i].hw == hw && v->eps[i].host_attached && v->eps[i].host_pt == pt)
			return &v->eps[i];
	return NULL;
}

/*
 * The domain no longer needs its IOAS. If the host would not detach a device
 * from it (a reset while the backend fails), it cannot be destroyed yet:
 * empty it, so the device reaches nothing, and leave it to that endpoint,
 * which destroys it once the device is detached or re-pointed.
 */
static void domain_ioas_drop(struct viommu *v, struct vdomain *d)
{
	struct vendpoint *ep = shadow_pt_holder_locked(v, d->hw, d->ioas);
	uint64_t unmapped;

	/* Try once more to block it; else it keeps the IOAS, emptied. */
	if (ep && shadow_block_locked(v, ep) && !ep->has_orphan) {
		d->hw->ops->unmap(d->hw->be, d->ioas, 0, UINT64_MAX, &unmapped);
		ep->has_orphan = true;
		ep->orphan_nested = false;
		ep->orphan_pt = d->ioas;
	} else {
		d->hw->ops->ioas_destroy(d->hw->be, d->ioas);
	}
	d->has_ioas = false;
	d->hw = NULL;
}

/* Destroy ep's orphaned host objects once the device is no longer on them. */
static void orphan_release_locked(struct vendpoint *ep)
{
	const struct hiopt *hw = ep->hw;

	if (!ep->has_orphan || (ep->host_attached && ep->host_pt == ep->orphan_pt))
		return;
	if (ep->orphan_nested) {
		hw->ops->hwpt_destroy(hw->be, ep->orphan_pt);
		hw->ops->hwpt_destroy(hw->be, ep->orphan_parent);
	} else {
		hw->ops->ioas_destroy(hw->be, ep->orphan_pt);
	}
	ep->has_orphan = false;
}

/* Give d an IOAS holding its mappings (replayed 1:1, never per page). */
static int domain_ioas_get(struct viommu *v, struct vdomain *d, const struct hiopt *hw,
			   bool *fresh)
{
	struct replay r = { .v = v, .d = d };
	int ret;

	if (d->has_ioas)
		return d->hw == hw ? 0 : -EXDEV;
	ret = viommu_be_err(v, hw->ops->ioas_alloc(hw->be, &d->ioas));
	if (ret)
		return ret;
	d->hw = hw;
	d->has_ioas = true;
	ret = iova_tree_foreach(d->tree, replay_one, &r);
	if (ret) {
		domain_ioas_drop(v, d);
		return ret;
	}
	*fresh = true;
	return 0;
}

void shadow_domain_put_locked(struct viommu *v, struct vdomain *d)
{
	if (d->nested)
		nested_host_put_locked(v, d);
	else if (d->has_ioas && !d->nr_host)
		domain_ioas_drop(v, d);
}

static int map_ram_identity(struct viommu *v, const struct hiopt *hw, uint32_t ioas)
{
	struct memmap_region regs[64];
	size_t i, n = memmap_snapshot(v->cfg.mem, regs, 64);
	int ret;

	if (n > 64)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		if (regs[i].kind != MEMMAP_RAM || !regs[i].hva)
			continue;
		ret = viommu_be_err(v, hw->ops->map(hw->be, ioas, regs[i].start, regs[i].hva,
					     regs[i].last - regs[i].start + 1,
					     HIOPT_PROT_READ | HIOPT_PROT_WRITE));
		if (ret)
			return ret;
	}
	return 0;
}

/* The identity IOAS (IOVA = GPA over every RAM region), built on first use. */
int shadow_s2_ioas_get_locked(struct viommu *v, const struct hiopt *hw, uint32_t *ioas)
{
	int ret;

	if (v->has_bypass_ioas) {
		*ioas = v->bypass_ioas;
		return v->bypass_hw == hw ? 0 : -EXDEV;
	}
	ret = viommu_be_err(v, hw->ops->ioas_alloc(hw->be, &v->bypass_ioas));
	if (ret)
		return ret;
	ret = map_ram_identity(v, hw, v->bypass_ioas);
	if (ret) {
		hw->ops->ioas_destroy(hw->be, v->bypass_ioas);
		return ret;
	}
	v->bypass_hw = hw;
	v->has_bypass_ioas = true;
	*ioas = v->bypass_ioas;
	return 0;
}

void shadow_bypass_release_locked(struct viommu *v)
{
	if (!v->has_bypass_ioas)
		return;
	v->bypass_hw->ops->ioas_destroy(v->bypass_hw->be, v->bypass_ioas);
	v->has_bypass_ioas = false;
}

int shadow_block_locked(struct viommu *v, struct vendpoint *ep)
{
	int ret;

	if (!ep->host_attached)
		return 0;
	ret = viommu_be_err(v, ep->hw->ops->device_detach(ep->hw->be, ep->dev));
	if (!ret)
		ep->host_attached = false;
	orphan_release_locked(ep);
	return ret;
}

/* Point the device at pt. iommufd replaces an attachment atomically; a backend
 * that answers -EBUSY gets detach + attach, and the old one back on failure. */
int shadow_dev_attach_locked(struct viommu *v, struct vendpoint *ep, uint32_t pt)
{
	const struct hiopt *hw = ep->hw;
	int ret;

	if (ep->host_attached && ep->host_pt == pt)
		return 0;
	ret = hw->ops->device_attach(hw->be, ep->dev, pt);
	if (ret == -EBUSY && ep->host_attached) {
		ret = shadow_block_locked(v, ep);
		if (ret)
			return ret;
		ret = hw->ops->device_attach(hw->be, ep->dev, pt);
		if (ret && !hw->ops->device_attach(hw->be, ep->dev, ep->host_pt))
			ep->host_attached = true;
	}
	ret = viommu_be_err(v, ret);
	if (ret)
		return ret;
	ep->host_attached = true;
	ep->host_pt = pt;
	orphan_release_locked(ep);
	return 0;
}

/*
 * Make the host follow the guest view of ep when it is attached to target
 * (NULL: not attached): the domain's IOAS, the bypass IOAS, or blocked.
 * On failure the device keeps its previous host attachment.
 */
int shadow_switch_locked(struct viommu *v, struct vendpoint *ep, struct vdomain *target)
{
	bool fresh = false;
	uint32_t pt;
	int ret;

	if (target && target->nested) {
		ret = nested_host_get_locked(v, target, ep, &fresh);
		pt = target->s1_hwpt;
	} else if (target && !target->bypass) {
		ret = domain_ioas_get(v, target, ep->hw, &fresh);
		pt = target->ioas;
	} else if (target || v->bypass) {
		ret = shadow_s2_ioas_get_locked(v, ep->hw, &pt);
	} else {
		return shadow_block_locked(v, ep);
	}
	if (ret)
		return ret;
	ret = shadow_dev_attach_locked(v, ep, pt);
	if (ret && fresh && target->nested)
		nested_host_put_locked(v, target);
	else if (ret && fresh)
		domain_ioas_drop(v, target);
	return ret;
}

/* Usable host IOVA ranges of dev -> the gaps within [in_start, in_end]. */
static int gaps_of(const struct hiopt_iova_range *r, size_t nr, uint64_t in_start,
		   uint64_t in_end, struct viommu_range *gaps, size_t max, size_t *n)
{
	uint64_t cur = in_start;
	bool done = false;
	size_t i;

	*n = 0;
	for (i = 0; i < nr && !done; i++) {
		if (r[i].last < cur || r[i].start > in_end)
			continue;
		if (r[i].start > cur) {
			if (*n == max)
				return -E2BIG;
			gaps[(*n)++] = (struct viommu_range){ cur, r[i].start - 1 };
		}
		done = r[i].last >= in_end;
		cur = r[i].last + 1;
	}
	if (!done) {
		if (*n == max)
			return -E2BIG;
		gaps[(*n)++] = (struct viommu_range){ cur, in_end };
	}
	return 0;
}

int shadow_host_resv(const struct hiopt *hw, struct hiopt_dev *dev, uint64_t in_start,
		     uint64_t in_end, struct viommu_range *gaps, size_t max, size_t *n)
{
	struct hiopt_iova_range r[VIOMMU_MAX_HOST_RANGES];
	size_t nr = 0;
	uint32_t ioas;
	int ret;

	/* The device's reserved regions show in an IOAS it is attached to. */
	ret = hw->ops->ioas_alloc(hw->be, &ioas);
	if (ret)
		return ret;
	ret = hw->ops->device_attach(hw->be, dev, ioas);
	if (ret)
		goto out_ioas;
	ret = hw->ops->iova_ranges(hw->be, ioas, r, VIOMMU_MAX_HOST_RANGES, &nr);
	/* Never destroy an IOAS a device still uses: retry a failed detach once,
	 * then give up and leave the IOAS (a leak, not a hole). */
	if (hw->ops->device_detach(hw->be, dev) && hw->ops->device_detach(hw->be, dev)) {
		fprintf(stderr, "viommu: cannot detach host device after probing it\n");
		return -EIO;
	}
	if (!ret && nr > VIOMMU_MAX_HOST_RANGES)
		ret = -E2BIG;
	if (!ret)
		ret = gaps_of(r, nr, in_start, in_end, gaps, max, n);
out_ioas:
	hw->ops->ioas_destroy(hw->be, ioas);
	return ret;
}
