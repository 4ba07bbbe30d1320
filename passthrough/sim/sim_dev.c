// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated host IOMMU, device side: device objects (what VFIO's bind makes),
 * attach/replace/detach, hw_info, nest-parent and nested HWPTs, stage-1
 * invalidation, the fault queue, and the fail-closed DMA walk a simulated
 * device uses. Errnos follow drivers/iommu/iommufd/{device,hw_pagetable}.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough/sim/sim_internal.h"

/* The device behind a handle, if it is a live device of this sim. Searching
 * the table (not dereferencing the handle) keeps a stale handle harmless. */
static struct sim_dev *dev_lookup_locked(struct sim_iommu *sim, const struct hiopt_dev *dev)
{
	uint32_t i;

	for (i = 1; dev && i < sim->nobjs; i++)
		if (sim->objs[i] == (const struct sim_obj *)dev && sim->objs[i]->type == SIM_OBJ_DEV)
			return sim_dev_of(dev);
	return NULL;
}

struct hiopt_dev *sim_iommu_dev_create(struct sim_iommu *sim)
{
	struct sim_dev *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->sim = sim;
	pthread_mutex_lock(&sim->lock);
	rc = sim_obj_add_locked(sim, &d->obj, SIM_OBJ_DEV);
	pthread_mutex_unlock(&sim->lock);
	if (rc) {
		free(d);
		errno = -rc;
		return NULL;
	}
	return sim_dev_handle(d);
}

void sim_iommu_dev_destroy(struct sim_iommu *sim, struct hiopt_dev *dev)
{
	struct sim_dev *d;

	pthread_mutex_lock(&sim->lock);
	d = dev_lookup_locked(sim, dev);
	if (d) {
		if (d->pt)
			d->pt->users--;
		sim->objs[d->obj.id] = NULL;
		free(d);
	}
	pthread_mutex_unlock(&sim->lock);
}

uint32_t sim_iommu_dev_id(const struct hiopt_dev *dev)
{
	return sim_dev_of(dev)->obj.id;
}

uint32_t sim_iommu_dev_pt(struct sim_iommu *sim, const struct hiopt_dev *dev)
{
	struct sim_dev *d;
	uint32_t id = 0;

	pthread_mutex_lock(&sim->lock);
	d = dev_lookup_locked(sim, dev);
	if (d && d->pt)
		id = d->pt->id;
	pthread_mutex_unlock(&sim->lock);
	return id;
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: a missing pt is -ENOENT (iommufd_get_object),
 * a non-page-table object -EINVAL (iommufd_device_change_pt); on an attached
 * device it is iommufd_device_replace(), atomic, and a no-op for the same pt.
 */
static int attach_locked(struct sim_iommu *sim, struct hiopt_dev *dev, uint32_t pt_id)
{
	struct sim_dev *d;
	struct sim_obj *pt;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	d = dev_lookup_locked(sim, dev);
	if (!d)
		return -EINVAL;
	pt = sim_obj_get_locked(sim, pt_id);
	if (!pt)
		return -ENOENT;
	if (pt->type == SIM_OBJ_DEV)
		return -EINVAL;
	if (d->pt == pt)
		return 0;
	if (d->pt)
		d->pt->users--;
	pt->users++;
	d->pt = pt;
	return 0;
}

int sim_op_device_attach(void *be, struct hiopt_dev *dev, uint32_t pt_id)
{
	struct sim_iommu *sim = be;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = attach_locked(sim, dev, pt_id);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

/* VFIO_DEVICE_DETACH_IOMMUFD_PT: back to blocking; detaching twice is fine. */
static int detach_locked(struct sim_iommu *sim, struct hiopt_dev *dev)
{
	struct sim_dev *d;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	d = dev_lookup_locked(sim, dev);
	if (!d)
		return -EINVAL;
	if (d->pt) {
		d->pt->users--;
		d->pt = NULL;
	}
	return 0;
}

int sim_op_device_detach(void *be, struct hiopt_dev *dev)
{
	struct sim_iommu *sim = be;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = detach_locked(sim, dev);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

int sim_op_hw_info(void *be, struct hiopt_dev *dev, struct hiopt_hw_info *info)
{
	struct sim_iommu *sim = be;
	int rc = -ENOENT;

	pthread_mutex_lock(&sim->lock);
	if (dev_lookup_locked(sim, dev)) {
		memset(info, 0, sizeof(*info));
		info->type = HIOPT_HW_INFO_SIM;
		info->pgsize_bitmap = sim->cfg.page_size;
		info->addr_width = SIM_ADDR_WIDTH;
		info->flags = sim->cfg.nesting ? HIOPT_HW_F_NESTING : 0;
		rc = 0;
	}
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

/* ---- HWPTs (iommufd_hwpt_alloc) ---- */

static int add_hwpt_locked(struct sim_iommu *sim, struct sim_obj *o, enum sim_obj_type type,
			   struct sim_obj *parent, uint32_t *hwpt_id)
{
	int rc = sim_obj_add_locked(sim, o, type);

	if (rc) {
		free(o);
		return rc;
	}
	parent->users++;
	*hwpt_id = o->id;
	return 0;
}

static int nest_parent_locked(struct sim_iommu *sim, struct hiopt_dev *dev, uint32_t ioas_id,
			      uint32_t *hwpt_id)
{
	struct sim_hwpt *h;
	struct sim_obj *pt;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	if (!dev_lookup_locked(sim, dev))
		return -ENOENT;		/* iommufd_get_device() */
	pt = sim_obj_get_locked(sim, ioas_id);
	if (!pt)
		return -EINVAL;		/* a missing pt_id is -EINVAL in hwpt_alloc */
	if (pt->type == SIM_OBJ_HWPT_PARENT)
		return -EOPNOTSUPP;	/* nested alloc with no data */
	if (pt->type != SIM_OBJ_IOAS)
		return -EINVAL;
	if (!sim->cfg.nesting)
		return -EOPNOTSUPP;	/* driver rejects IOMMU_HWPT_ALLOC_NEST_PARENT */
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ioas = (struct sim_ioas *)pt;
	return add_hwpt_locked(sim, &h->obj, SIM_OBJ_HWPT_PARENT, pt, hwpt_id);
}

int sim_op_hwpt_alloc_nest_parent(void *be, struct hiopt_dev *dev, uint32_t ioas_id,
				  uint32_t *hwpt_id)
{
	struct sim_iommu *sim = be;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = nest_parent_locked(sim, dev, ioas_id, hwpt_id);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

static int nested_locked(struct sim_iommu *sim, struct hiopt_dev *dev, uint32_t parent_id,
			 uint32_t type, const void *data, size_t len, uint32_t *hwpt_id)
{
	struct sim_hwpt_x86 s1;
	struct sim_nested *n;
	struct sim_obj *pt;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	if ((type == HIOPT_HWPT_DATA_NONE) != (len == 0))
		return -EINVAL;
	if (!dev_lookup_locked(sim, dev))
		return -ENOENT;
	pt = sim_obj_get_locked(sim, parent_id);
	if (!pt)
		return -EINVAL;
	if (pt->type == SIM_OBJ_IOAS)
		return -EOPNOTSUPP;	/* a paging domain takes no user data */
	if (pt->type != SIM_OBJ_HWPT_PARENT || !len)
		return pt->type == SIM_OBJ_HWPT_PARENT ? -EOPNOTSUPP : -EINVAL;
	/* The neutral HIOPT_HWPT_DATA_X86_S1 has the same layout (sim_nested.c). */
	if (type != HIOPT_HWPT_DATA_SIM_X86 && type != HIOPT_HWPT_DATA_X86_S1)
		return -EOPNOTSUPP;	/* as the mock's __mock_domain_alloc_nested() */
	rc = sim_nested_parse(data, len, &s1);
	if (rc)
		return rc;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->parent = (struct sim_hwpt *)pt;
	n->s1 = s1;
	return add_hwpt_locked(sim, &n->obj, SIM_OBJ_HWPT_NESTED, pt, hwpt_id);
}

int sim_op_hwpt_alloc_nested(void *be, struct hiopt_dev *dev, uint32_t parent_id,
			     uint32_t data_type, const void *data, size_t data_len,
			     uint32_t *hwpt_id)
{
	struct sim_iommu *sim = be;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = nested_locked(sim, dev, parent_id, data_type, data, data_len, hwpt_id);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

void sim_op_hwpt_destroy(void *be, uint32_t hwpt_id)
{
	struct sim_iommu *sim = be;
	struct sim_obj *o;

	pthread_mutex_lock(&sim->lock);
	o = sim_obj_get_locked(sim, hwpt_id);
	if (o && (o->type == SIM_OBJ_HWPT_PARENT || o->type == SIM_OBJ_HWPT_NESTED))
		sim_obj_destroy_locked(sim, hwpt_id, o->type);	/* -EBUSY: stays */
	pthread_mutex_unlock(&sim->lock);
}

/* iommufd_hwpt_invalidate(): early errors report 0 entries handled. */
static int invalidate_locked(struct sim_iommu *sim, uint32_t hwpt_id, uint32_t type,
			     const void *entries, uint32_t entry_len, uint32_t *num)
{
	struct sim_obj *o;
	uint32_t want = *num;

	*num = 0;
	if (want && (!entries || !entry_len))
		return -EINVAL;
	o = sim_obj_get_locked(sim, hwpt_id);
	if (!o)
		return -ENOENT;
	if (o->type != SIM_OBJ_HWPT_NESTED)
		return -EINVAL;
	if (type != HIOPT_HWPT_DATA_SIM_X86 && type != HIOPT_HWPT_DATA_X86_S1)
		return -EINVAL;		/* as mock_domain_cache_invalidate_user() */
	*num = want;
	return sim_nested_invalidate((struct sim_nested *)o, type, entries, entry_len, num);
}

int sim_op_hwpt_invalidate(void *be, uint32_t hwpt_id, uint32_t data_type,
			   const void *entries, uint32_t entry_len, uint32_t *n)
{
	struct sim_iommu *sim = be;
	int rc;

	if (!n)
		return -EINVAL;
	pthread_mutex_lock(&sim->lock);
	rc = invalidate_locked(sim, hwpt_id, data_type, entries, entry_len, n);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

int sim_iommu_iotlb_count(struct sim_iommu *sim, uint32_t hwpt_id)
{
	struct sim_obj *o;
	int rc;

	pthread_mutex_lock(&sim->lock);
	o = sim_obj_get_locked(sim, hwpt_id);
	if (!o)
		rc = -ENOENT;
	else if (o->type != SIM_OBJ_HWPT_NESTED)
		rc = -EINVAL;
	else
		rc = sim_nested_tlb_count((struct sim_nested *)o);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

/* ---- faults ---- */

static void fault_push_locked(struct sim_iommu *sim, struct sim_dev *d, uint64_t addr,
			      unsigned access, int rc)
{
	struct hiopt_fault *f;
	uint64_t one = 1;

	if (sim->fault_len == SIM_FAULT_QUEUE) {
		sim->faults_dropped++;
		return;
	}
	f = &sim->faults[(sim->fault_head + sim->fault_len) % SIM_FAULT_QUEUE];
	f->dev_id = d->obj.id;
	f->hwpt_id = d->pt ? d->pt->id : 0;
	f->addr = addr;
	f->perm = access;
	f->reason = !d->pt ? HIOPT_FAULT_BLOCKED :
		    rc == -EPERM ? HIOPT_FAULT_PERM : HIOPT_FAULT_UNMAPPED;
	f->dev = sim_dev_handle(d);
	sim->fault_len++;
	if (sim->fault_efd >= 0 && write(sim->fault_efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the fd still polls readable. */
	}
}

int sim_op_fault_fd(void *be)
{
	struct sim_iommu *sim = be;

	return sim->fault_efd >= 0 ? sim->fault_efd : -EOPNOTSUPP;
}

int sim_op_fault_read(void *be, struct hiopt_fault *f, size_t max)
{
	struct sim_iommu *sim = be;
	int n = 0;

	pthread_mutex_lock(&sim->lock);
	while (sim->fault_len && (size_t)n < max && n < 4096) {
		f[n++] = sim->faults[sim->fault_head];
		sim->fault_head = (sim->fault_head + 1) % SIM_FAULT_QUEUE;
		sim->fault_len--;
	}
	pthread_mutex_unlock(&sim->lock);
	return n;
}

/* ---- the DMA walk ---- */

static int xlate_step(struct sim_dev *d, uint64_t addr, unsigned access, uint8_t **hva,
		      uint64_t *contig)
{
	struct sim_obj *pt = d->pt;

	if (!pt)
		return -ENODEV;
	switch (pt->type) {
	case SIM_OBJ_IOAS:
		return sim_ioas_xlate((struct sim_ioas *)pt, addr, access, hva, contig);
	case SIM_OBJ_HWPT_PARENT:
		return sim_ioas_xlate(((struct sim_hwpt *)pt)->ioas, addr, access, hva, contig);
	case SIM_OBJ_HWPT_NESTED:
		return sim_nested_xlate((struct sim_nested *)pt, addr, access, hva, contig);
	default:
		return -ENODEV;
	}
}

/* Segment callback: one host-contiguous piece [hva, hva+n). */
typedef void (*seg_fn)(uint8_t *hva, uint64_t n, void *opaque);

/* Walk [iova, iova+len) (len > 0, no wrap), recording a fault on failure. */
static int walk_locked(struct sim_iommu *sim, struct sim_dev *d, uint64_t iova, uint64_t len,
		       unsigned access, seg_fn fn, void *opaque)
{
	uint64_t done = 0, contig, n;
	uint8_t *hva;
	int rc;

	while (done < len) {
		rc = xlate_step(d, iova + done, access, &hva, &contig);
		if (rc) {
			fault_push_locked(sim, d, iova + done, access, rc);
			return rc;
		}
		n = contig < len - done ? contig : len - done;
		if (fn)
			fn(hva, n, opaque);
		done += n;
	}
	return 0;
}

static int walk_checked(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
			uint64_t len, unsigned access, seg_fn fn, void *opaque)
{
	uint64_t last;
	struct sim_dev *d;

	if (!len || (access & ~(HIOPT_PROT_READ | HIOPT_PROT_WRITE)) || !access)
		return -EINVAL;
	d = dev_lookup_locked(sim, dev);
	if (!d)
		return -ENODEV;
	if (__builtin_add_overflow(iova, len - 1, &last)) {
		fault_push_locked(sim, d, iova, access, -EFAULT);
		return -EFAULT;
	}
	return walk_locked(sim, d, iova, len, access, fn, opaque);
}

struct contig_state {
	uint8_t *first;
	uint8_t *next;
	bool broken;
};

static void contig_seg(uint8_t *hva, uint64_t n, void *opaque)
{
	struct contig_state *s = opaque;

	if (!s->first)
		s->first = hva;
	else if (hva != s->next)
		s->broken = true;
	s->next = hva + n;
}

int sim_iommu_translate(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
			uint64_t len, unsigned access, void **hva)
{
	struct contig_state s = { 0 };
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = walk_checked(sim, dev, iova, len, access, contig_seg, &s);
	pthread_mutex_unlock(&sim->lock);
	if (rc)
		return rc;
	if (s.broken)
		return -ERANGE;
	*hva = s.first;
	return 0;
}

struct copy_state {
	uint8_t *buf;
	bool to_mem;
};

static void copy_seg(uint8_t *hva, uint64_t n, void *opaque)
{
	struct copy_state *s = opaque;

	if (s->to_mem)
		memcpy(hva, s->buf, n);
	else
		memcpy(s->buf, hva, n);
	s->buf += n;
}

static int dma_rw(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova, void *buf,
		  size_t len, bool to_mem)
{
	unsigned access = to_mem ? HIOPT_PROT_WRITE : HIOPT_PROT_READ;
	struct copy_state s = { .buf = buf, .to_mem = to_mem };
	int rc;

	if (!len)
		return 0;
	pthread_mutex_lock(&sim->lock);
	/* Check the whole range first: a faulting transfer moves no byte. */
	rc = walk_checked(sim, dev, iova, len, access, NULL, NULL);
	if (!rc)
		rc = walk_checked(sim, dev, iova, len, access, copy_seg, &s);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

int sim_iommu_dma_read(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
		       void *buf, size_t len)
{
	return dma_rw(sim, dev, iova, buf, len, false);
}

int sim_iommu_dma_write(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
			const void *buf, size_t len)
{
	return dma_rw(sim, dev, iova, (void *)(uintptr_t)buf, len, true);
}
