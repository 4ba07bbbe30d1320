// SPDX-License-Identifier: GPL-2.0-only
/*
 * The requestq core: copy a request into a local union (no double fetch),
 * dispatch through a table indexed by type, one small handler per request,
 * and write the tail. Status choices cite virtio 1.3 section 5.13.6.x;
 * guest errors only ever become a status. Runs under v->lock, and under the
 * translation lock for writing when it changes translations.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/layout.h"
#include "viommu/viommu_int.h"

union viommu_req {
	struct virtio_iommu_req_head head;
	struct virtio_iommu_req_attach attach;
	struct virtio_iommu_req_detach detach;
	struct virtio_iommu_req_map map;
	struct virtio_iommu_req_unmap unmap;
	struct virtio_iommu_req_probe probe;
	struct virtio_iommu_req_x_attach_table attach_table;
	struct virtio_iommu_req_x_invalidate invalidate;
};

/* The one errno -> status rule for whatever the request could not get from
 * the host or the VMM: out of memory or over a limit is S_NOMEM, anything
 * else S_IOERR. Request errors (S_INVAL, S_RANGE, ...) are decided before. */
uint8_t viommu_host_status(int err)
{
	if (!err)
		return VIRTIO_IOMMU_S_OK;
	return err == -ENOMEM ? VIRTIO_IOMMU_S_NOMEM : VIRTIO_IOMMU_S_IOERR;
}

/* dom_attach_locked's result (5.13.6.2): a bypass flag that does not match
 * the domain is S_INVAL; a domain this endpoint "cannot attach" (shadowed by
 * another host backend, or a table its backend cannot nest) is S_UNSUPP.
 * Host failures reach here only as -ENOMEM/-EIO (viommu_be_err). */
uint8_t viommu_attach_status(int err)
{
	if (err == -EINVAL)
		return VIRTIO_IOMMU_S_INVAL;
	if (err == -EXDEV || err == -EOPNOTSUPP)
		return VIRTIO_IOMMU_S_UNSUPP;
	return viommu_host_status(err);
}

/* DOMAIN_RANGE is offered, so a domain outside it is an out-of-range
 * parameter (5.13.6, driver MUST NOT send it): S_RANGE. */
bool viommu_domain_ok(const struct viommu *v, uint32_t dom)
{
	return dom >= v->cfg.domain_start && dom <= v->cfg.domain_end;
}

bool viommu_iova_reserved(const struct viommu *v, uint64_t start, uint64_t last)
{
	size_t i;

	if (ranges_overlap(start, last, LAYOUT_MSI_BASE, LAYOUT_MSI_LAST))
		return true;
	for (i = 0; i < v->nr_resv; i++)
		if (ranges_overlap(start, last, v->resv[i].start, v->resv[i].last))
			return true;
	return false;
}

static uint8_t handle_attach(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	uint32_t flags = le32toh(r->attach.flags), dom = le32toh(r->attach.domain);
	uint32_t known = has_feature(v, VIRTIO_IOMMU_F_BYPASS_CONFIG) ?
			 VIRTIO_IOMMU_ATTACH_F_BYPASS : 0;
	struct vendpoint *ep;
	int ret;

	/* 5.13.6.2: reserved != 0 and unknown flags MUST be S_INVAL. */
	if (!is_zero(r->attach.reserved, sizeof(r->attach.reserved)) || (flags & ~known))
		return VIRTIO_IOMMU_S_INVAL;
	ep = ep_find_locked(v, le32toh(r->attach.endpoint));
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!viommu_domain_ok(v, dom))
		return VIRTIO_IOMMU_S_RANGE;
	ret = dom_attach_locked(v, ep, dom, flags & VIRTIO_IOMMU_ATTACH_F_BYPASS);
	return viommu_attach_status(ret);
}

static uint8_t handle_detach(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	uint32_t dom = le32toh(r->detach.domain);
	struct vendpoint *ep;
	int ret;

	/* 5.13.6.3: reserved is ignored (MUST). */
	ep = ep_find_locked(v, le32toh(r->detach.endpoint));
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!viommu_domain_ok(v, dom))
		return VIRTIO_IOMMU_S_RANGE;
	/* Domain missing or endpoint not in it: MAY S_INVAL, chosen. */
	if (!ep->dom || ep->dom->id != dom)
		return VIRTIO_IOMMU_S_INVAL;
	ret = dom_detach_locked(v, ep);
	return viommu_host_status(ret);
}

/* Common MAP/UNMAP domain lookup (5.13.6.5/6): range, existence, bypass. */
static uint8_t mapping_domain(struct viommu *v, uint32_t dom, struct vdomain **out)
{
	if (!viommu_domain_ok(v, dom))
		return VIRTIO_IOMMU_S_RANGE;
	*out = dom_find_locked(v, dom);
	if (!*out)
		return VIRTIO_IOMMU_S_NOENT;
	/* A nested domain's mappings live in the guest's table (docs/nested.md). */
	return (*out)->bypass || (*out)->nested ? VIRTIO_IOMMU_S_INVAL : VIRTIO_IOMMU_S_OK;
}

/* Address checks of a MAP: alignment, input_range, RESV_MEM, ownership.
 * On S_OK, *hva is the host address ownership validated (NULL: none). */
static uint8_t map_addresses(struct viommu *v, const struct iova_map *m, void **hva)
{
	struct ownership_policy pol = {
		.granule = v->granule,
		.mmio_negotiated = has_feature(v, VIRTIO_IOMMU_F_MMIO),
		.resv = v->own_resv, .nr_resv = v->nr_own_resv,
	};
	uint64_t len = m->last - m->start + 1;
	int ret;

	/* 5.13.6.5: virt_start, phys_start, virt_end + 1 misaligned: S_RANGE. */
	if ((m->start | m->gpa | len) & (v->granule - 1))
		return VIRTIO_IOMMU_S_RANGE;
	/* Outside input_range, or on a RESV_MEM region (which the device
	 * "SHOULD reject", 5.13.6.8.1): out-of-range parameters. */
	if (m->start < v->cfg.input_start || m->last > v->cfg.input_end ||
	    viommu_iova_reserved(v, m->start, m->last) || !len)
		return VIRTIO_IOMMU_S_RANGE;
	/* The physical range must be guest-physical space the guest owns
	 * (5.13.6.5 "within the guest-physical address space ... carving for use
	 * by the host"): every ownership failure is out of range, S_RANGE. */
	ret = ownership_check(v->cfg.mem, m->gpa, len, m->flags, &pol, hva);
	if (ret) {
		v->stats.own_rejects[ownership_reason(ret)]++;
		return VIRTIO_IOMMU_S_RANGE;
	}
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t handle_map(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	struct iova_map m = {
		.start = le64toh(r->map.virt_start), .last = le64toh(r->map.virt_end),
		.gpa = le64toh(r->map.phys_start), .flags = le32toh(r->map.flags),
	};
	uint32_t known = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE;
	struct vdomain *d;
	void *hva = NULL;
	uint8_t st;
	int ret;

	/* Unknown flags MUST be S_INVAL; MMIO is unknown unless negotiated. */
	if (has_feature(v, VIRTIO_IOMMU_F_MMIO))
		known |= VIRTIO_IOMMU_MAP_F_MMIO;
	if (m.flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	st = mapping_domain(v, le32toh(r->map.domain), &d);
	if (st)
		return st;
	if (m.last < m.start)	/* driver MUST send virt_end > virt_start */
		return VIRTIO_IOMMU_S_INVAL;
	st = map_addresses(v, &m, &hva);
	if (st)
		return st;
	ret = dom_map_locked(v, d, &m, hva);
	if (ret == -EEXIST)	/* 5.13.6.5: existing mapping in range: S_INVAL */
		return VIRTIO_IOMMU_S_INVAL;
	return viommu_host_status(ret);
}

static uint8_t handle_unmap(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	uint64_t start = le64toh(r->unmap.virt_start), last = le64toh(r->unmap.virt_end);
	struct vdomain *d;
	uint8_t st;
	int ret;

	/* 5.13.6.6: reserved != 0 MAY be S_INVAL; chosen, and nothing done. */
	if (!is_zero(r->unmap.reserved, sizeof(r->unmap.reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	st = mapping_domain(v, le32toh(r->unmap.domain), &d);
	if (st)
		return st;
	if (last < start)
		return VIRTIO_IOMMU_S_INVAL;
	ret = dom_unmap_locked(v, d, start, last);
	if (ret == -ERANGE)	/* would split a mapping: S_RANGE, nothing removed */
		return VIRTIO_IOMMU_S_RANGE;
	return viommu_host_status(ret);
}

static uint8_t *put_resv(uint8_t *p, uint8_t subtype, uint64_t start, uint64_t last)
{
	struct virtio_iommu_probe_resv_mem prop = {
		.head = {
			.type = htole16(VIRTIO_IOMMU_PROBE_T_RESV_MEM),
			.length = htole16(sizeof(prop) - sizeof(prop.head)),
		},
		.subtype = subtype,
		.start = htole64(start),
		.end = htole64(last),
	};

	memcpy(p, &prop, sizeof(prop));
	return p + sizeof(prop);
}

/* 5.13.6.7: RESV_MEM properties (MSI window, then the RESERVED ranges);
 * the zero bytes after them are the terminating NONE property. */
static uint8_t handle_probe(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	size_t i;

	/* reserved of a PROBE request is ignored (MUST). */
	if (!ep_find_locked(v, le32toh(r->probe.endpoint)))
		return VIRTIO_IOMMU_S_NOENT;
	props = put_resv(props, VIRTIO_IOMMU_RESV_MEM_T_MSI, LAYOUT_MSI_BASE, LAYOUT_MSI_LAST);
	for (i = 0; i < v->nr_resv; i++)
		props = put_resv(props, VIRTIO_IOMMU_RESV_MEM_T_RESERVED,
				 v->resv[i].start, v->resv[i].last);
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t handle_attach_table(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	return nested_attach_table_locked(v, &r->attach_table);
}

static uint8_t handle_invalidate(struct viommu *v, const union viommu_req *r, uint8_t *props)
{
	return nested_invalidate_locked(v, &r->invalidate);
}

struct req_handler {
	size_t size;			/* device-readable bytes */
	bool probe;			/* tail after probe_size bytes of properties */
	uint8_t (*fn)(struct viommu *v, const union viommu_req *r, uint8_t *props);
};

static const struct req_handler handlers[VIOMMU_NR_TYPES] = {
	[VIRTIO_IOMMU_T_ATTACH] = { sizeof(struct virtio_iommu_req_attach), false, handle_attach },
	[VIRTIO_IOMMU_T_DETACH] = { sizeof(struct virtio_iommu_req_detach), false, handle_detach },
	[VIRTIO_IOMMU_T_MAP] = { sizeof(struct virtio_iommu_req_map), false, handle_map },
	[VIRTIO_IOMMU_T_UNMAP] = { sizeof(struct virtio_iommu_req_unmap), false, handle_unmap },
	[VIRTIO_IOMMU_T_PROBE] = { sizeof(struct virtio_iommu_req_probe), true, handle_probe },
};

/* ioshade experimental types: known only once VIRTIO_IOMMU_F_X_NESTED is
 * negotiated; before that they are unknown types like any other. */
static const struct req_handler x_handlers[] = {
	{ sizeof(struct virtio_iommu_req_x_attach_table), false, handle_attach_table },
	{ sizeof(struct virtio_iommu_req_x_invalidate), false, handle_invalidate },
};

static const struct req_handler *handler_of(const struct viommu *v, uint8_t type)
{
	if (type < VIOMMU_NR_TYPES)
		return handlers[type].fn ? &handlers[type] : NULL;
	if (!has_feature(v, VIRTIO_IOMMU_F_X_NESTED))
		return NULL;
	if (type == VIRTIO_IOMMU_T_X_ATTACH_TABLE)
		return &x_handlers[0];
	return type == VIRTIO_IOMMU_T_X_INVALIDATE ? &x_handlers[1] : NULL;
}

static size_t put_tail(uint8_t *resp, size_t off, uint8_t status)
{
	struct virtio_iommu_req_tail tail = { .status = status };

	memcpy(resp + off, &tail, sizeof(tail));
	return off + sizeof(tail);
}

/* Run a well-formed request whose tail fits at tail_off. */
static size_t run_request(struct viommu *v, const struct req_handler *h,
			  const union viommu_req *r, size_t req_len,
			  uint8_t *resp, size_t tail_off)
{
	uint8_t st;

	if (req_len < h->size) {
		st = VIRTIO_IOMMU_S_INVAL;	/* too short for its type */
	} else {
		memset(resp, 0, tail_off);	/* unused property bytes are zero */
		st = h->fn(v, r, resp);
	}
	v->stats.status[st]++;
	return put_tail(resp, tail_off, st);
}

/*
 * Every request but PROBE may change what an emulated endpoint can reach, so
 * it runs with the translation lock held for writing: no access window of a
 * device behind the viommu is open meanwhile, and once the status is written
 * no device uses a translation the request removed (UNMAP is strict for
 * emulated endpoints too). A MAP only adds: the generation stays.
 */
static bool req_writes(uint8_t type)
{
	return type != VIRTIO_IOMMU_T_PROBE;
}

static bool req_removes(uint8_t type)
{
	return type != VIRTIO_IOMMU_T_PROBE && type != VIRTIO_IOMMU_T_MAP;
}

static size_t dispatch_locked(struct viommu *v, const struct req_handler *h,
			      const union viommu_req *r, size_t req_len, uint8_t *resp,
			      size_t resp_cap)
{
	size_t tail_off = h->probe ? VIOMMU_PROBE_SIZE : 0, n;
	bool w = req_writes(r->head.type);

	if (resp_cap < tail_off + sizeof(struct virtio_iommu_req_tail)) {
		/* PROBE with a properties list shorter than probe_size: S_INVAL in
		 * the tail that ends the buffer, no property written (5.13.6.7). */
		v->stats.status[VIRTIO_IOMMU_S_INVAL]++;
		return put_tail(resp, resp_cap - sizeof(struct virtio_iommu_req_tail),
				VIRTIO_IOMMU_S_INVAL);
	}
	if (w)
		viommu_xlate_wrlock(v);
	n = run_request(v, h, r, req_len, resp, tail_off);
	if (w)
		viommu_xlate_unlock(v, req_removes(r->head.type));
	return n;
}

size_t viommu_handle_request_locked(struct viommu *v, const void *req, size_t req_len,
				    void *resp, size_t resp_cap)
{
	const struct req_handler *h = NULL;
	union viommu_req r = { 0 };

	memcpy(&r, req, req_len < sizeof(r) ? req_len : sizeof(r));
	if (req_len >= 1)
		h = handler_of(v, r.head.type);
	/* Experimental types are counted in nstats by their handlers. */
	if (!h || r.head.type < VIOMMU_NR_TYPES)
		v->stats.requests[h ? r.head.type : 0]++;
	/* Unknown type: SHOULD NOT write, used length 0 (5.13.6). */
	if (!h || resp_cap < sizeof(struct virtio_iommu_req_tail)) {
		v->stats.discarded++;
		return 0;
	}
	return dispatch_locked(v, h, &r, req_len, resp, resp_cap);
}

int viommu_handle_request(struct viommu *v, const void *req, size_t req_len,
			  void *resp, size_t resp_cap, size_t *written)
{
	pthread_mutex_lock(&v->lock);
	*written = viommu_handle_request_locked(v, req, req_len, resp, resp_cap);
	viommu_faults_flush_locked(v);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct viommu_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Add RESERVED ranges: minus the MSI window (reported as MSI), sorted and
 * merged so that no two properties overlap (5.13.6.8.1). */
int viommu_resv_add_locked(struct viommu *v, const struct viommu_range *add, size_t n)
{
	struct viommu_range tmp[VIOMMU_MAX_RESV * 3];
	size_t i, nt = v->nr_resv, out = 0;

	if (n > VIOMMU_MAX_RESV)
		return -E2BIG;
	memcpy(tmp, v->resv, nt * sizeof(tmp[0]));
	for (i = 0; i < n; i++) {
		if (add[i].last < add[i].start)
			return -EINVAL;
		if (add[i].start < LAYOUT_MSI_BASE)
			tmp[nt++] = (struct viommu_range){ add[i].start,
				add[i].last < LAYOUT_MSI_BASE ? add[i].last : LAYOUT_MSI_BASE - 1 };
		if (add[i].last > LAYOUT_MSI_LAST)
			tmp[nt++] = (struct viommu_range){
				add[i].start > LAYOUT_MSI_LAST ? add[i].start : LAYOUT_MSI_LAST + 1,
				add[i].last };
	}
	qsort(tmp, nt, sizeof(tmp[0]), cmp_range);
	for (i = 0; i < nt; i++) {
		if (out && (tmp[i].start <= tmp[out - 1].last ||
			    tmp[i].start == tmp[out - 1].last + 1)) {
			if (tmp[i].last > tmp[out - 1].last)
				tmp[out - 1].last = tmp[i].last;
			continue;
		}
		tmp[out++] = tmp[i];
	}
	if (out > VIOMMU_MAX_RESV)
		return -E2BIG;
	memcpy(v->resv, tmp, out * sizeof(tmp[0]));
	v->nr_resv = out;
	return 0;
}
