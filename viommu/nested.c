// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested mode (ioshade experimental VIRTIO_IOMMU_F_X_NESTED, docs/nested.md):
 * ATTACH_TABLE and INVALIDATE, the software stage-1 walk that emulated
 * endpoints use (no cache: every table read checks ownership again), and the
 * host side: stage-2 IOAS of all guest RAM -> nest parent -> nested HWPT.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/s1walk.h"
#include "viommu/viommu_int.h"

#define S1_PAGE		4096ULL

_Static_assert(VIRTIO_IOMMU_X_PTE_P == S1WALK_PTE_P && VIRTIO_IOMMU_X_PTE_RW == S1WALK_PTE_RW &&
	       VIRTIO_IOMMU_X_PTE_PS == S1WALK_PTE_PS && VIRTIO_IOMMU_X_PTE_ADDR == S1WALK_PTE_ADDR,
	       "wire PTE bits are the walker's");

/* The ownership rules of a MAP, at byte granularity (callers align). */
/* Here GPA is also the stage-2 IOVA (IOVA = GPA on the host), so the host's
 * IOVA holes (in resv) count as well as the VMM's own reserved ranges. */
static int owned(const struct viommu *v, uint64_t gpa, uint64_t len, uint32_t flags)
{
	struct ownership_policy pol = {
		.granule = 1, .resv = v->resv, .nr_resv = v->nr_resv,
	};

	return ownership_check(v->cfg.mem, gpa, len, flags, &pol, NULL);
}

/* ---- the software walk (emulated endpoints) ---- */

/* s1walk's read_entry: the table page must be guest-owned RAM now (the guest
 * may have changed the tree since ATTACH_TABLE), else the walk is refused. */
static int table_entry(void *opaque, uint64_t table, unsigned idx, uint64_t *pte)
{
	struct viommu *v = opaque;
	const uint64_t *p;

	if (owned(v, table, S1_PAGE, VIRTIO_IOMMU_MAP_F_READ))
		return -EFAULT;
	p = memmap_hva(v->cfg.mem, table + idx * 8, 8, false);
	if (!p)
		return -EFAULT;
	/* One aligned 8-byte load: the guest may write the entry concurrently. */
	*pte = le64toh(__atomic_load_n(p, __ATOMIC_RELAXED));
	return 0;
}

static int s1_walk(struct viommu *v, const struct vdomain *d, uint64_t iova, unsigned access,
		   struct s1walk_result *r)
{
	const struct s1walk_table t = {
		.root = d->table.root, .read_entry = table_entry, .opaque = v,
	};
	unsigned acc = (access & DMA_ACCESS_READ ? S1WALK_READ : 0) |
		       (access & DMA_ACCESS_WRITE ? S1WALK_WRITE : 0);

	/* The walker accepts canonical upper-half IOVAs; this device's input
	 * range is [0, 2^addr_width) (docs/nested.md). */
	if (iova >> d->table.addr_width)
		return -EFAULT;
	return s1walk(&t, iova, acc, r);
}

/*
 * How much of [iova, iova + n) may translate, iova itself being allowed: up
 * to input_end and up to the first RESV_MEM region above iova. A leaf that
 * spans the MSI window (a 1 GiB one at 0xc0000000) must not carry a DMA
 * into it; the next piece starts inside the region and faults.
 */
static uint64_t clamp_to_unreserved(const struct viommu *v, uint64_t iova, uint64_t n)
{
	uint64_t room = v->cfg.input_end - iova;	/* bytes after iova */
	size_t i;

	if (n - 1 > room)
		n = room + 1;
	if (iova < LAYOUT_MSI_BASE && LAYOUT_MSI_BASE - iova < n)
		n = LAYOUT_MSI_BASE - iova;
	for (i = 0; i < v->nr_resv; i++)
		if (iova < v->resv[i].start && v->resv[i].start - iova < n)
			n = v->resv[i].start - iova;
	return n;
}

int nested_translate_locked(struct viommu *v, struct vdomain *d, uint64_t iova, uint64_t len,
			    unsigned access, uint64_t *gpa, uint64_t *contig)
{
	uint32_t flags = (access & DMA_ACCESS_READ ? VIRTIO_IOMMU_MAP_F_READ : 0) |
			 (access & DMA_ACCESS_WRITE ? VIRTIO_IOMMU_MAP_F_WRITE : 0);
	struct s1walk_result leaf;
	uint64_t n = 0;
	int ret;

	stat_inc(&v->astats.walks);
	/* RESV_MEM IOVAs never translate (on hardware the MSI window is not
	 * even looked up), whatever the guest table says. */
	if (iova < v->cfg.input_start || iova > v->cfg.input_end || viommu_iova_reserved(v, iova, iova))
		ret = -EFAULT;
	else
		ret = s1_walk(v, d, iova, access, &leaf);
	if (!ret) {
		n = clamp_to_unreserved(v, iova, leaf.contig < len ? leaf.contig : len);
		/* The output must be guest-owned RAM, as a MAP's target. */
		if (owned(v, leaf.out, n, flags))
			ret = -EFAULT;
	}
	if (ret) {
		stat_inc(&v->astats.walk_faults);
		return ret;
	}
	*gpa = leaf.out;
	*contig = n;
	return 0;
}

/* ---- host side ---- */

bool nested_host_capable(const struct hiopt *hw, struct hiopt_dev *dev)
{
	struct hiopt_hw_info info = { 0 };

	if (!hw->ops->hw_info || !hw->ops->hwpt_alloc_nested)
		return false;
	if (hw->ops->hw_info(hw->be, dev, &info))
		return false;
	return (info.flags & HIOPT_HW_F_NESTING) && info.addr_width >= VIRTIO_IOMMU_X_ADDR_WIDTH;
}

/* The nested HWPT holds its nest parent, which holds the shared stage-2
 * IOAS; d holds the nested HWPT. */
int nested_host_get_locked(struct viommu *v, struct vdomain *d, struct vendpoint *ep,
			   bool *fresh)
{
	const struct hiopt *hw = ep->hw;
	struct hiopt_s1_table t = {
		.root_gpa = d->table.root, .addr_width = d->table.addr_width,
	};
	struct hobj *s2, *parent;
	int ret;

	if (d->hpt)
		return d->hpt->hw == hw ? 0 : -EXDEV;
	if (!ep->nest_ok)
		return -EOPNOTSUPP;
	ret = shadow_s2_ioas_get_locked(v, hw, &s2);
	if (ret)
		return ret;
	ret = viommu_be_err(v, hobj_nest_parent_alloc(s2, ep->dev, &parent));
	if (ret)
		return ret;
	ret = viommu_be_err(v, hobj_nested_alloc(parent, ep->dev, HIOPT_HWPT_DATA_X86_S1,
						 &t, sizeof(t), &d->hpt));
	hobj_put(parent);	/* the nested HWPT holds it now, or it goes */
	if (ret)
		return ret;
	*fresh = true;
	return 0;
}

/* ---- ATTACH_TABLE ---- */

static bool same_table(const struct vnest_table *a, const struct vnest_table *b)
{
	return a->root == b->root && a->format == b->format &&
	       a->addr_width == b->addr_width && a->flags == b->flags;
}

/* A fresh nested domain, linked so that dom_attach_locked finds it; NULL
 * past max_domains or without memory. */
static struct vdomain *nested_dom_new(struct viommu *v, const struct vendpoint *ep, uint32_t id,
				      const struct vnest_table *t)
{
	struct vdomain *d = dom_create_locked(v, ep, id, false);

	if (!d)
		return NULL;
	d->nested = true;
	d->table = *t;
	return d;
}

static uint8_t attach_ep(struct viommu *v, struct vendpoint *ep, uint32_t id,
			 const struct vnest_table *t)
{
	struct vdomain *d = dom_find_locked(v, id), *created = NULL;
	int ret;

	/* An existing domain keeps its table: MAP domains, bypass domains and
	 * another table are all S_INVAL (detach every endpoint to change it). */
	if (d && (!d->nested || !same_table(&d->table, t)))
		return VIRTIO_IOMMU_S_INVAL;
	if (!d) {
		created = nested_dom_new(v, ep, id, t);
		if (!created)
			return VIRTIO_IOMMU_S_NOMEM;
	}
	ret = dom_attach_locked(v, ep, id, false);
	if (ret && created)
		dom_destroy_locked(v, created);	/* no endpoint ever joined it */
	return viommu_attach_status(ret);
}

uint8_t nested_attach_table_locked(struct viommu *v,
				   const struct virtio_iommu_req_x_attach_table *r)
{
	struct vnest_table t = {
		.root = le64toh(r->root), .format = le16toh(r->format),
		.addr_width = r->addr_width, .flags = le32toh(r->flags),
	};
	uint32_t dom = le32toh(r->domain);
	struct vendpoint *ep;

	v->nstats.attach_tables++;
	if (!is_zero(r->reserved, sizeof(r->reserved)) || t.flags)
		return VIRTIO_IOMMU_S_INVAL;
	if (t.format != VIRTIO_IOMMU_X_FMT_X86_64 || t.addr_width != VIRTIO_IOMMU_X_ADDR_WIDTH)
		return VIRTIO_IOMMU_S_UNSUPP;
	ep = ep_find_locked(v, le32toh(r->endpoint));
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!viommu_domain_ok(v, dom))
		return VIRTIO_IOMMU_S_RANGE;
	if (ep->hw && !ep->nest_ok)
		return VIRTIO_IOMMU_S_UNSUPP;
	/* The root page: aligned, and guest-owned RAM (as a MAP target). */
	if ((t.root & (S1_PAGE - 1)) || owned(v, t.root, S1_PAGE, VIRTIO_IOMMU_MAP_F_READ))
		return VIRTIO_IOMMU_S_RANGE;
	return attach_ep(v, ep, dom, &t);
}

/* ---- INVALIDATE ---- */

/* Range form: granule 4K/2M/1G, both ends on it, inside the input width. */
static uint8_t inv_range(const struct vdomain *d, const struct virtio_iommu_req_x_invalidate *r,
			 struct hiopt_s1_inv *inv)
{
	uint64_t start = le64toh(r->virt_start), last = le64toh(r->virt_end);
	uint64_t mask;

	if (r->granule != 12 && r->granule != 21 && r->granule != 30)
		return VIRTIO_IOMMU_S_INVAL;
	if (last < start)
		return VIRTIO_IOMMU_S_INVAL;
	if (last >> d->table.addr_width)	/* so last + 1 cannot wrap below */
		return VIRTIO_IOMMU_S_RANGE;
	mask = (1ULL << r->granule) - 1;
	if ((start & mask) || ((last + 1) & mask))
		return VIRTIO_IOMMU_S_RANGE;
	*inv = (struct hiopt_s1_inv){
		.addr = start, .npages = (last - start + 1) / S1_PAGE,
		.flags = le32toh(r->flags) & VIRTIO_IOMMU_X_INV_F_LEAF ? HIOPT_S1_INV_F_LEAF : 0,
	};
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t inv_params(const struct vdomain *d, const struct virtio_iommu_req_x_invalidate *r,
			  struct hiopt_s1_inv *inv)
{
	if (!(le32toh(r->flags) & VIRTIO_IOMMU_X_INV_F_ALL))
		return inv_range(d, r, inv);
	if (r->granule || r->virt_start || r->virt_end)
		return VIRTIO_IOMMU_S_INVAL;
	*inv = (struct hiopt_s1_inv){ .npages = UINT64_MAX, .flags = HIOPT_S1_INV_F_ALL };
	return VIRTIO_IOMMU_S_OK;
}

uint8_t nested_invalidate_locked(struct viommu *v, const struct virtio_iommu_req_x_invalidate *r)
{
	const uint32_t known = VIRTIO_IOMMU_X_INV_F_ALL | VIRTIO_IOMMU_X_INV_F_LEAF;
	uint32_t dom = le32toh(r->domain), n = 1;
	struct hiopt_s1_inv inv;
	struct vdomain *d;
	uint8_t st;
	int ret;

	v->nstats.invalidates++;
	if (!is_zero(r->reserved, sizeof(r->reserved)) || (le32toh(r->flags) & ~known))
		return VIRTIO_IOMMU_S_INVAL;
	if (!viommu_domain_ok(v, dom))
		return VIRTIO_IOMMU_S_RANGE;
	d = dom_find_locked(v, dom);
	if (!d)
		return VIRTIO_IOMMU_S_NOENT;
	if (!d->nested)
		return VIRTIO_IOMMU_S_INVAL;
	st = inv_params(d, r, &inv);
	/* The software walk caches nothing: only a host HWPT needs the flush. */
	if (st || !d->hpt)
		return st;
	/* Strict, like UNMAP: S_OK only once the host IOTLB is clean. */
	ret = viommu_be_err(v, d->hpt->hw->ops->hwpt_invalidate(d->hpt->hw->be, d->hpt->id,
								HIOPT_HWPT_DATA_X86_S1,
								&inv, sizeof(inv), &n));
	if (!ret && n != 1)
		ret = viommu_be_err(v, -EIO);
	if (ret)
		return viommu_host_status(ret);
	v->nstats.host_invalidates++;
	return VIRTIO_IOMMU_S_OK;
}

/* ---- public ---- */

void viommu_nested_stats(struct viommu *v, struct viommu_nested_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->nstats;
	pthread_mutex_unlock(&v->lock);
	/* Bumped by translations outside v->lock. */
	out->walks = __atomic_load_n(&v->astats.walks, __ATOMIC_RELAXED);
	out->walk_faults = __atomic_load_n(&v->astats.walk_faults, __ATOMIC_RELAXED);
}

bool viommu_nested_offered(const struct viommu *v)
{
	return v->dev_features & (1ULL << VIRTIO_IOMMU_F_X_NESTED);
}
