// SPDX-License-Identifier: GPL-2.0-only
/*
 * The viommu's virtqueue handling through its PCI transport with malformed
 * rings (found by tests/fuzz): an avail index that runs ahead of the ring or
 * a head outside it must end in DEVICE_NEEDS_RESET, never in a request loop
 * that spins forever or a used entry for a descriptor the driver never gave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "passthrough/sim/sim_iommu.h"
#include "unit/virtio_driver.h"
#include "viommu/viommu.h"
#include "viommu/virtio_iommu.h"

struct fix {
	struct vd d;
	struct viommu *v;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct viommu_config cfg = { .slot = -1 };

	assert_non_null(f);
	vd_init(&f->d);
	cfg.mem = f->d.mem;
	cfg.pci = f->d.host;
	f->v = viommu_create(&cfg);
	assert_non_null(f->v);
	assert_int_equal(viommu_add_endpoint(f->v, 8), 0);
	vd_probe(&f->d, viommu_bdf(f->v));
	vd_start(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	viommu_destroy(f->v);
	vd_fini(&f->d);
	free(f);
	return 0;
}

static uint16_t used_idx(struct fix *f)
{
	return ((uint16_t *)vd_host(&f->d, VD_USED))[1];
}

/* A valid ATTACH still completes: the device works before and after. */
static void expect_attach_ok(struct fix *f)
{
	struct virtio_iommu_req_attach req = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(1), .endpoint = htole32(8),
	};
	struct vd_buf b[2] = {
		{ VD_BUF, sizeof(req), false }, { VD_BUF + 0x100, 4, true },
	};

	memcpy(vd_host(&f->d, VD_BUF), &req, sizeof(req));
	assert_int_equal(vd_run(&f->d, b, 2), 4);
	assert_int_equal(*vd_host(&f->d, VD_BUF + 0x100), VIRTIO_IOMMU_S_OK);
}

static void test_avail_idx_ahead(void **state)
{
	struct fix *f = *state;
	uint16_t *avail = (uint16_t *)vd_host(&f->d, VD_AVAIL);

	expect_attach_ok(f);
	/* idx - last_avail > queue size: nothing can be popped, ever. Before
	 * the fix the notify handler spun on vq_pop -EINVAL forever. */
	alarm(20);
	avail[1] = htole16(f->d.avail_idx + VD_QSIZE + 5);
	vd_kick(&f->d);
	alarm(0);
	assert_int_equal(used_idx(f), 1);		/* no used entry for it */
	assert_true(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	vd_start(&f->d);				/* reset recovers */
	assert_false(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	expect_attach_ok(f);
}

static void test_head_outside_ring(void **state)
{
	struct fix *f = *state;
	uint16_t *avail = (uint16_t *)vd_host(&f->d, VD_AVAIL);

	avail[2] = htole16(VD_QSIZE + 3);		/* head 19 in a 16-entry ring */
	avail[1] = htole16(1);
	vd_kick(&f->d);
	/* The driver never gave descriptor 19: no used entry may name it. */
	assert_int_equal(used_idx(f), 0);
	assert_true(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The eventq (queue 1) at its own ring pages. */
#define EQ_DESC		(VD_RAM_GPA + 0x8000)
#define EQ_AVAIL	(VD_RAM_GPA + 0x9000)
#define EQ_USED		(VD_RAM_GPA + 0xa000)

static void eventq_start(struct fix *f)
{
	vd_wr(&f->d, VD_CAP_COMMON, VD_QSEL, 2, 1);
	vd_wr(&f->d, VD_CAP_COMMON, VD_QSZ, 2, VD_QSIZE);
	vd_wr(&f->d, VD_CAP_COMMON, VD_QDESC, 8, EQ_DESC);
	vd_wr(&f->d, VD_CAP_COMMON, VD_QDRV, 8, EQ_AVAIL);
	vd_wr(&f->d, VD_CAP_COMMON, VD_QDEV, 8, EQ_USED);
	vd_wr(&f->d, VD_CAP_COMMON, VD_QEN, 2, 1);
	assert_int_equal(vd_rd(&f->d, VD_CAP_COMMON, VD_QEN, 2), 1);
}

static void test_eventq_avail_idx_ahead(void **state)
{
	struct fix *f = *state;
	uint16_t *avail = (uint16_t *)vd_host(&f->d, EQ_AVAIL);
	uint16_t *used = (uint16_t *)vd_host(&f->d, EQ_USED);
	struct viommu_stats st;

	eventq_start(f);
	used[1] = 0x5555;	/* the device's first push would store 1 here */
	avail[1] = htole16(VD_QSIZE + 1);
	/* Endpoint 8 is not attached: its DMA faults, the report finds no
	 * usable buffer. Before the fix a used entry with an uninitialized
	 * head went to the driver. */
	assert_int_equal(viommu_report_fault(f->v, 8, VIRTIO_IOMMU_FAULT_R_DOMAIN, 0, 0x1000), 0);
	assert_int_equal(used[1], 0x5555);
	assert_true(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	viommu_stats(f->v, &st);
	assert_int_equal(st.faults_dropped, 1);
}

/* A host endpoint whose IOMMU cannot nest, added before the driver starts:
 * the transport stops offering the nesting bit. After the driver has
 * started, offered features no longer change. */
static void test_nesting_withdrawn_before_driver(void **state)
{
	struct sim_iommu_config sc;
	struct viommu_config cfg = { .slot = -1 };
	struct sim_iommu *sim;
	struct hiopt_dev *dev;
	struct viommu *v;
	struct vd d;
	const uint64_t nested = 1ULL << VIRTIO_IOMMU_F_X_NESTED;

	vd_init(&d);
	sim_iommu_config_default(&sc);
	sc.nesting = false;
	sim = sim_iommu_create(&sc);
	dev = sim_iommu_dev_create(sim);
	cfg.mem = d.mem;
	cfg.pci = d.host;
	cfg.hiopt = sim_iommu_hiopt(sim);
	v = viommu_create(&cfg);
	assert_non_null(v);
	vd_probe(&d, viommu_bdf(v));
	assert_true(vd_device_features(&d) & nested);
	assert_int_equal(viommu_add_host_endpoint(v, 0x10, NULL, dev), 0);
	assert_false(viommu_device_features(v) & nested);
	assert_false(vd_device_features(&d) & nested);
	viommu_destroy(v);
	sim_iommu_dev_destroy(sim, dev);
	sim_iommu_destroy(sim);
	vd_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_avail_idx_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_outside_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eventq_avail_idx_ahead, setup, teardown),
		cmocka_unit_test(test_nesting_withdrawn_before_driver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
