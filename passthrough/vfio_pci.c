// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device assignment over struct pdev: builds a pci_dev whose header, BARs,
 * capability pointers and MSI/MSI-X are emulated while the rest of config
 * space is passed through; maps mmap-able BARs as KVM memory slots (never the
 * MSI-X table/PBA pages) and traps the rest to region_read/region_write.
 * The same code assigns a VFIO cdev and the simulated edu device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough/vfio_pci_internal.h"

#define CFG_COMMAND		0x04
#define CFG_BAR0		0x10
#define CFG_SUBSYS		0x2c
#define CFG_CAP_PTR		0x34
#define CFG_INT_PIN		0x3d
#define CFG_HDR_END		0x40
#define CMD_IO			0x0001
#define CMD_MEM			0x0002
#define CMD_MASTER		0x0004
#define CMD_INTX_DISABLE	0x0400
#define CAP_ID_MSI		0x05
#define CAP_ID_MSIX		0x11

static const char *pname(const struct vfio_pci *v)
{
	return v->pdev.ops->name(v->pdev.d);
}

static uint32_t le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static ssize_t cfg_pread(struct vfio_pci *v, uint32_t off, void *buf, size_t len)
{
	return v->pdev.ops->region_read(v->pdev.d, PDEV_REGION_CONFIG, off, buf, len);
}

static ssize_t cfg_pwrite(struct vfio_pci *v, uint32_t off, const void *buf, size_t len)
{
	return v->pdev.ops->region_write(v->pdev.d, PDEV_REGION_CONFIG, off, buf, len);
}

/* ---- trapped BAR accesses ---- */

static void bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct vfio_bar *b = opaque;
	struct vfio_pci *v = b->v;

	if (pci_msix_access(&v->pci, b->idx, off, data, len, false))
		return;
	if (v->pdev.ops->region_read(v->pdev.d, b->idx, off, data, len) != (ssize_t)len)
		memset(data, 0xff, len);
}

static void bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct vfio_bar *b = opaque;
	struct vfio_pci *v = b->v;
	struct pci_msix *x = &v->pci.msix;

	if (pci_msix_access(&v->pci, b->idx, off, (void *)data, len, true)) {
		if (off >= x->table_off && off - x->table_off < (uint64_t)x->nvec * 16)
			vfio_pci_msix_entry_update(v, (off - x->table_off) / 16);
		return;
	}
	/* A failed write is dropped, as on real hardware. */
	v->pdev.ops->region_write(v->pdev.d, b->idx, off, data, len);
}

static const struct bus_ops bar_ops = { .read = bar_read, .write = bar_write };

/* ---- memory slots for mmap'ed BARs ---- */

static void bar_slots_unmap(struct vfio_pci *v, struct vfio_bar *b)
{
	if (!b->slot_mapped)
		return;
	for (int i = 0; i < b->nseg; i++)
		v->slots.ops->unmap(v->slots.opaque, b->slot_gpa + b->seg[i].off, b->seg[i].size);
	b->slot_mapped = false;
}

static int bar_slots_map(struct vfio_pci *v, struct vfio_bar *b, uint64_t gpa)
{
	int i, ret = 0;

	for (i = 0; i < b->nseg && !ret; i++)
		ret = v->slots.ops->map(v->slots.opaque, gpa + b->seg[i].off, b->seg[i].size,
					(uint8_t *)b->hva + b->seg[i].off);
	if (ret) {
		/* Undo the pieces that went in; the BAR stays trapped (slow, correct). */
		for (int j = 0; j < i - 1; j++)
			v->slots.ops->unmap(v->slots.opaque, gpa + b->seg[j].off, b->seg[j].size);
		return ret;
	}
	b->slot_gpa = gpa;
	b->slot_mapped = true;
	return 0;
}

/* pci.c calls this (host lock held) whenever a BAR moved or (un)decoded. */
static void hook_bar_remap(struct pci_dev *dev, int idx)
{
	struct vfio_pci *v = dev->opaque;
	struct vfio_bar *b = &v->bars[idx];
	int ret;

	if (!b->hva || !b->nseg)
		return;
	bar_slots_unmap(v, b);
	if (!dev->bar[idx].mapped)
		return;
	ret = bar_slots_map(v, b, dev->bar[idx].addr);
	if (ret)
		fprintf(stderr, "vfio-pci: %s: BAR%d memslot at 0x%llx failed (%s), trapping\n",
			pname(v), idx, (unsigned long long)dev->bar[idx].addr, strerror(-ret));
}

/* ---- config space ---- */

static bool cfg_overlaps(uint32_t off, uint32_t len, uint32_t start, uint32_t end)
{
	return off < end && off + len > start;
}

static void hook_cfg_read(struct pci_dev *dev, uint32_t off, uint32_t len, uint32_t *val)
{
	struct vfio_pci *v = dev->opaque;
	uint8_t buf[4];

	if (off >= VFIO_PCI_CFG_STD)
		return;
	for (uint32_t i = 0; i < len; i++) {
		if (v->emu[off + i])
			continue;
		/* Passed-through bytes come live from the device. */
		if (cfg_pread(v, off, buf, len) != (ssize_t)len)
			return;
		for (uint32_t j = 0; j < len; j++)
			if (!v->emu[off + j])
				*val = (*val & ~(0xffu << (8 * j))) | (uint32_t)buf[j] << (8 * j);
		return;
	}
}

/* The device's command register: guest's IO/MEM/bus-master, INTx kept off. */
static void cmd_sync(struct vfio_pci *v)
{
	uint16_t guest, host = 0;
	uint8_t b[2];

	pthread_mutex_lock(&v->pci.lock);
	guest = le(&v->pci.cfg[CFG_COMMAND], 2);
	pthread_mutex_unlock(&v->pci.lock);
	if (cfg_pread(v, CFG_COMMAND, b, 2) == 2)
		host = le(b, 2);
	host &= ~(CMD_IO | CMD_MEM | CMD_MASTER);
	host |= (guest & (CMD_IO | CMD_MEM | CMD_MASTER)) | CMD_INTX_DISABLE;
	b[0] = host;
	b[1] = host >> 8;
	cfg_pwrite(v, CFG_COMMAND, b, 2);
}

static void passthrough_write(struct vfio_pci *v, uint32_t off, uint32_t len, uint32_t val)
{
	uint8_t buf[4];
	bool all = true;

	for (uint32_t i = 0; i < len; i++) {
		buf[i] = val >> (8 * i);
		all &= !v->emu[off + i];
	}
	if (all) {
		cfg_pwrite(v, off, buf, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		if (!v->emu[off + i])
			cfg_pwrite(v, off + i, &buf[i], 1);
}

static void hook_cfg_write(struct pci_dev *dev, uint32_t off, uint32_t len, uint32_t val)
{
	struct vfio_pci *v = dev->opaque;

	if (off >= VFIO_PCI_CFG_STD)
		return;
	if (cfg_overlaps(off, len, CFG_COMMAND, CFG_COMMAND + 2))
		cmd_sync(v);
	if (off >= CFG_HDR_END)
		passthrough_write(v, off, len, val);
	if (v->msi_cap && cfg_overlaps(off, len, v->msi_cap, v->msi_cap + (v->msi_64 ? 14 : 10)))
		vfio_pci_msi_update(v);
	if (v->msix_cap && cfg_overlaps(off, len, v->msix_cap + 2, v->msix_cap + 4))
		vfio_pci_msix_update(v);
}

static const struct pci_dev_ops vfio_pci_dev_ops = {
	.cfg_read = hook_cfg_read,
	.cfg_write = hook_cfg_write,
	.bar_remap = hook_bar_remap,
};

/* ---- building the virtual function ---- */

static void emu_range(struct vfio_pci *v, uint32_t off, uint32_t len)
{
	for (uint32_t i = off; i < off + len && i < VFIO_PCI_CFG_STD; i++)
		v->emu[i] = 1;
}

/*
 * The device's capability list is hostile input: every capability body we
 * read or emulate must lie inside the 256 bytes read from the device and must
 * not overlap bytes already emulated (the header, an earlier capability), or
 * the capability is hidden. The walk visits each dword offset at most once.
 */
static bool cap_room(const struct vfio_pci *v, uint32_t off, uint32_t len)
{
	if (off + len > VFIO_PCI_CFG_STD)
		return false;
	for (uint32_t i = off; i < off + len; i++)
		if (v->emu[i])
			return false;
	return true;
}

static void cap_hide(const struct vfio_pci *v, const char *what, uint8_t off, const char *why)
{
	fprintf(stderr, "vfio-pci: %s: %s capability at 0x%02x %s: hidden\n", pname(v), what,
		off, why);
}

/* Largest power of two <= n (n > 0), at most 32: the MSI vector counts. */
static unsigned msi_vectors(unsigned n)
{
	unsigned p = 1;

	while (p * 2 <= n && p < 32)
		p *= 2;
	return p;
}

/* MSI: emulated at the device's offset; per-vector masking is not offered. */
static int add_msi(struct vfio_pci *v, const uint8_t *cfg, uint8_t off)
{
	struct pci_dev *dev = &v->pci;
	uint16_t ctrl = le(&cfg[off + 2], 2);
	unsigned len = (ctrl & 0x80) ? 14 : 10, mmc = (ctrl >> 1) & 7;
	unsigned body = (ctrl & 0x100) ? len + 10 : len;
	int cap, count;

	if (!cap_room(v, off, body)) {
		cap_hide(v, "MSI", off, "does not fit or overlaps another");
		return 0;
	}
	count = v->pdev.ops->irq_count(v->pdev.d, PDEV_IRQ_MSI);
	if (count <= 0)
		return 0;
	dev->next_cap = off;
	cap = pci_dev_add_cap(dev, CAP_ID_MSI, len);
	if (cap < 0)
		return cap;
	v->msi_cap = cap;
	v->msi_64 = ctrl & 0x80;
	/* A power of two within what both the capability and VFIO offer. */
	v->msi_max = msi_vectors((unsigned)count < (1u << mmc) ? (unsigned)count : 1u << mmc);
	dev->cfg[cap + 2] = ctrl & 0x8e;		/* 64-bit, multiple message capable */
	dev->wmask[cap + 2] = 0x71;			/* enable, multiple message enable */
	memset(&dev->wmask[cap + 4], 0xff, v->msi_64 ? 8 : 4);
	dev->wmask[cap + 4] = 0xfc;
	memset(&dev->wmask[cap + (v->msi_64 ? 12 : 8)], 0xff, 2);
	emu_range(v, off, body);
	return 0;
}

/* NULL when nvec vectors with table/PBA at (offset | BIR) fit in one memory
 * BAR of ours without overlapping, else why not. */
static const char *msix_layout_bad(const struct vfio_pci *v, uint16_t nvec, uint32_t table,
				   uint32_t pba)
{
	uint64_t t0 = table & ~7u, p0 = pba & ~7u;
	uint64_t t1 = t0 + nvec * 16ull, p1 = p0 + (nvec + 63u) / 64u * 8u;
	const struct pci_bar *bar;

	if ((table & 7) != (pba & 7))
		return "has its table and PBA in different BARs";
	if ((table & 7) >= PCI_NUM_BARS)
		return "names a reserved BAR";
	bar = &v->pci.bar[table & 7];
	if (!bar->size || (bar->type & PCI_BAR_IO))
		return "names a BAR that is not a memory BAR";
	if (t1 > bar->size || p1 > bar->size)
		return "has its table or PBA outside the BAR";
	if (t0 < p1 && p0 < t1)
		return "has its table and PBA overlapping";
	return NULL;
}

/* MSI-X: the table and PBA are emulated by pci.c's helper in the same BAR. */
static int add_msix(struct vfio_pci *v, const uint8_t *cfg, uint8_t off)
{
	uint16_t nvec;
	uint32_t table, pba;
	const char *bad;
	int count, ret;

	if (!cap_room(v, off, 12)) {
		cap_hide(v, "MSI-X", off, "does not fit or overlaps another");
		return 0;
	}
	nvec = (le(&cfg[off + 2], 2) & 0x7ff) + 1;
	table = le(&cfg[off + 4], 4);
	pba = le(&cfg[off + 8], 4);
	count = v->pdev.ops->irq_count(v->pdev.d, PDEV_IRQ_MSIX);
	if (count <= 0)
		return 0;
	bad = msix_layout_bad(v, nvec, table, pba);
	if (bad) {
		cap_hide(v, "MSI-X", off, bad);
		return 0;
	}
	if (nvec > count)
		nvec = count;			/* only vectors VFIO can bind */
	v->pci.next_cap = off;
	ret = pci_dev_add_msix(&v->pci, nvec, table & 7, table & ~7u, pba & ~7u);
	if (ret)
		return ret;
	v->msix_cap = v->pci.msix.cap;
	emu_range(v, off, 12);
	return 0;
}

static int add_plain_cap(struct vfio_pci *v, uint8_t id, uint8_t off)
{
	int ret;

	v->pci.next_cap = off;
	ret = pci_dev_add_cap(&v->pci, id, 2);
	if (ret < 0)
		return ret;
	emu_range(v, off, 2);
	return 0;
}

/* Rebuild the capability list at the device's own offsets; bodies of caps
 * other than MSI/MSI-X stay passed through. A loop or a header inside bytes
 * already emulated ends the list there. */
static int add_caps(struct vfio_pci *v, const uint8_t *cfg)
{
	uint8_t off = cfg[CFG_CAP_PTR] & 0xfc;
	uint64_t seen = 0;		/* one bit per dword offset */
	int ret = 0;

	while (off >= CFG_HDR_END && !ret) {
		uint8_t id = cfg[off], next = cfg[off + 1] & 0xfc;

		if (seen & (1ull << (off / 4)) || !cap_room(v, off, 2)) {
			fprintf(stderr, "vfio-pci: %s: capability list %s at 0x%02x: rest of "
				"the list hidden\n", pname(v), seen & (1ull << (off / 4)) ?
				"loops back" : "overlaps another capability", off);
			break;
		}
		seen |= 1ull << (off / 4);
		if (id == CAP_ID_MSI)
			ret = add_msi(v, cfg, off);
		else if (id == CAP_ID_MSIX)
			ret = add_msix(v, cfg, off);
		else
			ret = add_plain_cap(v, id, off);
		off = next;
	}
	return ret;
}

/* The pages of a BAR that may become a memory slot (all but MSI-X pages). */
static void bar_segments(struct vfio_pci *v, struct vfio_bar *b)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), cut[2][2];
	struct pci_msix *x = &v->pci.msix;
	uint64_t pos = 0;
	int ncut = 0;

	if (x->nvec && x->bar == b->idx) {
		uint64_t t0 = x->table_off & ~(pg - 1), p0 = x->pba_off & ~(pg - 1);
		uint64_t t1 = (x->table_off + x->nvec * 16ull + pg - 1) & ~(pg - 1);
		uint64_t p1 = (x->pba_off + (x->nvec + 63) / 64 * 8ull + pg - 1) & ~(pg - 1);

		cut[0][0] = t0 < p0 ? t0 : p0;
		cut[0][1] = t0 < p0 ? t1 : p1;
		cut[1][0] = t0 < p0 ? p0 : t0;
		cut[1][1] = t0 < p0 ? p1 : t1;
		ncut = 2;
	}
	b->nseg = 0;
	for (int i = 0; i <= ncut; i++) {
		uint64_t end = i < ncut ? cut[i][0] : b->size;

		if (end > pos)
			b->seg[b->nseg++] = (struct vfio_seg){ pos, end - pos };
		if (i < ncut && cut[i][1] > pos)
			pos = cut[i][1];
	}
}

static int add_bar(struct vfio_pci *v, const uint8_t *cfg, int idx, int *next)
{
	uint32_t reg = le(&cfg[CFG_BAR0 + 4 * idx], 4);
	struct vfio_bar *b = &v->bars[idx];
	struct pdev_region_info ri = { 0 };
	unsigned type;
	int ret;

	*next = idx + 1;
	if (v->pdev.ops->region_info(v->pdev.d, idx, &ri) || !ri.size)
		return 0;
	if (reg & 1)
		type = PCI_BAR_IO;
	else
		type = ((reg & 6) == 4 ? PCI_BAR_MEM64 : PCI_BAR_MEM32) | (reg & 8 ? PCI_BAR_PREFETCH : 0);
	if (type & PCI_BAR_MEM64)
		*next = idx + 2;
	*b = (struct vfio_bar){ .v = v, .idx = idx, .size = ri.size };
	ret = pci_dev_add_bar(&v->pci, idx, ri.size, type, &bar_ops, b);
	if (ret)
		fprintf(stderr, "vfio-pci: %s: BAR%d (size 0x%llx) not representable\n",
			pname(v), idx, (unsigned long long)ri.size);
	return ret;
}

static void map_bar(struct vfio_pci *v, struct vfio_bar *b, uint32_t flags)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!v->have_slots || !(flags & PDEV_REGION_F_MMAP) || (v->pci.bar[b->idx].type & PCI_BAR_IO))
		return;
	if (b->size < pg || (b->size & (pg - 1)))
		return;
	bar_segments(v, b);
	if (!b->nseg)
		return;
	b->hva = v->pdev.ops->region_mmap(v->pdev.d, b->idx, b->size);
	v->pci.bar[b->idx].hva = b->hva;
}

static int build_bars(struct vfio_pci *v, const uint8_t *cfg)
{
	int next, ret;

	for (int i = 0; i < PCI_NUM_BARS; i = next) {
		ret = add_bar(v, cfg, i, &next);
		if (ret)
			return ret;
	}
	return 0;
}

static void map_bars(struct vfio_pci *v)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pdev_region_info ri = { 0 };

		if (v->pci.bar[i].size && !v->pdev.ops->region_info(v->pdev.d, i, &ri))
			map_bar(v, &v->bars[i], ri.flags);
	}
}

static int build_config(struct vfio_pci *v)
{
	uint8_t cfg[VFIO_PCI_CFG_STD];
	struct pci_dev *dev = &v->pci;
	int ret;

	if (cfg_pread(v, 0, cfg, sizeof(cfg)) != (ssize_t)sizeof(cfg))
		return -EIO;
	pci_dev_init(dev, le(&cfg[0], 2), le(&cfg[2], 2), le(&cfg[9], 3), cfg[8],
		     &vfio_pci_dev_ops, v);
	memcpy(&dev->cfg[CFG_SUBSYS], &cfg[CFG_SUBSYS], 4);
	dev->cfg[CFG_INT_PIN] = 0;		/* INTx is not offered: MSI/MSI-X only */
	emu_range(v, 0, CFG_HDR_END);
	ret = build_bars(v, cfg);
	if (!ret && (le(&cfg[6], 2) & 0x10))
		ret = add_caps(v, cfg);
	if (!ret)
		map_bars(v);
	return ret;
}

static void unmap_bars(struct vfio_pci *v)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_bar *b = &v->bars[i];

		if (v->have_slots)
			bar_slots_unmap(v, b);
		if (b->hva)
			v->pdev.ops->region_munmap(v->pdev.d, i, b->hva, b->size);
		b->hva = NULL;
	}
}

static int reset_dev(struct vfio_pci *v)
{
	int ret = v->pdev.ops->reset(v->pdev.d);

	/* A device without a reset method is still usable. */
	return ret == -EOPNOTSUPP || ret == -ENOTTY ? 0 : ret;
}

struct vfio_pci *vfio_pci_assign(struct pci_host *host, const struct pdev *dev,
				 const struct msi_sink *msi, const struct memslot_sink *slots,
				 struct evloop *loop, int slot)
{
	struct vfio_pci *v = calloc(1, sizeof(*v));
	int ret = -ENOMEM;

	if (!v)
		goto err;
	v->pdev = *dev;
	v->host = host;
	if (msi)
		v->msi = *msi;
	v->have_slots = slots && slots->ops;
	if (v->have_slots)
		v->slots = *slots;
	v->loop = loop;
	v->irqs.type = -1;
	pthread_mutex_init(&v->irq_lock, NULL);
	ret = reset_dev(v);
	if (ret)
		goto err_free;
	ret = build_config(v);
	if (ret)
		goto err_unmap;
	ret = pci_host_register(host, &v->pci, slot);
	if (ret < 0)
		goto err_unmap;
	cmd_sync(v);
	return v;
err_unmap:
	unmap_bars(v);
	pci_dev_fini(&v->pci);
err_free:
	pthread_mutex_destroy(&v->irq_lock);
	free(v);
err:
	errno = -ret;
	return NULL;
}

void vfio_pci_release(struct vfio_pci *v)
{
	if (!v)
		return;
	vfio_pci_irqs_off(v);
	pci_host_unregister(v->host, &v->pci);
	unmap_bars(v);
	reset_dev(v);
	pthread_mutex_destroy(&v->irq_lock);
	pthread_mutex_destroy(&v->pci.lock);
	free(v);
}

struct pci_dev *vfio_pci_dev(struct vfio_pci *v)
{
	return &v->pci;
}
