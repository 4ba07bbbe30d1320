// SPDX-License-Identifier: GPL-2.0-only
/*
 * No DMA through a stale translation (seed 003's invalid use, virtio 1.3
 * 5.13): a virtio-rng behind a real viommu must not touch its rings or
 * buffers once the guest UNMAPped and DETACHed them or reset the viommu;
 * the queue stops with DEVICE_NEEDS_RESET and a fault event reports it.
 * And from two threads: once an UNMAP returned S_OK, the page stays
 * untouched while the device keeps being kicked.
 */
#include <endian.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/evloop.h"
#include "vmm/virtio/rng.h"
#include "viommu/viommu.h"
#include "virtio_driver.h"
#include "viommu_helpers.h"

#define DOM		1
#define RINGS_LAST	(VD_RAM_GPA + 0x3fff)	/* desc, avail, used, spare */
#define BUF_LEN		64

struct fix {
	struct vd d;
	struct viommu *v;
	struct virtio_rng *rng;
	struct evloop *loop;
	uint32_t ep;
	int faults;			/* events seen by the sink */
	uint32_t fault_ep;
};

static int sink(void *opaque, const struct virtio_iommu_fault *f)
{
	struct fix *x = opaque;

	__atomic_add_fetch(&x->faults, 1, __ATOMIC_SEQ_CST);
	x->fault_ep = le32toh(f->endpoint);
	return 0;
}

static int setup_opts(void **state, bool loop)
{
	struct viommu_config vc = { 0 };
	struct dma_ctx ctx;
	struct fix *f = calloc(1, sizeof(*f));
	int slot;

	assert_non_null(f);
	vd_init(&f->d);
	if (loop) {
		f->loop = evloop_create();
		assert_non_null(f->loop);
		assert_int_equal(evloop_start(f->loop), 0);
		f->d.wait_ms = 2000;
	}
	vc.mem = f->d.mem;
	f->v = viommu_create(&vc);
	assert_non_null(f->v);
	viommu_set_fault_sink(f->v, sink, f);
	/* As main.c wires it: the slot first, so the endpoint is known and
	 * the device gets its final DMA context at creation. */
	slot = pci_host_reserve_slot(f->d.host);
	assert_true(slot > 0);
	f->ep = (uint32_t)slot << 3;
	viommu_dma_ctx(f->v, f->ep, &ctx);
	f->rng = virtio_rng_create(f->d.host, f->loop, &ctx, true, slot);
	assert_non_null(f->rng);
	assert_int_equal(virtio_rng_bdf(f->rng), f->ep);
	vd_probe(&f->d, f->ep);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_opts(state, false); }
static int setup_loop(void **state) { return setup_opts(state, true); }

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->loop)
		evloop_stop(f->loop);
	virtio_rng_destroy(f->rng);
	if (f->loop)
		evloop_destroy(f->loop);
	viommu_destroy(f->v);
	vd_fini(&f->d);
	free(f);
	return 0;
}

/* Rings and one buffer page mapped IOVA == GPA; the device works. */
static void start_mapped(struct fix *f)
{
	struct vd_buf b = { VD_BUF, BUF_LEN, true };

	assert_int_equal(t_attach(f->v, DOM, f->ep, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(f->v, DOM, VD_RAM_GPA, RINGS_LAST, VD_RAM_GPA, T_RW),
			 VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(f->v, DOM, VD_BUF, VD_BUF + VD_PAGE - 1, VD_BUF, T_RW),
			 VIRTIO_IOMMU_S_OK);
	vd_start(&f->d);
	assert_int_equal(vd_run(&f->d, &b, 1), BUF_LEN);
	assert_int_equal(f->faults, 0);
}

/* After the translations are gone, a kick must change nothing the device
 * could reach before, stop the queue and report a fault. */
static void expect_stopped(struct fix *f)
{
	struct vd_buf b = { VD_BUF, BUF_LEN, true };
	uint8_t *snap = malloc(VD_RAM_SIZE);

	assert_non_null(snap);
	memset(vd_host(&f->d, VD_BUF), 0x5a, BUF_LEN);
	vd_post(&f->d, &b, 1);
	memcpy(snap, f->d.ram, VD_RAM_SIZE);
	vd_kick(&f->d);
	assert_memory_equal(snap, f->d.ram, VD_RAM_SIZE);	/* rings and buffer untouched */
	assert_true(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(f->faults >= 1);
	assert_int_equal(f->fault_ep, f->ep);
	/* Mapping it all again does not restart the queue behind the driver's
	 * back: only a reset does. */
	assert_int_equal(t_attach(f->v, DOM, f->ep, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(f->v, DOM, VD_RAM_GPA, RINGS_LAST, VD_RAM_GPA, T_RW),
			 VIRTIO_IOMMU_S_OK);
	vd_kick(&f->d);
	assert_memory_equal(snap, f->d.ram, VD_RAM_SIZE);
	free(snap);
}

static void test_unmap_detach_stops_rings(void **state)
{
	struct fix *f = *state;

	start_mapped(f);
	assert_int_equal(t_unmap(f->v, DOM, VD_RAM_GPA, RINGS_LAST), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_unmap(f->v, DOM, VD_BUF, VD_BUF + VD_PAGE - 1), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_detach(f->v, DOM, f->ep), VIRTIO_IOMMU_S_OK);
	expect_stopped(f);
}

static void test_unmap_only_stops_rings(void **state)
{
	struct fix *f = *state;

	start_mapped(f);
	assert_int_equal(t_unmap(f->v, DOM, VD_RAM_GPA, RINGS_LAST), VIRTIO_IOMMU_S_OK);
	expect_stopped(f);
}

static void test_viommu_reset_stops_rings(void **state)
{
	struct fix *f = *state;

	start_mapped(f);
	viommu_device_reset(f->v);	/* bypass 0: every endpoint blocked */
	expect_stopped(f);
}

/* The device follows the IOMMU: an IOVA re-mapped elsewhere is used there,
 * and the old page is never written again. */
static void test_remap_moves_rings(void **state)
{
	struct fix *f = *state;
	const uint64_t other = VD_RAM_GPA + 0x20000;	/* second copy of the rings */
	struct vd_buf b = { VD_BUF, BUF_LEN, true };
	uint8_t old_used[64];

	start_mapped(f);
	memcpy(f->d.ram + (other - VD_RAM_GPA), f->d.ram, RINGS_LAST - VD_RAM_GPA + 1);
	assert_int_equal(t_unmap(f->v, DOM, VD_RAM_GPA, RINGS_LAST), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(f->v, DOM, VD_RAM_GPA, RINGS_LAST, other, T_RW),
			 VIRTIO_IOMMU_S_OK);
	memcpy(old_used, vd_host(&f->d, VD_USED), sizeof(old_used));
	f->d.shift = other - VD_RAM_GPA;	/* the driver now writes the copy */
	assert_int_equal(vd_run(&f->d, &b, 1), BUF_LEN);
	f->d.shift = 0;
	assert_memory_equal(old_used, vd_host(&f->d, VD_USED), sizeof(old_used));
	assert_int_equal(f->faults, 0);
}

/*
 * Two threads: a driver thread keeps a buffer at one IOVA posted and kicks
 * (the event loop does the device work), while this thread maps that IOVA
 * to a page, unmaps it, zeroes the page and checks that it stays zero. A
 * translation used after the UNMAP's S_OK would write random bytes there.
 */
struct driver_thread {
	struct fix *f;
	int stop, completions;
};

static void *driver_main(void *opaque)
{
	struct driver_thread *t = opaque;
	struct vd_buf b = { VD_BUF, BUF_LEN, true };
	uint32_t id, len;

	t->f->d.wait_ms = 50;
	while (!__atomic_load_n(&t->stop, __ATOMIC_SEQ_CST)) {
		vd_post(&t->f->d, &b, 1);
		vd_kick(&t->f->d);
		if (vd_used(&t->f->d, &id, &len))
			__atomic_add_fetch(&t->completions, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void test_unmap_races_device(void **state)
{
	struct fix *f = *state;
	struct driver_thread t = { .f = f };
	uint8_t *page = vd_host(&f->d, VD_BUF);
	pthread_t th;
	int stale = 0;

	start_mapped(f);
	assert_int_equal(t_unmap(f->v, DOM, VD_BUF, VD_BUF + VD_PAGE - 1), VIRTIO_IOMMU_S_OK);
	assert_int_equal(pthread_create(&th, NULL, driver_main, &t), 0);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(t_map(f->v, DOM, VD_BUF, VD_BUF + VD_PAGE - 1, VD_BUF, T_RW),
				 VIRTIO_IOMMU_S_OK);
		sched_yield();
		assert_int_equal(t_unmap(f->v, DOM, VD_BUF, VD_BUF + VD_PAGE - 1),
				 VIRTIO_IOMMU_S_OK);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		memset(page, 0, BUF_LEN);
		for (int spin = 0; spin < 200; spin++)
			sched_yield();
		stale += !all_zero(page, BUF_LEN);
	}
	__atomic_store_n(&t.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	assert_int_equal(stale, 0);
	assert_true(t.completions > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unmap_detach_stops_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_only_stops_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_viommu_reset_stops_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_moves_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_races_device, setup_loop, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
