// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the PCI host bridge: ECAM and 0xCF8/0xCFC agree, absent
 * functions read all-ones, BAR sizing/moving/decoding keep the buses and the
 * memmap in step, read-only and W1C fields, the capability list, and MSI-X
 * masking, pending bits and delivery through a recording msi_sink.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/pci.h"

#define MAX_MSGS 8

struct fix {
	struct bus *pio, *mmio;
	struct memmap *mem;
	struct pci_host *host;
	struct msi_sink sink;
	struct { uint64_t addr; uint32_t data, devid; } msg[MAX_MSGS];
	int nmsg;
	struct pci_dev dev;
	int devfn;
	uint64_t last_off;
	int bar_hits, remaps;
};

static int record_msi(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct fix *f = opaque;

	int n = __atomic_fetch_add(&f->nmsg, 1, __ATOMIC_SEQ_CST);

	if (n < MAX_MSGS)
		f->msg[n] = (typeof(f->msg[0])){ addr, data, devid };
	return 0;
}

static void bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct fix *f = opaque;

	if (pci_msix_access(&f->dev, 2, off, data, len, false))
		return;
	f->bar_hits++;
	f->last_off = off;
	memset(data, 0x42, len);
}

static void bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct fix *f = opaque;

	if (pci_msix_access(&f->dev, 2, off, (void *)data, len, true))
		return;
	f->bar_hits++;
	f->last_off = off;
}

static const struct bus_ops bar_ops = { .read = bar_read, .write = bar_write };

static void on_remap(struct pci_dev *dev, int bar)
{
	struct fix *f = dev->opaque;

	f->remaps++;
}

static const struct pci_dev_ops dev_ops = { .bar_remap = on_remap };

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pio = bus_create("pio");
	f->mmio = bus_create("mmio");
	f->mem = memmap_create();
	assert_int_equal(memmap_add(f->mem, 0, 0x10000000, MEMMAP_RAM, 0, NULL, "ram"), 0);
	f->sink = (struct msi_sink){ .send = record_msi, .opaque = f };
	f->host = pci_host_create(f->pio, f->mmio, f->mem, &f->sink);
	assert_non_null(f->host);
	pci_dev_init(&f->dev, 0x1234, 0x5678, 0x00ff00, 2, &dev_ops, f);
	assert_int_equal(pci_dev_add_bar(&f->dev, 0, 0x1000, PCI_BAR_MEM32, &bar_ops, f), 0);
	assert_int_equal(pci_dev_add_bar(&f->dev, 1, 0x20, PCI_BAR_IO, &bar_ops, f), 0);
	assert_int_equal(pci_dev_add_bar(&f->dev, 2, 0x4000, PCI_BAR_MEM64, &bar_ops, f), 0);
	assert_int_equal(pci_dev_add_msix(&f->dev, 4, 2, 0x2000, 0x3000), 0);
	f->devfn = pci_host_register(f->host, &f->dev, 3);
	assert_int_equal(f->devfn, 3 << 3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	pci_host_unregister(f->host, &f->dev);
	pci_host_destroy(f->host);
	memmap_destroy(f->mem);
	bus_destroy(f->mmio);
	bus_destroy(f->pio);
	free(f);
	return 0;
}

static uint32_t ecam_rd(struct fix *f, int devfn, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	bus_access(f->mmio, LAYOUT_ECAM_BASE + ((uint64_t)devfn << 12) + off, &v, len, false);
	return v;
}

static void ecam_wr(struct fix *f, int devfn, uint32_t off, uint32_t len, uint32_t v)
{
	bus_access(f->mmio, LAYOUT_ECAM_BASE + ((uint64_t)devfn << 12) + off, &v, len, true);
}

static uint32_t cf8_rd(struct fix *f, int devfn, uint32_t off, uint32_t len)
{
	uint32_t a = 0x80000000u | devfn << 8 | (off & 0xfc), v = 0;

	bus_access(f->pio, 0xcf8, &a, 4, true);
	bus_access(f->pio, 0xcfc + (off & 3), &v, len, false);
	return v;
}

static void cf8_wr(struct fix *f, int devfn, uint32_t off, uint32_t len, uint32_t v)
{
	uint32_t a = 0x80000000u | devfn << 8 | (off & 0xfc);

	bus_access(f->pio, 0xcf8, &a, 4, true);
	bus_access(f->pio, 0xcfc + (off & 3), &v, len, true);
}

static uint64_t bar_addr(struct fix *f, int bar)
{
	uint64_t a = ecam_rd(f, f->devfn, 0x10 + 4 * bar, 4) & ~0xfu;

	if (bar == 2)
		a |= (uint64_t)ecam_rd(f, f->devfn, 0x1c, 4) << 32;
	return a;
}

static void test_paths_agree(void **state)
{
	struct fix *f = *state;

	assert_int_equal(ecam_rd(f, 0, 0, 2), 0x8086);
	assert_int_equal(cf8_rd(f, 0, 0, 4), ecam_rd(f, 0, 0, 4));
	assert_int_equal(ecam_rd(f, 0, 0x0a, 2), 0x0600);
	assert_int_equal(cf8_rd(f, 0, 0x0a, 2), 0x0600);
	assert_int_equal(cf8_rd(f, f->devfn, 0, 4), 0x56781234);
	assert_int_equal(cf8_rd(f, f->devfn, 0x8, 1), 2);
	assert_int_equal(ecam_rd(f, f->devfn, 0x9, 1), 0x00);
	assert_int_equal(ecam_rd(f, f->devfn, 0xa, 1), 0xff);
	/* A write through one path is seen through the other. */
	cf8_wr(f, f->devfn, 0x3c, 1, 0x0b);
	assert_int_equal(ecam_rd(f, f->devfn, 0x3c, 1), 0x0b);
	ecam_wr(f, f->devfn, 0x0d, 1, 0x40);
	assert_int_equal(cf8_rd(f, f->devfn, 0x0d, 1), 0x40);
}

static void test_absent_and_bad_accesses(void **state)
{
	struct fix *f = *state;
	uint32_t a = 0x00001800, v = 0;		/* enable bit clear */

	assert_int_equal(ecam_rd(f, 5 << 3, 0, 4), 0xffffffffu);
	assert_int_equal(cf8_rd(f, 5 << 3, 0, 4), 0xffffffffu);
	assert_int_equal(ecam_rd(f, f->devfn + 1, 0, 2), 0xffff);	/* function 1 */
	ecam_wr(f, 5 << 3, 4, 2, 0xffff);				/* dropped */
	bus_access(f->pio, 0xcf8, &a, 4, true);
	bus_access(f->pio, 0xcfc, &v, 4, false);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(ecam_rd(f, 0, 1, 2), 0xffff);		/* misaligned */
	assert_int_equal(ecam_rd(f, 0, 2, 4), 0xffffffffu);
	assert_int_equal(pci_host_cfg_read(f->host, 1, 0, 0, 4), 0xffffffffu);
	assert_int_equal(pci_host_cfg_read(f->host, 0, 0, PCI_CFG_SIZE, 1), 0xff);
}

static void test_bar_assignment(void **state)
{
	struct fix *f = *state;
	struct memmap_region r;
	uint32_t v;

	assert_true(bar_addr(f, 0) >= LAYOUT_MMIO32_BASE);
	assert_int_equal(bar_addr(f, 0) & 0xfff, 0);
	assert_int_equal(bar_addr(f, 2) & 0x3fff, 0);
	assert_int_equal(ecam_rd(f, f->devfn, 0x14, 4), 0xc001);
	assert_int_equal(ecam_rd(f, f->devfn, 4, 2) & 7, 7);	/* IO | MEM | MASTER */
	assert_int_equal(bus_access(f->mmio, bar_addr(f, 0) + 0x10, &v, 4, false), 0);
	assert_int_equal(f->last_off, 0x10);
	assert_int_equal(v, 0x42424242);
	assert_int_equal(memmap_query(f->mem, bar_addr(f, 0), 0x1000, &r), 0);
	assert_int_equal(r.kind, MEMMAP_MMIO);
	assert_int_equal(r.flags, MEMMAP_F_BAR);
	v = 0;
	assert_int_equal(bus_access(f->pio, (ecam_rd(f, f->devfn, 0x14, 4) & ~3u) + 4, &v, 1,
				    false), 0);
	assert_int_equal(f->last_off, 4);
}

static void test_bar_sizing(void **state)
{
	struct fix *f = *state;
	uint32_t old = ecam_rd(f, f->devfn, 0x10, 4);

	ecam_wr(f, f->devfn, 4, 2, 0);	/* decoding off while sizing, like Linux */
	ecam_wr(f, f->devfn, 0x10, 4, 0xffffffff);
	assert_int_equal(ecam_rd(f, f->devfn, 0x10, 4), 0xfffff000u);
	ecam_wr(f, f->devfn, 0x14, 4, 0xffffffff);
	assert_int_equal(ecam_rd(f, f->devfn, 0x14, 4), 0xffffffe1u);
	ecam_wr(f, f->devfn, 0x18, 4, 0xffffffff);
	ecam_wr(f, f->devfn, 0x1c, 4, 0xffffffff);
	assert_int_equal(ecam_rd(f, f->devfn, 0x18, 4), 0xffffc004u);
	assert_int_equal(ecam_rd(f, f->devfn, 0x1c, 4), 0xffffffffu);
	ecam_wr(f, f->devfn, 0x20, 4, 0xffffffff);	/* unused BAR stays 0 */
	assert_int_equal(ecam_rd(f, f->devfn, 0x20, 4), 0);
	/* Sizing pattern with decoding on must not map anything at the top. */
	ecam_wr(f, f->devfn, 4, 2, 7);
	assert_false(memmap_overlaps(f->mem, 0xfffff000u, 0xffffffffu, ~0u, 0));
	ecam_wr(f, f->devfn, 0x10, 4, old);
	assert_int_equal(ecam_rd(f, f->devfn, 0x10, 4), old);
}

static void test_bar_move(void **state)
{
	struct fix *f = *state;
	uint64_t old = bar_addr(f, 0), nu = LAYOUT_MMIO32_BASE + 0x100000;
	int remaps = f->remaps;
	uint32_t v;

	ecam_wr(f, f->devfn, 0x10, 4, nu);
	assert_int_equal(bar_addr(f, 0), nu);
	assert_int_equal(bus_access(f->mmio, old, &v, 4, false), -ENOENT);
	assert_int_equal(bus_access(f->mmio, nu + 8, &v, 4, false), 0);
	assert_int_equal(memmap_query(f->mem, old, 1, NULL), -ENOENT);
	assert_int_equal(memmap_query(f->mem, nu, 0x1000, NULL), 0);
	assert_int_equal(f->dev.bar[0].addr, nu);
	assert_true(f->remaps > remaps);
}

static void test_decoding_off(void **state)
{
	struct fix *f = *state;
	uint64_t a = bar_addr(f, 0);
	uint32_t v;

	ecam_wr(f, f->devfn, 4, 2, 0x4);		/* MEM and IO off */
	assert_int_equal(bus_access(f->mmio, a, &v, 4, false), -ENOENT);
	assert_int_equal(memmap_query(f->mem, a, 1, NULL), -ENOENT);
	assert_false(f->dev.bar[2].mapped);
	ecam_wr(f, f->devfn, 4, 2, 0x7);
	assert_int_equal(bus_access(f->mmio, a, &v, 4, false), 0);
	assert_true(f->dev.bar[2].mapped);
}

static void test_bar64_high(void **state)
{
	struct fix *f = *state;
	uint64_t nu = LAYOUT_MMIO64_BASE + 0x4000;
	uint32_t v;

	ecam_wr(f, f->devfn, 0x18, 4, (uint32_t)nu);
	ecam_wr(f, f->devfn, 0x1c, 4, nu >> 32);
	assert_int_equal(bar_addr(f, 2), nu);
	assert_int_equal(bus_access(f->mmio, nu + 0x100, &v, 4, false), 0);
	assert_int_equal(f->last_off, 0x100);
	assert_int_equal(memmap_query(f->mem, nu, 0x4000, NULL), 0);
}

static void test_overlap_refused(void **state)
{
	struct fix *f = *state;
	uint64_t b2 = bar_addr(f, 2), b0 = bar_addr(f, 0);
	uint32_t v;

	ecam_wr(f, f->devfn, 0x10, 4, b2);		/* BAR0 onto BAR2 */
	assert_false(f->dev.bar[0].mapped);
	assert_true(f->dev.bar[2].mapped);
	assert_int_equal(bus_access(f->mmio, b0, &v, 4, false), -ENOENT);
	ecam_wr(f, f->devfn, 0x10, 4, 0x1000);		/* onto RAM */
	assert_false(f->dev.bar[0].mapped);
	ecam_wr(f, f->devfn, 0x10, 4, b0);		/* back: works again */
	assert_true(f->dev.bar[0].mapped);
	assert_int_equal(bus_access(f->mmio, b0, &v, 4, false), 0);
}

static void test_readonly_and_w1c(void **state)
{
	struct fix *f = *state;

	ecam_wr(f, f->devfn, 0, 4, 0);
	assert_int_equal(ecam_rd(f, f->devfn, 0, 4), 0x56781234);
	ecam_wr(f, f->devfn, 8, 4, 0);
	assert_int_equal(ecam_rd(f, f->devfn, 8, 4), 0x00ff0002);
	f->dev.cfg[7] |= 0x80 | 0x20;		/* device flags parity + master abort */
	ecam_wr(f, f->devfn, 6, 2, 0x0000);
	assert_int_equal(ecam_rd(f, f->devfn, 6, 2) & 0xa000, 0xa000);
	ecam_wr(f, f->devfn, 6, 2, 0x2000 | 0x10);	/* clear one; cap bit is RO */
	assert_int_equal(ecam_rd(f, f->devfn, 6, 2), 0x8010);
	ecam_wr(f, f->devfn, 4, 2, 0xffff);
	assert_int_equal(ecam_rd(f, f->devfn, 4, 2), 0x0407);
}

static void test_cap_list(void **state)
{
	struct fix *f = *state;
	struct pci_dev d;
	int a, b;

	pci_dev_init(&d, 1, 2, 0, 0, NULL, NULL);
	assert_int_equal(d.cfg[6] & 0x10, 0);
	a = pci_dev_add_cap(&d, 0x09, 6);
	b = pci_dev_add_cap(&d, 0x05, 10);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x48);
	assert_int_equal(d.cfg[0x34], 0x40);
	assert_int_equal(d.cfg[0x41], 0x48);
	assert_int_equal(d.cfg[0x49], 0);
	assert_int_equal(d.cfg[6] & 0x10, 0x10);
	assert_true(pci_dev_add_cap(&d, 0x09, 200) < 0);
	pci_dev_fini(&d);
	/* The registered device: 0x34 -> MSI-X (0x11). */
	assert_int_equal(ecam_rd(f, f->devfn, ecam_rd(f, f->devfn, 0x34, 1), 1), 0x11);
	assert_int_equal(ecam_rd(f, f->devfn, 6, 2) & 0x10, 0x10);
}

static void msix_entry(struct fix *f, uint16_t v, uint64_t addr, uint32_t data, uint32_t ctrl)
{
	uint64_t base = bar_addr(f, 2) + 0x2000 + 16 * v;
	uint32_t w[4] = { (uint32_t)addr, addr >> 32, data, ctrl };

	for (int i = 0; i < 4; i++)
		bus_access(f->mmio, base + 4 * i, &w[i], 4, true);
}

static uint64_t pba(struct fix *f)
{
	uint64_t v = 0;

	bus_access(f->mmio, bar_addr(f, 2) + 0x3000, &v, 8, false);
	return v;
}

static void test_msix(void **state)
{
	struct fix *f = *state;
	uint8_t cap = ecam_rd(f, f->devfn, 0x34, 1);
	uint32_t v = 0;

	assert_int_equal(ecam_rd(f, f->devfn, cap + 2, 2), 3);	/* table size - 1 */
	assert_int_equal(ecam_rd(f, f->devfn, cap + 4, 4), 0x2002);
	assert_int_equal(ecam_rd(f, f->devfn, cap + 8, 4), 0x3002);
	pci_msix_notify(&f->dev, 1);		/* MSI-X off: pending */
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), 0x2);
	msix_entry(f, 1, 0xfee00000, 0x41, 1);
	ecam_wr(f, f->devfn, cap + 2, 2, 0x8000);	/* enable; vector 1 still masked */
	assert_true(pci_msix_enabled(&f->dev));
	assert_int_equal(f->nmsg, 0);
	bus_access(f->mmio, bar_addr(f, 2) + 0x2000 + 16 + 12, &v, 4, false);
	assert_int_equal(v, 1);
	v = 0;
	bus_access(f->mmio, bar_addr(f, 2) + 0x2000 + 16 + 12, &v, 4, true);	/* unmask */
	assert_int_equal(f->nmsg, 1);
	assert_int_equal(f->msg[0].addr, 0xfee00000);
	assert_int_equal(f->msg[0].data, 0x41);
	assert_int_equal(f->msg[0].devid, f->devfn);
	assert_int_equal(pba(f), 0);
	pci_msix_notify(&f->dev, 1);		/* open: direct */
	assert_int_equal(f->nmsg, 2);
	ecam_wr(f, f->devfn, cap + 2, 2, 0xc000);	/* function mask */
	pci_msix_notify(&f->dev, 1);
	assert_int_equal(f->nmsg, 2);
	assert_int_equal(pba(f), 0x2);
	bus_access(f->mmio, bar_addr(f, 2) + 0x3000, &v, 4, true);	/* PBA is RO */
	assert_int_equal(pba(f), 0x2);
	ecam_wr(f, f->devfn, cap + 2, 2, 0x8000);	/* unmask function: delivered */
	assert_int_equal(f->nmsg, 3);
	assert_int_equal(pba(f), 0);
	pci_msix_notify(&f->dev, 9);		/* out of range: ignored */
	assert_int_equal(f->nmsg, 3);
	assert_int_equal(f->bar_hits, 0);	/* the device never saw table accesses */
}

static void test_large_bar64_goes_high(void **state)
{
	struct fix *f = *state;
	struct pci_dev d;
	uint64_t a;

	pci_dev_init(&d, 1, 2, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_add_bar(&d, 0, 0x10000000, PCI_BAR_MEM64, NULL, NULL), 0);
	assert_int_equal(pci_dev_add_bar(&d, 1, 16, PCI_BAR_MEM32, NULL, NULL), -EBUSY);
	assert_int_equal(pci_dev_add_bar(&d, 5, 16, PCI_BAR_MEM64, NULL, NULL), -EINVAL);
	assert_int_equal(pci_dev_add_bar(&d, 2, 24, PCI_BAR_MEM32, NULL, NULL), -EINVAL);
	assert_int_equal(pci_host_register(f->host, &d, 7), 7 << 3);
	a = (ecam_rd(f, 7 << 3, 0x10, 4) & ~0xfu) | (uint64_t)ecam_rd(f, 7 << 3, 0x14, 4) << 32;
	assert_int_equal(a, LAYOUT_MMIO64_BASE);
	/* No ops (host-backed BAR): in the memmap, not on the bus. */
	assert_int_equal(memmap_query(f->mem, a, 0x10000000, NULL), 0);
	pci_host_unregister(f->host, &d);
	assert_int_equal(memmap_query(f->mem, a, 1, NULL), -ENOENT);
}

static void *toggle_decode(void *opaque)
{
	struct fix *f = opaque;
	uint8_t cap = ecam_rd(f, f->devfn, 0x34, 1);

	for (int i = 0; i < 2000; i++) {
		ecam_wr(f, f->devfn, 4, 2, i & 1 ? 0x7 : 0x4);
		ecam_wr(f, f->devfn, cap + 2, 2, i & 2 ? 0x8000 : 0xc000);
	}
	ecam_wr(f, f->devfn, 4, 2, 0x7);
	return NULL;
}

/* Config writes that remap BARs race with BAR accesses and MSI-X delivery:
 * must neither deadlock nor touch freed state (run under ASan/TSan). */
static void test_concurrent_remap(void **state)
{
	struct fix *f = *state;
	uint64_t tbl = bar_addr(f, 2) + 0x2000;
	uint32_t zero = 0, v;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, toggle_decode, f), 0);
	for (int i = 0; i < 2000; i++) {
		bus_access(f->mmio, tbl + 12, &zero, 4, true);
		bus_access(f->mmio, tbl, &v, 4, false);
		pci_msix_notify(&f->dev, 0);
	}
	pthread_join(t, NULL);
	assert_true(f->dev.bar[0].mapped);
	assert_int_equal(bus_access(f->mmio, bar_addr(f, 0), &v, 4, false), 0);
}

static void test_slots(void **state)
{
	struct fix *f = *state;
	struct pci_dev d;

	pci_dev_init(&d, 1, 2, 0, 0, NULL, NULL);
	assert_int_equal(pci_host_register(f->host, &d, 3), -EBUSY);
	assert_int_equal(pci_host_register(f->host, &d, 32), -EINVAL);
	assert_int_equal(pci_host_register(f->host, &d, -1), 1 << 3);
	assert_ptr_equal(pci_host_dev(f->host, 1), &d);
	assert_ptr_equal(pci_host_dev(f->host, 3), &f->dev);
	assert_null(pci_host_dev(f->host, 4));
	pci_host_unregister(f->host, &d);
	assert_null(pci_host_dev(f->host, 1));
	assert_int_equal(ecam_rd(f, 1 << 3, 0, 4), 0xffffffffu);
}

/* A reserved slot (a device whose BDF its DMA context needs before it
 * exists) is skipped by automatic placement and taken by its owner. */
static void test_reserved_slot(void **state)
{
	struct fix *f = *state;
	struct pci_dev a, b;
	int slot = pci_host_reserve_slot(f->host);

	assert_int_equal(slot, 1);
	pci_dev_init(&a, 1, 2, 0, 0, NULL, NULL);
	pci_dev_init(&b, 1, 2, 0, 0, NULL, NULL);
	assert_int_equal(pci_host_register(f->host, &a, -1), 2 << 3);	/* skips 1 */
	assert_int_equal(pci_host_reserve_slot(f->host), 4);		/* 3 is f->dev */
	pci_host_release_slot(f->host, 4);
	assert_int_equal(pci_host_register(f->host, &b, slot), 1 << 3);
	assert_ptr_equal(pci_host_dev(f->host, 1), &b);
	pci_host_unregister(f->host, &b);
	pci_host_unregister(f->host, &a);
	assert_int_equal(pci_host_reserve_slot(f->host), 1);	/* free again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_and_bad_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_assignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decoding_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar64_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_and_w1c, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_bar64_goes_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_remap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_slot, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
