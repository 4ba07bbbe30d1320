/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny virtio-pci driver for the device unit tests (rng, blk): a pci_host
 * over a fake RAM buffer, ECAM and BAR accesses as a guest makes them, one
 * split queue, and a "shift" IOMMU whose translate maps IOVA x to GPA
 * x + shift page by page, with per-page holes and read-only pages. Every
 * address the driver hands the device is an IOVA. Include after <cmocka.h>.
 */
#ifndef IOSHADE_TESTS_VIRTIO_DRIVER_H
#define IOSHADE_TESTS_VIRTIO_DRIVER_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/bus.h"
#include "vmm/dma.h"
#include "vmm/memmap.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"

#define VD_RAM_GPA	0x100000ULL
#define VD_RAM_SIZE	0x100000ULL
#define VD_PAGE		0x1000ULL
#define VD_PAGES	(VD_RAM_SIZE / VD_PAGE)
#define VD_SHIFT	0x80000ULL		/* IOMMU: IOVA x -> GPA x + shift */
#define VD_QSIZE	16
/* Queue memory and request buffers, as IOVAs in the lower half of RAM. */
#define VD_DESC		(VD_RAM_GPA + 0x0000)
#define VD_AVAIL	(VD_RAM_GPA + 0x1000)
#define VD_USED		(VD_RAM_GPA + 0x2000)
#define VD_BUF		(VD_RAM_GPA + 0x4000)

/* Common config offsets (virtio 1.3 4.1.4.3). */
enum { VD_GF_SEL = 0x08, VD_GF = 0x0c, VD_STATUS = 0x14, VD_QSEL = 0x16, VD_QSZ = 0x18,
       VD_QEN = 0x1c, VD_QDESC = 0x20, VD_QDRV = 0x28, VD_QDEV = 0x30, VD_DF_SEL = 0x00,
       VD_DF = 0x04 };
enum { VD_CAP_COMMON = 1, VD_CAP_NOTIFY = 2, VD_CAP_DEVICE = 4 };

struct vd_iommu {
	bool hole[VD_PAGES];		/* IOVA page not mapped */
	bool ro[VD_PAGES];		/* IOVA page mapped read-only */
	int faults;
	uint32_t endpoint;		/* last endpoint seen */
};

struct vd {
	struct bus *pio, *mmio;
	struct memmap *mem;
	uint8_t *ram;
	struct pci_host *host;
	struct msi_sink sink;
	struct dma_ctx identity, iommu_ctx;
	struct vd_iommu iommu;
	uint64_t shift;			/* 0: identity; VD_SHIFT behind the fake IOMMU */
	int devfn;
	uint64_t bar;
	uint32_t cap_off[6];
	uint32_t notify_mult;
	uint16_t qsize;			/* 0: VD_QSIZE */
	int wait_ms;			/* how long vd_used polls (event-loop devices) */
	uint16_t avail_idx, used_seen;
};

struct vd_buf {
	uint64_t iova;
	uint32_t len;
	bool write;			/* device-writable */
};

static inline int vd_translate(void *opaque, uint32_t endpoint, uint64_t iova, uint64_t len,
			       unsigned access, uint64_t *gpa, uint64_t *contig)
{
	struct vd_iommu *m = opaque;
	uint64_t page = (iova - VD_RAM_GPA) / VD_PAGE;

	m->endpoint = endpoint;
	if (iova < VD_RAM_GPA || page >= VD_PAGES / 2 || m->hole[page]) {
		m->faults++;
		return -EFAULT;
	}
	if ((access & DMA_ACCESS_WRITE) && m->ro[page]) {
		m->faults++;
		return -EPERM;
	}
	*gpa = iova + VD_SHIFT;
	*contig = VD_PAGE - (iova & (VD_PAGE - 1));
	if (*contig > len)
		*contig = len;
	return 0;
}

static const struct dma_ops vd_iommu_ops = { .translate = vd_translate };

static inline int vd_msi(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	return 0;
}

static inline void vd_init(struct vd *d)
{
	memset(d, 0, sizeof(*d));
	d->pio = bus_create("pio");
	d->mmio = bus_create("mmio");
	d->mem = memmap_create();
	d->ram = calloc(1, VD_RAM_SIZE);
	assert_non_null(d->ram);
	assert_int_equal(memmap_add(d->mem, VD_RAM_GPA, VD_RAM_SIZE, MEMMAP_RAM, 0, d->ram, "ram"),
			 0);
	d->sink = (struct msi_sink){ .send = vd_msi, .opaque = d };
	d->host = pci_host_create(d->pio, d->mmio, d->mem, &d->sink);
	assert_non_null(d->host);
	d->identity = (struct dma_ctx){ .mem = d->mem };
	d->iommu_ctx = (struct dma_ctx){ .mem = d->mem, .ops = &vd_iommu_ops, .opaque = &d->iommu };
}

static inline void vd_fini(struct vd *d)
{
	pci_host_destroy(d->host);
	memmap_destroy(d->mem);
	bus_destroy(d->mmio);
	bus_destroy(d->pio);
	free(d->ram);
}

/* Host view of an IOVA the driver uses (through the fake IOMMU if on). */
static inline uint8_t *vd_host(struct vd *d, uint64_t iova)
{
	return d->ram + (iova - VD_RAM_GPA + d->shift);
}

static inline uint32_t vd_cfg_rd(struct vd *d, uint32_t off, uint32_t len)
{
	return pci_host_cfg_read(d->host, 0, d->devfn, off, len);
}

static inline uint64_t vd_rd(struct vd *d, int cap, uint32_t off, uint32_t len)
{
	uint64_t v = 0;

	bus_access(d->mmio, d->bar + d->cap_off[cap] + off, &v, len, false);
	return v;
}

static inline void vd_wr(struct vd *d, int cap, uint32_t off, uint32_t len, uint64_t v)
{
	bus_access(d->mmio, d->bar + d->cap_off[cap] + off, &v, len, true);
}

/* Find the function's BAR 4 and its virtio capabilities. */
static inline void vd_probe(struct vd *d, int devfn)
{
	d->devfn = devfn;
	d->bar = (vd_cfg_rd(d, 0x20, 4) & ~0xfu) | (uint64_t)vd_cfg_rd(d, 0x24, 4) << 32;
	for (uint8_t c = vd_cfg_rd(d, 0x34, 1); c; c = vd_cfg_rd(d, c + 1, 1)) {
		uint8_t type = vd_cfg_rd(d, c + 3, 1);

		if (vd_cfg_rd(d, c, 1) != 0x09 || type > 5)
			continue;
		d->cap_off[type] = vd_cfg_rd(d, c + 8, 4);
		if (type == VD_CAP_NOTIFY)
			d->notify_mult = vd_cfg_rd(d, c + 16, 4);
	}
}

static inline uint64_t vd_device_features(struct vd *d)
{
	uint64_t f;

	vd_wr(d, VD_CAP_COMMON, VD_DF_SEL, 4, 0);
	f = vd_rd(d, VD_CAP_COMMON, VD_DF, 4);
	vd_wr(d, VD_CAP_COMMON, VD_DF_SEL, 4, 1);
	return f | vd_rd(d, VD_CAP_COMMON, VD_DF, 4) << 32;
}

/* Negotiate feats; returns whether the device accepted them. */
static inline bool vd_negotiate(struct vd *d, uint64_t feats)
{
	vd_wr(d, VD_CAP_COMMON, VD_STATUS, 1, 0);
	vd_wr(d, VD_CAP_COMMON, VD_STATUS, 1, 3);
	vd_wr(d, VD_CAP_COMMON, VD_GF_SEL, 4, 0);
	vd_wr(d, VD_CAP_COMMON, VD_GF, 4, (uint32_t)feats);
	vd_wr(d, VD_CAP_COMMON, VD_GF_SEL, 4, 1);
	vd_wr(d, VD_CAP_COMMON, VD_GF, 4, feats >> 32);
	vd_wr(d, VD_CAP_COMMON, VD_STATUS, 1, 0x0b);
	return vd_rd(d, VD_CAP_COMMON, VD_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK;
}

/* Negotiate everything offered, set up queue 0 and set DRIVER_OK. */
static inline uint16_t vd_qsize(const struct vd *d)
{
	return d->qsize ? d->qsize : VD_QSIZE;
}

static inline void vd_start(struct vd *d)
{
	assert_true(vd_negotiate(d, vd_device_features(d)));
	vd_wr(d, VD_CAP_COMMON, VD_QSEL, 2, 0);
	vd_wr(d, VD_CAP_COMMON, VD_QSZ, 2, vd_qsize(d));
	vd_wr(d, VD_CAP_COMMON, VD_QDESC, 8, VD_DESC);
	vd_wr(d, VD_CAP_COMMON, VD_QDRV, 8, VD_AVAIL);
	vd_wr(d, VD_CAP_COMMON, VD_QDEV, 8, VD_USED);
	vd_wr(d, VD_CAP_COMMON, VD_QEN, 2, 1);
	assert_int_equal(vd_rd(d, VD_CAP_COMMON, VD_QEN, 2), 1);
	vd_wr(d, VD_CAP_COMMON, VD_STATUS, 1, 0x0f);
	d->avail_idx = d->used_seen = 0;
}

static inline uint8_t vd_status(struct vd *d)
{
	return vd_rd(d, VD_CAP_COMMON, VD_STATUS, 1);
}

/* Put a chain of n buffers (descriptors 0..n-1) on the ring, no kick. */
static inline void vd_post(struct vd *d, const struct vd_buf *b, int n)
{
	uint8_t *desc = vd_host(d, VD_DESC);
	uint16_t *avail = (uint16_t *)vd_host(d, VD_AVAIL);

	for (int i = 0; i < n; i++) {
		struct virtq_desc x = {
			.addr = b[i].iova, .len = b[i].len,
			.flags = (b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
			.next = (uint16_t)(i + 1),
		};

		memcpy(desc + 16 * i, &x, sizeof(x));
	}
	avail[2 + d->avail_idx % vd_qsize(d)] = 0;
	__atomic_store_n(&avail[1], ++d->avail_idx, __ATOMIC_RELEASE);
}

static inline void vd_kick(struct vd *d)
{
	vd_wr(d, VD_CAP_NOTIFY, 0, 2, 0);
}

/* Wait (up to wait_ms, for event-loop devices) for the next used entry;
 * returns false when none came. */
static inline bool vd_used(struct vd *d, uint32_t *id, uint32_t *len)
{
	uint16_t *used = (uint16_t *)vd_host(d, VD_USED);
	uint32_t *elem;

	for (int i = 0; i < d->wait_ms; i++) {
		if (__atomic_load_n(&used[1], __ATOMIC_ACQUIRE) != d->used_seen)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	if (__atomic_load_n(&used[1], __ATOMIC_ACQUIRE) == d->used_seen)
		return false;
	elem = (uint32_t *)vd_host(d, VD_USED + 4) + 2 * (d->used_seen % vd_qsize(d));
	*id = elem[0];
	*len = elem[1];
	d->used_seen++;
	return true;
}

/* Post, kick and return the used length of one chain (fails the test if
 * the device does not complete it). */
static inline uint32_t vd_run(struct vd *d, const struct vd_buf *b, int n)
{
	uint32_t id = ~0u, len = ~0u;

	vd_post(d, b, n);
	vd_kick(d);
	assert_true(vd_used(d, &id, &len));
	assert_int_equal(id, 0);
	return len;
}

#endif
