// SPDX-License-Identifier: GPL-2.0-only
/*
 * viommu_debug.h: read-only snapshots of the domains, endpoints, mappings
 * and host objects of a viommu, taken under the device lock.
 */
#include <errno.h>

#include "viommu/viommu_debug.h"
#include "viommu/viommu_int.h"

static uint32_t hobj_id(const struct hobj *o)
{
	return o ? o->id : 0;
}

static void dom_snapshot(const struct vdomain *d, struct viommu_debug_dom *out)
{
	*out = (struct viommu_debug_dom){
		.id = d->id, .bypass = d->bypass, .nested = d->nested,
		.nr_eps = d->nr_eps, .nr_host = d->nr_host,
		.nr_mappings = iova_tree_count(d->tree),
		.table_root = d->nested ? d->table.root : 0,
		.host_pt = hobj_id(d->hpt),
		.host_parent = d->hpt ? hobj_id(d->hpt->parent) : 0,
	};
}

size_t viommu_debug_domains(struct viommu *v, struct viommu_debug_dom *out, size_t max)
{
	const struct vdomain *d;
	size_t n = 0;

	pthread_mutex_lock(&v->lock);
	for (d = v->domains; d; d = d->next, n++)
		if (n < max)
			dom_snapshot(d, &out[n]);
	pthread_mutex_unlock(&v->lock);
	return n;
}

int viommu_debug_domain(struct viommu *v, uint32_t id, struct viommu_debug_dom *out)
{
	const struct vdomain *d;

	pthread_mutex_lock(&v->lock);
	d = dom_find_locked(v, id);
	if (d)
		dom_snapshot(d, out);
	pthread_mutex_unlock(&v->lock);
	return d ? 0 : -ENOENT;
}

size_t viommu_debug_endpoints(struct viommu *v, struct viommu_debug_ep *out, size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&v->lock);
	n = v->nr_eps;
	for (i = 0; i < n && i < max; i++) {
		const struct vendpoint *ep = &v->eps[i];

		out[i] = (struct viommu_debug_ep){
			.id = ep->id, .attached = ep->dom != NULL,
			.dom = ep->dom ? ep->dom->id : 0,
			.dev = ep->hw ? ep->dev : NULL, .host_pt = hobj_id(ep->host_pt),
		};
	}
	pthread_mutex_unlock(&v->lock);
	return n;
}

int viommu_debug_foreach_map(struct viommu *v, uint32_t dom,
			     int (*fn)(const struct iova_map *m, void *opaque), void *opaque)
{
	const struct vdomain *d;
	int ret = -ENOENT;

	pthread_mutex_lock(&v->lock);
	d = dom_find_locked(v, dom);
	if (d)
		ret = iova_tree_foreach(d->tree, fn, opaque);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

int viommu_debug_find_map(struct viommu *v, uint32_t dom, uint64_t iova, struct iova_map *out)
{
	const struct iova_map *m = NULL;
	const struct vdomain *d;

	pthread_mutex_lock(&v->lock);
	d = dom_find_locked(v, dom);
	if (d)
		m = iova_tree_find(d->tree, iova);
	if (m)
		*out = *m;
	pthread_mutex_unlock(&v->lock);
	return m ? 0 : -ENOENT;
}

uint32_t viommu_debug_s2_ioas(struct viommu *v)
{
	uint32_t id;

	pthread_mutex_lock(&v->lock);
	id = hobj_id(v->s2_ioas);
	pthread_mutex_unlock(&v->lock);
	return id;
}

bool viommu_debug_bypass(struct viommu *v)
{
	bool b;

	pthread_mutex_lock(&v->lock);
	b = v->bypass;
	pthread_mutex_unlock(&v->lock);
	return b;
}

void viommu_debug_limits(struct viommu *v, struct viommu_limits *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->cfg.limits;
	pthread_mutex_unlock(&v->lock);
}

size_t viommu_debug_pending_faults(struct viommu *v)
{
	size_t n;

	pthread_mutex_lock(&v->fault_lock);
	n = v->nr_faults;
	pthread_mutex_unlock(&v->fault_lock);
	return n;
}
