// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the PIO/MMIO bus: registration and overlap, offsets passed to
 * handlers, all-ones reads where nothing decodes, straddling accesses, and a
 * handler that re-registers its own range during dispatch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/bus.h"

struct rec {
	struct bus *bus;
	uint64_t base;
	uint64_t last_off;
	uint32_t last_len;
	uint32_t last_val;
	int reads, writes;
};

static void rec_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct rec *r = opaque;

	r->reads++;
	r->last_off = off;
	r->last_len = len;
	memset(data, 0xa5, len);
}

static void rec_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct rec *r = opaque;

	r->writes++;
	r->last_off = off;
	r->last_len = len;
	r->last_val = 0;
	memcpy(&r->last_val, data, len < 4 ? len : 4);
}

static const struct bus_ops rec_ops = { .read = rec_read, .write = rec_write };

/* Moves itself to base + 0x1000 on every write (like a BAR relocation). */
static void move_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct rec *r = opaque;

	r->writes++;
	assert_int_equal(bus_unregister(r->bus, r->base, r), 0);
	r->base += 0x1000;
	assert_int_equal(bus_register(r->bus, r->base, 0x100, &rec_ops, r), 0);
}

static const struct bus_ops move_ops = { .read = rec_read, .write = move_write };

static int setup(void **state)
{
	*state = bus_create("test");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	bus_destroy(*state);
	return 0;
}

static void test_register_overlap(void **state)
{
	struct bus *b = *state;
	struct rec a = { 0 }, c = { 0 };

	assert_int_equal(bus_register(b, 0x100, 0, &rec_ops, &a), -EINVAL);
	assert_int_equal(bus_register(b, UINT64_MAX, 2, &rec_ops, &a), -EINVAL);
	assert_int_equal(bus_register(b, 0x100, 0x10, &rec_ops, &a), 0);
	assert_int_equal(bus_register(b, 0x10f, 1, &rec_ops, &c), -EEXIST);
	assert_int_equal(bus_register(b, 0xf8, 0x9, &rec_ops, &c), -EEXIST);
	assert_int_equal(bus_register(b, 0x110, 0x10, &rec_ops, &c), 0);
	assert_int_equal(bus_register(b, UINT64_MAX, 1, &rec_ops, &c), 0);
}

static void test_dispatch_offsets(void **state)
{
	struct bus *b = *state;
	struct rec a = { 0 };
	uint32_t v = 0x12345678;
	uint8_t buf[4];

	assert_int_equal(bus_register(b, 0x1000, 0x100, &rec_ops, &a), 0);
	assert_int_equal(bus_access(b, 0x1010, &v, 4, true), 0);
	assert_int_equal(a.last_off, 0x10);
	assert_int_equal(a.last_val, 0x12345678);
	assert_int_equal(bus_access(b, 0x10ff, buf, 1, false), 0);
	assert_int_equal(a.last_off, 0xff);
	assert_int_equal(buf[0], 0xa5);
}

static void test_unmapped_and_straddle(void **state)
{
	struct bus *b = *state;
	struct rec a = { 0 };
	uint32_t v = 0, w = 1;

	assert_int_equal(bus_register(b, 0x1000, 0x100, &rec_ops, &a), 0);
	assert_int_equal(bus_access(b, 0x2000, &v, 4, false), -ENOENT);
	assert_int_equal(v, 0xffffffffu);
	v = 0;
	assert_int_equal(bus_access(b, 0x10fe, &v, 4, false), -EINVAL);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(bus_access(b, 0x10fe, &w, 4, true), -EINVAL);
	assert_int_equal(bus_access(b, 0xffe, &w, 4, true), -ENOENT);
	assert_int_equal(a.writes + a.reads, 0);
	v = 0;
	assert_int_equal(bus_access(b, UINT64_MAX - 1, &v, 4, false), -EINVAL);
	assert_int_equal(v, 0xffffffffu);
}

static void test_unregister(void **state)
{
	struct bus *b = *state;
	struct rec a = { 0 }, c = { 0 };
	uint32_t v;

	assert_int_equal(bus_register(b, 0x1000, 0x100, &rec_ops, &a), 0);
	assert_int_equal(bus_unregister(b, 0x1000, &c), -ENOENT);	/* wrong owner */
	assert_int_equal(bus_unregister(b, 0x1001, &a), -ENOENT);
	assert_int_equal(bus_unregister(b, 0x1000, &a), 0);
	assert_int_equal(bus_access(b, 0x1000, &v, 4, false), -ENOENT);
	assert_int_equal(bus_register(b, 0x1000, 0x100, &rec_ops, &c), 0);
}

static void test_reregister_in_handler(void **state)
{
	struct bus *b = *state;
	struct rec a = { .bus = b, .base = 0x1000 };
	uint32_t v = 1;

	assert_int_equal(bus_register(b, 0x1000, 0x100, &move_ops, &a), 0);
	assert_int_equal(bus_access(b, 0x1004, &v, 4, true), 0);
	assert_int_equal(a.base, 0x2000);
	assert_int_equal(bus_access(b, 0x1004, &v, 4, false), -ENOENT);
	assert_int_equal(bus_access(b, 0x2004, &v, 4, false), 0);
	assert_int_equal(a.last_off, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_and_straddle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reregister_in_handler, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
