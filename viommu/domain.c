// SPDX-License-Identifier: GPL-2.0-only
/*
 * Domains, endpoints and mappings of the virtio-iommu (spec 5.13.6.2-6).
 * A domain exists while endpoints are attached to it; when the last one
 * leaves, the domain and all its mappings go (5.13.6.3: "it ceases to
 * exist"). Host-side effects go through shadow.c first, so a host failure
 * leaves the guest-visible state unchanged. Every function runs under v->lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "viommu/viommu_int.h"

struct vendpoint *ep_find_locked(struct viommu *v, uint32_t id)
{
	size_t i;

	for (i = 0; i < v->nr_eps; i++)
		if (v->eps[i].id == id)
			return &v->eps[i];
	return NULL;
}

struct vendpoint *ep_add_locked(struct viommu *v, uint32_t id)
{
	struct vendpoint *eps;
	size_t cap;

	if (ep_find_locked(v, id))
		return ep_find_locked(v, id);
	if (v->nr_eps == v->cap_eps) {
		/* Endpoints are registered before the guest runs, and vdomain keeps
		 * no pointer to them, so moving the array is safe. */
		cap = v->cap_eps ? v->cap_eps * 2 : 8;
		eps = realloc(v->eps, cap * sizeof(*eps));
		if (!eps)
			return NULL;
		v->eps = eps;
		v->cap_eps = cap;
	}
	v->eps[v->nr_eps] = (struct vendpoint){ .id = id };
	return &v->eps[v->nr_eps++];
}

struct vdomain *dom_find_locked(struct viommu *v, uint32_t id)
{
	struct vdomain *d;

	for (d = v->domains; d; d = d->next)
		if (d->id == id)
			return d;
	return NULL;
}

void viommu_limits_fill(struct viommu_limits *l)
{
	if (!l->max_mappings)
		l->max_mappings = VIOMMU_DEFAULT_MAX_MAPPINGS;
	if (!l->max_domain_mappings)
		l->max_domain_mappings = VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS;
	if (!l->max_domains)
		l->max_domains = VIOMMU_DEFAULT_MAX_DOMAINS;
	if (!l->max_pending_faults)
		l->max_pending_faults = VIOMMU_DEFAULT_MAX_PENDING_FAULTS;
}

static void peak(uint64_t *mark, uint64_t now)
{
	if (now > *mark)
		*mark = now;
}

struct vdomain *dom_create_locked(struct viommu *v, const struct vendpoint *ep, uint32_t id,
				  bool bypass)
{
	bool old_goes = ep->dom && ep->dom->nr_eps == 1;
	struct vdomain *d;

	if (v->nr_domains - old_goes >= v->cfg.limits.max_domains) {
		v->stats.limit_rejects++;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->tree = iova_tree_create();
	if (!d->tree) {
		free(d);
		return NULL;
	}
	d->id = id;
	d->bypass = bypass;
	d->next = v->domains;
	v->domains = d;
	v->nr_domains++;
	peak(&v->stats.peak_domains, v->nr_domains);
	return d;
}

/* Unlink and free d with its mappings: no rebalancing, one pass over the
 * nodes (docs/benchmarks.md, "UNMAP-all and reset at the limits"). */
void dom_destroy_locked(struct viommu *v, struct vdomain *d)
{
	struct vdomain **pp;

	for (pp = &v->domains; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	v->nr_domains--;
	v->nr_mappings -= iova_tree_count(d->tree);
	iova_tree_destroy(d->tree);
	free(d);
}

/* Software side of leaving a domain; the host side was already switched. */
static void ep_leave(struct viommu *v, struct vendpoint *ep)
{
	struct vdomain *d = ep->dom;

	if (!d)
		return;
	ep->dom = NULL;
	d->nr_eps--;
	if (ep->hw) {
		d->nr_host--;
		shadow_domain_put_locked(v, d);
	}
	if (!d->nr_eps)
		dom_destroy_locked(v, d);
}

static void ep_join(struct vendpoint *ep, struct vdomain *d)
{
	ep->dom = d;
	d->nr_eps++;
	if (ep->hw)
		d->nr_host++;
}

/*
 * Attach (5.13.6.2), moving the endpoint from its old domain. -EINVAL when
 * the bypass flag does not match an existing domain, -EXDEV when the domain
 * is shadowed by another host backend, -ENOMEM, or a backend error.
 */
int dom_attach_locked(struct viommu *v, struct vendpoint *ep, uint32_t dom_id, bool bypass)
{
	struct vdomain *d = dom_find_locked(v, dom_id);
	bool created = false;
	int ret;

	if (d && d->bypass != bypass)
		return -EINVAL;
	if (d && ep->dom == d)
		return 0;
	if (d && ep->hw && d->hpt && d->hpt->hw != ep->hw)
		return -EXDEV;
	if (!d) {
		d = dom_create_locked(v, ep, dom_id, bypass);
		if (!d)
			return -ENOMEM;
		created = true;
	}
	if (ep->hw) {
		ret = shadow_switch_locked(v, ep, d);
		if (ret) {
			if (created)
				dom_destroy_locked(v, d);
			return ret;
		}
	}
	ep_leave(v, ep);
	ep_join(ep, d);
	return 0;
}

/* Detach (5.13.6.3): afterwards the endpoint is blocked or in bypass. */
int dom_detach_locked(struct viommu *v, struct vendpoint *ep)
{
	int ret;

	if (ep->hw) {
		ret = shadow_switch_locked(v, ep, NULL);
		if (ret)
			return ret;
	}
	ep_leave(v, ep);
	return 0;
}

/* One more mapping in d would pass a limit: the MAP is refused (-ENOMEM)
 * before anything is allocated on either side. */
static bool over_map_limits(struct viommu *v, const struct vdomain *d)
{
	const struct viommu_limits *l = &v->cfg.limits;

	if (iova_tree_count(d->tree) < l->max_domain_mappings && v->nr_mappings < l->max_mappings)
		return false;
	v->stats.limit_rejects++;
	return true;
}

static void count_map(struct viommu *v, const struct vdomain *d)
{
	v->nr_mappings++;
	peak(&v->stats.peak_mappings, v->nr_mappings);
	peak(&v->stats.peak_domain_mappings, iova_tree_count(d->tree));
}

/* Insert, then mirror into the IOAS; a host failure undoes the insert. */
int dom_map_locked(struct viommu *v, struct vdomain *d, const struct iova_map *m, void *hva)
{
	int ret;

	if (over_map_limits(v, d))
		return -ENOMEM;
	ret = iova_tree_insert(d->tree, m->start, m->last, m->gpa, m->flags);
	if (ret)
		return ret;
	if (d->hpt) {
		ret = shadow_map_locked(v, d, m, hva);
		if (ret) {
			iova_tree_remove(d->tree, m->start);
			return ret;
		}
	}
	count_map(v, d);
	return 0;
}

/* A span of all 2^64 bytes has no length in 64 bits: cut it in two at a
 * mapping boundary (the only case where the host sees two calls). */
static int host_unmap_span(struct viommu *v, struct vdomain *d, const struct iova_map *span)
{
	const struct iova_map *mid;
	struct iova_map lo, hi;
	int ret;

	if (span->start != 0 || span->last != UINT64_MAX)
		return shadow_unmap_locked(v, d, span);
	mid = iova_tree_first_overlap(d->tree, 1ULL << 63, UINT64_MAX);
	if (mid->start == 0)
		mid = iova_tree_next(d->tree, 0);
	lo = (struct iova_map){ .start = 0, .last = mid->start - 1 };
	hi = (struct iova_map){ .start = mid->start, .last = UINT64_MAX };
	ret = shadow_unmap_locked(v, d, &lo);
	return ret ? ret : shadow_unmap_locked(v, d, &hi);
}

/*
 * The host's part of unmapping span (whole tree mappings): from its lowest to
 * its highest host-mapped mapping, false when it holds none. Mappings with no
 * access never reached the host, and its unmap of a range with nothing in it
 * fails (-ENOENT), so the ends are pulled in to mappings the host has.
 */
static bool host_span(const struct vdomain *d, const struct iova_map *span,
		      struct iova_map *out)
{
	const struct iova_map *lo = iova_tree_first_overlap(d->tree, span->start, span->last);
	const struct iova_map *hi;

	while (lo && !shadow_is_host_mapped(lo))
		lo = lo->last < span->last ? iova_tree_next(d->tree, lo->start) : NULL;
	if (!lo)
		return false;
	hi = iova_tree_last_overlap(d->tree, lo->start, span->last);
	while (!shadow_is_host_mapped(hi))
		hi = iova_tree_last_overlap(d->tree, lo->start, hi->start - 1);
	*out = (struct iova_map){ .start = lo->start, .last = hi->last };
	return true;
}

/*
 * UNMAP (5.13.6.6): a mapping that straddles either edge of [start, last]
 * would be split, so nothing is removed (-ERANGE). Otherwise every mapping
 * inside goes. The host is asked once for the whole span (its unmap removes
 * whole mappings and skips holes), so a host failure leaves both views as
 * they were; only then does the tree change.
 */
int dom_unmap_locked(struct viommu *v, struct vdomain *d, uint64_t start, uint64_t last)
{
	const struct iova_map *first = iova_tree_first_overlap(d->tree, start, last);
	const struct iova_map *end = iova_tree_last_overlap(d->tree, start, last);
	struct iova_map span, host;
	int ret;

	if (!first)
		return 0;
	if (first->start < start || end->last > last)
		return -ERANGE;
	span = (struct iova_map){ .start = first->start, .last = end->last };
	if (d->hpt && host_span(d, &span, &host)) {
		ret = host_unmap_span(v, d, &host);
		if (ret)
			return ret;
	}
	v->nr_mappings -= iova_tree_remove_range(d->tree, span.start, span.last);
	return 0;
}

/* Device reset: "endpoints are not attached to any domain" (5.13.5). */
void dom_reset_locked(struct viommu *v)
{
	size_t i;

	for (i = 0; i < v->nr_eps; i++) {
		struct vendpoint *ep = &v->eps[i];

		if (ep->hw)
			shadow_fail_closed_locked(v, ep);
		ep_leave(v, ep);
	}
}

/* Teardown: drop all domains without touching host devices again. */
void dom_free_all_locked(struct viommu *v)
{
	size_t i;

	for (i = 0; i < v->nr_eps; i++)
		ep_leave(v, &v->eps[i]);
}

void dom_bypass_changed_locked(struct viommu *v)
{
	size_t i;

	for (i = 0; i < v->nr_eps; i++)
		if (v->eps[i].hw && !v->eps[i].dom)
			shadow_fail_closed_locked(v, &v->eps[i]);
}
