// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated host IOMMU, core: configuration, the object table (IDs allocated
 * like iommufd's xarray: lowest free, never 0), IOAS map/unmap/ranges with
 * iommufd's checks in iommufd's order, the fail-Nth switch, and the const
 * hiopt_ops table. Devices, HWPTs and DMA are in sim_dev.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "passthrough/sim/sim_internal.h"

void sim_iommu_config_default(struct sim_iommu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->page_size = 4096;
	cfg->aperture.start = 0;
	cfg->aperture.last = (1ull << SIM_ADDR_WIDTH) - 1;
	cfg->holes[0].start = SIM_MSI_START;
	cfg->holes[0].last = SIM_MSI_LAST;
	cfg->nholes = 1;
	cfg->nesting = true;
}

static bool config_valid(const struct sim_iommu_config *cfg)
{
	size_t i;

	if (cfg->page_size < 512 || cfg->page_size > (1ull << 30) ||
	    (cfg->page_size & (cfg->page_size - 1)))
		return false;
	if (cfg->aperture.start > cfg->aperture.last || cfg->nholes > SIM_MAX_HOLES)
		return false;
	for (i = 0; i < cfg->nholes; i++)
		if (cfg->holes[i].start > cfg->holes[i].last)
			return false;
	return true;
}

/* Fill sim->ranges with the aperture minus the holes, ascending. */
static void compute_ranges(struct sim_iommu *sim)
{
	struct hiopt_iova_range h[SIM_MAX_HOLES];
	uint64_t cur = sim->cfg.aperture.start, last = sim->cfg.aperture.last;
	size_t i, j, n = sim->cfg.nholes;

	memcpy(h, sim->cfg.holes, n * sizeof(h[0]));
	for (i = 1; i < n; i++)		/* insertion sort by start */
		for (j = i; j > 0 && h[j].start < h[j - 1].start; j--) {
			struct hiopt_iova_range t = h[j];

			h[j] = h[j - 1];
			h[j - 1] = t;
		}
	sim->nranges = 0;
	for (i = 0; i < n; i++) {
		if (h[i].last < cur || h[i].start > last)
			continue;
		if (h[i].start > cur)
			sim->ranges[sim->nranges++] = (struct hiopt_iova_range){ cur, h[i].start - 1 };
		if (h[i].last >= last)
			return;
		cur = h[i].last + 1;
	}
	sim->ranges[sim->nranges++] = (struct hiopt_iova_range){ cur, last };
}

struct sim_iommu *sim_iommu_create(const struct sim_iommu_config *cfg)
{
	struct sim_iommu *sim;

	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return NULL;
	if (cfg)
		sim->cfg = *cfg;
	else
		sim_iommu_config_default(&sim->cfg);
	if (!config_valid(&sim->cfg)) {
		free(sim);
		errno = EINVAL;
		return NULL;
	}
	compute_ranges(sim);
	pthread_mutex_init(&sim->lock, NULL);
	/* Without the eventfd faults still queue; only fault_fd is unavailable. */
	sim->fault_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sim->hiopt.ops = &sim_hiopt_ops;
	sim->hiopt.be = sim;
	return sim;
}

void sim_obj_free(struct sim_obj *obj)
{
	if (obj->type == SIM_OBJ_IOAS)
		free(((struct sim_ioas *)obj)->maps);
	free(obj);
}

void sim_iommu_destroy(struct sim_iommu *sim)
{
	uint32_t i;

	if (!sim)
		return;
	for (i = 1; i < sim->nobjs; i++)
		if (sim->objs[i])
			sim_obj_free(sim->objs[i]);
	free(sim->objs);
	if (sim->fault_efd >= 0)
		close(sim->fault_efd);
	pthread_mutex_destroy(&sim->lock);
	free(sim);
}

const struct hiopt *sim_iommu_hiopt(struct sim_iommu *sim)
{
	return &sim->hiopt;
}

/* ---- object table ---- */

int sim_obj_add_locked(struct sim_iommu *sim, struct sim_obj *obj, enum sim_obj_type type)
{
	uint32_t id, n;
	struct sim_obj **t;

	for (id = 1; id < sim->nobjs && sim->objs[id]; id++)
		;
	if (id >= sim->nobjs) {
		n = sim->nobjs ? sim->nobjs * 2 : 16;
		t = realloc(sim->objs, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + sim->nobjs, 0, (n - sim->nobjs) * sizeof(*t));
		sim->objs = t;
		sim->nobjs = n;
	}
	obj->id = id;
	obj->type = type;
	obj->users = 0;
	sim->objs[id] = obj;
	return 0;
}

/* The object with this ID, or NULL. */
struct sim_obj *sim_obj_get_locked(struct sim_iommu *sim, uint32_t id)
{
	if (id == 0 || id >= sim->nobjs)
		return NULL;
	return sim->objs[id];
}

/* iommufd_get_ioas(): a missing ID and an ID of another type are both -ENOENT. */
static struct sim_ioas *ioas_get_locked(struct sim_iommu *sim, uint32_t id)
{
	struct sim_obj *o = sim_obj_get_locked(sim, id);

	return o && o->type == SIM_OBJ_IOAS ? (struct sim_ioas *)o : NULL;
}

/* Drop the references an object holds on others, then free it. */
static void obj_release_locked(struct sim_iommu *sim, struct sim_obj *o)
{
	if (o->type == SIM_OBJ_HWPT_PARENT)
		((struct sim_hwpt *)o)->ioas->obj.users--;
	else if (o->type == SIM_OBJ_HWPT_NESTED)
		((struct sim_nested *)o)->parent->obj.users--;
	sim->objs[o->id] = NULL;
	sim_obj_free(o);
}

int sim_obj_destroy_locked(struct sim_iommu *sim, uint32_t id, enum sim_obj_type want)
{
	struct sim_obj *o = sim_obj_get_locked(sim, id);

	if (!o || (want && o->type != want))
		return -ENOENT;
	/* A bound device is held by its driver, as iommufd_device_bind() does. */
	if (o->users || o->type == SIM_OBJ_DEV)
		return -EBUSY;
	obj_release_locked(sim, o);
	return 0;
}

int sim_iommu_obj_destroy(struct sim_iommu *sim, uint32_t id)
{
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = sim_obj_destroy_locked(sim, id, 0);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

/* ---- fail-Nth ---- */

int sim_fail_check_locked(struct sim_iommu *sim)
{
	sim->op_count++;
	if (!sim->fail_countdown || --sim->fail_countdown)
		return 0;
	if (sim->fail_more) {		/* a run: the next op fails too */
		sim->fail_more--;
		sim->fail_countdown = 1;
	}
	return -sim->fail_err;
}

void sim_iommu_fail_run(struct sim_iommu *sim, unsigned n, unsigned count, int err)
{
	pthread_mutex_lock(&sim->lock);
	sim->fail_countdown = n;
	sim->fail_more = n && count ? count - 1 : 0;
	sim->fail_err = err > 0 ? err : -err;
	pthread_mutex_unlock(&sim->lock);
}

void sim_iommu_fail_nth(struct sim_iommu *sim, unsigned n, int err)
{
	sim_iommu_fail_run(sim, n, 1, err);
}

bool sim_iommu_fail_pending(struct sim_iommu *sim)
{
	bool armed;

	pthread_mutex_lock(&sim->lock);
	armed = sim->fail_countdown != 0;
	pthread_mutex_unlock(&sim->lock);
	return armed;
}

uint64_t sim_iommu_op_count(struct sim_iommu *sim)
{
	uint64_t n;

	pthread_mutex_lock(&sim->lock);
	n = sim->op_count;
	pthread_mutex_unlock(&sim->lock);
	return n;
}

/* ---- IOAS ---- */

static int ioas_alloc_locked(struct sim_iommu *sim, uint32_t *ioas_id)
{
	struct sim_ioas *ioas;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	ioas = calloc(1, sizeof(*ioas));
	if (!ioas)
		return -ENOMEM;
	rc = sim_obj_add_locked(sim, &ioas->obj, SIM_OBJ_IOAS);
	if (rc) {
		free(ioas);
		return rc;
	}
	*ioas_id = ioas->obj.id;
	return 0;
}

int sim_op_ioas_alloc(void *be, uint32_t *ioas_id)
{
	struct sim_iommu *sim = be;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = ioas_alloc_locked(sim, ioas_id);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

void sim_op_ioas_destroy(void *be, uint32_t ioas_id)
{
	struct sim_iommu *sim = be;

	pthread_mutex_lock(&sim->lock);
	sim_obj_destroy_locked(sim, ioas_id, SIM_OBJ_IOAS);	/* -EBUSY: stays, counted */
	pthread_mutex_unlock(&sim->lock);
}

/* [iova, last] lies inside one allowed range (aperture minus holes). */
static bool range_allowed(const struct sim_iommu *sim, uint64_t iova, uint64_t last)
{
	size_t i;

	for (i = 0; i < sim->nranges; i++)
		if (sim->ranges[i].start <= iova && last <= sim->ranges[i].last)
			return true;
	return false;
}

/* Checks of iopt_alloc_pages() then iopt_check_iova(), in that order. */
static int map_check_locked(struct sim_iommu *sim, struct sim_ioas *ioas, uint64_t iova,
			    void *hva, uint64_t len, uint64_t *last)
{
	uint64_t mask = sim->cfg.page_size - 1, end;

	if (len == 0)
		return -EINVAL;
	if (__builtin_add_overflow((uintptr_t)hva, len, &end))
		return -EOVERFLOW;
	if ((len & mask) || (iova & mask))
		return -EINVAL;
	if (__builtin_add_overflow(iova, len - 1, last))
		return -EOVERFLOW;
	if (!range_allowed(sim, iova, *last))
		return -EINVAL;		/* reserved IOVA intersects the range */
	if (sim_ioas_overlaps(ioas, iova, *last))
		return -EEXIST;
	if ((uintptr_t)hva & mask)
		return -EINVAL;		/* iopt_insert_area(): page_offset misaligned */
	return 0;
}

static int map_locked(struct sim_iommu *sim, uint32_t ioas_id, uint64_t iova, void *hva,
		      uint64_t len, unsigned prot)
{
	struct sim_ioas *ioas;
	uint64_t last;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	if (prot & ~(HIOPT_PROT_READ | HIOPT_PROT_WRITE))
		return -EOPNOTSUPP;	/* unknown IOMMU_IOAS_MAP_* flag */
	if (iova == UINT64_MAX || len == UINT64_MAX)
		return -EOVERFLOW;
	if (!prot)
		return -EINVAL;
	ioas = ioas_get_locked(sim, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (!hva)
		return -EFAULT;		/* pinning user address 0 would fail */
	rc = map_check_locked(sim, ioas, iova, hva, len, &last);
	if (rc)
		return rc;
	return sim_ioas_insert(ioas, iova, last, hva, prot);
}

int sim_op_map(void *be, uint32_t ioas_id, uint64_t iova, void *hva, uint64_t len,
	       unsigned prot)
{
	struct sim_iommu *sim = be;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = map_locked(sim, ioas_id, iova, hva, len, prot);
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

/* iommufd_ioas_unmap() + iopt_unmap_iova()/iopt_unmap_all(). */
static int unmap_locked(struct sim_iommu *sim, uint32_t ioas_id, uint64_t iova, uint64_t len,
			uint64_t *unmapped)
{
	struct sim_ioas *ioas;
	uint64_t last;
	int rc;

	rc = sim_fail_check_locked(sim);
	if (rc)
		return rc;
	ioas = ioas_get_locked(sim, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (iova == 0 && len == UINT64_MAX) {
		rc = sim_ioas_unmap_range(ioas, 0, UINT64_MAX, unmapped);
		return rc == -ENOENT ? 0 : rc;	/* unmap-all of nothing succeeds */
	}
	if (iova == UINT64_MAX || len == UINT64_MAX)
		return -EOVERFLOW;
	if (len == 0)
		return -EINVAL;
	if (__builtin_add_overflow(iova, len - 1, &last))
		return -EOVERFLOW;
	return sim_ioas_unmap_range(ioas, iova, last, unmapped);
}

int sim_op_unmap(void *be, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct sim_iommu *sim = be;
	uint64_t bytes = 0;
	int rc;

	pthread_mutex_lock(&sim->lock);
	rc = unmap_locked(sim, ioas_id, iova, len, &bytes);
	pthread_mutex_unlock(&sim->lock);
	if (unmapped)
		*unmapped = bytes;
	return rc;
}

/* Like IOMMU_IOAS_IOVA_RANGES: -EMSGSIZE (with *n the total) when max is short. */
int sim_op_iova_ranges(void *be, uint32_t ioas_id, struct hiopt_iova_range *r, size_t max,
		       size_t *n)
{
	struct sim_iommu *sim = be;
	int rc = 0;
	size_t i;

	pthread_mutex_lock(&sim->lock);
	if (!ioas_get_locked(sim, ioas_id)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	for (i = 0; i < sim->nranges && i < max; i++)
		r[i] = sim->ranges[i];
	*n = sim->nranges;
	if (sim->nranges > max)
		rc = -EMSGSIZE;
out_unlock:
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

/* ---- inspection ---- */

long sim_iommu_mapping_count(struct sim_iommu *sim, uint32_t ioas_id)
{
	struct sim_ioas *ioas;
	long n = -ENOENT;

	pthread_mutex_lock(&sim->lock);
	ioas = ioas_get_locked(sim, ioas_id);
	if (ioas)
		n = (long)ioas->n;
	pthread_mutex_unlock(&sim->lock);
	return n;
}

/* A copy of the IOAS's mappings taken under the lock: NULL with *n = 0 when
 * empty, -ENOENT when there is no such IOAS, -ENOMEM. */
static int snapshot_locked(struct sim_iommu *sim, uint32_t ioas_id, struct sim_mapping **out,
			   size_t *n)
{
	struct sim_ioas *ioas = ioas_get_locked(sim, ioas_id);
	size_t i;

	*out = NULL;
	*n = 0;
	if (!ioas)
		return -ENOENT;
	if (!ioas->n)
		return 0;
	*out = calloc(ioas->n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < ioas->n; i++) {
		const struct sim_map *m = &ioas->maps[i];

		(*out)[i] = (struct sim_mapping){
			.iova = m->iova, .len = m->last - m->iova + 1, .hva = m->hva, .prot = m->prot,
		};
	}
	*n = ioas->n;
	return 0;
}

int sim_iommu_foreach_mapping(struct sim_iommu *sim, uint32_t ioas_id,
			      int (*fn)(const struct sim_mapping *m, void *opaque), void *opaque)
{
	struct sim_mapping *maps;
	size_t i, n;
	int rc;

	/* fn runs on a snapshot, without the sim lock: a test may look at
	 * the viommu from it (whose lock comes before the sim's). */
	pthread_mutex_lock(&sim->lock);
	rc = snapshot_locked(sim, ioas_id, &maps, &n);
	pthread_mutex_unlock(&sim->lock);
	for (i = 0; i < n && !rc; i++)
		rc = fn(&maps[i], opaque);
	free(maps);
	return rc;
}

void sim_iommu_counts(struct sim_iommu *sim, struct sim_counts *c)
{
	uint32_t i;

	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&sim->lock);
	for (i = 1; i < sim->nobjs; i++) {
		struct sim_obj *o = sim->objs[i];

		if (!o)
			continue;
		c->ioas += o->type == SIM_OBJ_IOAS;
		c->hwpt_parent += o->type == SIM_OBJ_HWPT_PARENT;
		c->hwpt_nested += o->type == SIM_OBJ_HWPT_NESTED;
		c->devices += o->type == SIM_OBJ_DEV;
		if (o->type == SIM_OBJ_IOAS)
			c->mappings += ((struct sim_ioas *)o)->n;
	}
	c->faults = sim->fault_len;
	pthread_mutex_unlock(&sim->lock);
}

const struct hiopt_ops sim_hiopt_ops = {
	.name = "sim",
	.ioas_alloc = sim_op_ioas_alloc,
	.ioas_destroy = sim_op_ioas_destroy,
	.map = sim_op_map,
	.unmap = sim_op_unmap,
	.iova_ranges = sim_op_iova_ranges,
	.device_attach = sim_op_device_attach,
	.device_detach = sim_op_device_detach,
	.hw_info = sim_op_hw_info,
	.hwpt_alloc_nest_parent = sim_op_hwpt_alloc_nest_parent,
	.hwpt_alloc_nested = sim_op_hwpt_alloc_nested,
	.hwpt_destroy = sim_op_hwpt_destroy,
	.hwpt_invalidate = sim_op_hwpt_invalidate,
	.fault_read = sim_op_fault_read,
	.fault_fd = sim_op_fault_fd,
};
