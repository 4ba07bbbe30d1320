// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the assignment of a hostile device (passthrough/vfio_pci*.c): the
 * input is the device (256 bytes of config space, what region_info and
 * irq_count report, whether reset/set_irqs/irqfd fail), then guest steps
 * (config reads/writes, BAR accesses, polls) and device steps (config bytes
 * changing under us, vectors firing). The assignment may fail, but never
 * reads out of bounds; the guest's capability list always ends, inside 256
 * bytes; memory slots never cover the MSI-X table or PBA.
 *
 * Input: cfg[256] | 8 x {size code, flags} | msi, msix counts (int8) |
 *        reset rc, set_irqs rc, irqfd mode | steps (tests/fuzz/make-corpus)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough/vfio_pci_internal.h"	/* the live vectors, for step_fire */
#include "vmm/bus.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/pci.h"

#define MAX_STEPS	256
#define MAX_MMAP	(1ull << 20)	/* bigger BARs are trapped */
#define MAX_SLOTS	16
#define PAGE		4096ull

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

struct slot {
	uint64_t gpa, size;
	uint8_t *hva;
};

/* The hostile device and what the VMM told its sinks. */
struct hdev {
	uint8_t cfg[256];
	struct pdev_region_info ri[PDEV_NUM_REGIONS];
	bool info_fails[PDEV_NUM_REGIONS];
	bool short_read[PDEV_NUM_REGIONS];	/* reads return one byte less */
	uint8_t *mmap[PDEV_NUM_REGIONS];
	int irqs[3];
	int reset_rc, set_irqs_rc;
	bool irqfd, irqfd_fails;
	struct slot slots[MAX_SLOTS];
};

struct fx {
	struct hdev dev;
	struct memmap *mem;
	struct bus *pio, *mmio;
	struct msi_sink msi;
	struct memslot_sink slots;
	struct pci_host *host;
	struct vfio_pci *v;
	uint8_t devfn;
};

static uint64_t take(struct input *in, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

/* ---- the device (struct pdev) ---- */

static bool in_region(const struct hdev *d, unsigned idx, uint64_t off, size_t len)
{
	return idx < PDEV_NUM_REGIONS && off <= d->ri[idx].size && len <= d->ri[idx].size - off;
}

static int h_region_info(void *o, unsigned idx, struct pdev_region_info *info)
{
	struct hdev *d = o;

	if (idx >= PDEV_NUM_REGIONS || d->info_fails[idx])
		return -EINVAL;
	*info = d->ri[idx];
	return 0;
}

static ssize_t h_read(void *o, unsigned idx, uint64_t off, void *buf, size_t len)
{
	struct hdev *d = o;

	if (!in_region(d, idx, off, len))
		return -EINVAL;
	if (idx != PDEV_REGION_CONFIG)
		memset(buf, (int)(off ^ idx), len);
	else if (off < sizeof(d->cfg))
		memcpy(buf, &d->cfg[off], len < sizeof(d->cfg) - off ? len : sizeof(d->cfg) - off);
	else
		memset(buf, 0, len);
	/* A short read where the region says it has the bytes. */
	return d->short_read[idx] && len ? (ssize_t)len - 1 : (ssize_t)len;
}

static ssize_t h_write(void *o, unsigned idx, uint64_t off, const void *buf, size_t len)
{
	struct hdev *d = o;

	if (!in_region(d, idx, off, len))
		return -EINVAL;
	if (idx == PDEV_REGION_CONFIG && off < sizeof(d->cfg) && len <= sizeof(d->cfg) - off)
		memcpy(&d->cfg[off], buf, len);
	return (ssize_t)len;
}

static void *h_mmap(void *o, unsigned idx, uint64_t size)
{
	struct hdev *d = o;

	CHECK(idx < PDEV_NUM_REGIONS && !d->mmap[idx]);
	CHECK(size <= d->ri[idx].size);
	if (!(d->ri[idx].flags & PDEV_REGION_F_MMAP) || size > MAX_MMAP)
		return NULL;
	d->mmap[idx] = aligned_alloc(PAGE, (size + PAGE - 1) & ~(PAGE - 1));
	return d->mmap[idx];
}

static void h_munmap(void *o, unsigned idx, void *addr, uint64_t size)
{
	struct hdev *d = o;

	CHECK(idx < PDEV_NUM_REGIONS && addr == d->mmap[idx]);
	free(addr);
	d->mmap[idx] = NULL;
}

static int h_irq_count(void *o, unsigned type)
{
	return type < 3 ? ((struct hdev *)o)->irqs[type] : 0;
}

static int h_set_irqs(void *o, unsigned type, unsigned start, unsigned count, const int *fds)
{
	struct hdev *d = o;

	CHECK(type == PDEV_IRQ_MSI || type == PDEV_IRQ_MSIX);
	CHECK(!count || (int)(start + count) <= d->irqs[type]);
	return d->set_irqs_rc;
}

static int h_reset(void *o)
{
	return ((struct hdev *)o)->reset_rc;
}

static struct hiopt_dev *h_hiopt(void *o) { return NULL; }
static const char *h_name(void *o) { return "hostile"; }

static const struct pdev_ops hostile_ops = {
	.region_info = h_region_info, .region_read = h_read, .region_write = h_write,
	.region_mmap = h_mmap, .region_munmap = h_munmap, .irq_count = h_irq_count,
	.set_irqs = h_set_irqs, .reset = h_reset, .hiopt_dev = h_hiopt, .name = h_name,
};

/* ---- sinks ---- */

static int s_send(void *o, uint64_t addr, uint32_t data, uint32_t devid) { return 0; }

static int s_bind(void *o, int fd, uint64_t addr, uint32_t data, uint32_t devid)
{
	return ((struct hdev *)o)->irqfd_fails ? -ENOSPC : 0;
}

static int s_unbind(void *o, int fd) { return 0; }

static int s_map(void *o, uint64_t gpa, uint64_t size, void *hva)
{
	struct hdev *d = o;

	CHECK(!(gpa & (PAGE - 1)) && size && !(size & (PAGE - 1)));
	for (int i = 0; i < MAX_SLOTS; i++) {
		if (!d->slots[i].size) {
			d->slots[i] = (struct slot){ gpa, size, hva };
			return 0;
		}
	}
	return -ENOSPC;
}

static int s_unmap(void *o, uint64_t gpa, uint64_t size)
{
	struct hdev *d = o;

	for (int i = 0; i < MAX_SLOTS; i++) {
		if (d->slots[i].size && d->slots[i].gpa == gpa) {
			CHECK(d->slots[i].size == size);
			d->slots[i].size = 0;
			return 0;
		}
	}
	__builtin_trap();			/* unmapping what was never mapped */
}

static const struct memslot_ops slot_ops = { s_map, s_unmap };

/* ---- reading the device from the input ---- */

/* Powers of two mostly; 0x80 | n gives n * 0x300 (never a power of two but 0). */
static uint64_t region_size(uint8_t code)
{
	if (!code)
		return 0;
	if (code & 0x80)
		return (code & 0x7f) * 0x300ull;
	return 1ull << (code & 63);
}

static void device_from(struct hdev *d, struct input *in)
{
	static const int rcs[] = { 0, 0, 0, -EOPNOTSUPP, -ENOTTY, -EIO, -ENOMEM, -EINVAL };
	uint8_t mode;

	for (size_t i = 0; i < sizeof(d->cfg); i++)
		d->cfg[i] = take(in, 1);
	for (int i = 0; i < PDEV_NUM_REGIONS; i++) {
		uint8_t flags;

		d->ri[i].size = region_size(take(in, 1));
		flags = take(in, 1);
		d->ri[i].flags = flags & 7;
		d->info_fails[i] = flags & 0x80;
		d->short_read[i] = flags & 0x40;
	}
	d->irqs[PDEV_IRQ_MSI] = (int8_t)take(in, 1);
	d->irqs[PDEV_IRQ_MSIX] = (int8_t)take(in, 1);
	d->reset_rc = rcs[take(in, 1) & 7];
	d->set_irqs_rc = rcs[take(in, 1) & 7];
	mode = take(in, 1);
	d->irqfd = mode & 1;
	d->irqfd_fails = mode & 2;
}

/* ---- invariants ---- */

/* The guest's list ends, inside config space, and every MSI/MSI-X body fits. */
static void check_caps(struct fx *f)
{
	uint8_t off = pci_host_cfg_read(f->host, 0, f->devfn, 0x34, 1);

	for (int n = 0; off; n++) {
		uint8_t id = pci_host_cfg_read(f->host, 0, f->devfn, off, 1);

		CHECK(n < 48 && off >= 0x40 && !(off & 3));
		CHECK(id != 0x05 || off + 10u <= 256);
		CHECK(id != 0x11 || off + 12u <= 256);
		off = pci_host_cfg_read(f->host, 0, f->devfn, off + 1, 1);
	}
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* Memory slots of the MSI-X BAR never cover the table or PBA pages. */
static void check_slots(struct fx *f)
{
	struct pci_dev *dev = vfio_pci_dev(f->v);
	const struct pci_msix *x = &dev->msix;
	const struct pci_bar *bar;

	if (!x->nvec)
		return;
	bar = &dev->bar[x->bar];
	CHECK(x->table_off + x->nvec * 16ull <= bar->size);
	CHECK(x->pba_off + (x->nvec + 63u) / 64u * 8u <= bar->size);
	for (int i = 0; i < MAX_SLOTS; i++) {
		const struct slot *s = &f->dev.slots[i];
		uint64_t t = bar->addr + x->table_off, p = bar->addr + x->pba_off;

		if (!s->size || !bar->mapped || !overlaps(s->gpa, s->gpa + s->size, bar->addr,
							  bar->addr + bar->size))
			continue;
		CHECK(!overlaps(s->gpa, s->gpa + s->size, t, t + x->nvec * 16ull));
		CHECK(!overlaps(s->gpa, s->gpa + s->size, p, p + (x->nvec + 63u) / 64u * 8u));
	}
}

/* ---- steps ---- */

static void step_cfg(struct fx *f, struct input *in)
{
	static const uint32_t lens[] = { 1, 2, 4, 4 };
	uint8_t b = take(in, 1);
	uint32_t len = lens[b >> 6], off = (take(in, 2) % PCI_CFG_SIZE) & ~(len - 1);

	/* Mostly the capability area and the header. */
	if (b & 2)
		off &= 0xff;
	if (b & 1)
		pci_host_cfg_write(f->host, 0, f->devfn, off, len, (uint32_t)take(in, 4));
	else
		pci_host_cfg_read(f->host, 0, f->devfn, off, len);
}

static void step_bar(struct fx *f, struct input *in)
{
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	uint8_t b = take(in, 1), data[8] = { 0 };
	const struct pci_bar *bar = &vfio_pci_dev(f->v)->bar[((b >> 2) & 7) % PCI_NUM_BARS];
	uint64_t off = take(in, 2) << (b & 2 ? 4 : 0);
	uint64_t val = take(in, 8);

	if (!bar->size || !bar->mapped)
		return;
	memcpy(data, &val, sizeof(val));
	bus_access(bar->type & PCI_BAR_IO ? f->pio : f->mmio, bar->addr + off % bar->size, data,
		   lens[b >> 6], b & 1);
}

/* The device changes a byte of its own config space (live passthrough). */
static void step_device_cfg(struct fx *f, struct input *in)
{
	uint8_t off = take(in, 1);

	f->dev.cfg[off] = take(in, 1);
}

/* The device raises a vector that is live now (never a closed fd). */
static void step_fire(struct fx *f, struct input *in)
{
	struct vfio_pci *v = f->v;
	uint8_t i = take(in, 1);
	uint64_t one = 1;

	pthread_mutex_lock(&v->irq_lock);
	if (i < v->irqs.n && v->irqs.vec[i].fd >= 0)
		CHECK(write(v->irqs.vec[i].fd, &one, 8) == 8);
	pthread_mutex_unlock(&v->irq_lock);
	vfio_pci_poll(v);
}

static void step_device_mode(struct fx *f, struct input *in)
{
	uint8_t b = take(in, 1);

	f->dev.set_irqs_rc = b & 1 ? -EIO : 0;
	f->dev.irqfd_fails = b & 2;
}

/* ---- setup / teardown ---- */

static bool setup(struct fx *f, struct input *in)
{
	struct pdev pd = { &hostile_ops, &f->dev };

	device_from(&f->dev, in);
	f->mem = memmap_create();
	f->pio = bus_create("pio");
	f->mmio = bus_create("mmio");
	CHECK(f->mem && f->pio && f->mmio);
	f->msi = (struct msi_sink){ .send = s_send, .opaque = &f->dev };
	if (f->dev.irqfd) {
		f->msi.irqfd_bind = s_bind;
		f->msi.irqfd_unbind = s_unbind;
	}
	f->slots = (struct memslot_sink){ &slot_ops, &f->dev };
	f->host = pci_host_create(f->pio, f->mmio, f->mem, &f->msi);
	CHECK(f->host);
	f->v = vfio_pci_assign(f->host, &pd, &f->msi, &f->slots, NULL, -1);
	if (f->v)
		f->devfn = pci_dev_bdf(vfio_pci_dev(f->v));
	return f->v;
}

static void teardown(struct fx *f)
{
	vfio_pci_release(f->v);
	pci_host_destroy(f->host);
	bus_destroy(f->mmio);
	bus_destroy(f->pio);
	memmap_destroy(f->mem);
	/* Every mmap was unmapped, every memory slot removed. */
	for (int i = 0; i < PDEV_NUM_REGIONS; i++)
		CHECK(!f->dev.mmap[i]);
	for (int i = 0; i < MAX_SLOTS; i++)
		CHECK(!f->dev.slots[i].size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const steps[])(struct fx *, struct input *) = {
		step_cfg, step_cfg, step_cfg, step_bar, step_bar, step_device_cfg, step_fire,
		step_device_mode,
	};
	struct input in = { data, size };
	struct fx *f = calloc(1, sizeof(*f));

	CHECK(f);
	if (setup(f, &in)) {
		check_caps(f);
		check_slots(f);
		for (int i = 0; i < MAX_STEPS && in.n; i++) {
			steps[take(&in, 1) % (sizeof(steps) / sizeof(steps[0]))](f, &in);
			check_caps(f);
			check_slots(f);
		}
	}
	teardown(f);
	free(f);
	return 0;
}
