// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two threads against the virtio-iommu's eventq (issue 11, finding 2): one,
 * like a vCPU, keeps enabling a virtio-rng queue behind the viommu at an
 * unmapped IOVA, so every enable reports a fault event; the other, like a
 * second vCPU, keeps resetting the viommu and setting its eventq up again.
 * Fault events must never touch the eventq beside its reset or enable (they
 * did, under another lock: SEGV or UBSan in vq_push), and afterwards the
 * device still delivers a fault event where it should.
 */
#include <endian.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/virtio/rng.h"
#include "viommu/viommu.h"
#include "virtio_driver.h"

#define EQ_DESC		(VD_RAM_GPA + 0x8000)
#define EQ_AVAIL	(VD_RAM_GPA + 0x9000)
#define EQ_USED		(VD_RAM_GPA + 0xa000)
#define EQ_BUFS		(VD_RAM_GPA + 0xb000)
#define EQ_N		8
#define BAD_IOVA	0x3f000000ULL	/* never mapped */
#define ROUNDS		3000

struct fix {
	struct vd rng, iommu;		/* one pci_host, two functions */
	struct viommu *v;
	struct virtio_rng *r;
	uint32_t ep;
	int stop;
};

static int setup(void **state)
{
	struct viommu_config vc = { .slot = -1 };
	struct fix *f = calloc(1, sizeof(*f));
	struct dma_ctx ctx;
	int slot;

	assert_non_null(f);
	vd_init(&f->rng);
	vc.mem = f->rng.mem;
	vc.pci = f->rng.host;
	f->v = viommu_create(&vc);
	assert_non_null(f->v);
	slot = pci_host_reserve_slot(f->rng.host);
	assert_true(slot > 0);
	f->ep = (uint32_t)slot << 3;
	viommu_dma_ctx(f->v, f->ep, &ctx);
	f->r = virtio_rng_create(f->rng.host, NULL, &ctx, true, slot);
	assert_non_null(f->r);
	vd_probe(&f->rng, f->ep);
	f->iommu = f->rng;
	vd_probe(&f->iommu, viommu_bdf(f->v));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	virtio_rng_destroy(f->r);
	viommu_destroy(f->v);
	vd_fini(&f->rng);
	free(f);
	return 0;
}

/* Reset the viommu and give it an eventq of EQ_N writable buffers. */
static void eventq_setup(struct vd *d)
{
	uint8_t *desc = vd_host(d, EQ_DESC);
	uint16_t *avail = (uint16_t *)vd_host(d, EQ_AVAIL);

	assert_true(vd_negotiate(d, vd_device_features(d)));
	memset(vd_host(d, EQ_USED), 0, 64);
	for (uint16_t i = 0; i < EQ_N; i++) {
		struct virtq_desc x = {
			.addr = EQ_BUFS + 64 * i, .len = sizeof(struct virtio_iommu_fault),
			.flags = VIRTQ_DESC_F_WRITE,
		};

		memcpy(desc + 16 * i, &x, sizeof(x));
		avail[2 + i] = i;
	}
	__atomic_store_n(&avail[1], EQ_N, __ATOMIC_RELEASE);
	vd_wr(d, VD_CAP_COMMON, VD_QSEL, 2, 1);
	vd_wr(d, VD_CAP_COMMON, VD_QSZ, 2, EQ_N);
	vd_wr(d, VD_CAP_COMMON, VD_QDESC, 8, EQ_DESC);
	vd_wr(d, VD_CAP_COMMON, VD_QDRV, 8, EQ_AVAIL);
	vd_wr(d, VD_CAP_COMMON, VD_QDEV, 8, EQ_USED);
	vd_wr(d, VD_CAP_COMMON, VD_QEN, 2, 1);
	vd_wr(d, VD_CAP_COMMON, VD_STATUS, 1, 0x0f);
}

static void eventq_kick(struct vd *d)
{
	vd_wr(d, VD_CAP_NOTIFY, d->notify_mult, 2, 1);
}

static uint16_t eventq_used(struct vd *d)
{
	return __atomic_load_n((uint16_t *)vd_host(d, EQ_USED) + 1, __ATOMIC_ACQUIRE);
}

/* The rng's queue 0 at an IOVA nothing maps: each enable is a fault. */
static void rng_enable_bad(struct vd *d)
{
	vd_wr(d, VD_CAP_COMMON, VD_QSEL, 2, 0);
	vd_wr(d, VD_CAP_COMMON, VD_QDESC, 8, BAD_IOVA);
	vd_wr(d, VD_CAP_COMMON, VD_QDRV, 8, BAD_IOVA + 0x1000);
	vd_wr(d, VD_CAP_COMMON, VD_QDEV, 8, BAD_IOVA + 0x2000);
	vd_wr(d, VD_CAP_COMMON, VD_QEN, 2, 1);
}

static void *faulter(void *opaque)
{
	struct fix *f = opaque;
	struct vd d = f->rng;		/* this thread's view of the function */

	for (unsigned i = 0; !__atomic_load_n(&f->stop, __ATOMIC_SEQ_CST); i++) {
		if (i % 64 == 0)
			assert_true(vd_negotiate(&d, vd_device_features(&d)));
		rng_enable_bad(&d);
	}
	return NULL;
}

static void test_eventq_reset_races_faults(void **state)
{
	struct fix *f = *state;
	pthread_t th;
	uint16_t before;

	eventq_setup(&f->iommu);
	assert_int_equal(pthread_create(&th, NULL, faulter, f), 0);
	for (int i = 0; i < ROUNDS; i++) {
		if (i & 1)	/* NEEDS_RESET alone first: must not reset or clear */
			vd_wr(&f->iommu, VD_CAP_COMMON, VD_STATUS, 1, VIRTIO_STATUS_NEEDS_RESET);
		vd_wr(&f->iommu, VD_CAP_COMMON, VD_STATUS, 1, 0);
		assert_int_equal(vd_status(&f->iommu), 0);
		eventq_setup(&f->iommu);
		eventq_kick(&f->iommu);	/* buffers may take pending events */
		sched_yield();
	}
	__atomic_store_n(&f->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	/* Liveness: a fresh eventq gets the next fault event. */
	eventq_setup(&f->iommu);
	eventq_kick(&f->iommu);
	before = eventq_used(&f->iommu);
	assert_true(vd_negotiate(&f->rng, vd_device_features(&f->rng)));
	rng_enable_bad(&f->rng);
	eventq_kick(&f->iommu);
	assert_int_equal((uint16_t)(eventq_used(&f->iommu) - before), 1);
	{
		const struct virtio_iommu_fault *ev =
			(const void *)vd_host(&f->iommu, EQ_BUFS + 64 * before);

		assert_int_equal(le32toh(ev->endpoint), f->ep);
		assert_int_equal(ev->reason, VIRTIO_IOMMU_FAULT_R_DOMAIN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eventq_reset_races_faults, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
