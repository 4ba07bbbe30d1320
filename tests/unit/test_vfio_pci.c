// SPDX-License-Identifier: GPL-2.0-only
/*
 * The assignment layer (vfio_pci.c) against a fake struct pdev: virtualized
 * config space and BARs, memory slots that follow BAR moves, trapped BAR
 * accesses, MSI through eventfds (irqfd and user-space paths), resets, and
 * the sysfs diagnostics of vfio_dev_locate on a fake /sys tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "passthrough/vfio_dev.h"
#include "passthrough/vfio_pci.h"
#include "vmm/bus.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"

#define BAR0_SIZE	0x1000		/* trapped */
#define BAR2_SIZE	0x10000		/* mmap-able, 64-bit prefetchable */
#define MSI_CAP		0x40
#define PM_CAP		0x50
#define VENDOR_REG	0x60		/* device-specific, passed through */

struct fake {
	uint8_t cfg[256];
	uint64_t region_size[PDEV_NUM_REGIONS];	/* what region_info reports */
	int msix_count;				/* irq_count(PDEV_IRQ_MSIX) */
	uint8_t bar0[BAR0_SIZE];
	uint8_t *bar2;			/* the "mmap" */
	int resets;
	int cfg_writes[256];		/* per offset */
	uint64_t last_bar0_off;
	uint32_t last_bar0_val;
	int irq_type, irq_start, irq_count, irq_calls;
	int fds[8];
};

struct rec {
	int sends;
	uint64_t addr;
	uint32_t data;
	int binds;
	int bound_fd;
	int maps, unmaps;
	uint64_t map_gpa, map_size, unmap_gpa;
	void *map_hva;
};

struct env {
	struct fake fake;
	struct rec rec;
	struct bus *pio, *mmio;
	struct memmap *map;
	struct pci_host *host;
	struct msi_sink msi;
	struct memslot_sink slots;
	struct vfio_pci *v;
	uint8_t devfn;
};

/* ---- fake pdev ---- */

static int f_region_info(void *d, unsigned idx, struct pdev_region_info *info)
{
	struct fake *f = d;

	if (idx >= PDEV_NUM_REGIONS)
		return -EINVAL;
	info->size = f->region_size[idx];
	info->flags = PDEV_REGION_F_READ | PDEV_REGION_F_WRITE | (idx == 2 ? PDEV_REGION_F_MMAP : 0);
	return 0;
}

static ssize_t f_read(void *d, unsigned idx, uint64_t off, void *buf, size_t len)
{
	struct fake *f = d;

	if (idx == PDEV_REGION_CONFIG && off + len <= 256 && off + len <= f->region_size[idx])
		memcpy(buf, &f->cfg[off], len);
	else if (idx == 0 && off + len <= BAR0_SIZE)
		memcpy(buf, &f->bar0[off], len);
	else
		return -EINVAL;
	return len;
}

static ssize_t f_write(void *d, unsigned idx, uint64_t off, const void *buf, size_t len)
{
	struct fake *f = d;

	if (idx == PDEV_REGION_CONFIG && off + len <= 256) {
		memcpy(&f->cfg[off], buf, len);
		f->cfg_writes[off]++;
	} else if (idx == 0 && off + len <= BAR0_SIZE) {
		memcpy(&f->bar0[off], buf, len);
		f->last_bar0_off = off;
		f->last_bar0_val = 0;
		memcpy(&f->last_bar0_val, buf, len < 4 ? len : 4);
	} else {
		return -EINVAL;
	}
	return len;
}

static void *f_mmap(void *d, unsigned idx, uint64_t size)
{
	return idx == 2 ? ((struct fake *)d)->bar2 : NULL;
}

static void f_munmap(void *d, unsigned idx, void *addr, uint64_t size) {}

static int f_irq_count(void *d, unsigned type)
{
	return type == PDEV_IRQ_MSI ? 4 : type == PDEV_IRQ_MSIX ? ((struct fake *)d)->msix_count : 0;
}

static int f_set_irqs(void *d, unsigned type, unsigned start, unsigned count, const int *fds)
{
	struct fake *f = d;

	f->irq_type = type;
	f->irq_start = start;
	f->irq_count = count;
	f->irq_calls++;
	for (unsigned i = 0; i < count && i < 8; i++)
		f->fds[i] = fds[i];
	return 0;
}

static int f_reset(void *d)
{
	((struct fake *)d)->resets++;
	return 0;
}

static struct hiopt_dev *f_hiopt(void *d) { return NULL; }
static const char *f_name(void *d) { return "fake"; }

static const struct pdev_ops fake_ops = {
	f_region_info, f_read, f_write, f_mmap, f_munmap, f_irq_count, f_set_irqs, f_reset,
	f_hiopt, f_name,
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->region_size[0] = BAR0_SIZE;
	f->region_size[2] = BAR2_SIZE;
	f->region_size[PDEV_REGION_CONFIG] = 256;
	put16(&f->cfg[0], 0x1234);
	put16(&f->cfg[2], 0x11e8);
	f->cfg[8] = 0x10;
	f->cfg[0x0b] = 0x00;
	f->cfg[0x0a] = 0xff;
	put16(&f->cfg[6], 0x10);			/* capability list */
	put32(&f->cfg[0x10], 0x0);			/* BAR0: mem32 */
	put32(&f->cfg[0x18], 0xc);			/* BAR2: mem64 prefetch */
	put32(&f->cfg[0x2c], 0xabcd1af4);
	f->cfg[0x3d] = 1;				/* INTA: must be hidden */
	f->cfg[0x34] = MSI_CAP;
	f->cfg[MSI_CAP] = 0x05;
	f->cfg[MSI_CAP + 1] = PM_CAP;
	put16(&f->cfg[MSI_CAP + 2], 0x80 | (2 << 1));	/* 64-bit, 4 vectors */
	f->cfg[PM_CAP] = 0x01;
	put16(&f->cfg[PM_CAP + 2], 0x0003);
	f->cfg[VENDOR_REG] = 0x5a;
	put32(&f->bar0[8], 0xfeed0001);
	f->bar2 = aligned_alloc(4096, BAR2_SIZE);
	memset(f->bar2, 0, BAR2_SIZE);
}

/* ---- recording sinks ---- */

static int r_send(void *o, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct rec *r = o;

	r->sends++;
	r->addr = addr;
	r->data = data;
	return 0;
}

static int r_bind(void *o, int fd, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct rec *r = o;

	r->binds++;
	r->bound_fd = fd;
	r->addr = addr;
	r->data = data;
	return 0;
}

static int r_unbind(void *o, int fd) { return 0; }

static int r_map(void *o, uint64_t gpa, uint64_t size, void *hva)
{
	struct rec *r = o;

	r->maps++;
	r->map_gpa = gpa;
	r->map_size = size;
	r->map_hva = hva;
	return 0;
}

static int r_unmap(void *o, uint64_t gpa, uint64_t size)
{
	struct rec *r = o;

	r->unmaps++;
	r->unmap_gpa = gpa;
	return 0;
}

static const struct memslot_ops slot_ops = { r_map, r_unmap };

/* Everything but the assignment, so a test can make the fake hostile first. */
static struct env *env_new(bool irqfd)
{
	struct env *e = calloc(1, sizeof(*e));

	fake_init(&e->fake);
	e->pio = bus_create("pio");
	e->mmio = bus_create("mmio");
	e->map = memmap_create();
	e->msi = (struct msi_sink){ .send = r_send, .opaque = &e->rec };
	if (irqfd) {
		e->msi.irqfd_bind = r_bind;
		e->msi.irqfd_unbind = r_unbind;
	}
	e->slots = (struct memslot_sink){ &slot_ops, &e->rec };
	e->host = pci_host_create(e->pio, e->mmio, e->map, &e->msi);
	assert_non_null(e->host);
	return e;
}

/* Assign the fake at slot 3: 0 or -errno. */
static int env_assign(struct env *e)
{
	struct pdev pd = { &fake_ops, &e->fake };

	e->v = vfio_pci_assign(e->host, &pd, &e->msi, &e->slots, NULL, 3);
	if (!e->v)
		return -errno;
	e->devfn = vfio_pci_dev(e->v)->devfn;
	return 0;
}

static int env_setup(void **state, bool irqfd)
{
	struct env *e = env_new(irqfd);

	assert_int_equal(env_assign(e), 0);
	*state = e;
	return 0;
}

static int setup(void **state) { return env_setup(state, false); }
static int setup_irqfd(void **state) { return env_setup(state, true); }

static int teardown(void **state)
{
	struct env *e = *state;

	vfio_pci_release(e->v);
	pci_host_destroy(e->host);
	memmap_destroy(e->map);
	bus_destroy(e->mmio);
	bus_destroy(e->pio);
	free(e->fake.bar2);
	free(e);
	return 0;
}

static uint32_t rd(struct env *e, uint32_t off, uint32_t len)
{
	return pci_host_cfg_read(e->host, 0, e->devfn, off, len);
}

static void wr(struct env *e, uint32_t off, uint32_t len, uint32_t val)
{
	pci_host_cfg_write(e->host, 0, e->devfn, off, len, val);
}

static uint64_t bar_addr(struct env *e, int idx)
{
	return (rd(e, 0x10 + 4 * idx, 4) & ~0xfu) | (idx == 2 ? (uint64_t)rd(e, 0x1c, 4) << 32 : 0);
}

/* ---- tests ---- */

static void test_identity_and_reset(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->devfn, 3 << 3);
	assert_int_equal(rd(e, 0, 4), 0x11e81234);
	assert_int_equal(rd(e, 0x2c, 4), 0xabcd1af4);
	assert_int_equal(rd(e, 0x08, 4) >> 8, 0x00ff00);
	assert_int_equal(rd(e, 0x3d, 1), 0);		/* no INTx pin */
	assert_int_equal(e->fake.resets, 1);
	/* The capability list keeps the device's offsets. */
	assert_int_equal(rd(e, 0x34, 1), MSI_CAP);
	assert_int_equal(rd(e, MSI_CAP, 2), 0x05 | PM_CAP << 8);
	assert_int_equal(rd(e, PM_CAP, 1), 0x01);
}

static void test_bars_in_window(void **state)
{
	struct env *e = *state;
	uint64_t b0 = bar_addr(e, 0), b2 = bar_addr(e, 2);

	assert_true(b0 >= LAYOUT_MMIO32_BASE && b0 < LAYOUT_MMIO32_BASE + LAYOUT_MMIO32_SIZE);
	assert_int_equal(b0 % BAR0_SIZE, 0);
	assert_int_equal(rd(e, 0x18, 4) & 0xf, 0xc);	/* 64-bit prefetchable */
	assert_int_equal(b2 % BAR2_SIZE, 0);
	/* Only the mmap-able BAR became a memory slot, over its whole size. */
	assert_int_equal(e->rec.maps, 1);
	assert_int_equal(e->rec.map_gpa, b2);
	assert_int_equal(e->rec.map_size, BAR2_SIZE);
	assert_ptr_equal(e->rec.map_hva, e->fake.bar2);
	/* Decoding enabled on the device, INTx kept disabled. */
	assert_int_equal(e->fake.cfg[4] & 0x6, 0x6);
	assert_true(e->fake.cfg[5] & 0x04);
}

static void test_bar_sizing(void **state)
{
	struct env *e = *state;

	wr(e, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(e, 0x10, 4), (uint32_t)~(BAR0_SIZE - 1));
	wr(e, 0x18, 4, 0xffffffff);
	assert_int_equal(rd(e, 0x18, 4), (uint32_t)~(BAR2_SIZE - 1) | 0xc);
	/* Sizing never reaches the device. */
	assert_int_equal(e->fake.cfg_writes[0x10] + e->fake.cfg_writes[0x18], 0);
}

static void test_bar_move_remaps_slot(void **state)
{
	struct env *e = *state;
	uint64_t old = bar_addr(e, 2), new = LAYOUT_MMIO32_BASE + 0x1000000;

	wr(e, 0x18, 4, (uint32_t)new);
	assert_int_equal(e->rec.unmap_gpa, old);
	assert_int_equal(e->rec.map_gpa, new);
	assert_ptr_equal(e->rec.map_hva, e->fake.bar2);
	/* Memory decoding off: the slot goes away. */
	wr(e, 0x04, 2, 0x0004);
	assert_int_equal(e->rec.unmaps, 2);
	assert_int_equal(e->rec.unmap_gpa, new);
}

static void test_trapped_bar(void **state)
{
	struct env *e = *state;
	uint64_t b0 = bar_addr(e, 0);
	uint32_t v = 0x12345678, r = 0;

	assert_int_equal(bus_access(e->mmio, b0 + 0x20, &v, 4, true), 0);
	assert_int_equal(e->fake.last_bar0_off, 0x20);
	assert_int_equal(e->fake.last_bar0_val, 0x12345678);
	assert_int_equal(bus_access(e->mmio, b0 + 8, &r, 4, false), 0);
	assert_int_equal(r, 0xfeed0001);
}

static void test_readonly_and_passthrough(void **state)
{
	struct env *e = *state;

	wr(e, 0x00, 4, 0xdeadbeef);
	assert_int_equal(rd(e, 0, 4), 0x11e81234);
	wr(e, 0x2c, 4, 0);
	wr(e, 0x30, 4, 0xffffffff);			/* ROM BAR: none offered */
	assert_int_equal(rd(e, 0x30, 4), 0);
	wr(e, 0x34, 1, 0x80);
	assert_int_equal(rd(e, 0x34, 1), MSI_CAP);
	for (int i = 0; i < 0x40; i++)
		if (i != 4)
			assert_int_equal(e->fake.cfg_writes[i], 0);
	assert_int_equal(e->fake.cfg[0], 0x34);
	/* Device-specific bytes are live in both directions. */
	e->fake.cfg[VENDOR_REG] = 0x77;
	assert_int_equal(rd(e, VENDOR_REG, 1), 0x77);
	wr(e, VENDOR_REG, 1, 0x99);
	assert_int_equal(e->fake.cfg[VENDOR_REG], 0x99);
	/* PM capability body is passed through, its header emulated. */
	assert_int_equal(rd(e, PM_CAP + 2, 2), 0x0003);
	/* Guest tries to enable INTx: the device keeps it disabled. */
	wr(e, 0x04, 2, 0x0006);
	assert_true(e->fake.cfg[5] & 0x04);
	assert_int_equal(e->fake.cfg[4] & 0x6, 0x6);
}

static void msi_program(struct env *e, uint16_t ctrl)
{
	wr(e, MSI_CAP + 4, 4, 0xfee01000);
	wr(e, MSI_CAP + 8, 4, 0);
	wr(e, MSI_CAP + 12, 2, 0x4040);
	wr(e, MSI_CAP + 2, 2, ctrl);
}

static void test_msi_fallback(void **state)
{
	struct env *e = *state;
	uint64_t one = 1;

	assert_int_equal(e->fake.irq_calls, 0);
	msi_program(e, 0x0001 | (1 << 4));		/* enable, 2 vectors */
	assert_int_equal(e->fake.irq_type, PDEV_IRQ_MSI);
	assert_int_equal(e->fake.irq_count, 2);
	assert_true(e->fake.fds[0] >= 0 && e->fake.fds[1] >= 0);
	/* The device raises vector 1: the guest gets its message. */
	assert_int_equal(write(e->fake.fds[1], &one, 8), 8);
	assert_int_equal(vfio_pci_poll(e->v), 1);
	assert_int_equal(e->rec.sends, 1);
	assert_int_equal(e->rec.addr, 0xfee01000);
	assert_int_equal(e->rec.data, 0x4041);
	assert_int_equal(vfio_pci_poll(e->v), 0);	/* drained */
	/* Writes to the MSI capability never reach the device's own. */
	assert_int_equal(e->fake.cfg_writes[MSI_CAP + 2] + e->fake.cfg_writes[MSI_CAP + 4], 0);
	/* Disable: vectors unbound with count 0. */
	wr(e, MSI_CAP + 2, 2, 0);
	assert_int_equal(e->fake.irq_count, 0);
	assert_int_equal(e->fake.irq_calls, 2);
}

static void test_msi_irqfd(void **state)
{
	struct env *e = *state;

	msi_program(e, 0x0001);
	assert_int_equal(e->fake.irq_count, 1);
	assert_int_equal(e->rec.binds, 1);
	assert_int_equal(e->rec.bound_fd, e->fake.fds[0]);
	assert_int_equal(e->rec.addr, 0xfee01000);
	assert_int_equal(e->rec.data, 0x4040);
	/* Retargeting while enabled rebinds the same eventfd. */
	wr(e, MSI_CAP + 4, 4, 0xfee02000);
	assert_int_equal(e->rec.binds, 2);
	assert_int_equal(e->rec.addr, 0xfee02000);
	assert_int_equal(vfio_pci_poll(e->v), 0);	/* nothing left to user space */
}

static void test_release(void **state)
{
	struct env *e;

	setup(state);
	e = *state;
	msi_program(e, 0x0001);
	vfio_pci_release(e->v);
	e->v = NULL;
	assert_int_equal(e->fake.resets, 2);
	assert_int_equal(e->fake.irq_count, 0);		/* MSI disabled */
	assert_int_equal(e->rec.unmaps, 1);
	assert_null(pci_host_dev(e->host, 3));
	teardown(state);
}

/* ---- hostile devices: malformed capability lists and MSI-X ---- */

#define MSIX_CAP	0x70

/* A fresh environment whose fake is not assigned yet (teardown frees it). */
static struct env *hostile_env(void **state)
{
	struct env *e = env_new(false);

	*state = e;
	return e;
}

/* PM's next pointer goes to a capability at off. */
static void chain_after_pm(struct env *e, uint8_t off)
{
	e->fake.cfg[PM_CAP + 1] = off;
}

/* MSI-X header at off: nvec vectors, table and PBA (offset | BIR). */
static void put_msix(struct fake *f, uint8_t off, uint16_t nvec, uint32_t table, uint32_t pba)
{
	f->cfg[off] = 0x11;
	f->cfg[off + 1] = 0;
	put16(&f->cfg[off + 2], nvec - 1);
	if (off + 8 <= 256)
		put32(&f->cfg[off + 4], table);
	if (off + 12 <= 256)
		put32(&f->cfg[off + 8], pba);
	f->msix_count = nvec;
}

/* Walk the guest's capability list into ids/offs; fails on a loop. */
static int guest_caps(struct env *e, uint8_t *ids, uint8_t *offs, int max)
{
	uint8_t off = rd(e, 0x34, 1);
	int n = 0;

	while (off) {
		assert_true(n < max);
		assert_true(off >= 0x40 && off <= 0xfc && !(off & 3));
		offs[n] = off;
		ids[n++] = rd(e, off, 1);
		off = rd(e, off + 1, 1);
	}
	return n;
}

static bool guest_has_cap(struct env *e, uint8_t id)
{
	uint8_t ids[48], offs[48];
	int n = guest_caps(e, ids, offs, 48);

	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The MSI and PM capabilities the guest must still see. */
static void assert_msi_pm(struct env *e)
{
	uint8_t ids[48], offs[48];
	int n = guest_caps(e, ids, offs, 48);

	assert_true(n >= 2);
	assert_int_equal(offs[0], MSI_CAP);
	assert_int_equal(ids[0], 0x05);
	assert_int_equal(offs[1], PM_CAP);
	assert_int_equal(ids[1], 0x01);
}

/* Regression (issue 11, finding 5): an MSI-X capability at 0xf8/0xfc made
 * add_msix read cfg[0x100..0x107] past the 256-byte stack copy. It cannot fit
 * (12 bytes), so it is hidden; the rest of the device is assigned. */
static void test_hostile_msix_at_end(void **state)
{
	static const uint8_t offs[] = { 0xf8, 0xfc };

	for (unsigned i = 0; i < sizeof(offs); i++) {
		struct env *e = hostile_env(state);

		put_msix(&e->fake, offs[i], 4, 0x800, 0xc00);
		chain_after_pm(e, offs[i]);
		assert_int_equal(env_assign(e), 0);
		assert_msi_pm(e);
		assert_false(guest_has_cap(e, 0x11));
		teardown(state);
	}
}

/* A well-formed MSI-X capability is offered, with the table in BAR0. */
static void test_msix_valid(void **state)
{
	struct env *e = hostile_env(state);
	uint64_t b0;
	uint32_t v = 0;

	put_msix(&e->fake, MSIX_CAP, 8, 0x800, 0xc00);
	chain_after_pm(e, MSIX_CAP);
	assert_int_equal(env_assign(e), 0);
	assert_true(guest_has_cap(e, 0x11));
	assert_int_equal(rd(e, MSIX_CAP + 2, 2) & 0x7ff, 7);
	assert_int_equal(rd(e, MSIX_CAP + 4, 4), 0x800);
	b0 = bar_addr(e, 0);
	assert_int_equal(bus_access(e->mmio, b0 + 0x800 + 12, &v, 4, false), 0);
	assert_int_equal(v, 1);			/* vector 0 masked at reset */
	teardown(state);
}

/* Table or PBA outside the BAR, in a missing/odd BAR, overlapping, or more
 * vectors than fit: the capability is hidden, the device still assigned. */
static void test_hostile_msix_table(void **state)
{
	static const struct { uint16_t nvec; uint32_t table, pba; } bad[] = {
		{ 8, 0x2000, 0xc00 },		/* table past BAR0's 4 KiB */
		{ 8, 0x800, 0x1000 },		/* PBA starts at the end */
		{ 8, 0xff8, 0xc00 },		/* table runs past the end */
		{ 8, 0xfffffff8, 0xc00 },	/* offset near 4 GiB */
		{ 2048, 0x0, 0xc00 },		/* 32 KiB table in 4 KiB */
		{ 8, 0x800 | 7, 0xc00 | 7 },	/* BIR 7: reserved */
		{ 8, 0x800 | 6, 0xc00 | 6 },	/* BIR 6: reserved */
		{ 8, 0x800 | 1, 0xc00 | 1 },	/* BAR1: not implemented */
		{ 8, 0x800 | 3, 0xc00 | 3 },	/* upper half of 64-bit BAR2 */
		{ 8, 0x800, 0x800 },		/* PBA over the table */
		{ 8, 0x800, 0xc00 | 2 },	/* different BARs */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct env *e = hostile_env(state);

		put_msix(&e->fake, MSIX_CAP, bad[i].nvec, bad[i].table, bad[i].pba);
		chain_after_pm(e, MSIX_CAP);
		assert_int_equal(env_assign(e), 0);
		assert_msi_pm(e);
		assert_false(guest_has_cap(e, 0x11));
		teardown(state);
	}
}

/* Fewer MSI-X vectors from VFIO than the capability claims: offer those. */
static void test_hostile_msix_fewer_irqs(void **state)
{
	struct env *e = hostile_env(state);

	put_msix(&e->fake, MSIX_CAP, 16, 0x800, 0xc00);
	e->fake.msix_count = 3;
	chain_after_pm(e, MSIX_CAP);
	assert_int_equal(env_assign(e), 0);
	assert_int_equal(rd(e, MSIX_CAP + 2, 2) & 0x7ff, 2);
	teardown(state);
}

/* Capability chains that loop (to themselves, back to the first) end at the
 * repeat: each capability is offered once and the guest's list ends. */
static void test_hostile_cap_loop(void **state)
{
	static const uint8_t back[] = { MSI_CAP, PM_CAP, MSIX_CAP };

	for (unsigned i = 0; i < sizeof(back); i++) {
		struct env *e = hostile_env(state);
		uint8_t ids[48], offs[48];

		put_msix(&e->fake, MSIX_CAP, 8, 0x800, 0xc00);
		chain_after_pm(e, MSIX_CAP);
		e->fake.cfg[MSIX_CAP + 1] = back[i];
		assert_int_equal(env_assign(e), 0);
		assert_int_equal(guest_caps(e, ids, offs, 48), 3);
		assert_int_equal(offs[2], MSIX_CAP);
		assert_int_equal(ids[2], 0x11);
		teardown(state);
	}
}

/* A capability whose header lies inside an emulated MSI body, or an MSI
 * capability that does not fit in 256 bytes: hidden, never overlapped. */
static void test_hostile_cap_overlap(void **state)
{
	struct env *e = hostile_env(state);

	/* MSI 64-bit at 0x40 spans 0x40-0x4d; a header at 0x48 overlaps it. */
	e->fake.cfg[MSI_CAP + 1] = 0x48;
	e->fake.cfg[0x48] = 0x09;
	e->fake.cfg[0x49] = PM_CAP;
	assert_int_equal(env_assign(e), 0);
	assert_false(guest_has_cap(e, 0x09));
	assert_true(guest_has_cap(e, 0x05));
	/* The guest cannot turn MSI address bytes into a list pointer. */
	wr(e, 0x48, 4, 0xfee00000 | MSI_CAP);
	assert_false(guest_has_cap(e, 0x09));
	teardown(state);

	/* 64-bit MSI (14 bytes) at 0xf4, and with per-vector masking at 0xf0. */
	for (int i = 0; i < 2; i++) {
		uint8_t off = i ? 0xf0 : 0xf4;

		e = hostile_env(state);
		e->fake.cfg[0x34] = off;
		e->fake.cfg[off] = 0x05;
		e->fake.cfg[off + 1] = PM_CAP;
		put16(&e->fake.cfg[off + 2], 0x80 | (i ? 0x100 : 0));
		assert_int_equal(env_assign(e), 0);
		assert_false(guest_has_cap(e, 0x05));
		assert_true(guest_has_cap(e, 0x01));
		teardown(state);
	}
}

/* A config region shorter than the standard header, and BARs that cannot be
 * represented: a clear error, nothing registered. */
static void test_hostile_regions(void **state)
{
	struct env *e = hostile_env(state);

	e->fake.region_size[PDEV_REGION_CONFIG] = 64;
	assert_int_equal(env_assign(e), -EIO);
	assert_null(pci_host_dev(e->host, 3));
	teardown(state);

	e = hostile_env(state);
	e->fake.region_size[0] = 0x3000;		/* not a power of two */
	assert_int_equal(env_assign(e), -EINVAL);
	assert_null(pci_host_dev(e->host, 3));
	teardown(state);

	e = hostile_env(state);
	put32(&e->fake.cfg[0x24], 0x4);			/* BAR5 claims 64-bit */
	e->fake.region_size[5] = 0x1000;
	assert_int_equal(env_assign(e), -EINVAL);
	teardown(state);
}

/* ---- vfio_dev_locate on a fake sysfs ---- */

static void mk(const char *root, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(p), 0);
}

static void ln(const char *root, const char *target, const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "ln -sfn '%s' '%s/%s'", target, root, rel);
	assert_int_equal(system(p), 0);
}

static void test_locate(void **state)
{
	char root[] = "/tmp/ioshade-sysfs-XXXXXX", cdev[256], bdf[32], why[512], p[600];
	const char *d = "bus/pci/devices/0000:03:00.0";

	assert_non_null(mkdtemp(root));
	assert_int_equal(vfio_dev_locate(root, root, "03:00.0", cdev, sizeof(cdev), bdf,
					 sizeof(bdf), why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no PCI device 0000:03:00.0"));
	mk(root, d);
	mk(root, "bus/pci/drivers/e1000e");
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/e1000e", root);
	ln(root, p, "bus/pci/devices/0000:03:00.0/driver");
	assert_int_equal(vfio_dev_locate(root, root, "0000:03:00.0", cdev, sizeof(cdev), bdf,
					 sizeof(bdf), why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "bound to e1000e"));
	assert_non_null(strstr(why, "echo vfio-pci > /sys/bus/pci/devices/0000:03:00.0/driver_override"));
	assert_non_null(strstr(why, "drivers_probe"));
	/* Rebound to vfio-pci, but a kernel without the cdev. */
	mk(root, "bus/pci/drivers/vfio-pci");
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/vfio-pci", root);
	ln(root, p, "bus/pci/devices/0000:03:00.0/driver");
	assert_int_equal(vfio_dev_locate(root, root, "0000:03:00.0", cdev, sizeof(cdev), bdf,
					 sizeof(bdf), why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "CONFIG_VFIO_DEVICE_CDEV"));
	/* A group shared with a device still on a host driver. */
	mk(root, "bus/pci/devices/0000:03:00.0/vfio-dev/vfio0");
	mk(root, "groups/7/devices");
	mk(root, "bus/pci/devices/0000:03:00.1");
	snprintf(p, sizeof(p), "%s/groups/7", root);
	ln(root, p, "bus/pci/devices/0000:03:00.0/iommu_group");
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:03:00.1", root);
	ln(root, p, "groups/7/devices/0000:03:00.1");
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/e1000e", root);
	ln(root, p, "bus/pci/devices/0000:03:00.1/driver");
	assert_int_equal(vfio_dev_locate(root, root, "0000:03:00.0", cdev, sizeof(cdev), bdf,
					 sizeof(bdf), why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "0000:03:00.1 (e1000e)"));
	/* Fixed: the cdev path comes from vfio-dev/vfioN. */
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/vfio-pci", root);
	ln(root, p, "bus/pci/devices/0000:03:00.1/driver");
	mk(root, "vfio/devices/vfio0");
	assert_int_equal(vfio_dev_locate(root, root, "0000:03:00.0", cdev, sizeof(cdev), bdf,
					 sizeof(bdf), why, sizeof(why)), 0);
	snprintf(p, sizeof(p), "%s/vfio/devices/vfio0", root);
	assert_string_equal(cdev, p);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

static void test_locate_bad_spec(void **state)
{
	char cdev[64], bdf[32], why[256];

	assert_int_equal(vfio_dev_locate("/nonexistent", "/nonexistent", "eth0", cdev,
					 sizeof(cdev), bdf, sizeof(bdf), why, sizeof(why)), -EINVAL);
	assert_int_equal(vfio_dev_locate("/nonexistent", "/nonexistent", "0000:00:20.0", cdev,
					 sizeof(cdev), bdf, sizeof(bdf), why, sizeof(why)), -EINVAL);
	assert_int_equal(vfio_dev_locate("/nonexistent", "/nonexistent",
					 "/sys/bus/pci/devices/0000:00:03.0/", cdev, sizeof(cdev),
					 bdf, sizeof(bdf), why, sizeof(why)), -ENOENT);
	assert_string_equal(bdf, "0000:00:03.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars_in_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move_remaps_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trapped_bar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_and_passthrough, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_irqfd, setup_irqfd, teardown),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_hostile_msix_at_end),
		cmocka_unit_test(test_msix_valid),
		cmocka_unit_test(test_hostile_msix_table),
		cmocka_unit_test(test_hostile_msix_fewer_irqs),
		cmocka_unit_test(test_hostile_cap_loop),
		cmocka_unit_test(test_hostile_cap_overlap),
		cmocka_unit_test(test_hostile_regions),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_locate_bad_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
