// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the DMA hook: identity transfers (RAM, ROM for reads only,
 * MMIO refused, overflow), and a fake translator that maps IOVA pages to
 * scattered GPA pages, refuses writes to a read-only page and faults on holes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/dma.h"
#include "vmm/memmap.h"

#define RAM_GPA		0x100000ULL
#define RAM_SIZE	0x10000ULL
#define ROM_GPA		0x200000ULL
#define MMIO_GPA	0x300000ULL
#define PG		0x1000ULL
#define IOVA_BASE	0x40000000ULL

struct fix {
	struct memmap *mem;
	uint8_t ram[RAM_SIZE];
	uint8_t rom[PG];
	int calls;
};

/* IOVA page i -> GPA page perm[i] of RAM; page 4 is read-only; page 6 is a
 * hole; pages 8 and 9 map to consecutive GPA pages (contig 2 pages). */
static const int64_t perm[10] = { 3, 1, 2, 7, 5, 0, -1, 4, 8, 9 };

static int fake_translate(void *opaque, uint32_t ep, uint64_t iova, uint64_t len,
			  unsigned access, uint64_t *gpa, uint64_t *contig)
{
	struct fix *f = opaque;
	uint64_t page = (iova - IOVA_BASE) / PG, off = (iova - IOVA_BASE) % PG;

	f->calls++;
	if (iova < IOVA_BASE || page >= 10 || perm[page] < 0)
		return -EFAULT;
	if (page == 4 && (access & DMA_ACCESS_WRITE))
		return -EPERM;
	*gpa = RAM_GPA + perm[page] * PG + off;
	*contig = PG - off;
	if (page == 8)
		*contig += PG;
	if (*contig > len)
		*contig = len;
	return 0;
}

static const struct dma_ops fake_ops = { .translate = fake_translate };

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->mem = memmap_create();
	memmap_add(f->mem, RAM_GPA, RAM_SIZE, MEMMAP_RAM, 0, f->ram, "ram");
	memmap_add(f->mem, ROM_GPA, PG, MEMMAP_ROM, 0, f->rom, "rom");
	memmap_add(f->mem, MMIO_GPA, PG, MEMMAP_MMIO, 0, NULL, "mmio");
	for (size_t i = 0; i < RAM_SIZE; i++)
		f->ram[i] = i * 7;
	memset(f->rom, 0x5a, PG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	memmap_destroy(f->mem);
	free(f);
	return 0;
}

static void test_identity(void **state)
{
	struct fix *f = *state;
	struct dma_ctx ctx = { .mem = f->mem };
	uint8_t buf[64];

	assert_int_equal(dma_read(&ctx, RAM_GPA + 10, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, f->ram + 10, sizeof(buf));
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(dma_write(&ctx, RAM_GPA + RAM_SIZE - 64, buf, 64), 0);
	assert_int_equal(f->ram[RAM_SIZE - 1], 0xee);
	assert_int_equal(dma_write(&ctx, RAM_GPA + RAM_SIZE - 63, buf, 64), -EFAULT);
	assert_int_equal(dma_read(&ctx, ROM_GPA, buf, 8), 0);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(dma_write(&ctx, ROM_GPA, buf, 8), -EFAULT);
	assert_int_equal(dma_read(&ctx, MMIO_GPA, buf, 8), -EFAULT);
	assert_int_equal(dma_read(&ctx, UINT64_MAX - 4, buf, 8), -EFAULT);
	assert_int_equal(dma_read(&ctx, RAM_GPA, buf, 0), 0);
}

static void test_identity_map(void **state)
{
	struct fix *f = *state;
	struct dma_ctx ctx = { .mem = f->mem };

	assert_ptr_equal(dma_map_contig(&ctx, RAM_GPA + 16, 32, DMA_ACCESS_WRITE), f->ram + 16);
	assert_ptr_equal(dma_map_contig(&ctx, ROM_GPA, 16, DMA_ACCESS_READ), f->rom);
	assert_null(dma_map_contig(&ctx, ROM_GPA, 16, DMA_ACCESS_READ | DMA_ACCESS_RAM));
	assert_null(dma_map_contig(&ctx, ROM_GPA, 16, DMA_ACCESS_WRITE));
	assert_null(dma_map_contig(&ctx, MMIO_GPA, 16, DMA_ACCESS_READ));
	assert_null(dma_map_contig(&ctx, RAM_GPA, 0, DMA_ACCESS_READ));
	assert_null(dma_map_contig(&ctx, UINT64_MAX, 2, DMA_ACCESS_READ));
}

static void test_translated_scatter(void **state)
{
	struct fix *f = *state;
	struct dma_ctx ctx = { .mem = f->mem, .ops = &fake_ops, .opaque = f, .endpoint = 8 };
	uint8_t buf[3 * PG], want[3 * PG];

	/* IOVA pages 0..2 -> GPA pages 3, 1, 2. */
	memcpy(want, f->ram + 3 * PG + 0x800, PG - 0x800);
	memcpy(want + PG - 0x800, f->ram + 1 * PG, PG);
	memcpy(want + 2 * PG - 0x800, f->ram + 2 * PG, 0x800);
	assert_int_equal(dma_read(&ctx, IOVA_BASE + 0x800, buf, 2 * PG), 0);
	assert_memory_equal(buf, want, 2 * PG);
	assert_int_equal(f->calls, 3);
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(dma_write(&ctx, IOVA_BASE + 7 * PG, buf, 16), 0);
	assert_int_equal(f->ram[4 * PG], 0x11);
}

static void test_translated_faults(void **state)
{
	struct fix *f = *state;
	struct dma_ctx ctx = { .mem = f->mem, .ops = &fake_ops, .opaque = f };
	uint8_t buf[2 * PG];

	assert_int_equal(dma_read(&ctx, IOVA_BASE + 6 * PG, buf, 4), -EFAULT);
	/* Page 5 maps, page 6 is a hole: the prefix was copied, then a fault. */
	assert_int_equal(dma_read(&ctx, IOVA_BASE + 5 * PG, buf, 2 * PG), -EFAULT);
	assert_int_equal(dma_read(&ctx, IOVA_BASE + 4 * PG, buf, 4), 0);
	assert_int_equal(dma_write(&ctx, IOVA_BASE + 4 * PG, buf, 4), -EFAULT);
	assert_int_equal(dma_read(&ctx, IOVA_BASE - 4, buf, 8), -EFAULT);
}

static void test_translated_contig(void **state)
{
	struct fix *f = *state;
	struct dma_ctx ctx = { .mem = f->mem, .ops = &fake_ops, .opaque = f };
	uint64_t got = 0;
	void *p;

	/* IOVA page 1 -> GPA 1, page 2 -> GPA 2: host-contiguous across pieces. */
	assert_ptr_equal(dma_map_contig(&ctx, IOVA_BASE + PG, 2 * PG, DMA_ACCESS_READ),
			 f->ram + PG);
	/* Pages 0 and 1 are GPA 3 and 1: not contiguous. */
	assert_null(dma_map_contig(&ctx, IOVA_BASE + PG - 8, 16, DMA_ACCESS_READ));
	p = dma_map_prefix(&ctx, IOVA_BASE + PG - 8, 16, DMA_ACCESS_READ, &got);
	assert_ptr_equal(p, f->ram + 4 * PG - 8);
	assert_int_equal(got, 8);
	p = dma_map_prefix(&ctx, IOVA_BASE + 8 * PG, 2 * PG, DMA_ACCESS_READ, &got);
	assert_ptr_equal(p, f->ram + 8 * PG);
	assert_int_equal(got, 2 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translated_scatter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translated_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translated_contig, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
