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

#include "vmm/memmap.h"
#include "vmm/virtio/virtio_pci.h"
#include "viommu/viommu_int.h"

#define VIOMMU_PCI_CLASS	0x088000	/* base 08 (system), sub 80 (other) */
#define VIOMMU_QUEUE_MAX	256
#define VIOMMU_REQUESTQ		0
#define VIOMMU_EVENTQ		1
#define VIOMMU_REQ_MAX		128	/* readable bytes we look at */
#define DEFAULT_PAGE_MASK	((1ULL << 12) | (1ULL << 21) | (1ULL << 30))

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

void viommu_config_read(struct viommu *v, uint32_t off, void *data, uint32_t len)
{
	struct virtio_iommu_config c;

	memset(data, 0, len);
	if (off >= sizeof(c) || len > sizeof(c) - off)
		return;
	pthread_mutex_lock(&v->lock);
	config_image(v, &c);
	pthread_mutex_unlock(&v->lock);
	memcpy(data, (uint8_t *)&c + off, len);
}

void viommu_config_write(struct viommu *v, uint32_t off, const void *data, uint32_t len)
{
	const uint32_t at = VIRTIO_IOMMU_CFG_BYPASS_OFF;

	/* Only bypass is writable, and only with BYPASS_CONFIG (5.13.4). */
	if (off > at || (uint64_t)off + len <= at)
		return;
	pthread_mutex_lock(&v->lock);
	if (has_feature(v, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		/* Bits 1-7 are a driver error; the device presents 0 or 1. */
		uint8_t val = ((const uint8_t *)data)[at - off] & 1;

		if (val != v->bypass) {
			v->bypass = val;
			dom_bypass_changed_locked(v);
		}
	}
	pthread_mutex_unlock(&v->lock);
}

uint64_t viommu_device_features(const struct viommu *v)
{
	return v->dev_features;
}

bool viommu_set_driver_features(struct viommu *v, uint64_t features)
{
	if (features & ~v->dev_features)
		return false;
	pthread_mutex_lock(&v->lock);
	v->drv_features = features;
	pthread_mutex_unlock(&v->lock);
	return true;
}

/* ---- faults and the eventq ---- */

void viommu_set_fault_sink(struct viommu *v, viommu_fault_sink sink, void *opaque)
{
	pthread_mutex_lock(&v->lock);
	v->sink = sink;
	v->sink_opaque = opaque;
	pthread_mutex_unlock(&v->lock);
}

static int eventq_put_locked(struct viommu *v, const struct virtio_iommu_fault *f)
{
	struct virtq *vq = v->vp ? virtio_pci_vq(v->vp, VIOMMU_EVENTQ) : NULL;
	struct vq_elem elem;
	uint16_t before;
	int ret;

	if (!vq || !vq->ready)
		return -ENOSPC;
	before = vq->last_avail;
	ret = vq_pop(vq, &elem);
	if (ret == 0)
		return -ENOSPC;
	/* Nothing consumed, or a head outside the ring: no descriptor to give
	 * back (elem.head may not even be set), so no used entry. */
	if (ret < 0 && (vq->last_avail == before || elem.head >= vq->size)) {
		virtio_pci_needs_reset(v->vp);
		return -ENOSPC;
	}
	/* A malformed or too small buffer goes back unused (no split reports). */
	if (ret < 0 || elem.in_len < sizeof(*f)) {
		vq_push(vq, elem.head, 0);
		return -ENOSPC;
	}
	vq_copy_to_in(&elem, f, sizeof(*f));
	vq_push(vq, elem.head, sizeof(*f));
	virtio_pci_notify(v->vp, VIOMMU_EVENTQ);	/* checks vq_should_signal */
	return 0;
}

static int report_fault_locked(struct viommu *v, uint32_t endpoint, uint8_t reason,
			       uint32_t flags, uint64_t address)
{
	struct virtio_iommu_fault f = {
		.reason = reason,
		.flags = htole32(flags),
		.endpoint = htole32(endpoint),
		.address = htole64(address),
	};
	int ret = v->sink ? v->sink(v->sink_opaque, &f) : eventq_put_locked(v, &f);

	if (ret)
		v->stats.faults_dropped++;
	else
		v->stats.faults++;
	return ret ? -ENOSPC : 0;
}

int viommu_report_fault(struct viommu *v, uint32_t endpoint, uint8_t reason,
			uint32_t flags, uint64_t address)
{
	int ret;

	pthread_mutex_lock(&v->lock);
	ret = report_fault_locked(v, endpoint, reason, flags, address);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* ---- translation for emulated endpoints ---- */

static uint32_t fault_access(unsigned access)
{
	return (access & DMA_ACCESS_READ ? VIRTIO_IOMMU_FAULT_F_READ : 0) |
	       (access & DMA_ACCESS_WRITE ? VIRTIO_IOMMU_FAULT_F_WRITE : 0);
}

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
		report_fault_locked(v, endpoint, VIRTIO_IOMMU_FAULT_R_DOMAIN,
				    fault_access(access) | VIRTIO_IOMMU_FAULT_F_ADDRESS, iova);
		return -ENODEV;
	}
	if (d->nested) {
		uint32_t f = fault_access(access) | VIRTIO_IOMMU_FAULT_F_ADDRESS;
		int ret = nested_translate_locked(v, d, iova, len, access, gpa, contig);

		if (ret)
			report_fault_locked(v, endpoint, VIRTIO_IOMMU_FAULT_R_MAPPING, f, iova);
		return ret;
	}
	m = iova_tree_find(d->tree, iova);
	if (!m || (m->flags & need) != need) {
		report_fault_locked(v, endpoint, VIRTIO_IOMMU_FAULT_R_MAPPING,
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
	pthread_mutex_lock(&v->lock);
	v->stats.translations++;
	ret = translate_locked(v, endpoint, iova, len, access, gpa, contig);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static int dma_translate(void *opaque, uint32_t endpoint, uint64_t iova, uint64_t len,
			 unsigned access, uint64_t *gpa, uint64_t *contig)
{
	return viommu_translate(opaque, endpoint, iova, len, access, gpa, contig);
}

static const struct dma_ops viommu_dma_ops = { .translate = dma_translate };

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
	if (!ep_add_locked(v, endpoint))
		ret = -ENOMEM;
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
	if (v->vp && virtio_pci_set_device_features(v->vp, f))
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
	ret = add_host_locked(v, endpoint, hiopt, dev);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void viommu_stats(struct viommu *v, struct viommu_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	pthread_mutex_unlock(&v->lock);
}

void viommu_device_reset(struct viommu *v)
{
	pthread_mutex_lock(&v->lock);
	dom_reset_locked(v);		/* bypass keeps its value (5.13.4) */
	pthread_mutex_unlock(&v->lock);
}

void viommu_system_reset(struct viommu *v)
{
	pthread_mutex_lock(&v->lock);
	v->bypass = v->cfg.bypass;	/* restored on system reset (5.13.4) */
	v->drv_features = v->dev_features;
	dom_reset_locked(v);
	pthread_mutex_unlock(&v->lock);
}

/* ---- virtio-pci glue ---- */

static void vp_cfg_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	viommu_config_read(opaque, off, data, len);
}

static void vp_cfg_write(void *opaque, uint32_t off, const void *data, uint32_t len)
{
	viommu_config_write(opaque, off, data, len);
}

static bool vp_features_ok(void *opaque, uint64_t features)
{
	return viommu_set_driver_features(opaque, features);
}

static size_t elem_out_len(const struct vq_elem *elem)
{
	size_t i, len = 0;

	for (i = 0; i < elem->n_out; i++)
		len += elem->iov[i].iov_len;
	return len;
}

/* One chain: copy the readable part, run it, copy the writable part back. */
static uint32_t process_elem(struct viommu *v, const struct vq_elem *elem)
{
	uint8_t req[VIOMMU_REQ_MAX], resp[VIOMMU_PROBE_SIZE + sizeof(struct virtio_iommu_req_tail)];
	size_t req_len = vq_copy_from_out(elem, req, sizeof(req));
	size_t cap = elem->in_len < sizeof(resp) ? elem->in_len : sizeof(resp);
	size_t written = 0;

	if (elem_out_len(elem) < req_len)
		req_len = elem_out_len(elem);
	/* Handlers may leave parts of the reply unwritten (a short PROBE gets
	 * only its tail): those bytes reach the guest as zeroes, never as stale
	 * VMM stack. */
	memset(resp, 0, cap);
	viommu_handle_request(v, req, req_len, resp, cap, &written);
	return vq_copy_to_in(elem, resp, written);
}

static void vp_queue_notify(void *opaque, struct virtio_pci *vp, uint16_t q)
{
	struct viommu *v = opaque;
	struct virtq *vq = virtio_pci_vq(vp, q);
	struct vq_elem elem;
	int ret;

	/* Eventq buffers are consumed when a fault happens. */
	if (q != VIOMMU_REQUESTQ || !vq)
		return;
	for (;;) {
		uint16_t before = vq->last_avail;

		ret = vq_pop(vq, &elem);
		if (!ret)
			break;
		/* An avail index the ring cannot hold consumes nothing (popping
		 * again would spin forever), and a head outside the ring names
		 * no descriptor to give back: only a reset recovers. */
		if (ret < 0 && (vq->last_avail == before || elem.head >= vq->size)) {
			virtio_pci_needs_reset(vp);
			break;
		}
		if (ret < 0) {
			pthread_mutex_lock(&v->lock);
			v->stats.discarded++;
			pthread_mutex_unlock(&v->lock);
			vq_push(vq, elem.head, 0);
			continue;
		}
		vq_push(vq, elem.head, process_elem(v, &elem));
	}
	virtio_pci_notify(vp, q);	/* interrupts only if vq_should_signal */
}

static void vp_reset(void *opaque)
{
	viommu_device_reset(opaque);
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

struct viommu *viommu_create(const struct viommu_config *cfg)
{
	struct viommu *v;

	if (!cfg || !cfg->mem)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	pthread_mutex_init(&v->lock, NULL);
	if (apply_config(v, cfg))
		goto err_free;
	if (cfg->pci && attach_transport(v))
		goto err_free;
	return v;
err_free:
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
	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nr_eps; i++)
		if (v->eps[i].hw)
			shadow_block_locked(v, &v->eps[i]);
	dom_free_all_locked(v);
	shadow_bypass_release_locked(v);
	pthread_mutex_unlock(&v->lock);
	pthread_mutex_destroy(&v->lock);
	free(v->eps);
	free(v);
}
