// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio-iommu as a virtio-pci device: create/destroy, features, the
 * config space (bypass is the only writable field), requestq processing,
 * eventq fault reports, resets, and translation for emulated endpoints
 * (the vmm/dma.h hook), which fails closed and reports a fault.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/evloop.h"
#include "vmm/memmap.h"
#include "vmm/virtio/vdev.h"
#include "vmm/virtio/virtio_pci.h"
#include "viommu/viommu_int.h"

#define VIOMMU_PCI_CLASS	0x088000	/* base 08 (system), sub 80 (other) */
#define VIOMMU_QUEUE_MAX	256
#define VIOMMU_REQUESTQ		0
#define VIOMMU_EVENTQ		1
#define VIOMMU_REQ_MAX		128	/* readable bytes we look at */
#define DEFAULT_PAGE_MASK	((1ULL << 12) | (1ULL << 21) | (1ULL << 30))
#define VIOMMU_YIELD_HOST_OPS	4096	/* replayed host maps that end a batch */

static const uint64_t offered_features =
	(1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) |
	(1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE) | (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) |
	(1ULL << VIRTIO_IOMMU_F_PROBE) | (1ULL << VIRTIO_IOMMU_F_MMIO) |
	(1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG) | (1ULL << VIRTIO_IOMMU_F_X_NESTED);

/* ---- config space and features ---- */

static void config_image(const struct viommu *v, struct virtio_iommu_config *c)
{
	*c = (struct virtio_iommu_config){
		.page_size_mask = htole64(v->cfg.page_size_mask),
		.input_start = htole64(v->cfg.input_start),
		.input_end = htole64(v->cfg.input_end),
		.domain_start = htole32(v->cfg.domain_start),
		.domain_end = htole32(v->cfg.domain_end),
		.probe_size = htole32(VIOMMU_PROBE_SIZE),
		.bypass = v->bypass,
	};
}

static void config_read_locked(struct viommu *v, uint32_t off, void *data, uint32_t len)
{
	struct virtio_iommu_config c;

	memset(data, 0, len);
	if (off >= sizeof(c) || len > sizeof(c) - off)
		return;
	config_image(v, &c);
	memcpy(data, (uint8_t *)&c + off, len);
}

static void config_write_locked(struct viommu *v, uint32_t off, const void *data, uint32_t len)
{
	const uint32_t at = VIRTIO_IOMMU_CFG_BYPASS_OFF;
	uint8_t val;

	/* Only bypass is writable, and only with BYPASS_CONFIG (5.13.4). */
	if (off > at || (uint64_t)off + len <= at || !has_feature(v, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		return;
	/* Bits 1-7 are a driver error; the device presents 0 or 1. */
	val = ((const uint8_t *)data)[at - off] & 1;
	if (val == v->bypass)
		return;
	/* Unattached endpoints lose (or gain) their identity translation. */
	viommu_xlate_wrlock(v);
	v->bypass = val;
	dom_bypass_changed_locked(v);
	viommu_xlate_unlock(v, true);
}

void viommu_config_read(struct viommu *v, uint32_t off, void *data, uint32_t len)
{
	pthread_mutex_lock(&v->lock);
	config_read_locked(v, off, data, len);
	pthread_mutex_unlock(&v->lock);
}

void viommu_config_write(struct viommu *v, uint32_t off, const void *data, uint32_t len)
{
	pthread_mutex_lock(&v->lock);
	config_write_locked(v, off, data, len);
	pthread_mutex_unlock(&v->lock);
}

uint64_t viommu_device_features(const struct viommu *v)
{
	return v->dev_features;
}

static bool set_driver_features_locked(struct viommu *v, uint64_t features)
{
	if (features & ~v->dev_features)
		return false;
	v->drv_features = features;
	return true;
}

bool viommu_set_driver_features(struct viommu *v, uint64_t features)
{
	bool ok;

	pthread_mutex_lock(&v->lock);
	ok = set_driver_features_locked(v, features);
	pthread_mutex_unlock(&v->lock);
	return ok;
}

/* ---- faults and the eventq ---- */

void viommu_set_fault_sink(struct viommu *v, viommu_fault_sink sink, void *opaque)
{
	pthread_mutex_lock(&v->fault_lock);
	v->sink = sink;
	v->sink_opaque = opaque;
	pthread_mutex_unlock(&v->fault_lock);
}

/*
 * Put one event on the eventq (v->lock held, so the transport cannot reset
 * or re-enable the queue meanwhile). 0 written; -EAGAIN no buffer yet (the
 * event stays pending); -EIO the buffer was unusable (event dropped).
 */
static int eventq_put_locked(struct viommu *v, const struct virtio_iommu_fault *f)
{
	struct virtq *vq = v->vp ? virtio_pci_vq(v->vp, VIOMMU_EVENTQ) : NULL;
	struct vq_elem elem;
	int ret;

	/* A broken eventq takes nothing more until the driver resets. */
	if (!vq || !vq->ready || v->eventq_broken)
		return -EAGAIN;
	if (vq_begin(vq)) {
		ret = -EPIPE;
	} else {
		ret = vq_pop(vq, &elem);
		/* A malformed or too small buffer goes back unused (no split
		 * reports); a broken ring gives nothing back. */
		if (ret > 0 && elem.in_len >= sizeof(*f)) {
			vq_copy_to_in(&elem, f, sizeof(*f));
			vq_push(vq, elem.head, sizeof(*f));
		} else if (ret != 0 && ret != -EPIPE) {
			vq_push(vq, elem.head, 0);
		}
		if (ret != 0 && ret != -EPIPE)
			virtio_pci_notify_locked(v->vp, VIOMMU_EVENTQ);
	}
	vq_end(vq);
	if (ret == -EPIPE) {
		v->eventq_broken = true;
		virtio_pci_needs_reset_locked(v->vp);
	}
	if (ret == 0)
		return -EAGAIN;
	return ret > 0 && elem.in_len >= sizeof(*f) ? 0 : -EIO;
}

static void fault_kick(struct viommu *v)
{
	uint64_t one = 1;

	/* A full counter still wakes the loop. */
	if (v->fault_efd >= 0 && write(v->fault_efd, &one, sizeof(one)) < 0)
		return;
}

int viommu_fault_put(struct viommu *v, uint32_t endpoint, uint8_t reason, uint32_t flags,
		     uint64_t address)
{
	struct virtio_iommu_fault f = {
		.reason = reason,
		.flags = htole32(flags),
		.endpoint = htole32(endpoint),
		.address = htole64(address),
	};
	bool kick = false, sink;
	int ret = 0;

	pthread_mutex_lock(&v->fault_lock);
	sink = v->sink != NULL;
	if (sink) {
		ret = v->sink(v->sink_opaque, &f) ? -ENOSPC : 0;
	} else if (v->nr_faults == v->max_faults) {
		ret = -ENOSPC;	/* bounded: a guest that never reads its eventq loses events */
	} else {
		v->faults[(v->fault_head + v->nr_faults) % v->max_faults] = f;
		kick = v->nr_faults++ == 0;
	}
	pthread_mutex_unlock(&v->fault_lock);
	if (sink || ret)
		stat_inc(ret ? &v->astats.faults_dropped : &v->astats.faults);
	if (kick)
		fault_kick(v);
	return ret;
}

/* The oldest pending event, if any. Only v->lock holders remove events. */
static bool fault_peek(struct viommu *v, struct virtio_iommu_fault *f)
{
	bool have;

	pthread_mutex_lock(&v->fault_lock);
	have = v->nr_faults;
	if (have)
		*f = v->faults[v->fault_head];
	pthread_mutex_unlock(&v->fault_lock);
	return have;
}

static void fault_drop_oldest(struct viommu *v)
{
	pthread_mutex_lock(&v->fault_lock);
	v->fault_head = (v->fault_head + 1) % v->max_faults;
	v->nr_faults--;
	pthread_mutex_unlock(&v->fault_lock);
}

void viommu_faults_flush_locked(struct viommu *v)
{
	struct virtio_iommu_fault f;

	while (fault_peek(v, &f)) {
		int ret = eventq_put_locked(v, &f);

		if (ret == -EAGAIN)
			return;		/* until the driver adds buffers */
		stat_inc(ret ? &v->astats.faults_dropped : &v->astats.faults);
		fault_drop_oldest(v);
	}
}

/* A reset forgets the events meant for the driver that went away. */
static void faults_discard(struct viommu *v)
{
	pthread_mutex_lock(&v->fault_lock);
	v->fault_head = v->nr_faults = 0;
	pthread_mutex_unlock(&v->fault_lock);
}

static void fault_efd_cb(void *opaque)
{
	struct viommu *v = opaque;
	uint64_t cnt;

	if (read(v->fault_efd, &cnt, sizeof(cnt)) < 0)
		return;
	pthread_mutex_lock(&v->lock);
	viommu_faults_flush_locked(v);
	pthread_mutex_unlock(&v->lock);
}

int viommu_report_fault(struct viommu *v, uint32_t endpoint, uint8_t reason,
			uint32_t flags, uint64_t address)
{
	int ret = viommu_fault_put(v, endpoint, reason, flags, address);

	viommu_poll_faults(v);
	return ret;
}

void viommu_poll_faults(struct viommu *v)
{
	pthread_mutex_lock(&v->lock);
	viommu_faults_flush_locked(v);
	pthread_mutex_unlock(&v->lock);
}

/* ---- translation for emulated endpoints ---- */

static uint32_t fault_access(unsigned access)
{
	return (access & DMA_ACCESS_READ ? VIRTIO_IOMMU_FAULT_F_READ : 0) |
	       (access & DMA_ACCESS_WRITE ? VIRTIO_IOMMU_FAULT_F_WRITE : 0);
}

/* v->xlate held (read or write): the state it reads cannot change. */
static int translate_locked(struct viommu *v, uint32_t endpoint, uint64_t iova, uint64_t len,
			    unsigned access, uint64_t *gpa, uint64_t *contig)
{
	struct vendpoint *ep = ep_find_locked(v, endpoint);
	struct vdomain *d = ep ? ep->dom : NULL;
	uint32_t need = (access & DMA_ACCESS_READ ? VIRTIO_IOMMU_MAP_F_READ : 0) |
			(access & DMA_ACCESS_WRITE ? VIRTIO_IOMMU_MAP_F_WRITE : 0);
	const struct iova_map *m;

	if ((!d && v->bypass) || (d && d->bypass)) {
		*gpa = iova;		/* bypass mode: identity (5.13.6) */
		*contig = len;
		return 0;
	}
	if (!d) {
		viommu_fault_put(v, endpoint, VIRTIO_IOMMU_FAULT_R_DOMAIN,
				 fault_access(access) | VIRTIO_IOMMU_FAULT_F_ADDRESS, iova);
		return -ENODEV;
	}
	if (d->nested) {
		uint32_t f = fault_access(access) | VIRTIO_IOMMU_FAULT_F_ADDRESS;
		int ret = nested_translate_locked(v, d, iova, len, access, gpa, contig);

		if (ret)
			viommu_fault_put(v, endpoint, VIRTIO_IOMMU_FAULT_R_MAPPING, f, iova);
		return ret;
	}
	m = iova_tree_find(d->tree, iova);
	if (!m || (m->flags & need) != need) {
		viommu_fault_put(v, endpoint, VIRTIO_IOMMU_FAULT_R_MAPPING,
				 fault_access(access) | VIRTIO_IOMMU_FAULT_F_ADDRESS, iova);
		return m ? -EPERM : -EFAULT;
	}
	*gpa = m->gpa + (iova - m->start);
	*contig = m->last - iova < len - 1 ? m->last - iova + 1 : len;
	return 0;
}

int viommu_translate(struct viommu *v, uint32_t endpoint, uint64_t iova, uint64_t len,
		     unsigned access, uint64_t *gpa, uint64_t *contig)
{
	int ret;

	if (!len)
		return -EINVAL;
	/* A read lock that nests in the caller's access window, if any. */
	pthread_rwlock_rdlock(&v->xlate);
	stat_inc(&v->astats.translations);
	ret = translate_locked(v, endpoint, iova, len, access, gpa, contig);
	pthread_rwlock_unlock(&v->xlate);
	return ret;
}

static int dma_translate(void *opaque, uint32_t endpoint, uint64_t iova, uint64_t len,
			 unsigned access, uint64_t *gpa, uint64_t *contig)
{
	return viommu_translate(opaque, endpoint, iova, len, access, gpa, contig);
}

static uint64_t dma_window_begin(void *opaque)
{
	struct viommu *v = opaque;

	pthread_rwlock_rdlock(&v->xlate);
	return v->gen;
}

static void dma_window_end(void *opaque)
{
	struct viommu *v = opaque;

	pthread_rwlock_unlock(&v->xlate);
}

static const struct dma_ops viommu_dma_ops = {
	.translate = dma_translate, .begin = dma_window_begin, .end = dma_window_end,
};

void viommu_dma_ctx(struct viommu *v, uint32_t endpoint, struct dma_ctx *out)
{
	/* If registering fails the endpoint stays unknown and translation
	 * fails closed, which is the safe outcome. */
	viommu_add_endpoint(v, endpoint);
	*out = (struct dma_ctx){
		.mem = v->cfg.mem, .ops = &viommu_dma_ops, .opaque = v, .endpoint = endpoint,
	};
}

/* ---- endpoints, stats, resets ---- */

int viommu_add_endpoint(struct viommu *v, uint32_t endpoint)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	viommu_xlate_wrlock(v);		/* the endpoint array may move */
	if (!ep_add_locked(v, endpoint))
		ret = -ENOMEM;
	viommu_xlate_unlock(v, false);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/*
 * The guest must never be told it can map what the host cannot: drop the
 * granules below the host IOMMU's smallest page from page_size_mask (a 4 KiB
 * guest MAP cannot become a host mapping on a 16 KiB-page host). Endpoints
 * are added before the driver reads the config.
 */
static int fit_host_granule_locked(struct viommu *v, const struct hiopt *hw,
				   struct hiopt_dev *dev)
{
	struct hiopt_hw_info info;
	uint64_t host_min, mask;

	if (!hw->ops->hw_info || hw->ops->hw_info(hw->be, dev, &info) || !info.pgsize_bitmap)
		return 0;
	host_min = info.pgsize_bitmap & -info.pgsize_bitmap;
	if (host_min <= v->granule)
		return 0;
	/* Any multiple of the host page maps there: it becomes the granule. */
	mask = (v->cfg.page_size_mask & ~(host_min - 1)) | host_min;
	/* Mappings made at the old granule would not fit the new one. */
	for (const struct vdomain *d = v->domains; d && mask != v->cfg.page_size_mask; d = d->next)
		if (iova_tree_count(d->tree))
			return -EBUSY;
	v->cfg.page_size_mask = mask;
	v->granule = mask & -mask;
	return 0;
}

/* Stop offering feature bit: before any driver started (or without a
 * transport) only. 0 or -EBUSY. */
static int withdraw_feature_locked(struct viommu *v, unsigned bit)
{
	uint64_t f = v->dev_features & ~(1ULL << bit);

	if (f == v->dev_features)
		return 0;
	if (v->vp && virtio_pci_set_device_features_locked(v->vp, f))
		return -EBUSY;
	v->dev_features = f;
	v->drv_features &= f;
	return 0;
}

static int add_host_locked(struct viommu *v, uint32_t endpoint, const struct hiopt *hw,
			   struct hiopt_dev *dev)
{
	struct viommu_range gaps[VIOMMU_MAX_RESV];
	struct vendpoint *ep;
	size_t n = 0;
	int ret;

	if (ep_find_locked(v, endpoint))
		return -EEXIST;
	ret = fit_host_granule_locked(v, hw, dev);
	if (ret)
		return ret;
	ret = shadow_host_resv(hw, dev, v->cfg.input_start, v->cfg.input_end,
			       gaps, VIOMMU_MAX_RESV, &n);
	if (!ret)
		ret = viommu_resv_add_locked(v, gaps, n);
	if (!ret)
		ret = viommu_watch_host_faults_locked(v, hw);
	if (ret)
		return ret;
	ep = ep_add_locked(v, endpoint);
	if (!ep)
		return -ENOMEM;
	ep->hw = hw;
	ep->dev = dev;
	ep->nest_ok = nested_host_capable(hw, dev);
	/* Unattached: bypass IOAS when bypass=1, else blocked. */
	ret = shadow_switch_locked(v, ep, NULL);
	if (ret) {
		v->nr_eps--;	/* it was appended last */
		return ret;
	}
	/* Offer nesting only if every host backend can do it. Once a driver
	 * has started, the offer stands and ATTACH_TABLE for this endpoint
	 * gets S_UNSUPP instead (docs/nested.md). */
	if (!ep->nest_ok)
		(void)withdraw_feature_locked(v, VIRTIO_IOMMU_F_X_NESTED);
	return 0;
}

int viommu_add_host_endpoint(struct viommu *v, uint32_t endpoint,
			     const struct hiopt *hiopt, struct hiopt_dev *dev)
{
	int ret;

	if (!hiopt)
		hiopt = v->cfg.hiopt;
	if (!hiopt || !dev)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	viommu_xlate_wrlock(v);
	ret = add_host_locked(v, endpoint, hiopt, dev);
	viommu_xlate_unlock(v, false);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void viommu_stats(struct viommu *v, struct viommu_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	pthread_mutex_unlock(&v->lock);
	out->faults = __atomic_load_n(&v->astats.faults, __ATOMIC_RELAXED);
	out->faults_dropped = __atomic_load_n(&v->astats.faults_dropped, __ATOMIC_RELAXED);
	out->translations = __atomic_load_n(&v->astats.translations, __ATOMIC_RELAXED);
}

/* Every endpoint leaves its domain: once this returns, no device behind
 * the viommu uses a translation from before (the generation moved). */
static void reset_locked(struct viommu *v, bool system)
{
	viommu_xlate_wrlock(v);
	if (system) {
		v->bypass = v->cfg.bypass;	/* restored on system reset (5.13.4) */
		v->drv_features = v->dev_features;
	}
	dom_reset_locked(v);		/* bypass keeps its value otherwise */
	/* Before the new generation is visible: any event queued from now on
	 * is about the state after the reset and must reach the new eventq. */
	faults_discard(v);
	viommu_xlate_unlock(v, true);
}

void viommu_device_reset(struct viommu *v)
{
	pthread_mutex_lock(&v->lock);
	reset_locked(v, false);
	pthread_mutex_unlock(&v->lock);
}

void viommu_system_reset(struct viommu *v)
{
	pthread_mutex_lock(&v->lock);
	reset_locked(v, true);
	pthread_mutex_unlock(&v->lock);
}

/* ---- virtio-pci glue: every callback runs with v->lock held ---- */

static void vp_cfg_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	config_read_locked(opaque, off, data, len);
}

static void vp_cfg_write(void *opaque, uint32_t off, const void *data, uint32_t len)
{
	config_write_locked(opaque, off, data, len);
}

static bool vp_features_ok(void *opaque, uint64_t features)
{
	return set_driver_features_locked(opaque, features);
}

static size_t elem_out_len(const struct vq_elem *elem)
{
	size_t i, len = 0;

	for (i = 0; i < elem->n_out; i++)
		len += elem->iov[i].iov_len;
	return len;
}

/* One chain: copy the readable part, run it, copy the writable part back.
 * A chain vq_pop refused (err) goes back with used length 0. */
static uint32_t process_elem(void *opaque, struct virtq *vq, struct vq_elem *elem, int err)
{
	uint8_t req[VIOMMU_REQ_MAX], resp[VIOMMU_PROBE_SIZE + sizeof(struct virtio_iommu_req_tail)];
	struct viommu *v = opaque;
	size_t req_len, cap, written;

	(void)vq;
	if (err) {
		v->stats.discarded++;
		return 0;
	}
	req_len = vq_copy_from_out(elem, req, sizeof(req));
	cap = elem->in_len < sizeof(resp) ? elem->in_len : sizeof(resp);
	if (elem_out_len(elem) < req_len)
		req_len = elem_out_len(elem);
	/* Handlers may leave parts of the reply unwritten (a short PROBE gets
	 * only its tail): those bytes reach the guest as zeroes, never as stale
	 * VMM stack. */
	memset(resp, 0, cap);
	written = viommu_handle_request_locked(v, req, req_len, resp, cap);
	/* An ATTACH replaying a big domain into a fresh IOAS ends the batch. */
	if (v->batch_host_ops >= VIOMMU_YIELD_HOST_OPS) {
		v->reqq.yield = true;
		v->batch_host_ops = 0;
	}
	return vq_copy_to_in(elem, resp, written);
}

static void vp_queue_notify(void *opaque, struct virtio_pci *vp, uint16_t q)
{
	struct viommu *v = opaque;

	/* The requestq takes the same bounded drain as every virtio device;
	 * new eventq buffers may take pending fault events. */
	if (q == VIOMMU_REQUESTQ) {
		v->batch_host_ops = 0;
		vdev_queue_drain(&v->reqq, vp, q, process_elem, v);
	}
	viommu_faults_flush_locked(v);
}

static void vp_reset(void *opaque)
{
	struct viommu *v = opaque;

	reset_locked(v, false);
	vdev_queue_reset(&v->reqq);
	v->eventq_broken = false;
}

static const struct virtio_dev_ops viommu_vp_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.features_ok = vp_features_ok,
	.queue_notify = vp_queue_notify,
	.reset = vp_reset,
};

static int attach_transport(struct viommu *v)
{
	struct virtio_pci_config vc = {
		.device_id = VIRTIO_ID_IOMMU,
		.pci_class = VIOMMU_PCI_CLASS,
		.num_queues = 2,
		.queue_max = VIOMMU_QUEUE_MAX,
		.features = v->dev_features,
		.cfg_size = sizeof(struct virtio_iommu_config),
		.ops = &viommu_vp_ops,
		.opaque = v,
		.dma = { .mem = v->cfg.mem },	/* the viommu itself is not translated */
		.loop = v->cfg.loop,
		.lock = &v->lock,
	};

	v->vp = virtio_pci_create(v->cfg.pci, &vc, v->cfg.slot);
	return v->vp ? 0 : -ENODEV;
}

int viommu_bdf(const struct viommu *v)
{
	return v->vp ? pci_dev_bdf(virtio_pci_dev(v->vp)) : -ENODEV;
}

/* ---- create / destroy ---- */

static int apply_config(struct viommu *v, const struct viommu_config *cfg)
{
	v->cfg = *cfg;
	v->cfg.resv = NULL;
	v->cfg.nr_resv = 0;
	if (!v->cfg.page_size_mask)
		v->cfg.page_size_mask = DEFAULT_PAGE_MASK;
	if (!v->cfg.input_start && !v->cfg.input_end)
		v->cfg.input_end = UINT64_MAX;
	if (!v->cfg.domain_start && !v->cfg.domain_end)
		v->cfg.domain_end = UINT32_MAX;
	viommu_limits_fill(&v->cfg.limits);
	if (v->cfg.input_end < v->cfg.input_start || v->cfg.domain_end < v->cfg.domain_start)
		return -EINVAL;
	v->granule = v->cfg.page_size_mask & -v->cfg.page_size_mask;
	v->dev_features = offered_features;
	v->drv_features = offered_features;
	v->bypass = cfg->bypass;
	if (cfg->nr_resv > VIOMMU_MAX_RESV)
		return -E2BIG;
	if (cfg->nr_resv)
		memcpy(v->own_resv, cfg->resv, cfg->nr_resv * sizeof(cfg->resv[0]));
	v->nr_own_resv = cfg->nr_resv;
	return viommu_resv_add_locked(v, cfg->resv, cfg->nr_resv);
}

static int faults_init(struct viommu *v)
{
	v->max_faults = v->cfg.limits.max_pending_faults;
	v->faults = calloc(v->max_faults, sizeof(*v->faults));
	if (!v->faults)
		return -ENOMEM;
	if (!v->cfg.loop)
		return 0;	/* viommu_poll_faults delivers them */
	v->fault_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->fault_efd < 0)
		return -errno;
	if (evloop_add(v->cfg.loop, v->fault_efd, fault_efd_cb, v) < 0) {
		close(v->fault_efd);
		v->fault_efd = -1;
		return -EIO;
	}
	return 0;
}

static void faults_fini(struct viommu *v)
{
	if (v->fault_efd < 0)
		return;
	evloop_del(v->cfg.loop, v->fault_efd);
	close(v->fault_efd);
	v->fault_efd = -1;
}

struct viommu *viommu_create(const struct viommu_config *cfg)
{
	struct viommu *v;

	if (!cfg || !cfg->mem)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	pthread_mutex_init(&v->lock, NULL);
	/* Default (reader-preferring) on purpose: a translation inside an
	 * access window takes the read lock again, which a writer-preferring
	 * rwlock could deadlock with a waiting writer. */
	pthread_rwlock_init(&v->xlate, NULL);
	pthread_mutex_init(&v->fault_lock, NULL);
	vdev_queue_init(&v->reqq);
	v->fault_efd = -1;
	if (apply_config(v, cfg) || faults_init(v))
		goto err_free;
	if (cfg->pci && attach_transport(v))
		goto err_faults;
	return v;
err_faults:
	faults_fini(v);
err_free:
	free(v->faults);
	pthread_mutex_destroy(&v->fault_lock);
	pthread_rwlock_destroy(&v->xlate);
	pthread_mutex_destroy(&v->lock);
	free(v);
	return NULL;
}

void viommu_destroy(struct viommu *v)
{
	size_t i;

	if (!v)
		return;
	viommu_unwatch_host_faults(v);
	if (v->vp)
		virtio_pci_destroy(v->vp);	/* no more queue work after this */
	faults_fini(v);
	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nr_eps; i++)
		if (v->eps[i].hw)
			shadow_block_locked(v, &v->eps[i]);
	dom_free_all_locked(v);
	shadow_teardown_locked(v);
	pthread_mutex_unlock(&v->lock);
	vdev_queue_fini(&v->reqq);
	pthread_mutex_destroy(&v->fault_lock);
	pthread_rwlock_destroy(&v->xlate);
	pthread_mutex_destroy(&v->lock);
	free(v->faults);
	free(v->eps);
	free(v);
}
