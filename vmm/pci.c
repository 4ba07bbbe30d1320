// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI host bridge: config space emulation (write masks, W1C status, capability
 * list), ECAM and 0xCF8/0xCFC access paths, firmware-style BAR assignment and
 * the bookkeeping that keeps the MMIO/PIO buses and the memory map in step with
 * the BAR and command registers. MSI-X table/PBA emulation lives in pci_msix.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/pci.h"
#include "vmm/pci_internal.h"

#define PCI_IO_BASE		0xc000ULL
#define PCI_IO_END		0x10000ULL	/* exclusive */
#define PCI_BAR64_LOW_MAX	0x4000000ULL	/* larger 64-bit BARs go above 4 GiB */

struct pci_host {
	/*
	 * Serialises every config access and BAR (un)mapping; protects slots[],
	 * cf8 and the allocation cursors. Lock order: host->lock -> dev->lock ->
	 * (bus, memmap internal locks). Never held while sending an MSI.
	 */
	pthread_mutex_t lock;
	struct bus *pio, *mmio;
	struct memmap *map;
	struct msi_sink msi;
	struct pci_dev *slots[PCI_MAX_SLOTS];
	bool reserved[PCI_MAX_SLOTS];	/* taken by pci_host_reserve_slot, not yet used */
	struct pci_dev bridge;		/* 00.0 */
	uint32_t cf8;			/* address latch */
	uint64_t mmio32_next, mmio64_next, io_next;
	bool ecam_in_memmap;		/* we added the ECAM region */
};

static uint32_t cfg_get(const struct pci_dev *dev, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

/* ------------------------------------------------------------------ BARs */

static bool bar_is_io(const struct pci_bar *bar)
{
	return bar->type & PCI_BAR_IO;
}

/* The address the BAR registers currently hold (lock held). */
static uint64_t bar_cfg_addr(const struct pci_dev *dev, int idx)
{
	const struct pci_bar *bar = &dev->bar[idx];
	uint64_t addr = cfg_get(dev, 0x10 + 4 * idx, 4);

	if (bar_is_io(bar))
		return addr & ~3ULL;
	addr &= ~0xfULL;
	if (bar->type & PCI_BAR_MEM64)
		addr |= (uint64_t)cfg_get(dev, 0x14 + 4 * idx, 4) << 32;
	return addr;
}

/* Should the BAR decode at addr? Excludes 0 and the sizing pattern. */
static bool bar_addr_valid(const struct pci_bar *bar, uint64_t addr, uint16_t cmd)
{
	uint64_t last, width_mask;

	if (!(cmd & (bar_is_io(bar) ? PCI_CMD_IO : PCI_CMD_MEM)))
		return false;
	if (__builtin_add_overflow(addr, bar->size - 1, &last) || !addr)
		return false;
	if (bar_is_io(bar))
		return last < PCI_IO_END;
	width_mask = (bar->type & PCI_BAR_MEM64) ? ~0ULL : 0xffffffffULL;
	return (addr & width_mask) != (~(bar->size - 1) & width_mask) && last <= width_mask;
}

static void bar_unmap_locked(struct pci_host *host, struct pci_dev *dev, int idx)
{
	struct pci_bar *bar = &dev->bar[idx];

	if (!bar->mapped)
		return;
	if (bar->ops)
		bus_unregister(bar_is_io(bar) ? host->pio : host->mmio, bar->addr, bar->opaque);
	if (!bar_is_io(bar))
		memmap_remove(host->map, bar->addr);
	pthread_mutex_lock(&dev->lock);
	bar->mapped = false;
	pthread_mutex_unlock(&dev->lock);
}

static int bar_map_locked(struct pci_host *host, struct pci_dev *dev, int idx, uint64_t addr)
{
	struct pci_bar *bar = &dev->bar[idx];
	uint32_t flags = MEMMAP_F_BAR | (bar->assigned ? MEMMAP_F_ASSIGNED : 0);
	char name[MEMMAP_NAME_MAX];
	int ret = 0;

	snprintf(name, sizeof(name), "pci %02x.%x bar%d", dev->devfn >> 3, dev->devfn & 7, idx);
	if (!bar_is_io(bar)) {
		ret = memmap_add(host->map, addr, bar->size, MEMMAP_MMIO, flags, bar->hva, name);
		if (ret)
			return ret;
	}
	if (bar->ops)
		ret = bus_register(bar_is_io(bar) ? host->pio : host->mmio, addr, bar->size,
				   bar->ops, bar->opaque);
	if (ret && !bar_is_io(bar))
		memmap_remove(host->map, addr);
	return ret;
}

/*
 * Bring the buses and the memmap in line with the BAR and command registers.
 * Called with host->lock held; dev->lock is taken only to snapshot registers
 * because the bus and memmap calls take their own locks.
 */
static void bars_update_locked(struct pci_host *host, struct pci_dev *dev)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bar[i];
		bool want, mapped;
		uint64_t addr;

		if (!bar->size)
			continue;
		pthread_mutex_lock(&dev->lock);
		addr = bar_cfg_addr(dev, i);
		want = bar_addr_valid(bar, addr, cfg_get(dev, PCI_COMMAND, 2));
		pthread_mutex_unlock(&dev->lock);
		if (bar->mapped && want && bar->addr == addr)
			continue;
		if (!bar->mapped && !want)
			continue;
		bar_unmap_locked(host, dev, i);
		mapped = want && bar_map_locked(host, dev, i, addr) == 0;
		if (want && !mapped)
			fprintf(stderr, "pci: %02x.%x BAR%d at 0x%llx overlaps, not mapped\n",
				dev->devfn >> 3, dev->devfn & 7, i, (unsigned long long)addr);
		/* Writers of addr/mapped hold host->lock and dev->lock, so either
		 * lock is enough to read them. */
		pthread_mutex_lock(&dev->lock);
		bar->addr = addr;
		bar->mapped = mapped;
		pthread_mutex_unlock(&dev->lock);
		if (dev->ops && dev->ops->bar_remap)
			dev->ops->bar_remap(dev, i);
	}
}

static void bar_set_wmask(struct pci_dev *dev, int idx)
{
	struct pci_bar *bar = &dev->bar[idx];
	uint64_t mask = ~(bar->size - 1) & (bar_is_io(bar) ? ~3ULL : ~0xfULL);
	int n = (bar->type & PCI_BAR_MEM64) ? 8 : 4;

	for (int i = 0; i < n; i++)
		dev->wmask[0x10 + 4 * idx + i] = mask >> (8 * i);
}

static void bar_write_addr(struct pci_dev *dev, int idx, uint64_t addr)
{
	struct pci_bar *bar = &dev->bar[idx];
	uint32_t lo = cfg_get(dev, 0x10 + 4 * idx, 4) & (bar_is_io(bar) ? 3 : 0xf);

	lo |= (uint32_t)addr;
	for (int i = 0; i < 4; i++)
		dev->cfg[0x10 + 4 * idx + i] = lo >> (8 * i);
	if (bar->type & PCI_BAR_MEM64)
		for (int i = 0; i < 4; i++)
			dev->cfg[0x14 + 4 * idx + i] = (addr >> 32) >> (8 * i);
}

int pci_dev_add_bar(struct pci_dev *dev, int idx, uint64_t size, unsigned type,
		    const struct bus_ops *ops, void *opaque)
{
	bool io = type & PCI_BAR_IO, is64 = type & PCI_BAR_MEM64;
	uint32_t low;

	if (idx < 0 || idx >= PCI_NUM_BARS || (is64 && idx == PCI_NUM_BARS - 1) || (io && is64))
		return -EINVAL;
	if (!size || (size & (size - 1)) || size < (io ? 4u : 16u) || (io && size > 256))
		return -EINVAL;
	if (!is64 && size > 0x80000000ULL)
		return -EINVAL;
	if (dev->bar[idx].size || (idx > 0 && (dev->bar[idx - 1].type & PCI_BAR_MEM64) &&
				   dev->bar[idx - 1].size) || (is64 && dev->bar[idx + 1].size))
		return -EBUSY;
	dev->bar[idx] = (struct pci_bar){ .size = size, .type = type, .ops = ops, .opaque = opaque };
	low = io ? 0x1 : ((is64 ? 0x4 : 0) | ((type & PCI_BAR_PREFETCH) ? 0x8 : 0));
	dev->cfg[0x10 + 4 * idx] = low;
	bar_set_wmask(dev, idx);
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Place one BAR the way firmware would: naturally aligned, 32-bit window first. */
static int bar_alloc_locked(struct pci_host *host, struct pci_bar *bar, uint64_t *addr)
{
	uint64_t a;

	if (bar_is_io(bar)) {
		a = align_up(host->io_next, bar->size);
		if (a + bar->size > PCI_IO_END)
			return -ENOSPC;
		host->io_next = a + bar->size;
	} else if ((!(bar->type & PCI_BAR_MEM64) || bar->size <= PCI_BAR64_LOW_MAX) &&
		   (a = align_up(host->mmio32_next, bar->size)) + bar->size <=
		   LAYOUT_MMIO32_BASE + LAYOUT_MMIO32_SIZE) {
		host->mmio32_next = a + bar->size;
	} else {
		a = align_up(host->mmio64_next, bar->size);
		if (!(bar->type & PCI_BAR_MEM64) ||
		    a + bar->size > LAYOUT_MMIO64_BASE + LAYOUT_MMIO64_SIZE)
			return -ENOSPC;
		host->mmio64_next = a + bar->size;
	}
	*addr = a;
	return 0;
}

/* ------------------------------------------------------- config space */

void pci_dev_init(struct pci_dev *dev, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision,
		  const struct pci_dev_ops *ops, void *opaque)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->lock, NULL);
	dev->ops = ops;
	dev->opaque = opaque;
	dev->msix.bar = -1;
	dev->next_cap = 0x40;
	dev->cfg[0x00] = vendor;
	dev->cfg[0x01] = vendor >> 8;
	dev->cfg[0x02] = device;
	dev->cfg[0x03] = device >> 8;
	dev->cfg[0x08] = revision;
	dev->cfg[0x09] = class_code;
	dev->cfg[0x0a] = class_code >> 8;
	dev->cfg[0x0b] = class_code >> 16;
	dev->wmask[PCI_COMMAND] = PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER;
	dev->wmask[PCI_COMMAND + 1] = PCI_CMD_INTX_DISABLE >> 8;
	dev->w1cmask[PCI_STATUS + 1] = 0xf9;	/* bits 15:11 and 8: error bits */
	dev->wmask[0x0c] = 0xff;		/* cache line size */
	dev->wmask[0x0d] = 0xff;		/* latency timer */
	dev->wmask[0x3c] = 0xff;		/* interrupt line */
}

int pci_dev_add_cap(struct pci_dev *dev, uint8_t id, uint8_t len)
{
	uint32_t off = align_up(dev->next_cap, 4);
	uint8_t *link = &dev->cfg[PCI_CAP_PTR];

	if (len < 2 || off + len > 0x100)
		return -ENOSPC;
	while (*link)
		link = &dev->cfg[*link + 1];
	*link = off;
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->next_cap = align_up(off + len, 4) > 0xff ? 0xff : align_up(off + len, 4);
	return off;
}

static uint32_t dev_cfg_read_locked(struct pci_dev *dev, uint32_t off, uint32_t len)
{
	uint32_t v;

	pthread_mutex_lock(&dev->lock);
	v = cfg_get(dev, off, len);
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops && dev->ops->cfg_read)
		dev->ops->cfg_read(dev, off, len, &v);
	return v;
}

static void dev_cfg_write_locked(struct pci_host *host, struct pci_dev *dev,
				 uint32_t off, uint32_t len, uint32_t val)
{
	bool bars = false;

	pthread_mutex_lock(&dev->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = off + i;
		uint8_t b = val >> (8 * i);

		dev->cfg[o] = (dev->cfg[o] & ~dev->wmask[o]) | (b & dev->wmask[o]);
		dev->cfg[o] &= ~(b & dev->w1cmask[o]);
		bars |= o == PCI_COMMAND || o == PCI_COMMAND + 1 || (o >= 0x10 && o < 0x28);
	}
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops && dev->ops->cfg_write)
		dev->ops->cfg_write(dev, off, len, val);
	if (bars)
		bars_update_locked(host, dev);
}

static bool cfg_access_ok(uint32_t off, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && !(off & (len - 1)) && off < PCI_CFG_SIZE;
}

static struct pci_dev *lookup_locked(struct pci_host *host, uint8_t bus, uint8_t devfn)
{
	if (bus != 0 || (devfn & 7))
		return NULL;
	return host->slots[devfn >> 3];
}

uint32_t pci_host_cfg_read(struct pci_host *host, uint8_t bus, uint8_t devfn,
			   uint32_t off, uint32_t len)
{
	struct pci_dev *dev;
	uint32_t v = 0xffffffffu;

	if (!cfg_access_ok(off, len))
		return len >= 4 ? v : (1u << (8 * len)) - 1;
	pthread_mutex_lock(&host->lock);
	dev = lookup_locked(host, bus, devfn);
	if (dev)
		v = dev_cfg_read_locked(dev, off, len);
	pthread_mutex_unlock(&host->lock);
	return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

void pci_host_cfg_write(struct pci_host *host, uint8_t bus, uint8_t devfn,
			uint32_t off, uint32_t len, uint32_t val)
{
	struct pci_dev *dev;
	bool msix_ctrl;

	if (!cfg_access_ok(off, len))
		return;
	pthread_mutex_lock(&host->lock);
	dev = lookup_locked(host, bus, devfn);
	if (dev)
		dev_cfg_write_locked(host, dev, off, len, val);
	msix_ctrl = dev && dev->msix.nvec && off < dev->msix.cap + 4u && off + len > dev->msix.cap + 2u;
	pthread_mutex_unlock(&host->lock);
	/* Enabling or unmasking the function may release pending vectors. */
	if (msix_ctrl)
		pci_msix_deliver_pending(dev);
}

/* ---------------------------------------------------- ECAM and 0xCF8 */

static void ecam_decode(uint64_t off, uint8_t *bus, uint8_t *devfn, uint32_t *reg)
{
	*bus = off >> 20;
	*devfn = (off >> 12) & 0xff;
	*reg = off & 0xfff;
}

static void ecam_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	uint32_t reg, v = 0xffffffffu;
	uint8_t bus, devfn;

	ecam_decode(off, &bus, &devfn, &reg);
	if (len <= 4)
		v = pci_host_cfg_read(opaque, bus, devfn, reg, len);
	memset(data, 0xff, len);
	memcpy(data, &v, len < 4 ? len : 4);
}

static void ecam_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	uint32_t reg, v = 0;
	uint8_t bus, devfn;

	if (len > 4)
		return;
	ecam_decode(off, &bus, &devfn, &reg);
	memcpy(&v, data, len);
	pci_host_cfg_write(opaque, bus, devfn, reg, len, v);
}

static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

static void cf8_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pci_host *host = opaque;
	uint32_t v = 0xffffffffu;

	if (len == 4) {
		pthread_mutex_lock(&host->lock);
		v = host->cf8;
		pthread_mutex_unlock(&host->lock);
	}
	memcpy(data, &v, len);
}

static void cf8_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pci_host *host = opaque;

	if (len != 4)
		return;		/* byte/word accesses to 0xCF8 are not config cycles */
	pthread_mutex_lock(&host->lock);
	memcpy(&host->cf8, data, 4);
	host->cf8 &= 0x80fffffcu;	/* enable, bus, devfn, dword register */
	pthread_mutex_unlock(&host->lock);
}

static bool cfc_target(struct pci_host *host, uint64_t off, uint32_t len,
		       uint8_t *bus, uint8_t *devfn, uint32_t *reg)
{
	uint32_t a;

	pthread_mutex_lock(&host->lock);
	a = host->cf8;
	pthread_mutex_unlock(&host->lock);
	if (!(a & 0x80000000u) || (off & (len - 1)) || len > 4)
		return false;
	*bus = a >> 16;
	*devfn = a >> 8;
	*reg = (a & 0xfc) + off;
	return true;
}

static void cfc_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	uint32_t reg, v = 0xffffffffu;
	uint8_t bus, devfn;

	if (cfc_target(opaque, off, len, &bus, &devfn, &reg))
		v = pci_host_cfg_read(opaque, bus, devfn, reg, len);
	memcpy(data, &v, len);
}

static void cfc_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	uint32_t reg, v = 0;
	uint8_t bus, devfn;

	if (!cfc_target(opaque, off, len, &bus, &devfn, &reg))
		return;
	memcpy(&v, data, len);
	pci_host_cfg_write(opaque, bus, devfn, reg, len, v);
}

static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };
static const struct bus_ops cfc_ops = { .read = cfc_read, .write = cfc_write };

/* ------------------------------------------------------------- host */

struct pci_host *pci_host_create(struct bus *pio, struct bus *mmio, struct memmap *map,
				 const struct msi_sink *msi)
{
	struct pci_host *host = calloc(1, sizeof(*host));
	int ret;

	if (!host)
		return NULL;
	pthread_mutex_init(&host->lock, NULL);
	host->pio = pio;
	host->mmio = mmio;
	host->map = map;
	if (msi)
		host->msi = *msi;
	host->mmio32_next = LAYOUT_MMIO32_BASE;
	host->mmio64_next = LAYOUT_MMIO64_BASE;
	host->io_next = PCI_IO_BASE;
	pci_dev_init(&host->bridge, 0x8086, 0x29c0, 0x060000, 0, NULL, NULL);
	host->bridge.host = host;
	host->slots[0] = &host->bridge;
	ret = memmap_add(map, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, MEMMAP_MMIO, 0, NULL, "pci-ecam");
	if (ret && ret != -EEXIST)
		goto err_free;
	host->ecam_in_memmap = !ret;
	if (bus_register(mmio, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, &ecam_ops, host))
		goto err_memmap;
	if (bus_register(pio, LAYOUT_PORT_PCI_ADDR, 4, &cf8_ops, host))
		goto err_ecam;
	if (bus_register(pio, LAYOUT_PORT_PCI_DATA, 4, &cfc_ops, host))
		goto err_cf8;
	return host;
err_cf8:
	bus_unregister(pio, LAYOUT_PORT_PCI_ADDR, host);
err_ecam:
	bus_unregister(mmio, LAYOUT_ECAM_BASE, host);
err_memmap:
	if (host->ecam_in_memmap)
		memmap_remove(map, LAYOUT_ECAM_BASE);
err_free:
	pthread_mutex_destroy(&host->bridge.lock);
	pthread_mutex_destroy(&host->lock);
	free(host);
	return NULL;
}

void pci_host_destroy(struct pci_host *host)
{
	if (!host)
		return;
	for (int s = 1; s < PCI_MAX_SLOTS; s++)
		if (host->slots[s])
			pci_host_unregister(host, host->slots[s]);
	bus_unregister(host->pio, LAYOUT_PORT_PCI_DATA, host);
	bus_unregister(host->pio, LAYOUT_PORT_PCI_ADDR, host);
	bus_unregister(host->mmio, LAYOUT_ECAM_BASE, host);
	if (host->ecam_in_memmap)
		memmap_remove(host->map, LAYOUT_ECAM_BASE);
	pci_dev_fini(&host->bridge);
	pthread_mutex_destroy(&host->lock);
	free(host);
}

static int assign_bars_locked(struct pci_host *host, struct pci_dev *dev)
{
	uint16_t cmd = PCI_CMD_MASTER;
	uint64_t addr;
	int ret;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		if (!dev->bar[i].size)
			continue;
		ret = bar_alloc_locked(host, &dev->bar[i], &addr);
		if (ret)
			return ret;
		bar_write_addr(dev, i, addr);
		cmd |= bar_is_io(&dev->bar[i]) ? PCI_CMD_IO : PCI_CMD_MEM;
	}
	dev->cfg[PCI_COMMAND] |= cmd;
	return 0;
}

int pci_host_register(struct pci_host *host, struct pci_dev *dev, int slot)
{
	int ret = -ENOSPC;

	if (slot >= PCI_MAX_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&host->lock);
	if (slot < 0) {
		for (slot = 1; slot < PCI_MAX_SLOTS && (host->slots[slot] || host->reserved[slot]);
		     slot++)
			;
		if (slot == PCI_MAX_SLOTS)
			goto out;
	} else if (host->slots[slot]) {
		ret = -EBUSY;
		goto out;
	}
	dev->devfn = slot << 3;
	dev->host = host;
	pthread_mutex_lock(&dev->lock);
	ret = assign_bars_locked(host, dev);
	pthread_mutex_unlock(&dev->lock);
	if (ret)
		goto out;
	host->slots[slot] = dev;
	host->reserved[slot] = false;
	bars_update_locked(host, dev);
	ret = dev->devfn;
out:
	pthread_mutex_unlock(&host->lock);
	return ret;
}

int pci_host_reserve_slot(struct pci_host *host)
{
	int slot;

	pthread_mutex_lock(&host->lock);
	for (slot = 1; slot < PCI_MAX_SLOTS && (host->slots[slot] || host->reserved[slot]); slot++)
		;
	if (slot < PCI_MAX_SLOTS)
		host->reserved[slot] = true;
	pthread_mutex_unlock(&host->lock);
	return slot < PCI_MAX_SLOTS ? slot : -ENOSPC;
}

void pci_host_release_slot(struct pci_host *host, int slot)
{
	if (slot <= 0 || slot >= PCI_MAX_SLOTS)
		return;
	pthread_mutex_lock(&host->lock);
	host->reserved[slot] = false;
	pthread_mutex_unlock(&host->lock);
}

void pci_host_unregister(struct pci_host *host, struct pci_dev *dev)
{
	pthread_mutex_lock(&host->lock);
	if (host->slots[dev->devfn >> 3] == dev) {
		host->slots[dev->devfn >> 3] = NULL;
		for (int i = 0; i < PCI_NUM_BARS; i++)
			bar_unmap_locked(host, dev, i);
	}
	pthread_mutex_unlock(&host->lock);
	pci_dev_fini(dev);
	dev->host = NULL;
}

void pci_dev_fini(struct pci_dev *dev)
{
	free(dev->msix.table);
	free(dev->msix.pba);
	dev->msix.table = NULL;
	dev->msix.pba = NULL;
	dev->msix.nvec = 0;
}

struct pci_dev *pci_host_dev(struct pci_host *host, int slot)
{
	struct pci_dev *dev = NULL;

	if (slot < 0 || slot >= PCI_MAX_SLOTS)
		return NULL;
	pthread_mutex_lock(&host->lock);
	dev = host->slots[slot];
	pthread_mutex_unlock(&host->lock);
	return dev;
}

const struct msi_sink *pci_host_msi(struct pci_host *host)
{
	return &host->msi;
}
