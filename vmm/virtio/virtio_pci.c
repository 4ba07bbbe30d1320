// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-pci modern transport (virtio 1.3 section 4.1). One 64-bit memory BAR
 * holds common config, ISR, device config, notify registers and the MSI-X
 * table/PBA; vendor capabilities describe them, plus the PCI_CFG window.
 * One device lock covers the transport, the queues and the device model:
 * every device callback runs with it held, on whichever thread got there
 * (a vCPU for register accesses, the event loop for kicks), so a reset can
 * never run beside queue work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/evloop.h"
#include "vmm/pci_internal.h"
#include "vmm/virtio/virtio_pci.h"

#define VP_BAR			4
#define VP_BAR_SIZE		0x4000
#define VP_COMMON_OFF		0x0000
#define VP_COMMON_SIZE		0x40
#define VP_ISR_OFF		0x1000
#define VP_DEVCFG_OFF		0x2000
#define VP_DEVCFG_MAX		0x1000
#define VP_NOTIFY_OFF		0x3000
#define VP_NOTIFY_MULT		4
#define VP_MSIX_TABLE_OFF	0x3800
#define VP_MSIX_PBA_OFF		0x3c00
#define VP_REGION_SIZE		0x800

#define VIRTIO_NO_VECTOR	0xffff
#define VIRTIO_CAP_COMMON	1
#define VIRTIO_CAP_NOTIFY	2
#define VIRTIO_CAP_ISR		3
#define VIRTIO_CAP_DEVICE	4
#define VIRTIO_CAP_PCI_CFG	5

#define ACT_RESET		(1u << 0)
#define ACT_FEATURES		(1u << 1)
#define ACT_DRIVER_OK		(1u << 2)
#define ACT_CONFIG_IRQ		(1u << 3)

struct vp_queue {
	struct virtq vq;		/* under the device lock, setup and ring state */
	uint16_t vector;
	uint16_t index;
	int efd;			/* -1 without an event loop */
	struct virtio_pci *vp;
};

/*
 * Lock order: pci_host lock (config cycles) -> device lock -> the locks of
 * whatever the device calls while holding it: its IOMMU's DMA window
 * (dma_begin), the pci_dev lock (MSI-X delivery), memmap and bus rwlocks.
 * The device lock is never taken while holding any of those.
 */
struct virtio_pci {
	struct pci_dev pci;
	struct pci_host *host;
	uint8_t pcicfg_cap;		/* config offset of the PCI_CFG capability */
	pthread_mutex_t *lock;		/* the device lock: cfg.lock or own_lock */
	pthread_mutex_t own_lock;
	/* Everything below is under *lock. */
	struct virtio_pci_config cfg;
	uint64_t features;		/* offered: cfg.features | VERSION_1 */
	uint32_t dev_feat_sel, drv_feat_sel;
	uint64_t driver_features;
	uint16_t config_vector, queue_select;
	uint8_t status, generation, isr;
	struct vp_queue q[VIRTIO_MAX_QUEUES];
};

/* ------------------------------------------------------- common config */

/* Field widths of struct virtio_pci_common_cfg, by offset. */
static const uint8_t common_width[VP_COMMON_SIZE] = {
	[0x00] = 4, [0x04] = 4, [0x08] = 4, [0x0c] = 4, [0x10] = 2, [0x12] = 2,
	[0x14] = 1, [0x15] = 1, [0x16] = 2, [0x18] = 2, [0x1a] = 2, [0x1c] = 2,
	[0x1e] = 2, [0x20] = 8, [0x28] = 8, [0x30] = 8, [0x38] = 2, [0x3a] = 2,
	[0x3c] = 2, [0x3e] = 2,
};

static struct vp_queue *cur_queue_locked(struct virtio_pci *vp)
{
	return vp->queue_select < vp->cfg.num_queues ? &vp->q[vp->queue_select] : NULL;
}

static uint64_t common_get_locked(struct virtio_pci *vp, uint32_t field)
{
	struct vp_queue *q = cur_queue_locked(vp);

	switch (field) {
	case 0x00: return vp->dev_feat_sel;
	case 0x04: return vp->dev_feat_sel < 2 ? (uint32_t)(vp->features >> (32 * vp->dev_feat_sel)) : 0;
	case 0x08: return vp->drv_feat_sel;
	case 0x0c: return vp->drv_feat_sel < 2 ?
			  (uint32_t)(vp->driver_features >> (32 * vp->drv_feat_sel)) : 0;
	case 0x10: return vp->config_vector;
	case 0x12: return vp->cfg.num_queues;
	case 0x14: return vp->status;
	case 0x15: return vp->generation;
	case 0x16: return vp->queue_select;
	case 0x18: return q ? q->vq.size : 0;
	case 0x1a: return q ? q->vector : VIRTIO_NO_VECTOR;
	case 0x1c: return q ? q->vq.ready : 0;
	case 0x1e: return q ? q->index : 0;
	case 0x20: return q ? q->vq.desc_addr : 0;
	case 0x28: return q ? q->vq.avail_addr : 0;
	case 0x30: return q ? q->vq.used_addr : 0;
	case 0x38: return q ? q->index : 0;
	default: return 0;
	}
}

static void reset_locked(struct virtio_pci *vp)
{
	vp->dev_feat_sel = vp->drv_feat_sel = 0;
	vp->driver_features = 0;
	vp->config_vector = VIRTIO_NO_VECTOR;
	vp->queue_select = 0;
	vp->status = vp->isr = 0;
	for (uint16_t i = 0; i < vp->cfg.num_queues; i++) {
		vq_reset(&vp->q[i].vq);
		vp->q[i].vq.size = vp->cfg.queue_max;
		vp->q[i].vector = VIRTIO_NO_VECTOR;
	}
}

/*
 * Only a write of 0 resets (virtio 1.3 section 2.1.2). NEEDS_RESET is the
 * device's bit: a driver write cannot set it. The driver must not clear a
 * bit (2.1.2): a write that would is ignored whole, so features, queues and
 * domains can never be renegotiated under a live device. FEATURES_OK is
 * granted by run_actions once the device accepted the features.
 */
static unsigned status_write_locked(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = vp->status, now;
	unsigned act = 0;

	if (!val) {
		reset_locked(vp);
		return ACT_RESET;
	}
	now = (val & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
	if (old & ~now)
		return 0;
	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		now &= ~VIRTIO_STATUS_FEATURES_OK;
		act |= ACT_FEATURES;
	}
	if ((now & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK))
		act |= ACT_DRIVER_OK;
	vp->status = now;
	return act;
}

static unsigned queue_enable_locked(struct virtio_pci *vp, struct vp_queue *q)
{
	q->vq.dma = vp->cfg.dma;
	q->vq.event_idx = vp->driver_features & (1ULL << VIRTIO_F_RING_EVENT_IDX);
	if (vq_enable(&q->vq) == 0)
		return 0;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	vp->isr |= 2;
	return ACT_CONFIG_IRQ;
}

static uint16_t vector_ok(const struct virtio_pci *vp, uint64_t v)
{
	/* An unmappable vector reads back as NO_VECTOR (spec 4.1.5.1.2). */
	return v < vp->pci.msix.nvec ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static unsigned queue_set_locked(struct virtio_pci *vp, uint32_t field, uint64_t val)
{
	struct vp_queue *q = cur_queue_locked(vp);

	if (!q)
		return 0;
	if (field == 0x1a)
		q->vector = vector_ok(vp, val);
	else if (q->vq.ready)
		return 0;	/* size and ring addresses are frozen once enabled */
	else if (field == 0x1c && val == 1 && (vp->status & VIRTIO_STATUS_FEATURES_OK))
		return queue_enable_locked(vp, q);
	else if (field == 0x18 && val && val <= vp->cfg.queue_max && !(val & (val - 1)))
		q->vq.size = val;
	else if (field == 0x20)
		q->vq.desc_addr = val;
	else if (field == 0x28)
		q->vq.avail_addr = val;
	else if (field == 0x30)
		q->vq.used_addr = val;
	return 0;
}

static unsigned common_set_locked(struct virtio_pci *vp, uint32_t field, uint64_t val)
{
	uint32_t sel = vp->drv_feat_sel;

	switch (field) {
	case 0x00: vp->dev_feat_sel = val; return 0;
	case 0x08: vp->drv_feat_sel = val; return 0;
	case 0x0c:
		if (sel < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK))
			vp->driver_features = (vp->driver_features & ~(0xffffffffULL << (32 * sel))) |
					      (val & 0xffffffffULL) << (32 * sel);
		return 0;
	case 0x10: vp->config_vector = vector_ok(vp, val); return 0;
	case 0x14: return status_write_locked(vp, val);
	case 0x16: vp->queue_select = val; return 0;
	default: return queue_set_locked(vp, field, val);
	}
}

/* Find the field an access hits: whole fields, or dword halves of 64-bit ones. */
static bool common_field(uint64_t off, uint32_t len, uint32_t *field, uint32_t *shift)
{
	if (off >= VP_COMMON_SIZE)
		return false;
	if (common_width[off] == len) {
		*field = off;
		*shift = 0;
		return true;
	}
	if (len == 4 && off >= 4 && common_width[off - 4] == 8) {
		*field = off - 4;
		*shift = 32;
		return true;
	}
	if (len == 4 && common_width[off] == 8) {
		*field = off;
		*shift = 0;
		return true;
	}
	return false;
}

static void features_check_locked(struct virtio_pci *vp)
{
	const struct virtio_dev_ops *ops = vp->cfg.ops;
	uint64_t feats = vp->driver_features;
	bool ok;

	ok = !(feats & ~vp->features) && (feats & (1ULL << VIRTIO_F_VERSION_1));
	ok = ok && (!ops->features_ok || ops->features_ok(vp->cfg.opaque, feats));
	if (ok)
		vp->status |= VIRTIO_STATUS_FEATURES_OK;
}

static void run_actions_locked(struct virtio_pci *vp, unsigned act)
{
	const struct virtio_dev_ops *ops = vp->cfg.ops;

	if ((act & ACT_RESET) && ops->reset)
		ops->reset(vp->cfg.opaque);
	if (act & ACT_FEATURES)
		features_check_locked(vp);
	if ((act & ACT_DRIVER_OK) && (vp->status & VIRTIO_STATUS_FEATURES_OK) && ops->driver_ok)
		ops->driver_ok(vp->cfg.opaque, vp);
	if ((act & ACT_CONFIG_IRQ) && vp->config_vector != VIRTIO_NO_VECTOR)
		pci_msix_notify(&vp->pci, vp->config_vector);
}

static void common_read(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len)
{
	uint32_t field, shift;
	uint64_t v = 0;

	pthread_mutex_lock(vp->lock);
	if (common_field(off, len, &field, &shift))
		v = common_get_locked(vp, field) >> shift;
	pthread_mutex_unlock(vp->lock);
	memcpy(data, &v, len);
}

static void common_write(struct virtio_pci *vp, uint64_t off, const void *data, uint32_t len)
{
	uint32_t field, shift;
	uint64_t v = 0, cur;
	unsigned act = 0;

	memcpy(&v, data, len);
	pthread_mutex_lock(vp->lock);
	if (common_field(off, len, &field, &shift)) {
		if (common_width[field] == 8 && len == 4) {
			cur = common_get_locked(vp, field);
			v = (cur & ~(0xffffffffULL << shift)) | v << shift;
		}
		act = common_set_locked(vp, field, v);
	}
	run_actions_locked(vp, act);
	pthread_mutex_unlock(vp->lock);
}

/* ------------------------------------------------------- other regions */

static void isr_read(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0, len);
	pthread_mutex_lock(vp->lock);
	if (off == 0) {
		*(uint8_t *)data = vp->isr;
		vp->isr = 0;	/* read to clear */
	}
	pthread_mutex_unlock(vp->lock);
}

static void devcfg_read(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0, len);
	pthread_mutex_lock(vp->lock);
	if (off + len <= vp->cfg.cfg_size && vp->cfg.ops->cfg_read)
		vp->cfg.ops->cfg_read(vp->cfg.opaque, off, data, len);
	pthread_mutex_unlock(vp->lock);
}

static void devcfg_write(struct virtio_pci *vp, uint64_t off, const void *data, uint32_t len)
{
	pthread_mutex_lock(vp->lock);
	if (off + len <= vp->cfg.cfg_size && vp->cfg.ops->cfg_write)
		vp->cfg.ops->cfg_write(vp->cfg.opaque, off, data, len);
	pthread_mutex_unlock(vp->lock);
}

/* Queue q's notify, on the thread that delivers it: the device lock is
 * taken here, so the queue cannot be reset or re-enabled under the work. */
static void queue_run(struct virtio_pci *vp, uint16_t q)
{
	pthread_mutex_lock(vp->lock);
	if (vp->q[q].vq.ready && vp->cfg.ops->queue_notify)
		vp->cfg.ops->queue_notify(vp->cfg.opaque, vp, q);
	pthread_mutex_unlock(vp->lock);
}

static void notify_write(struct virtio_pci *vp, uint64_t off, const void *data, uint32_t len)
{
	uint64_t q = off / VP_NOTIFY_MULT, one = 1;

	/* num_queues and efd are fixed at creation: no lock needed to read them. */
	if ((off % VP_NOTIFY_MULT) || (len != 2 && len != 4) || q >= vp->cfg.num_queues)
		return;
	if (vp->q[q].efd < 0) {
		queue_run(vp, q);
		return;
	}
	/* The loop thread runs the queue; a full counter still wakes it. */
	if (write(vp->q[q].efd, &one, sizeof(one)) < 0)
		return;
}

struct vp_region {
	uint64_t base;
	void (*read)(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len);
	void (*write)(struct virtio_pci *vp, uint64_t off, const void *data, uint32_t len);
};

static const struct vp_region vp_regions[] = {
	{ VP_COMMON_OFF, common_read, common_write },
	{ VP_ISR_OFF, isr_read, NULL },
	{ VP_DEVCFG_OFF, devcfg_read, devcfg_write },
	{ VP_NOTIFY_OFF, NULL, notify_write },
};

static void vp_bar_access(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len,
			  bool is_write)
{
	if (!is_write)
		memset(data, 0, len);
	if (len > 8 || pci_msix_access(&vp->pci, VP_BAR, off, data, len, is_write))
		return;
	for (size_t i = 0; i < sizeof(vp_regions) / sizeof(vp_regions[0]); i++) {
		const struct vp_region *r = &vp_regions[i];

		if (off < r->base || off - r->base >= VP_REGION_SIZE)
			continue;
		if (is_write && r->write)
			r->write(vp, off - r->base, data, len);
		else if (!is_write && r->read)
			r->read(vp, off - r->base, data, len);
		return;
	}
}

static void vp_bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	vp_bar_access(opaque, off, data, len, false);
}

static void vp_bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	vp_bar_access(opaque, off, (void *)data, len, true);
}

static const struct bus_ops vp_bar_ops = { .read = vp_bar_read, .write = vp_bar_write };

/* ------------------------------------------- capabilities and PCI_CFG */

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int add_vendor_cap(struct virtio_pci *vp, uint8_t type, uint8_t len,
			  uint32_t offset, uint32_t length)
{
	int c = pci_dev_add_cap(&vp->pci, PCI_CAP_ID_VNDR, len);

	if (c < 0)
		return c;
	vp->pci.cfg[c + 2] = len;
	vp->pci.cfg[c + 3] = type;
	vp->pci.cfg[c + 4] = type == VIRTIO_CAP_PCI_CFG ? 0 : VP_BAR;
	put_le32(&vp->pci.cfg[c + 8], offset);
	put_le32(&vp->pci.cfg[c + 12], length);
	return c;
}

static int add_caps(struct virtio_pci *vp)
{
	int c;

	if (add_vendor_cap(vp, VIRTIO_CAP_COMMON, 16, VP_COMMON_OFF, VP_COMMON_SIZE) < 0 ||
	    add_vendor_cap(vp, VIRTIO_CAP_ISR, 16, VP_ISR_OFF, 1) < 0)
		return -ENOSPC;
	if (vp->cfg.cfg_size &&
	    add_vendor_cap(vp, VIRTIO_CAP_DEVICE, 16, VP_DEVCFG_OFF, vp->cfg.cfg_size) < 0)
		return -ENOSPC;
	c = add_vendor_cap(vp, VIRTIO_CAP_NOTIFY, 20, VP_NOTIFY_OFF,
			   vp->cfg.num_queues * VP_NOTIFY_MULT);
	if (c < 0)
		return c;
	put_le32(&vp->pci.cfg[c + 16], VP_NOTIFY_MULT);
	c = add_vendor_cap(vp, VIRTIO_CAP_PCI_CFG, 20, 0, 0);
	if (c < 0)
		return c;
	/* The driver programs bar, offset, length and data of the window. */
	vp->pci.wmask[c + 4] = 0xff;
	memset(&vp->pci.wmask[c + 8], 0xff, 12);
	vp->pcicfg_cap = c;
	return 0;
}

/* The BAR range the PCI_CFG window points at, if it is a valid one. */
static bool pcicfg_window(struct virtio_pci *vp, uint32_t *off, uint32_t *len)
{
	const uint8_t *c = &vp->pci.cfg[vp->pcicfg_cap];

	*off = get_le32(c + 8);
	*len = get_le32(c + 12);
	return c[4] == VP_BAR && (*len == 1 || *len == 2 || *len == 4) &&
	       !(*off & (*len - 1)) && *off < VP_BAR_SIZE;
}

static void vp_cfg_read(struct pci_dev *dev, uint32_t off, uint32_t len, uint32_t *val)
{
	struct virtio_pci *vp = dev->opaque;
	uint32_t data = vp->pcicfg_cap + 16, woff, wlen, v = 0;

	if (!vp->pcicfg_cap || off < data || off >= data + 4 || !pcicfg_window(vp, &woff, &wlen))
		return;
	vp_bar_access(vp, woff, &v, wlen, false);
	v >>= 8 * (off - data);
	*val = len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

static void vp_cfg_write(struct pci_dev *dev, uint32_t off, uint32_t len, uint32_t val)
{
	struct virtio_pci *vp = dev->opaque;
	uint32_t data = vp->pcicfg_cap + 16, woff, wlen, v;

	if (!vp->pcicfg_cap || off != data || !pcicfg_window(vp, &woff, &wlen))
		return;
	v = get_le32(&vp->pci.cfg[data]);
	vp_bar_access(vp, woff, &v, wlen, true);
}

static const struct pci_dev_ops vp_pci_ops = { .cfg_read = vp_cfg_read, .cfg_write = vp_cfg_write };

/* --------------------------------------------------------- lifecycle */

static void queue_kick(void *opaque)
{
	struct vp_queue *q = opaque;
	uint64_t cnt;

	if (read(q->efd, &cnt, sizeof(cnt)) < 0)
		return;
	queue_run(q->vp, q->index);
}

static int queues_init(struct virtio_pci *vp)
{
	for (uint16_t i = 0; i < vp->cfg.num_queues; i++) {
		struct vp_queue *q = &vp->q[i];

		q->index = i;
		q->vp = vp;
		q->efd = -1;
		if (!vp->cfg.loop)
			continue;
		q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->efd < 0)
			return -errno;
		if (evloop_add(vp->cfg.loop, q->efd, queue_kick, q) < 0) {
			close(q->efd);
			q->efd = -1;
			return -EIO;
		}
	}
	return 0;
}

static void queues_fini(struct virtio_pci *vp)
{
	for (uint16_t i = 0; i < vp->cfg.num_queues; i++) {
		if (vp->q[i].efd < 0)
			continue;
		evloop_del(vp->cfg.loop, vp->q[i].efd);
		close(vp->q[i].efd);
		vp->q[i].efd = -1;
	}
}

static bool config_valid(const struct virtio_pci_config *cfg)
{
	return cfg->ops && cfg->num_queues && cfg->num_queues <= VIRTIO_MAX_QUEUES &&
	       cfg->queue_max && cfg->queue_max <= VQ_MAX_SIZE &&
	       !(cfg->queue_max & (cfg->queue_max - 1)) && cfg->cfg_size <= VP_DEVCFG_MAX &&
	       cfg->device_id < 0x40;
}

static int pci_setup(struct virtio_pci *vp)
{
	struct pci_dev *d = &vp->pci;
	int ret;

	pci_dev_init(d, 0x1af4, 0x1040 + vp->cfg.device_id,
		     vp->cfg.pci_class ? vp->cfg.pci_class : 0xff0000, 1, &vp_pci_ops, vp);
	d->cfg[PCI_SUBSYS_VENDOR] = 0xf4;
	d->cfg[PCI_SUBSYS_VENDOR + 1] = 0x1a;
	d->cfg[PCI_SUBSYS_ID] = 0x00;
	d->cfg[PCI_SUBSYS_ID + 1] = 0x11;
	ret = pci_dev_add_bar(d, VP_BAR, VP_BAR_SIZE, PCI_BAR_MEM64, &vp_bar_ops, vp);
	if (!ret)
		ret = add_caps(vp);
	if (!ret)
		ret = pci_dev_add_msix(d, vp->cfg.num_queues + 1, VP_BAR, VP_MSIX_TABLE_OFF,
				       VP_MSIX_PBA_OFF);
	return ret;
}

struct virtio_pci *virtio_pci_create(struct pci_host *host, const struct virtio_pci_config *cfg,
				     int slot)
{
	struct virtio_pci *vp;

	if (!config_valid(cfg))
		return NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return NULL;
	vp->cfg = *cfg;
	vp->host = host;
	vp->features = cfg->features | 1ULL << VIRTIO_F_VERSION_1;
	pthread_mutex_init(&vp->own_lock, NULL);
	vp->lock = cfg->lock ? cfg->lock : &vp->own_lock;
	for (uint16_t i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vp->q[i].efd = -1;
	if (pci_setup(vp))
		goto err_pci;
	reset_locked(vp);
	if (queues_init(vp))
		goto err_queues;
	if (pci_host_register(host, &vp->pci, slot) < 0)
		goto err_queues;
	/* The IOMMU knows this device by its BDF, which is only fixed now. */
	pthread_mutex_lock(vp->lock);
	vp->cfg.dma.endpoint = pci_dev_bdf(&vp->pci);
	pthread_mutex_unlock(vp->lock);
	return vp;
err_queues:
	queues_fini(vp);
err_pci:
	pci_dev_fini(&vp->pci);
	pthread_mutex_destroy(&vp->own_lock);
	free(vp);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	pci_host_unregister(vp->host, &vp->pci);
	queues_fini(vp);
	pthread_mutex_destroy(&vp->own_lock);
	free(vp);
}

/* ------------------------------------------------------ device side */

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

struct virtq *virtio_pci_vq(struct virtio_pci *vp, uint16_t q)
{
	return q < vp->cfg.num_queues ? &vp->q[q].vq : NULL;
}

int virtio_pci_set_device_features_locked(struct virtio_pci *vp, uint64_t features)
{
	if (vp->status)
		return -EBUSY;
	vp->cfg.features = features;
	vp->features = features | 1ULL << VIRTIO_F_VERSION_1;
	return 0;
}

uint64_t virtio_pci_driver_features_locked(const struct virtio_pci *vp)
{
	return vp->driver_features;
}

void virtio_pci_notify_locked(struct virtio_pci *vp, uint16_t q)
{
	if (q >= vp->cfg.num_queues || !vq_should_signal(&vp->q[q].vq))
		return;
	vp->isr |= 1;
	if (vp->q[q].vector != VIRTIO_NO_VECTOR)
		pci_msix_notify(&vp->pci, vp->q[q].vector);
}

static void config_irq_locked(struct virtio_pci *vp, bool bump, uint8_t status)
{
	vp->generation += bump;
	vp->status |= status;
	vp->isr |= 2;
	if (vp->config_vector != VIRTIO_NO_VECTOR)
		pci_msix_notify(&vp->pci, vp->config_vector);
}

void virtio_pci_config_changed_locked(struct virtio_pci *vp)
{
	config_irq_locked(vp, true, 0);
}

void virtio_pci_needs_reset_locked(struct virtio_pci *vp)
{
	/* Once is enough: only a reset clears it. */
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	config_irq_locked(vp, false, VIRTIO_STATUS_NEEDS_RESET);
}

pthread_mutex_t *virtio_pci_lock(struct virtio_pci *vp)
{
	return vp->lock;
}

int virtio_pci_notify_fd(struct virtio_pci *vp, uint16_t q)
{
	return q < vp->cfg.num_queues ? vp->q[q].efd : -1;
}

uint64_t virtio_pci_notify_addr(struct virtio_pci *vp, uint16_t q)
{
	uint64_t base;

	pthread_mutex_lock(&vp->pci.lock);
	base = vp->pci.bar[VP_BAR].addr;
	pthread_mutex_unlock(&vp->pci.lock);
	return base + VP_NOTIFY_OFF + (uint64_t)q * VP_NOTIFY_MULT;
}
