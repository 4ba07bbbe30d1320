// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the guest physical memory map: add/remove/overlap rules,
 * query edge cases at 0 and 2^64-1, overlaps() masks and hva lookups.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/memmap.h"

static int setup(void **state)
{
	*state = memmap_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	memmap_destroy(*state);
	return 0;
}

static void test_add_rejects_bad_ranges(void **state)
{
	struct memmap *m = *state;

	assert_int_equal(memmap_add(m, 0x1000, 0, MEMMAP_RAM, 0, NULL, "zero"), -EINVAL);
	assert_int_equal(memmap_add(m, UINT64_MAX, 2, MEMMAP_RAM, 0, NULL, "wrap"), -EINVAL);
	assert_int_equal(memmap_add(m, 2, UINT64_MAX, MEMMAP_RAM, 0, NULL, "wrap2"), -EINVAL);
	assert_int_equal(memmap_snapshot(m, NULL, 0), 0);
}

static void test_add_top_of_space(void **state)
{
	struct memmap *m = *state;
	struct memmap_region r;

	assert_int_equal(memmap_add(m, UINT64_MAX, 1, MEMMAP_MMIO, 0, NULL, "last"), 0);
	assert_int_equal(memmap_add(m, 0, UINT64_MAX, MEMMAP_RAM, 0, NULL, "all"), 0);
	assert_int_equal(memmap_query(m, UINT64_MAX, 1, &r), 0);
	assert_int_equal(r.kind, MEMMAP_MMIO);
	assert_int_equal(memmap_query(m, UINT64_MAX - 1, 2, &r), -E2BIG);
	assert_int_equal(r.kind, MEMMAP_RAM);
	assert_int_equal(memmap_query(m, UINT64_MAX, 2, &r), -EINVAL);
	assert_int_equal(memmap_query(m, 0, 0, &r), -EINVAL);
}

static void test_overlap_rules(void **state)
{
	struct memmap *m = *state;

	assert_int_equal(memmap_add(m, 0x1000, 0x1000, MEMMAP_RAM, 0, NULL, "a"), 0);
	assert_int_equal(memmap_add(m, 0x1fff, 1, MEMMAP_RAM, 0, NULL, "tail"), -EEXIST);
	assert_int_equal(memmap_add(m, 0x0, 0x1001, MEMMAP_RAM, 0, NULL, "head"), -EEXIST);
	assert_int_equal(memmap_add(m, 0x0, 0x3000, MEMMAP_RAM, 0, NULL, "cover"), -EEXIST);
	/* Adjacent on both sides is fine. */
	assert_int_equal(memmap_add(m, 0x0, 0x1000, MEMMAP_RAM, 0, NULL, "below"), 0);
	assert_int_equal(memmap_add(m, 0x2000, 0x1000, MEMMAP_RAM, 0, NULL, "above"), 0);
	assert_int_equal(memmap_snapshot(m, NULL, 0), 3);
}

static void test_remove(void **state)
{
	struct memmap *m = *state;
	struct memmap_region r[4];

	assert_int_equal(memmap_add(m, 0x1000, 0x1000, MEMMAP_RAM, 0, NULL, "a"), 0);
	assert_int_equal(memmap_add(m, 0x3000, 0x1000, MEMMAP_ROM, 0, NULL, "b"), 0);
	assert_int_equal(memmap_remove(m, 0x1800), -ENOENT);	/* not a start */
	assert_int_equal(memmap_remove(m, 0x1000), 0);
	assert_int_equal(memmap_remove(m, 0x1000), -ENOENT);
	assert_int_equal(memmap_snapshot(m, r, 4), 1);
	assert_int_equal(r[0].start, 0x3000);
	assert_string_equal(r[0].name, "b");
	assert_int_equal(memmap_query(m, 0x1000, 1, NULL), -ENOENT);
}

static void test_query_edges(void **state)
{
	struct memmap *m = *state;
	struct memmap_region r;

	assert_int_equal(memmap_add(m, 0x1000, 0x1000, MEMMAP_RAM, 0, NULL, "a"), 0);
	assert_int_equal(memmap_add(m, 0x2000, 0x1000, MEMMAP_RAM, 0, NULL, "b"), 0);
	assert_int_equal(memmap_query(m, 0xfff, 1, &r), -ENOENT);
	assert_int_equal(memmap_query(m, 0x1000, 0x1000, &r), 0);
	assert_int_equal(r.last, 0x1fff);
	/* Spanning two adjacent regions is still not one region. */
	assert_int_equal(memmap_query(m, 0x1fff, 2, &r), -E2BIG);
	assert_int_equal(memmap_query(m, 0x2fff, 1, &r), 0);
	assert_int_equal(r.start, 0x2000);
	assert_int_equal(memmap_query(m, 0x3000, 1, &r), -ENOENT);
}

static void test_overlaps_masks(void **state)
{
	struct memmap *m = *state;

	assert_int_equal(memmap_add(m, 0x1000, 0x1000, MEMMAP_RAM, 0, NULL, "ram"), 0);
	assert_int_equal(memmap_add(m, 0x4000, 0x1000, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar"), 0);
	assert_true(memmap_overlaps(m, 0, 0x1000, 1u << MEMMAP_RAM, 0));
	assert_false(memmap_overlaps(m, 0, 0xfff, 1u << MEMMAP_RAM, 0));
	assert_false(memmap_overlaps(m, 0x2000, 0x3fff, ~0u, ~0u));
	assert_true(memmap_overlaps(m, 0x3fff, 0x4000, 0, MEMMAP_F_BAR));
	assert_false(memmap_overlaps(m, 0x3fff, 0x4000, 0, MEMMAP_F_ASSIGNED));
	assert_false(memmap_overlaps(m, 0x0, UINT64_MAX, 1u << MEMMAP_ROM, MEMMAP_F_MSI));
	assert_true(memmap_overlaps(m, 0x0, UINT64_MAX, 1u << MEMMAP_MMIO, 0));
	assert_false(memmap_overlaps(m, 0x2000, 0x1000, ~0u, ~0u));	/* last < start */
}

static void test_hva(void **state)
{
	struct memmap *m = *state;
	static uint8_t ram[0x1000], rom[0x1000], bar[0x1000];

	assert_int_equal(memmap_add(m, 0x1000, 0x1000, MEMMAP_RAM, 0, ram, "ram"), 0);
	assert_int_equal(memmap_add(m, 0x2000, 0x1000, MEMMAP_ROM, 0, rom, "rom"), 0);
	assert_int_equal(memmap_add(m, 0x3000, 0x1000, MEMMAP_MMIO, MEMMAP_F_BAR, bar, "bar"), 0);
	assert_int_equal(memmap_add(m, 0x4000, 0x1000, MEMMAP_RAM, 0, NULL, "nohva"), 0);
	assert_ptr_equal(memmap_hva(m, 0x1010, 16, true), ram + 0x10);
	assert_ptr_equal(memmap_hva(m, 0x2010, 16, false), rom + 0x10);
	assert_null(memmap_hva(m, 0x2010, 16, true));
	assert_null(memmap_hva(m, 0x3000, 16, false));
	assert_null(memmap_hva(m, 0x4000, 16, false));
	assert_null(memmap_hva(m, 0x1ff0, 0x20, false));	/* RAM into ROM */
	assert_null(memmap_hva(m, 0x1000, 0, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_rejects_bad_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_top_of_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlaps_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hva, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
