// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the emulated edu device, driven the way a guest drives it:
 * config space through the host bridge, registers through the MMIO bus at
 * the BAR0 address read back from config space, DMA into a fake RAM region,
 * interrupts into a recording MSI sink. Runs without an event loop (inline
 * work) plus one test with a real loop when it can be started.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vmm/bus.h"
#include "vmm/dma.h"
#include "vmm/edu.h"
#include "vmm/evloop.h"
#include "vmm/memmap.h"
#include "vmm/msi.h"
#include "vmm/pci.h"

#define RAM_BASE	0x100000ULL
#define RAM_SIZE	0x10000ULL
#define MSI_ADDR	0xfee01000ULL
#define MSI_DATA	0x4041

struct msi_rec {
	unsigned count;
	uint64_t addr;
	uint32_t data, devid;
};

/* A translator that allows only [ok_start, ok_start + ok_len) (identity). */
struct fake_iommu {
	uint64_t ok_start, ok_len;
	unsigned calls;
	uint32_t endpoint;
};

struct fixture {
	struct bus *pio, *mmio;
	struct memmap *map;
	struct pci_host *host;
	struct msi_rec msi;
	struct msi_sink sink;
	struct fake_iommu iommu;
	struct edu *edu;
	uint8_t *ram;
	uint64_t bar0;
	uint8_t devfn;
};

static int rec_send(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct msi_rec *r = opaque;

	r->count++;
	r->addr = addr;
	r->data = data;
	r->devid = devid;
	return 0;
}

static int fake_translate(void *opaque, uint32_t endpoint, uint64_t iova, uint64_t len,
			  unsigned access, uint64_t *gpa, uint64_t *contig)
{
	struct fake_iommu *f = opaque;

	f->calls++;
	f->endpoint = endpoint;
	if (iova < f->ok_start || iova - f->ok_start >= f->ok_len)
		return -EFAULT;
	*gpa = iova;
	*contig = f->ok_len - (iova - f->ok_start);
	if (*contig > len)
		*contig = len;
	return 0;
}

static const struct dma_ops fake_ops = { .translate = fake_translate };

static uint32_t cfg_rd(struct fixture *f, uint32_t off, uint32_t len)
{
	return pci_host_cfg_read(f->host, 0, f->devfn, off, len);
}

static void cfg_wr(struct fixture *f, uint32_t off, uint32_t len, uint32_t v)
{
	pci_host_cfg_write(f->host, 0, f->devfn, off, len, v);
}

static uint64_t rd(struct fixture *f, uint64_t reg, uint32_t len)
{
	uint64_t v = 0;

	assert_int_equal(bus_access(f->mmio, f->bar0 + reg, &v, len, false), 0);
	return v;
}

static void wr(struct fixture *f, uint64_t reg, uint32_t len, uint64_t v)
{
	assert_int_equal(bus_access(f->mmio, f->bar0 + reg, &v, len, true), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct dma_ctx dma;

	assert_non_null(f);
	f->pio = bus_create("pio");
	f->mmio = bus_create("mmio");
	f->map = memmap_create();
	f->ram = calloc(1, RAM_SIZE);
	assert_true(f->pio && f->mmio && f->map && f->ram);
	assert_int_equal(memmap_add(f->map, RAM_BASE, RAM_SIZE, MEMMAP_RAM, 0, f->ram, "ram"), 0);
	f->sink = (struct msi_sink){ .send = rec_send, .opaque = &f->msi };
	f->host = pci_host_create(f->pio, f->mmio, f->map, &f->sink);
	assert_non_null(f->host);
	dma = (struct dma_ctx){ .mem = f->map, .endpoint = 0xdead };
	f->edu = edu_create(f->host, NULL, &dma, 3);
	assert_non_null(f->edu);
	f->devfn = (uint8_t)edu_bdf(f->edu);
	assert_int_equal(f->devfn, 3 << 3);
	f->bar0 = cfg_rd(f, 0x10, 4) & ~0xfULL;
	assert_int_not_equal(f->bar0, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	edu_destroy(f->edu);
	pci_host_destroy(f->host);
	memmap_destroy(f->map);
	bus_destroy(f->mmio);
	bus_destroy(f->pio);
	free(f->ram);
	free(f);
	return 0;
}

static int find_cap(struct fixture *f, uint8_t id)
{
	uint8_t off = (uint8_t)cfg_rd(f, 0x34, 1);

	for (int guard = 0; off && guard < 48; guard++) {
		if (cfg_rd(f, off, 1) == id)
			return off;
		off = (uint8_t)cfg_rd(f, off + 1u, 1);
	}
	return -1;
}

static void msi_enable(struct fixture *f)
{
	int cap = find_cap(f, 0x05);

	assert_true(cap > 0);
	cfg_wr(f, (uint32_t)cap + 4, 4, (uint32_t)MSI_ADDR);
	cfg_wr(f, (uint32_t)cap + 8, 4, 0);
	cfg_wr(f, (uint32_t)cap + 12, 2, MSI_DATA);
	cfg_wr(f, (uint32_t)cap + 2, 2, 1);
}

static void test_config_space(void **state)
{
	struct fixture *f = *state;
	int cap;

	assert_int_equal(cfg_rd(f, 0x00, 2), EDU_VENDOR_ID);
	assert_int_equal(cfg_rd(f, 0x02, 2), EDU_DEVICE_ID);
	assert_int_equal(cfg_rd(f, 0x08, 4) >> 8, EDU_CLASS);
	/* BAR0 sizing: 1 MiB, 32-bit memory */
	cfg_wr(f, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f, 0x10, 4), 0xfff00000);
	cfg_wr(f, 0x10, 4, (uint32_t)f->bar0);
	cap = find_cap(f, 0x05);
	assert_true(cap >= 0x40);
	assert_int_equal(cfg_rd(f, (uint32_t)cap + 2, 2) & 0x80, 0x80);	/* 64-bit */
	assert_int_equal(cfg_rd(f, (uint32_t)cap + 2, 2) & 0x0e, 0);	/* 1 vector */
}

static void test_ident_liveness(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, EDU_REG_IDENT, 4), EDU_IDENT);
	wr(f, EDU_REG_IDENT, 4, 0x12345678);
	assert_int_equal(rd(f, EDU_REG_IDENT, 4), EDU_IDENT);
	wr(f, EDU_REG_LIVENESS, 4, 0x12345678);
	assert_int_equal(rd(f, EDU_REG_LIVENESS, 4), 0xedcba987);
	/* sub-dword access below 0x80 is not decoded */
	assert_int_equal(rd(f, EDU_REG_IDENT, 2), 0xffff);
	wr(f, EDU_REG_LIVENESS, 2, 0);
	assert_int_equal(rd(f, EDU_REG_LIVENESS, 4), 0xedcba987);
}

static void test_factorial(void **state)
{
	struct fixture *f = *state;

	wr(f, EDU_REG_FACT, 4, 5);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_COMPUTING, 0);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 120);
	wr(f, EDU_REG_FACT, 4, 12);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 479001600);
	wr(f, EDU_REG_FACT, 4, 13);		/* 13! mod 2^32 */
	assert_int_equal(rd(f, EDU_REG_FACT, 4), (uint32_t)6227020800ULL);
	wr(f, EDU_REG_FACT, 4, 0);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 1);
	wr(f, EDU_REG_FACT, 4, 0xffffffff);	/* must finish quickly */
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 0);
	assert_int_equal(f->msi.count, 0);	/* IRQFACT not set */
}

static void dma_setup(struct fixture *f, uint64_t src, uint64_t dst, uint64_t cnt, uint64_t cmd)
{
	wr(f, EDU_REG_DMA_SRC, 8, src);
	wr(f, EDU_REG_DMA_DST, 8, dst);
	wr(f, EDU_REG_DMA_COUNT, 8, cnt);
	wr(f, EDU_REG_DMA_CMD, 8, cmd);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* RAM -> buffer, then buffer -> elsewhere in RAM, identity translation. */
static void test_dma_roundtrip(void **state)
{
	struct fixture *f = *state;
	uint8_t *a = f->ram + 0x1000, *b = f->ram + 0x3000;

	fill(a, 256, 3);
	dma_setup(f, RAM_BASE + 0x1000, EDU_DMA_BUF_ADDR + 0x100, 256, EDU_DMA_CMD_RUN);
	assert_int_equal(rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN, 0);
	dma_setup(f, EDU_DMA_BUF_ADDR + 0x100, RAM_BASE + 0x3000, 256,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	assert_int_equal(rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN, 0);
	assert_memory_equal(a, b, 256);
	assert_int_equal(b[256], 0);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, 0);
	/* a whole-buffer transfer at the very end of the buffer is allowed */
	fill(f->ram, EDU_DMA_BUF_SIZE, 9);
	dma_setup(f, RAM_BASE, EDU_DMA_BUF_ADDR, EDU_DMA_BUF_SIZE, EDU_DMA_CMD_RUN);
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + 0x8000, EDU_DMA_BUF_SIZE,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	assert_memory_equal(f->ram, f->ram + 0x8000, EDU_DMA_BUF_SIZE);
	/* 4-byte register writes work too (zero-extended) */
	wr(f, EDU_REG_DMA_SRC, 4, 0x1234);
	assert_int_equal(rd(f, EDU_REG_DMA_SRC, 8), 0x1234);
}

static void test_dma_fault(void **state)
{
	struct fixture *f = *state;
	uint8_t *target = f->ram + 0x2000;
	struct dma_ctx ctx = { .mem = f->map, .ops = &fake_ops, .opaque = &f->iommu };

	fill(f->ram, 64, 1);
	dma_setup(f, RAM_BASE, EDU_DMA_BUF_ADDR, 64, EDU_DMA_CMD_RUN);
	memset(target, 0x5a, 0x400);
	f->iommu = (struct fake_iommu){ 0 };	/* nothing mapped */
	/* The same device behind the IOMMU: a device gets its DMA context at
	 * creation (nothing retargets it under a live device). */
	edu_destroy(f->edu);
	f->edu = edu_create(f->host, NULL, &ctx, 3);
	assert_non_null(f->edu);
	f->bar0 = cfg_rd(f, 0x10, 4) & ~0xfULL;
	cfg_wr(f, 0x04, 2, 0x6);		/* memory + bus master */
	f->iommu = (struct fake_iommu){ .ok_start = RAM_BASE, .ok_len = RAM_SIZE };
	dma_setup(f, RAM_BASE, EDU_DMA_BUF_ADDR, 64, EDU_DMA_CMD_RUN);	/* reload the buffer */
	f->iommu = (struct fake_iommu){ 0 };	/* nothing mapped */
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + 0x2000, 64,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM | EDU_DMA_CMD_IRQ);
	assert_true(f->iommu.calls > 0);
	assert_int_equal(f->iommu.endpoint, edu_bdf(f->edu));
	for (int i = 0; i < 0x400; i++)
		assert_int_equal(target[i], 0x5a);
	assert_int_equal(rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN, 0);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, EDU_STATUS_DMA_FAULT);
	/* completion is still reported */
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), EDU_IRQ_DMA);
	/* sticky until written 1; writing 0 keeps it */
	wr(f, EDU_REG_STATUS, 4, 0);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, EDU_STATUS_DMA_FAULT);
	wr(f, EDU_REG_STATUS, 4, EDU_STATUS_DMA_FAULT);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, 0);

	/* Only the first 16 bytes translate: nothing past them may be written. */
	f->iommu = (struct fake_iommu){ .ok_start = RAM_BASE + 0x2000, .ok_len = 16 };
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + 0x2000, 64,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	for (int i = 16; i < 0x400; i++)
		assert_int_equal(target[i], 0x5a);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, EDU_STATUS_DMA_FAULT);

	/* A faulting read leaves the device buffer unchanged. */
	wr(f, EDU_REG_STATUS, 4, EDU_STATUS_DMA_FAULT);
	f->iommu = (struct fake_iommu){ 0 };
	dma_setup(f, RAM_BASE + 0x4000, EDU_DMA_BUF_ADDR, 64, EDU_DMA_CMD_RUN);
	f->iommu = (struct fake_iommu){ .ok_start = RAM_BASE, .ok_len = RAM_SIZE };
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + 0x5000, 64, EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	assert_memory_equal(f->ram + 0x5000, f->ram, 64);
}

/* Transfers whose device side leaves [0x40000, 0x41000) do nothing. */
static void test_dma_bounds(void **state)
{
	static const struct { uint64_t dev, cnt; } bad[] = {
		{ EDU_DMA_BUF_ADDR - 1, 16 },
		{ EDU_DMA_BUF_ADDR + EDU_DMA_BUF_SIZE, 1 },
		{ EDU_DMA_BUF_ADDR + 1, EDU_DMA_BUF_SIZE },
		{ EDU_DMA_BUF_ADDR, EDU_DMA_BUF_SIZE + 1 },
		{ EDU_DMA_BUF_ADDR + 0x800, UINT64_MAX },	/* count overflow */
		{ UINT64_MAX, 2 },				/* address overflow */
		{ 0, 16 },
	};
	struct fixture *f = *state;
	uint8_t *target = f->ram + 0x6000;

	fill(f->ram, EDU_DMA_BUF_SIZE, 77);
	dma_setup(f, RAM_BASE, EDU_DMA_BUF_ADDR, EDU_DMA_BUF_SIZE, EDU_DMA_CMD_RUN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(target, 0x33, 0x2000);
		dma_setup(f, bad[i].dev, RAM_BASE + 0x6000, bad[i].cnt,
			  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
		assert_int_equal(rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN, 0);
		for (int j = 0; j < 0x2000; j++)
			assert_int_equal(target[j], 0x33);
		/* and in the other direction the buffer is untouched */
		dma_setup(f, RAM_BASE + 0x6000, bad[i].dev, bad[i].cnt, EDU_DMA_CMD_RUN);
	}
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + 0x6000, EDU_DMA_BUF_SIZE,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	assert_memory_equal(target, f->ram, EDU_DMA_BUF_SIZE);
	/* RAM side outside guest RAM: a fault, nothing else written */
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + RAM_SIZE - 8, 16,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, EDU_STATUS_DMA_FAULT);
}

static void test_bus_master_off(void **state)
{
	struct fixture *f = *state;

	memset(f->ram, 0x11, 64);
	cfg_wr(f, 0x04, 2, cfg_rd(f, 0x04, 2) & ~0x4u);
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE, 64, EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	for (int i = 0; i < 64; i++)
		assert_int_equal(f->ram[i], 0x11);
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT, EDU_STATUS_DMA_FAULT);
}

static void test_irq_raise_ack(void **state)
{
	struct fixture *f = *state;

	wr(f, EDU_REG_IRQ_RAISE, 4, 0x10);	/* MSI disabled: nothing sent */
	assert_int_equal(f->msi.count, 0);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), 0x10);
	wr(f, EDU_REG_IRQ_ACK, 4, 0x10);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), 0);

	msi_enable(f);
	wr(f, EDU_REG_IRQ_RAISE, 4, 0x3);
	assert_int_equal(f->msi.count, 1);
	assert_int_equal(f->msi.addr, MSI_ADDR);
	assert_int_equal(f->msi.data, MSI_DATA);
	assert_int_equal(f->msi.devid, edu_bdf(f->edu));
	wr(f, EDU_REG_IRQ_ACK, 4, 0x1);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), 0x2);

	/* factorial completion interrupt */
	wr(f, EDU_REG_STATUS, 4, EDU_STATUS_IRQFACT);
	wr(f, EDU_REG_FACT, 4, 4);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 24);
	assert_int_equal(f->msi.count, 2);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), 0x2 | EDU_IRQ_FACT);

	/* DMA completion interrupt */
	wr(f, EDU_REG_IRQ_ACK, 4, 0xffffffff);
	dma_setup(f, RAM_BASE, EDU_DMA_BUF_ADDR, 8, EDU_DMA_CMD_RUN | EDU_DMA_CMD_IRQ);
	assert_int_equal(f->msi.count, 3);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), EDU_IRQ_DMA);
	/* raise of 0 with nothing pending sends nothing */
	wr(f, EDU_REG_IRQ_ACK, 4, 0xffffffff);
	wr(f, EDU_REG_IRQ_RAISE, 4, 0);
	assert_int_equal(f->msi.count, 3);
}

/* With an event loop the MMIO write returns at once and the loop thread
 * does the work; poll like a guest driver would. */
static void test_evloop(void **state)
{
	struct fixture *f = *state;
	struct evloop *loop = evloop_create();
	struct dma_ctx dma = { .mem = f->map };
	struct timespec ts = { 0, 1000000 };
	struct edu *e2;
	uint64_t saved_bar0 = f->bar0;
	uint8_t saved_devfn = f->devfn;
	int i;

	if (!loop || evloop_start(loop)) {
		evloop_destroy(loop);
		skip();
	}
	e2 = edu_create(f->host, loop, &dma, -1);
	assert_non_null(e2);
	f->devfn = (uint8_t)edu_bdf(e2);
	f->bar0 = cfg_rd(f, 0x10, 4) & ~0xfULL;
	fill(f->ram, 128, 5);
	wr(f, EDU_REG_FACT, 4, 6);
	dma_setup(f, RAM_BASE, EDU_DMA_BUF_ADDR, 128, EDU_DMA_CMD_RUN);
	for (i = 0; i < 5000 && (rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN); i++)
		nanosleep(&ts, NULL);
	assert_true(i < 5000);
	for (i = 0; i < 5000 && (rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_COMPUTING); i++)
		nanosleep(&ts, NULL);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 720);
	dma_setup(f, EDU_DMA_BUF_ADDR, RAM_BASE + 0x1000, 128,
		  EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM);
	for (i = 0; i < 5000 && (rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN); i++)
		nanosleep(&ts, NULL);
	assert_memory_equal(f->ram + 0x1000, f->ram, 128);
	evloop_stop(loop);	/* a callback may still be finishing */
	edu_destroy(e2);
	evloop_destroy(loop);
	f->bar0 = saved_bar0;
	f->devfn = saved_devfn;
}

static void test_create_errors(void **state)
{
	struct fixture *f = *state;
	struct dma_ctx dma = { .mem = f->map };

	errno = 0;
	assert_null(edu_create(f->host, NULL, &dma, 3));	/* slot taken */
	assert_int_equal(errno, EBUSY);
	assert_null(edu_create(f->host, NULL, NULL, 4));
	assert_int_equal(errno, EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_space),
		T(test_ident_liveness),
		T(test_factorial),
		T(test_dma_roundtrip),
		T(test_dma_fault),
		T(test_dma_bounds),
		T(test_bus_master_off),
		T(test_irq_raise_ack),
		T(test_evloop),
		T(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
