// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-pci modern transport: capability discovery, the status/feature
 * handshake, and split virtqueues driven by polling. Completions are taken
 * from the used ring in order; a chain that never completes only leaks its
 * descriptors, so a broken device is reported as a timeout, never a hang.
 */
#include "virtio.h"

#include "errno.h"
#include "io.h"
#include "lib.h"

#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4

#define RESET_TIMEOUT_MS 1000
#define RING_AVAIL_OFF	1024
#define RING_USED_OFF	2048

static uint8_t ring_pool[VIRTIO_MAX_VQS * 2][4096] __attribute__((aligned(4096)));
static unsigned ring_pool_used;

static uint64_t cap_addr(const struct virtio_dev *d, uint16_t bdf, uint8_t cap)
{
	uint8_t bar = pci_cfg_read8(bdf, cap + 4);
	uint32_t off = pci_cfg_read32(bdf, cap + 8);

	if (bar >= PCI_NUM_BARS || d->pci.bar[bar].is_io || !d->pci.bar[bar].addr)
		return 0;
	if (pci_map_bar(&d->pci, bar))
		return 0;
	return d->pci.bar[bar].addr + off;
}

static void take_cap(struct virtio_dev *d, uint8_t cap)
{
	uint16_t bdf = d->pci.bdf;
	uint8_t type = pci_cfg_read8(bdf, cap + 3);
	uint64_t a = cap_addr(d, bdf, cap);

	if (!a)
		return;
	if (type == CAP_COMMON && !d->common) {
		d->common = a;
	} else if (type == CAP_NOTIFY && !d->notify_base) {
		d->notify_base = a;
		d->notify_mult = pci_cfg_read32(bdf, cap + 16);
	} else if (type == CAP_ISR && !d->isr) {
		d->isr = a;
	} else if (type == CAP_DEVICE && !d->device_cfg) {
		d->device_cfg = a;
		d->device_cfg_len = pci_cfg_read32(bdf, cap + 12);
	}
}

int virtio_pci_open(struct virtio_dev *d, const struct pci_func *f)
{
	uint8_t cap = 0;

	memset(d, 0, sizeof(*d));	/* drops ring pages: open each device once */
	d->pci = *f;
	while ((cap = pci_find_cap(f->bdf, PCI_CAP_ID_VNDR, cap)) != 0)
		take_cap(d, cap);
	if (!d->common || !d->notify_base)
		return -ENODEV;
	pci_enable(f->bdf, PCI_CMD_MEM | PCI_CMD_MASTER);
	return 0;
}

uint8_t virtio_get_status(struct virtio_dev *d)
{
	return mmio_read8(d->common + VIRTIO_CC_STATUS);
}

void virtio_set_status(struct virtio_dev *d, uint8_t status)
{
	mmio_write8(d->common + VIRTIO_CC_STATUS, status);
}

int virtio_reset(struct virtio_dev *d)
{
	struct timeout t;

	virtio_set_status(d, 0);
	timeout_start(&t, RESET_TIMEOUT_MS);
	while (virtio_get_status(d) != 0) {
		if (timeout_expired(&t))
			return -ETIMEDOUT;
	}
	memset(d->vq, 0, sizeof(d->vq));
	return 0;
}

static uint64_t read_device_features(struct virtio_dev *d)
{
	uint64_t f;

	mmio_write32(d->common + VIRTIO_CC_DFSELECT, 0);
	f = mmio_read32(d->common + VIRTIO_CC_DF);
	mmio_write32(d->common + VIRTIO_CC_DFSELECT, 1);
	return f | (uint64_t)mmio_read32(d->common + VIRTIO_CC_DF) << 32;
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	int rc = virtio_reset(d);

	if (rc)
		return rc;
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(d, st);
	d->offered = read_device_features(d);
	d->features = d->offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
	if (!(d->features & 1ull << VIRTIO_F_VERSION_1)) {
		virtio_set_status(d, st | VIRTIO_STATUS_FAILED);
		return -ENOTSUP;
	}
	mmio_write32(d->common + VIRTIO_CC_GFSELECT, 0);
	mmio_write32(d->common + VIRTIO_CC_GF, (uint32_t)d->features);
	mmio_write32(d->common + VIRTIO_CC_GFSELECT, 1);
	mmio_write32(d->common + VIRTIO_CC_GF, (uint32_t)(d->features >> 32));
	virtio_set_status(d, st | VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_set_status(d, st | VIRTIO_STATUS_FAILED);
		return -EIO;
	}
	return 0;
}

uint16_t virtio_num_queues(struct virtio_dev *d)
{
	return mmio_read16(d->common + VIRTIO_CC_NUM_QUEUES);
}

static void write_addr(struct virtio_dev *d, uint32_t reg, uint64_t a)
{
	mmio_write32(d->common + reg, (uint32_t)a);
	mmio_write32(d->common + reg + 4, (uint32_t)(a >> 32));
}

static void vq_init_rings(struct virtq *vq, uint8_t *page, uint16_t size)
{
	uint16_t i;

	memset(page, 0, 4096);
	vq->size = size;
	vq->desc = (volatile struct virtq_desc *)page;
	vq->avail = (volatile uint16_t *)(page + RING_AVAIL_OFF);
	vq->used_hdr = (volatile uint16_t *)(page + RING_USED_OFF);
	vq->used_ring = (volatile struct virtq_used_elem *)(page + RING_USED_OFF + 4);
	for (i = 0; i < size; i++)
		vq->desc[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->n_free = size;
}

/* Queue idx keeps its page across resets, so re-initialising never leaks. */
static uint8_t *ring_page(struct virtio_dev *d, uint16_t idx)
{
	if (!d->ring_page[idx] && ring_pool_used < ARRAY_SIZE(ring_pool))
		d->ring_page[idx] = ring_pool[ring_pool_used++];
	return d->ring_page[idx];
}

static uint16_t pick_size(struct virtio_dev *d, uint16_t idx, uint16_t max_size)
{
	uint16_t size, dev_max;

	mmio_write16(d->common + VIRTIO_CC_Q_SELECT, idx);
	dev_max = mmio_read16(d->common + VIRTIO_CC_Q_SIZE);
	if (!dev_max)
		return 0;
	for (size = 1; size * 2 <= dev_max && size * 2 <= max_size && size * 2 <= VQ_MAX_SIZE;)
		size *= 2;
	return size;
}

uint64_t virtio_notify_addr(struct virtio_dev *d, uint16_t idx)
{
	mmio_write16(d->common + VIRTIO_CC_Q_SELECT, idx);
	return d->notify_base +
		(uint64_t)mmio_read16(d->common + VIRTIO_CC_Q_NOFF) * d->notify_mult;
}

void virtio_program_vq(struct virtio_dev *d, uint16_t idx, uint16_t size, uint64_t desc,
		       uint64_t avail, uint64_t used)
{
	mmio_write16(d->common + VIRTIO_CC_Q_SELECT, idx);
	mmio_write16(d->common + VIRTIO_CC_Q_SIZE, size);
	write_addr(d, VIRTIO_CC_Q_DESC, desc);
	write_addr(d, VIRTIO_CC_Q_DRIVER, avail);
	write_addr(d, VIRTIO_CC_Q_DEVICE, used);
	mmio_write16(d->common + VIRTIO_CC_Q_ENABLE, 1);
}

int virtio_setup_vq_page(struct virtio_dev *d, uint16_t idx, uint16_t max_size, uint8_t *page)
{
	struct virtq *vq = &d->vq[idx];
	uint16_t size;

	if (idx >= VIRTIO_MAX_VQS || !page)
		return -EINVAL;
	size = pick_size(d, idx, max_size);
	if (!size)
		return -ENOENT;
	vq_init_rings(vq, page, size);
	vq->index = idx;
	vq->notify_addr = virtio_notify_addr(d, idx);
	virtio_program_vq(d, idx, size, (uintptr_t)vq->desc, (uintptr_t)vq->avail,
			  (uintptr_t)vq->used_hdr);
	return 0;
}

int virtio_setup_vq(struct virtio_dev *d, uint16_t idx, uint16_t max_size)
{
	if (idx >= VIRTIO_MAX_VQS)
		return -EINVAL;
	return virtio_setup_vq_page(d, idx, max_size, ring_page(d, idx));
}

void virtio_driver_ok(struct virtio_dev *d)
{
	virtio_set_status(d, virtio_get_status(d) | VIRTIO_STATUS_DRIVER_OK);
}

uint8_t virtio_cfg_read8(struct virtio_dev *d, uint32_t off)
{
	return mmio_read8(d->device_cfg + off);
}

uint32_t virtio_cfg_read32(struct virtio_dev *d, uint32_t off)
{
	return mmio_read32(d->device_cfg + off);
}

/* Two 32-bit reads, retried until config_generation is stable. */
uint64_t virtio_cfg_read64(struct virtio_dev *d, uint32_t off)
{
	uint8_t gen;
	uint64_t v;
	unsigned tries = 0;

	do {
		gen = mmio_read8(d->common + VIRTIO_CC_CFGGEN);
		v = mmio_read32(d->device_cfg + off) |
		    (uint64_t)mmio_read32(d->device_cfg + off + 4) << 32;
	} while (gen != mmio_read8(d->common + VIRTIO_CC_CFGGEN) && ++tries < 100);
	return v;
}

void virtio_cfg_write8(struct virtio_dev *d, uint32_t off, uint8_t v)
{
	mmio_write8(d->device_cfg + off, v);
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n)
{
	uint16_t head = vq->free_head, i = head;
	unsigned k;

	if (!n || n > vq->n_free)
		return -ENOSPC;
	for (k = 0; k < n; k++) {
		vq->desc[i].addr = bufs[k].addr;
		vq->desc[i].len = bufs[k].len;
		vq->desc[i].flags = (uint16_t)((bufs[k].writable ? VIRTQ_DESC_F_WRITE : 0) |
					       (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		i = vq->desc[i].next;
	}
	vq->free_head = i;
	vq->n_free = (uint16_t)(vq->n_free - n);
	vq->chain_len[head] = (uint16_t)n;
	vq->done[head] = false;
	vq->avail[2 + vq->avail_idx % vq->size] = head;
	barrier();	/* ring entry before idx: x86 keeps the store order */
	vq->avail_idx++;
	vq->avail[1] = vq->avail_idx;
	return head;
}

void virtq_kick(struct virtq *vq)
{
	barrier();	/* avail idx store is ordered before the notify on x86 */
	mmio_write16(vq->notify_addr, vq->index);
}

/* Returns the chain starting at head to the free list. */
static void free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t i = head, n = vq->chain_len[head];

	while (--n)
		i = vq->desc[i].next;
	vq->desc[i].next = vq->free_head;
	vq->free_head = head;
	vq->n_free = (uint16_t)(vq->n_free + vq->chain_len[head]);
	vq->chain_len[head] = 0;
}

bool virtq_poll(struct virtq *vq, uint16_t *head, uint32_t *len)
{
	struct virtq_used_elem e;

	if (vq->used_hdr[1] == vq->last_used)
		return false;
	barrier();	/* idx before the entry it covers: x86 keeps load order */
	e.id = vq->used_ring[vq->last_used % vq->size].id;
	e.len = vq->used_ring[vq->last_used % vq->size].len;
	vq->last_used++;
	if (e.id >= vq->size || !vq->chain_len[e.id])
		return false;	/* bogus id from the device: drop it */
	free_chain(vq, (uint16_t)e.id);
	*head = (uint16_t)e.id;
	*len = e.len;
	return true;
}

int virtq_wait(struct virtq *vq, uint16_t head, uint32_t *len, unsigned timeout_ms)
{
	struct timeout t;
	uint16_t h;
	uint32_t l;

	timeout_start(&t, timeout_ms);
	while (!vq->done[head]) {
		if (virtq_poll(vq, &h, &l)) {
			vq->done[h] = true;
			vq->done_len[h] = l;
		} else if (timeout_expired(&t)) {
			return -ETIMEDOUT;
		}
	}
	vq->done[head] = false;
	*len = vq->done_len[head];
	return 0;
}
