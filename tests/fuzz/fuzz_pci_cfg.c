// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz PCI config space and BAR accesses (vmm/pci*.c, edu, virtio-pci +
 * virtio-rng, passthrough/vfio_pci.c over the simulated edu): the input is a
 * sequence of config reads/writes (direct, ECAM, 0xCF8/0xCFC), MMIO/PIO
 * accesses into BARs and guest RAM writes. After each step the memory map is
 * sorted and disjoint, its non-BAR regions never change, and every decoding
 * memory BAR is exactly one BAR region of the map, never over RAM or MSI.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough/sim/sim_edu.h"
#include "passthrough/vfio_pci.h"
#include "vmm/bus.h"
#include "vmm/dma.h"
#include "vmm/edu.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/pci.h"
#include "vmm/virtio/rng.h"
#include "vmm/vm.h"

#define RAM_SIZE	(4ULL << 20)
#define MAX_REGIONS	64
#define MAX_STEPS	512

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

struct fx {
	uint8_t *ram;
	struct memmap *mem;
	struct bus *pio, *mmio;
	struct msi_sink msi;
	struct pci_host *host;
	struct edu *edu;
	struct virtio_rng *rng;
	struct sim_iommu *sim;
	struct sim_edu *sedu;
	struct vfio_pci *vfio;
	uint8_t devfn[4];
	struct memmap_region fixed[MAX_REGIONS];	/* non-BAR regions at start */
	size_t nr_fixed;
	unsigned msis;
};

static uint64_t take(struct input *in, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static int fx_msi_send(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	((struct fx *)opaque)->msis++;
	return 0;
}

/* ---- invariants ---- */

static size_t non_bar(const struct memmap_region *r, size_t n, struct memmap_region *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!(r[i].flags & MEMMAP_F_BAR))
			out[k++] = r[i];
	return k;
}

static unsigned check_dev_bars(struct fx *f, struct pci_dev *dev)
{
	unsigned mapped = 0;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *bar = &dev->bar[i];
		struct memmap_region r;

		if (!bar->size || !bar->mapped || (bar->type & PCI_BAR_IO))
			continue;
		mapped++;
		CHECK(!memmap_query(f->mem, bar->addr, bar->size, &r));
		CHECK(r.start == bar->addr && r.last == bar->addr + bar->size - 1);
		CHECK((r.flags & MEMMAP_F_BAR) && r.kind == MEMMAP_MMIO);
		CHECK(!!(r.flags & MEMMAP_F_ASSIGNED) == bar->assigned);
		CHECK(!memmap_overlaps(f->mem, r.start, r.last, 1u << MEMMAP_RAM, MEMMAP_F_MSI));
	}
	return mapped;
}

static void check_map(struct fx *f)
{
	struct memmap_region r[MAX_REGIONS], fixed[MAX_REGIONS];
	size_t n = memmap_snapshot(f->mem, r, MAX_REGIONS), bars = 0;
	unsigned mapped = 0;

	CHECK(n <= MAX_REGIONS);
	for (size_t i = 0; i < n; i++) {
		CHECK(r[i].start <= r[i].last);
		CHECK(!i || r[i - 1].last < r[i].start);
		bars += !!(r[i].flags & MEMMAP_F_BAR);
	}
	CHECK(non_bar(r, n, fixed) == f->nr_fixed);
	CHECK(!memcmp(fixed, f->fixed, f->nr_fixed * sizeof(fixed[0])));
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *dev = pci_host_dev(f->host, s);

		if (dev)
			mapped += check_dev_bars(f, dev);
	}
	CHECK(bars == mapped);
}

/* ---- steps ---- */

static uint8_t pick_devfn(struct fx *f, struct input *in)
{
	uint8_t b = take(in, 1);

	return b & 0x80 ? b : f->devfn[b & 3];
}

static uint32_t pick_len(struct input *in)
{
	static const uint32_t lens[] = { 1, 2, 4, 4, 8, 3, 0, 16 };

	return lens[take(in, 1) & 7];
}

static void step_cfg(struct fx *f, struct input *in)
{
	uint8_t b = take(in, 1), devfn = pick_devfn(f, in);
	uint32_t off = take(in, 2) % (PCI_CFG_SIZE + 8), len = pick_len(in);
	uint8_t bus = b & 0x40 ? (uint8_t)take(in, 1) : 0;

	if (len > 4)
		len = 4;
	if (b & 1)
		pci_host_cfg_write(f->host, bus, devfn, off, len, (uint32_t)take(in, 4));
	else
		pci_host_cfg_read(f->host, bus, devfn, off, len);
}

static uint64_t bar_base(struct fx *f, struct input *in, bool *io)
{
	uint8_t b = take(in, 1);
	struct pci_dev *dev = pci_host_dev(f->host, (f->devfn[b & 3] >> 3) & 31);
	const struct pci_bar *bar;

	*io = false;
	if (b & 0x80)		/* ECAM */
		return LAYOUT_ECAM_BASE;
	if (!dev)
		return 0;
	bar = &dev->bar[(b >> 2) % PCI_NUM_BARS];
	*io = bar->type & PCI_BAR_IO;
	return bar->addr;
}

static void step_access(struct fx *f, struct input *in)
{
	uint8_t b = take(in, 1), data[16] = { 0 };
	bool io;
	uint64_t addr = bar_base(f, in, &io) + take(in, b & 0x40 ? 3 : 2);
	uint32_t len = pick_len(in);
	uint64_t val = take(in, 8);

	memcpy(data, &val, sizeof(val));
	if (b & 0x20)	/* the 0xCF8/0xCFC path */
		addr = b & 0x10 ? LAYOUT_PORT_PCI_ADDR : LAYOUT_PORT_PCI_DATA + (b & 3), io = true;
	bus_access(io ? f->pio : f->mmio, addr, data, len, b & 1);
}

static void step_ram(struct fx *f, struct input *in)
{
	uint64_t off = LAYOUT_HIGH_RAM_BASE + (take(in, 2) << 4);
	size_t len = take(in, 1);

	len = len < in->n ? len : in->n;
	if (off + len > RAM_SIZE)
		len = RAM_SIZE - off;
	memcpy(f->ram + off, in->p, len);
	in->p += len;
	in->n -= len;
}

static void step_poll(struct fx *f, struct input *in)
{
	vfio_pci_poll(f->vfio);
}

/* ---- setup / teardown ---- */

static void setup(struct fx *f)
{
	struct dma_ctx dma;
	struct memmap_region r[MAX_REGIONS];

	f->ram = calloc(1, RAM_SIZE);
	f->mem = memmap_create();
	f->pio = bus_create("pio");
	f->mmio = bus_create("mmio");
	CHECK(f->ram && f->mem && f->pio && f->mmio && !vm_memmap_fill(f->mem, f->ram, RAM_SIZE));
	f->msi = (struct msi_sink){ .send = fx_msi_send, .opaque = f };
	f->host = pci_host_create(f->pio, f->mmio, f->mem, &f->msi);
	CHECK(f->host);
	dma = (struct dma_ctx){ .mem = f->mem };
	f->edu = edu_create(f->host, NULL, &dma, -1);
	f->rng = virtio_rng_create(f->host, NULL, &dma, false, -1);
	f->sim = sim_iommu_create(NULL);
	CHECK(f->edu && f->rng && f->sim);
	f->sedu = sim_edu_create(f->sim);
	CHECK(f->sedu);
	f->vfio = vfio_pci_assign(f->host, sim_edu_pdev(f->sedu), &f->msi, NULL, NULL, -1);
	CHECK(f->vfio);
	f->devfn[0] = 0;
	f->devfn[1] = edu_bdf(f->edu);
	f->devfn[2] = virtio_rng_bdf(f->rng);
	f->devfn[3] = pci_dev_bdf(vfio_pci_dev(f->vfio));
	f->nr_fixed = non_bar(r, memmap_snapshot(f->mem, r, MAX_REGIONS), f->fixed);
}

static void teardown(struct fx *f)
{
	vfio_pci_release(f->vfio);
	sim_edu_destroy(f->sedu);
	sim_iommu_destroy(f->sim);
	virtio_rng_destroy(f->rng);
	edu_destroy(f->edu);
	pci_host_destroy(f->host);
	bus_destroy(f->mmio);
	bus_destroy(f->pio);
	/* Every BAR left the map with its device. */
	CHECK(memmap_snapshot(f->mem, NULL, 0) == f->nr_fixed);
	memmap_destroy(f->mem);
	free(f->ram);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const steps[])(struct fx *, struct input *) = {
		step_cfg, step_cfg, step_cfg, step_access, step_access, step_ram, step_poll,
	};
	struct input in = { data, size };
	struct fx f = { 0 };

	setup(&f);
	check_map(&f);
	for (int i = 0; i < MAX_STEPS && in.n; i++) {
		steps[take(&in, 1) % (sizeof(steps) / sizeof(steps[0]))](&f, &in);
		check_map(&f);
	}
	teardown(&f);
	return 0;
}
