// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shadow mode: host endpoints get the guest's mappings through hiopt. One
 * IOAS per guest domain (allocated on the first host endpoint's attach, with
 * the domain's mappings replayed 1:1), one identity IOAS of all guest RAM for
 * bypass (also stage 2 of nested domains, see nested.c), and which host
 * object each device is attached to. The objects themselves are hobj.c's.
 * Only this file, nested.c and hobj.c call hiopt ops. All under v->lock.
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

/* A mapping without READ or WRITE is recorded in the tree only: on the host,
 * "not mapped" is exactly "no access" (and iommufd refuses prot 0). */
int shadow_map_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m, void *hva)
{
	const struct hiopt *hw = d->hpt->hw;

	if (!shadow_is_host_mapped(m))
		return 0;
	if (!hva)
		return viommu_be_err(v, -EFAULT);
	return viommu_be_err(v, hw->ops->map(hw->be, d->hpt->id, m->start, hva,
					     m->last - m->start + 1, prot_of(m->flags)));
}

int shadow_unmap_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m)
{
	const struct hiopt *hw = d->hpt->hw;
	uint64_t unmapped = 0;
	int ret = hw->ops->unmap(hw->be, d->hpt->id, m->start, m->last - m->start + 1,
				 &unmapped);

	/* Nothing there: an earlier unmap that failed half way already took
	 * it off the host. What the guest asks for holds; reporting an error
	 * would wedge the range for good (every UNMAP of it S_IOERR). */
	return ret == -ENOENT ? 0 : viommu_be_err(v, ret);
}

struct replay {
	struct viommu *v;
	struct vdomain *d;
};

static int replay_one(const struct iova_map *m, void *opaque)
{
	struct replay *r = opaque;
	void *hva = ownership_hva(r->v->cfg.mem, m->gpa, m->last - m->start + 1, m->flags);

	r->v->batch_host_ops++;
	return shadow_map_locked(r->v, r->d, m, hva);
}

/* ---- which host object a device is attached to ---- */

/* ep's device is on pt now (NULL: blocked): its reference moves. */
static void ep_set_pt(struct vendpoint *ep, struct hobj *pt)
{
	struct hobj *old = ep->host_pt;

	ep->host_pt = hobj_get(pt);
	hobj_put(old);
}

int shadow_block_locked(struct viommu *v, struct vendpoint *ep)
{
	int ret;

	if (!ep->host_pt)
		return 0;
	ret = viommu_be_err(v, ep->hw->ops->device_detach(ep->hw->be, ep->dev));
	if (!ret)
		ep_set_pt(ep, NULL);
	return ret;
}

/* A backend that will not replace an attachment (-EBUSY): detach, attach,
 * and the old one back on failure, kept alive across the gap. */
static int dev_reattach(struct viommu *v, struct vendpoint *ep, struct hobj *pt)
{
	const struct hiopt *hw = ep->hw;
	struct hobj *old = hobj_get(ep->host_pt);
	int ret = shadow_block_locked(v, ep);

	if (!ret) {
		ret = hw->ops->device_attach(hw->be, ep->dev, pt->id);
		if (!ret)
			ep_set_pt(ep, pt);
		else if (!hw->ops->device_attach(hw->be, ep->dev, old->id))
			ep_set_pt(ep, old);
		ret = viommu_be_err(v, ret);
	}
	hobj_put(old);
	return ret;
}

/* Point the device at pt. iommufd replaces an attachment atomically. */
int shadow_dev_attach_locked(struct viommu *v, struct vendpoint *ep, struct hobj *pt)
{
	const struct hiopt *hw = ep->hw;
	int ret;

	if (ep->host_pt == pt)
		return 0;
	ret = hw->ops->device_attach(hw->be, ep->dev, pt->id);
	if (ret == -EBUSY && ep->host_pt)
		return dev_reattach(v, ep, pt);
	ret = viommu_be_err(v, ret);
	if (!ret)
		ep_set_pt(ep, pt);
	return ret;
}

/* ---- a domain's host page table ---- */

/*
 * d no longer needs its page table. A device the host would not detach from
 * it (a reset while the backend fails) still holds it: try once more to
 * block that device; if it stays, an IOAS is emptied so the device reaches
 * nothing (a nested HWPT cannot be: the device walks the guest's table until
 * it leaves). The last user, d or that device, destroys it.
 */
static void hpt_drop(struct viommu *v, struct vdomain *d)
{
	struct hobj *o = d->hpt;
	bool stuck = false;
	uint64_t unmapped;

	d->hpt = NULL;
	for (size_t i = 0; i < v->nr_eps && o->users > 1; i++)
		if (v->eps[i].host_pt == o && shadow_block_locked(v, &v->eps[i]))
			stuck = true;
	if (stuck && o->kind == HOBJ_IOAS)
		o->hw->ops->unmap(o->hw->be, o->id, 0, UINT64_MAX, &unmapped);
	hobj_put(o);
}

/* Give d an IOAS holding its mappings (replayed 1:1, never per page). */
static int domain_ioas_get(struct viommu *v, struct vdomain *d, const struct hiopt *hw,
			   bool *fresh)
{
	struct replay r = { .v = v, .d = d };
	int ret;

	if (d->hpt)
		return d->hpt->hw == hw ? 0 : -EXDEV;
	ret = viommu_be_err(v, hobj_ioas_alloc(hw, &d->hpt));
	if (ret)
		return ret;
	ret = iova_tree_foreach(d->tree, replay_one, &r);
	if (ret) {
		hpt_drop(v, d);
		return ret;
	}
	*fresh = true;
	return 0;
}

void shadow_domain_put_locked(struct viommu *v, struct vdomain *d)
{
	if (d->hpt && !d->nr_host)
		hpt_drop(v, d);
}

/* ---- the stage-2 IOAS ---- */

static int map_ram_identity(struct viommu *v, const struct hobj *ioas)
{
	const struct hiopt *hw = ioas->hw;
	struct memmap_region regs[64];
	size_t i, n = memmap_snapshot(v->cfg.mem, regs, 64);
	int ret;

	if (n > 64)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		if (regs[i].kind != MEMMAP_RAM || !regs[i].hva)
			continue;
		ret = viommu_be_err(v, hw->ops->map(hw->be, ioas->id, regs[i].start, regs[i].hva,
						     regs[i].last - regs[i].start + 1,
						     HIOPT_PROT_READ | HIOPT_PROT_WRITE));
		if (ret)
			return ret;
	}
	return 0;
}

/* The identity IOAS (IOVA = GPA over every RAM region), built on first use. */
int shadow_s2_ioas_get_locked(struct viommu *v, const struct hiopt *hw, struct hobj **ioas)
{
	struct hobj *o;
	int ret;

	if (v->s2_ioas) {
		*ioas = v->s2_ioas;
		return v->s2_ioas->hw == hw ? 0 : -EXDEV;
	}
	ret = viommu_be_err(v, hobj_ioas_alloc(hw, &o));
	if (ret)
		return ret;
	ret = map_ram_identity(v, o);
	if (ret) {
		hobj_put(o);
		return ret;
	}
	v->s2_ioas = o;
	*ioas = o;
	return 0;
}

void shadow_teardown_locked(struct viommu *v)
{
	hobj_put(v->s2_ioas);
	v->s2_ioas = NULL;
	for (size_t i = 0; i < v->nr_eps; i++) {
		hobj_forget(v->eps[i].host_pt);
		v->eps[i].host_pt = NULL;
	}
}

/*
 * Make the host follow the guest view of ep when it is attached to target
 * (NULL: not attached): the domain's page table, the stage-2 IOAS (bypass),
 * or blocked. On failure the device keeps its previous host attachment.
 */
int shadow_switch_locked(struct viommu *v, struct vendpoint *ep, struct vdomain *target)
{
	bool fresh = false;
	struct hobj *pt;
	int ret;

	if (target && target->nested)
		ret = nested_host_get_locked(v, target, ep, &fresh);
	else if (target && !target->bypass)
		ret = domain_ioas_get(v, target, ep->hw, &fresh);
	else if (target || v->bypass)
		ret = shadow_s2_ioas_get_locked(v, ep->hw, &pt);
	else
		return shadow_block_locked(v, ep);
	if (ret)
		return ret;
	if (target && !target->bypass)
		pt = target->hpt;
	ret = shadow_dev_attach_locked(v, ep, pt);
	if (ret && fresh)
		hpt_drop(v, target);
	return ret;
}

/*
 * ep must stop reaching what it reaches now (a reset, bypass turned off, its
 * domain gone). Follow the guest view if the host lets us; else block; and
 * if the host refuses to detach too, park the device on a fresh IOAS that
 * maps nothing: the identity IOAS it may be on is shared and cannot be
 * emptied. Only when even that fails does it stay where it is (counted in
 * stats.stuck_devices, reported by the VMM).
 */
int shadow_fail_closed_locked(struct viommu *v, struct vendpoint *ep)
{
	struct hobj *empty;
	int ret;

	if (!shadow_switch_locked(v, ep, NULL) || !shadow_block_locked(v, ep))
		return 0;
	ret = viommu_be_err(v, hobj_ioas_alloc(ep->hw, &empty));
	if (!ret) {
		ret = shadow_dev_attach_locked(v, ep, empty);
		hobj_put(empty);	/* the device holds it if it got there */
	}
	if (ret)
		v->stats.stuck_devices++;
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
	struct hobj *ioas;
	size_t nr = 0;
	int ret;

	/* The device's reserved regions show in an IOAS it is attached to. */
	ret = hobj_ioas_alloc(hw, &ioas);
	if (ret)
		return ret;
	ret = hw->ops->device_attach(hw->be, dev, ioas->id);
	if (ret)
		goto out_ioas;
	ret = hw->ops->iova_ranges(hw->be, ioas->id, r, VIOMMU_MAX_HOST_RANGES, &nr);
	/* Never destroy an IOAS a device still uses: retry a failed detach once,
	 * then give up and leave the IOAS (a leak, not a hole). */
	if (hw->ops->device_detach(hw->be, dev) && hw->ops->device_detach(hw->be, dev)) {
		fprintf(stderr, "viommu: cannot detach host device after probing it\n");
		hobj_forget(ioas);
		return -EIO;
	}
	if (!ret && nr > VIOMMU_MAX_HOST_RANGES)
		ret = -E2BIG;
	if (!ret)
		ret = gaps_of(r, nr, in_start, in_end, gaps, max, n);
out_ioas:
	hobj_put(ioas);
	return ret;
}
