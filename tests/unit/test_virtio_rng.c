// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng driven through the PCI transport like a guest driver: it fills
 * device-writable buffers and reports the length, stops at 64 KiB per chain,
 * gives len 0 for malformed chains, needs a reset after a broken ring, and
 * behind a fake IOMMU writes only where the translation points.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/evloop.h"
#include "vmm/virtio/rng.h"
#include "virtio_driver.h"

#define BIG	(2 * VIRTIO_RNG_MAX_REQ)

struct fix {
	struct vd d;
	struct virtio_rng *rng;
	struct evloop *loop;
};

static int setup_opts(void **state, bool iommu, bool loop)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vd_init(&f->d);
	if (loop) {
		f->loop = evloop_create();
		assert_non_null(f->loop);
		assert_int_equal(evloop_start(f->loop), 0);
		f->d.wait_ms = 2000;
	}
	f->rng = virtio_rng_create(f->d.host, f->loop, iommu ? &f->d.iommu_ctx : &f->d.identity,
				   iommu, -1);
	assert_non_null(f->rng);
	f->d.shift = iommu ? VD_SHIFT : 0;
	vd_probe(&f->d, virtio_rng_bdf(f->rng));
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_opts(state, false, false); }
static int setup_iommu(void **state) { return setup_opts(state, true, false); }
static int setup_loop(void **state) { return setup_opts(state, false, true); }

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->loop)
		evloop_stop(f->loop);
	virtio_rng_destroy(f->rng);
	if (f->loop)
		evloop_destroy(f->loop);
	vd_fini(&f->d);
	free(f);
	return 0;
}

static size_t count_byte(const uint8_t *p, size_t len, uint8_t v)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == v;
	return n;
}

static void test_ids_features(void **state)
{
	struct fix *f = *state;
	uint64_t feat = vd_device_features(&f->d);

	assert_int_equal(vd_cfg_rd(&f->d, 0, 4), 0x10441af4);
	assert_true(feat & (1ULL << VIRTIO_F_VERSION_1));
	assert_false(feat & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
}

static void test_fills_buffers(void **state)
{
	struct fix *f = *state;
	struct vd_buf b[2] = { { VD_BUF, 100, true }, { VD_BUF + 0x1000, 200, true } };
	uint8_t *p = vd_host(&f->d, VD_BUF);

	vd_start(&f->d);
	memset(p, 0xaa, 0x2000);
	assert_int_equal(vd_run(&f->d, b, 2), 300);
	/* Random bytes: a run of 100 equal to the fill value would be a bug. */
	assert_true(count_byte(p, 100, 0xaa) < 10);
	assert_true(count_byte(p + 0x1000, 200, 0xaa) < 16);
	assert_int_equal(count_byte(p + 100, 0x1000 - 100, 0xaa), 0x1000 - 100);
	assert_int_equal(count_byte(p + 0x1000 + 200, 0x1000 - 200, 0xaa), 0x1000 - 200);
	/* Two requests differ. */
	memcpy(p + 0x3000, p, 100);
	assert_int_equal(vd_run(&f->d, b, 1), 100);
	assert_memory_not_equal(p, p + 0x3000, 100);
}

static void test_bounded_per_chain(void **state)
{
	struct fix *f = *state;
	struct vd_buf b = { VD_BUF, BIG, true };
	uint8_t *p = vd_host(&f->d, VD_BUF);

	vd_start(&f->d);
	memset(p, 0x5a, BIG);
	assert_int_equal(vd_run(&f->d, &b, 1), VIRTIO_RNG_MAX_REQ);
	assert_int_equal(count_byte(p + VIRTIO_RNG_MAX_REQ, BIG - VIRTIO_RNG_MAX_REQ, 0x5a),
			 BIG - VIRTIO_RNG_MAX_REQ);
	assert_true(count_byte(p, VIRTIO_RNG_MAX_REQ, 0x5a) < 1024);
}

static void test_malformed(void **state)
{
	struct fix *f = *state;
	struct vd_buf readable[2] = { { VD_BUF, 16, false }, { VD_BUF + 0x100, 16, true } };
	struct vd_buf far = { 0x10000000, 64, true };
	uint16_t *avail = (uint16_t *)vd_host(&f->d, VD_AVAIL);
	uint8_t *p = vd_host(&f->d, VD_BUF);
	uint32_t id, len;

	vd_start(&f->d);
	memset(p, 0x33, 0x200);
	assert_int_equal(vd_run(&f->d, readable, 2), 0);
	assert_int_equal(count_byte(p, 0x200, 0x33), 0x200);
	assert_int_equal(vd_run(&f->d, &far, 1), 0);
	/* A broken avail index: no used entry, NEEDS_RESET; reset recovers. */
	avail[1] += VD_QSIZE + 1;
	vd_kick(&f->d);
	assert_false(vd_used(&f->d, &id, &len));
	assert_true(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	vd_kick(&f->d);
	assert_false(vd_used(&f->d, &id, &len));
	memset(vd_host(&f->d, VD_DESC), 0, 3 * VD_PAGE);
	vd_start(&f->d);
	assert_false(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vd_run(&f->d, &readable[1], 1), 16);
}

static void test_iommu(void **state)
{
	struct fix *f = *state;
	struct vd_buf b = { VD_BUF + 0x800, 0x1000, true };	/* spans two IOMMU pages */
	uint64_t page = (VD_BUF - VD_RAM_GPA) / VD_PAGE;
	uint8_t *p = vd_host(&f->d, VD_BUF);

	assert_true(vd_device_features(&f->d) & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
	assert_false(vd_negotiate(&f->d, 1ULL << VIRTIO_F_VERSION_1));
	vd_start(&f->d);
	assert_int_equal(f->d.iommu.endpoint, f->d.devfn);
	memset(f->d.ram, 0x44, VD_RAM_SIZE / 2);	/* identity targets */
	memset(p, 0x44, 0x3000);
	assert_int_equal(vd_run(&f->d, &b, 1), 0x1000);
	assert_true(count_byte(p + 0x800, 0x1000, 0x44) < 64);
	assert_int_equal(count_byte(p, 0x800, 0x44), 0x800);
	assert_int_equal(count_byte(p + 0x1800, 0x1800, 0x44), 0x1800);
	assert_int_equal(count_byte(f->d.ram, VD_RAM_SIZE / 2, 0x44), VD_RAM_SIZE / 2);
	/* Second page unmapped, then read-only: len 0, nothing written. */
	memset(p, 0x44, 0x3000);
	f->d.iommu.hole[page + 1] = true;
	assert_int_equal(vd_run(&f->d, &b, 1), 0);
	f->d.iommu.hole[page + 1] = false;
	f->d.iommu.ro[page + 1] = true;
	assert_int_equal(vd_run(&f->d, &b, 1), 0);
	assert_int_equal(count_byte(p, 0x3000, 0x44), 0x3000);
	assert_int_equal(f->d.iommu.faults, 2);
}

/* Several chains per kick, handled on the event loop thread. */
static void test_event_loop_many(void **state)
{
	struct fix *f = *state;
	uint16_t *avail = (uint16_t *)vd_host(&f->d, VD_AVAIL);
	struct vd_buf b = { VD_BUF, 8, true };
	uint32_t id = 0, len = 0, total = 0;

	vd_start(&f->d);
	vd_post(&f->d, &b, 1);
	for (int i = 1; i < VD_QSIZE; i++)
		avail[2 + i] = 0;		/* the same chain again: fine for rng */
	f->d.avail_idx = VD_QSIZE;
	__atomic_store_n(&avail[1], f->d.avail_idx, __ATOMIC_RELEASE);
	vd_kick(&f->d);
	for (int i = 0; i < VD_QSIZE; i++) {
		assert_true(vd_used(&f->d, &id, &len));
		total += len;
	}
	assert_int_equal(total, 8 * VD_QSIZE);
	f->d.wait_ms = 100;		/* and nothing more */
	assert_false(vd_used(&f->d, &id, &len));
}

static void test_create_errors(void **state)
{
	struct vd d;

	vd_init(&d);
	errno = 0;
	assert_null(virtio_rng_create(d.host, NULL, NULL, false, -1));
	assert_int_equal(errno, EINVAL);
	d.identity.mem = NULL;
	assert_null(virtio_rng_create(d.host, NULL, &d.identity, false, -1));
	vd_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fills_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_per_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iommu, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_many, setup_loop, teardown),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
