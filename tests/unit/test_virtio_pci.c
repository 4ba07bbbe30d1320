// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the virtio-pci modern transport, driven like a guest driver
 * through ECAM and BAR accesses: IDs and capabilities, feature negotiation
 * (and its refusal), queue setup, notify, interrupts, ISR, reset, the
 * PCI_CFG window, and notifies through a real event loop.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "vmm/evloop.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"

#define RAM_GPA		0x100000ULL
#define RAM_SIZE	0x100000ULL
#define QMAX		64
#define NO_VECTOR	0xffff
#define FEAT_EXTRA	((1ULL << VIRTIO_F_RING_EVENT_IDX) | (1ULL << 1))

/* Common config offsets (virtio 1.3 4.1.4.3). */
enum { DFSEL = 0x00, DF = 0x04, GFSEL = 0x08, GF = 0x0c, MSIX_CFG = 0x10, NUMQ = 0x12,
       STATUS = 0x14, GEN = 0x15, QSEL = 0x16, QSIZE = 0x18, QMSIX = 0x1a, QENABLE = 0x1c,
       QNOFF = 0x1e, QDESC = 0x20, QDRIVER = 0x28, QDEVICE = 0x30 };

struct fix {
	struct bus *pio, *mmio;
	struct memmap *mem;
	uint8_t *ram;
	struct pci_host *host;
	struct msi_sink sink;
	struct virtio_pci *vp;
	int devfn;
	uint64_t bar;
	uint32_t cap_off[6];		/* BAR offset per cfg_type */
	uint8_t cap_at[6];		/* config offset per cfg_type */
	uint32_t notify_mult;
	int nmsg, resets, driver_oks, cfg_reads;
	uint32_t last_msi_data;
	volatile int notifies;
	uint16_t last_q;
	bool refuse;
	uint64_t offered_to_ok;
	/* The race test: queue work and resets must never overlap. */
	int in_notify, in_reset, overlaps, lock_free_calls;
	bool slow_notify;
};

/* Every device callback runs under the device lock. */
static void check_locked(struct fix *f)
{
	pthread_mutex_t *m = virtio_pci_lock(f->vp);

	if (pthread_mutex_trylock(m) == 0) {
		pthread_mutex_unlock(m);
		__atomic_add_fetch(&f->lock_free_calls, 1, __ATOMIC_SEQ_CST);
	}
}

static int rec_msi(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct fix *f = opaque;

	f->nmsg++;
	f->last_msi_data = data;
	return 0;
}

static void d_cfg_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	struct fix *f = opaque;

	check_locked(f);
	f->cfg_reads++;
	memset(data, 0x10 + off, len);
}

static bool d_features_ok(void *opaque, uint64_t features)
{
	struct fix *f = opaque;

	f->offered_to_ok = features;
	return !f->refuse;
}

static void d_notify(void *opaque, struct virtio_pci *vp, uint16_t q)
{
	struct fix *f = opaque;

	check_locked(f);
	__atomic_store_n(&f->in_notify, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&f->in_reset, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&f->overlaps, 1, __ATOMIC_SEQ_CST);
	f->last_q = q;
	/* Ring work takes a while: a reset that could run beside it would. */
	if (f->slow_notify)
		nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
	__atomic_store_n(&f->in_notify, 0, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&f->notifies, 1, __ATOMIC_SEQ_CST);
}

static void d_driver_ok(void *opaque, struct virtio_pci *vp)
{
	((struct fix *)opaque)->driver_oks++;
}

static void d_reset(void *opaque)
{
	struct fix *f = opaque;

	check_locked(f);
	__atomic_store_n(&f->in_reset, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&f->in_notify, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&f->overlaps, 1, __ATOMIC_SEQ_CST);
	f->resets++;
	__atomic_store_n(&f->in_reset, 0, __ATOMIC_SEQ_CST);
}

static const struct virtio_dev_ops dev_ops = {
	.cfg_read = d_cfg_read, .features_ok = d_features_ok, .queue_notify = d_notify,
	.driver_ok = d_driver_ok, .reset = d_reset,
};

static uint32_t cfg_rd(struct fix *f, uint32_t off, uint32_t len)
{
	return pci_host_cfg_read(f->host, 0, f->devfn, off, len);
}

static void cfg_wr(struct fix *f, uint32_t off, uint32_t len, uint32_t v)
{
	pci_host_cfg_write(f->host, 0, f->devfn, off, len, v);
}

static uint64_t rd(struct fix *f, int type, uint32_t off, uint32_t len)
{
	uint64_t v = 0;

	bus_access(f->mmio, f->bar + f->cap_off[type] + off, &v, len, false);
	return v;
}

static void wr(struct fix *f, int type, uint32_t off, uint32_t len, uint64_t v)
{
	bus_access(f->mmio, f->bar + f->cap_off[type] + off, &v, len, true);
}

/* What a device does after pushing: under its lock, inside the window. */
static void dev_notify(struct fix *f, uint16_t q)
{
	struct virtq *vq = virtio_pci_vq(f->vp, q);

	pthread_mutex_lock(virtio_pci_lock(f->vp));
	vq_begin(vq);
	virtio_pci_notify_locked(f->vp, q);
	vq_end(vq);
	pthread_mutex_unlock(virtio_pci_lock(f->vp));
}

static uint64_t drv_features(struct fix *f)
{
	uint64_t v;

	pthread_mutex_lock(virtio_pci_lock(f->vp));
	v = virtio_pci_driver_features_locked(f->vp);
	pthread_mutex_unlock(virtio_pci_lock(f->vp));
	return v;
}

static int set_dev_features(struct fix *f, uint64_t feats)
{
	int ret;

	pthread_mutex_lock(virtio_pci_lock(f->vp));
	ret = virtio_pci_set_device_features_locked(f->vp, feats);
	pthread_mutex_unlock(virtio_pci_lock(f->vp));
	return ret;
}

static void find_caps(struct fix *f)
{
	for (uint8_t c = cfg_rd(f, 0x34, 1); c; c = cfg_rd(f, c + 1, 1)) {
		uint8_t type = cfg_rd(f, c + 3, 1);

		if (cfg_rd(f, c, 1) != 0x09 || type > 5)
			continue;
		f->cap_at[type] = c;
		f->cap_off[type] = cfg_rd(f, c + 8, 4);
		if (type == 2)
			f->notify_mult = cfg_rd(f, c + 16, 4);
	}
}

static int make(void **state, struct evloop *loop)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct virtio_pci_config cfg = {
		.device_id = 23, .num_queues = 2, .queue_max = QMAX, .features = FEAT_EXTRA,
		.cfg_size = 8, .ops = &dev_ops, .loop = loop,
	};

	assert_non_null(f);
	f->pio = bus_create("pio");
	f->mmio = bus_create("mmio");
	f->mem = memmap_create();
	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(memmap_add(f->mem, RAM_GPA, RAM_SIZE, MEMMAP_RAM, 0, f->ram, "ram"), 0);
	f->sink = (struct msi_sink){ .send = rec_msi, .opaque = f };
	f->host = pci_host_create(f->pio, f->mmio, f->mem, &f->sink);
	cfg.opaque = f;
	cfg.dma.mem = f->mem;
	f->vp = virtio_pci_create(f->host, &cfg, 4);
	assert_non_null(f->vp);
	f->devfn = pci_dev_bdf(virtio_pci_dev(f->vp));
	f->bar = (cfg_rd(f, 0x20, 4) & ~0xfu) | (uint64_t)cfg_rd(f, 0x24, 4) << 32;
	find_caps(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make(state, NULL);
}

static int teardown(void **state)
{
	struct fix *f = *state;

	virtio_pci_destroy(f->vp);
	pci_host_destroy(f->host);
	memmap_destroy(f->mem);
	bus_destroy(f->mmio);
	bus_destroy(f->pio);
	free(f->ram);
	free(f);
	return 0;
}

static void test_ids_and_caps(void **state)
{
	struct fix *f = *state;

	assert_int_equal(f->devfn, 4 << 3);
	assert_int_equal(cfg_rd(f, 0, 4), 0x10571af4);
	assert_int_equal(cfg_rd(f, 8, 1), 1);
	assert_int_equal(cfg_rd(f, 0x2c, 2), 0x1af4);
	assert_int_equal(cfg_rd(f, 0x20, 4) & 0x7, 0x4);	/* 64-bit memory BAR 4 */
	assert_true(f->bar >= LAYOUT_MMIO32_BASE);
	for (int t = 1; t <= 5; t++)
		assert_int_not_equal(f->cap_at[t], 0);
	assert_int_equal(cfg_rd(f, f->cap_at[1] + 4, 1), 4);
	assert_int_equal(f->notify_mult, 4);
	assert_int_equal(rd(f, 1, NUMQ, 2), 2);
	assert_int_equal(rd(f, 1, QNOFF, 2), 0);
	assert_int_equal(virtio_pci_notify_addr(f->vp, 1),
			 f->bar + f->cap_off[2] + 1 * f->notify_mult);
	assert_int_equal(virtio_pci_notify_fd(f->vp, 0), -1);
}

static void negotiate(struct fix *f, uint64_t feats)
{
	wr(f, 1, STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, 1, GFSEL, 4, 0);
	wr(f, 1, GF, 4, (uint32_t)feats);
	wr(f, 1, GFSEL, 4, 1);
	wr(f, 1, GF, 4, feats >> 32);
	wr(f, 1, STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
}

static void test_features(void **state)
{
	struct fix *f = *state;
	uint64_t v1 = 1ULL << VIRTIO_F_VERSION_1;

	wr(f, 1, DFSEL, 4, 0);
	assert_int_equal(rd(f, 1, DF, 4), (uint32_t)FEAT_EXTRA);
	wr(f, 1, DFSEL, 4, 1);
	assert_int_equal(rd(f, 1, DF, 4), 1);		/* VERSION_1, no ACCESS_PLATFORM */
	wr(f, 1, DFSEL, 4, 7);
	assert_int_equal(rd(f, 1, DF, 4), 0);
	negotiate(f, (1ULL << 1));			/* no VERSION_1 */
	assert_int_equal(rd(f, 1, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	negotiate(f, v1 | (1ULL << 5));			/* not offered */
	assert_int_equal(rd(f, 1, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	f->refuse = true;
	negotiate(f, v1);
	assert_int_equal(rd(f, 1, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	f->refuse = false;
	negotiate(f, v1 | 2);
	assert_int_equal(rd(f, 1, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(f->offered_to_ok, v1 | 2);
	assert_int_equal(drv_features(f), v1 | 2);
	wr(f, 1, GFSEL, 4, 0);
	wr(f, 1, GF, 4, 0);				/* ignored after FEATURES_OK */
	assert_int_equal(drv_features(f), v1 | 2);
	wr(f, 1, STATUS, 1, 0x0f);
	assert_int_equal(f->driver_oks, 1);
}

static void setup_queue(struct fix *f, uint16_t q, uint16_t size, uint64_t base)
{
	wr(f, 1, QSEL, 2, q);
	wr(f, 1, QSIZE, 2, size);
	wr(f, 1, QDESC, 4, (uint32_t)base);
	wr(f, 1, QDESC + 4, 4, base >> 32);
	wr(f, 1, QDRIVER, 8, base + 0x1000);
	wr(f, 1, QDEVICE, 8, base + 0x2000);
	wr(f, 1, QENABLE, 2, 1);
}

static void test_queue_setup(void **state)
{
	struct fix *f = *state;
	struct virtq *vq = virtio_pci_vq(f->vp, 1);

	negotiate(f, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_RING_EVENT_IDX));
	wr(f, 1, QSEL, 2, 1);
	assert_int_equal(rd(f, 1, QSIZE, 2), QMAX);
	assert_int_equal(rd(f, 1, QMSIX, 2), NO_VECTOR);
	wr(f, 1, QSIZE, 2, 33);			/* not a power of two */
	assert_int_equal(rd(f, 1, QSIZE, 2), QMAX);
	wr(f, 1, QSIZE, 2, 2 * QMAX);
	assert_int_equal(rd(f, 1, QSIZE, 2), QMAX);
	setup_queue(f, 1, 16, RAM_GPA);
	assert_int_equal(rd(f, 1, QENABLE, 2), 1);
	assert_true(vq->ready);
	assert_true(vq->event_idx);
	assert_int_equal(vq->dma.endpoint, f->devfn);	/* the IOMMU sees the BDF */
	assert_int_equal(vq->size, 16);
	assert_ptr_equal(vq->desc, f->ram);
	assert_int_equal(rd(f, 1, QDRIVER, 8), RAM_GPA + 0x1000);
	assert_int_equal(rd(f, 1, QDEVICE + 4, 4), 0);
	wr(f, 1, QDESC, 8, RAM_GPA + 0x8000);	/* ignored once enabled */
	wr(f, 1, QSIZE, 2, 8);
	assert_int_equal(rd(f, 1, QDESC, 8), RAM_GPA);
	assert_int_equal(vq->size, 16);
	wr(f, 1, QSEL, 2, 5);			/* no such queue */
	assert_int_equal(rd(f, 1, QSIZE, 2), 0);
	wr(f, 1, QSIZE, 2, 4);
	assert_int_equal(rd(f, 1, 0x17, 1), 0);	/* partial field access reads 0 */
}

static void test_queue_enable_failure(void **state)
{
	struct fix *f = *state;

	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 16, LAYOUT_MMIO32_BASE);	/* rings in MMIO */
	assert_int_equal(rd(f, 1, QENABLE, 2), 0);
	assert_true(rd(f, 1, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	wr(f, 1, STATUS, 1, 0x0b);			/* the driver cannot clear it */
	assert_true(rd(f, 1, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	wr(f, 1, STATUS, 1, 0);
	assert_int_equal(rd(f, 1, STATUS, 1), 0);
}

static void test_notify(void **state)
{
	struct fix *f = *state;

	wr(f, 2, 1 * f->notify_mult, 2, 1);	/* queue not ready: dropped */
	assert_int_equal(f->notifies, 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 1, 8, RAM_GPA);
	wr(f, 2, 1 * f->notify_mult, 2, 1);
	assert_int_equal(f->notifies, 1);
	assert_int_equal(f->last_q, 1);
	wr(f, 2, 2 * f->notify_mult, 2, 2);	/* beyond num_queues */
	wr(f, 2, 1 * f->notify_mult + 1, 1, 1);	/* misaligned */
	assert_int_equal(f->notifies, 1);
}

static void test_interrupts_and_isr(void **state)
{
	struct fix *f = *state;
	uint8_t cap = cfg_rd(f, 0x34, 1);
	uint64_t tbl;

	while (cfg_rd(f, cap, 1) != 0x11)
		cap = cfg_rd(f, cap + 1, 1);
	tbl = f->bar + (cfg_rd(f, cap + 4, 4) & ~7u);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 8, RAM_GPA);
	wr(f, 1, QSEL, 2, 0);
	wr(f, 1, QMSIX, 2, 1);
	assert_int_equal(rd(f, 1, QMSIX, 2), 1);
	wr(f, 1, MSIX_CFG, 2, 100);			/* no such vector */
	assert_int_equal(rd(f, 1, MSIX_CFG, 2), NO_VECTOR);
	wr(f, 1, MSIX_CFG, 2, 0);
	for (uint32_t v = 0; v < 2; v++) {
		uint32_t e[4] = { 0xfee00000, 0, 0x30 + v, 0 };

		for (int i = 0; i < 4; i++)
			bus_access(f->mmio, tbl + 16 * v + 4 * i, &e[i], 4, true);
	}
	cfg_wr(f, cap + 2, 2, 0x8000);
	dev_notify(f, 0);
	assert_int_equal(f->nmsg, 1);
	assert_int_equal(f->last_msi_data, 0x31);
	assert_int_equal(rd(f, 3, 0, 1), 1);
	assert_int_equal(rd(f, 3, 0, 1), 0);		/* read to clear */
	*(uint16_t *)(f->ram + 0x1000) = 1;		/* VIRTQ_AVAIL_F_NO_INTERRUPT */
	dev_notify(f, 0);
	assert_int_equal(f->nmsg, 1);
	pthread_mutex_lock(virtio_pci_lock(f->vp));
	virtio_pci_config_changed_locked(f->vp);
	pthread_mutex_unlock(virtio_pci_lock(f->vp));
	assert_int_equal(f->nmsg, 2);
	assert_int_equal(f->last_msi_data, 0x30);
	assert_int_equal(rd(f, 1, GEN, 1), 1);
	assert_int_equal(rd(f, 3, 0, 1), 2);
}

static void test_reset(void **state)
{
	struct fix *f = *state;
	struct virtq *vq = virtio_pci_vq(f->vp, 0);

	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 8, RAM_GPA);
	wr(f, 1, QMSIX, 2, 1);
	wr(f, 1, STATUS, 1, 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(rd(f, 1, STATUS, 1), 0);
	assert_false(vq->ready);
	assert_int_equal(drv_features(f), 0);
	wr(f, 1, QSEL, 2, 0);
	assert_int_equal(rd(f, 1, QSIZE, 2), QMAX);
	assert_int_equal(rd(f, 1, QENABLE, 2), 0);
	assert_int_equal(rd(f, 1, QMSIX, 2), NO_VECTOR);
	assert_int_equal(rd(f, 1, QDESC, 8), 0);
	/* After reset the queue can be set up again. */
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 4, RAM_GPA + 0x10000);
	assert_true(vq->ready);
	assert_int_equal(vq->size, 4);
}

static void test_device_cfg_and_pci_cfg_window(void **state)
{
	struct fix *f = *state;
	uint8_t c = f->cap_at[5];

	assert_int_equal(rd(f, 4, 2, 2), 0x1212);
	assert_int_equal(f->cfg_reads, 1);
	assert_int_equal(rd(f, 4, 6, 4), 0);		/* runs past cfg_size */
	assert_int_equal(f->cfg_reads, 1);
	cfg_wr(f, c + 4, 1, 4);
	cfg_wr(f, c + 8, 4, f->cap_off[1] + NUMQ);
	cfg_wr(f, c + 12, 4, 2);
	assert_int_equal(cfg_rd(f, c + 16, 4), 2);
	cfg_wr(f, c + 8, 4, f->cap_off[1] + QSEL);
	cfg_wr(f, c + 16, 4, 1);			/* queue_select = 1 via the window */
	assert_int_equal(rd(f, 1, QSEL, 2), 1);
	cfg_wr(f, c + 4, 1, 0);				/* wrong BAR: no access */
	assert_int_equal(cfg_rd(f, c + 16, 4), 1);	/* plain register value */
}

static void test_event_loop_notify(void **state)
{
	struct evloop *loop = evloop_create();
	struct fix *f;

	assert_non_null(loop);
	assert_int_equal(evloop_start(loop), 0);
	make(state, loop);
	f = *state;
	assert_true(virtio_pci_notify_fd(f->vp, 0) >= 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 8, RAM_GPA);
	wr(f, 2, 0, 2, 0);
	for (int i = 0; i < 2000 && !__atomic_load_n(&f->notifies, __ATOMIC_SEQ_CST); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	assert_int_equal(f->notifies, 1);
	assert_int_equal(f->last_q, 0);
	evloop_stop(loop);
	teardown(state);
	evloop_destroy(loop);
}

/*
 * Two threads against one device: the event loop runs queue work for kicks
 * that a vCPU-like thread keeps sending, while this thread resets the device
 * (plain 0, and the NEEDS_RESET-then-0 trick) and sets it up again. Queue
 * work and reset must never overlap, and every callback holds the device
 * lock. (Before the one-lock model, reset ran on the writing thread beside
 * the loop's queue work.)
 */
struct kicker {
	struct fix *f;
	int stop;
};

static void *kick_thread(void *opaque)
{
	struct kicker *k = opaque;

	while (!__atomic_load_n(&k->stop, __ATOMIC_SEQ_CST)) {
		wr(k->f, 2, 0, 2, 0);
		sched_yield();
	}
	return NULL;
}

static void test_reset_races_queue_work(void **state)
{
	struct evloop *loop = evloop_create();
	struct kicker k = { 0 };
	pthread_t th;
	struct fix *f;

	assert_non_null(loop);
	assert_int_equal(evloop_start(loop), 0);
	make(state, loop);
	f = *state;
	f->slow_notify = true;
	k.f = f;
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 8, RAM_GPA);
	assert_int_equal(pthread_create(&th, NULL, kick_thread, &k), 0);
	for (int i = 0; i < 2000 && !__atomic_load_n(&f->notifies, __ATOMIC_SEQ_CST); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	assert_true(__atomic_load_n(&f->notifies, __ATOMIC_SEQ_CST) > 0);
	for (int i = 0; i < 400; i++) {
		if (i & 1)
			wr(f, 1, STATUS, 1, VIRTIO_STATUS_NEEDS_RESET);
		wr(f, 1, STATUS, 1, 0);
		assert_int_equal(rd(f, 1, STATUS, 1), 0);	/* reset is synchronous */
		negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
		setup_queue(f, 0, 8, RAM_GPA);
	}
	__atomic_store_n(&k.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	evloop_stop(loop);
	assert_int_equal(f->overlaps, 0);
	assert_int_equal(f->lock_free_calls, 0);
	assert_int_equal(f->resets, 400);
	teardown(state);
	evloop_destroy(loop);
}

/*
 * Status follows virtio 1.3 2.1.2: only 0 resets, the driver cannot set
 * NEEDS_RESET, and a write that would clear a set bit is ignored whole, so
 * FEATURES_OK (and with it the features) cannot be dropped and renegotiated
 * under live queues.
 */
static void test_status_rules(void **state)
{
	struct fix *f = *state;
	uint8_t full;

	wr(f, 1, STATUS, 1, VIRTIO_STATUS_NEEDS_RESET);	/* alone, from 0 */
	assert_int_equal(rd(f, 1, STATUS, 1), 0);
	assert_int_equal(f->resets, 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 8, RAM_GPA);
	wr(f, 1, STATUS, 1, rd(f, 1, STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
	full = rd(f, 1, STATUS, 1);
	assert_true(full & VIRTIO_STATUS_DRIVER_OK);
	wr(f, 1, STATUS, 1, VIRTIO_STATUS_NEEDS_RESET);	/* the 0x40 trick */
	assert_int_equal(rd(f, 1, STATUS, 1), full);
	wr(f, 1, STATUS, 1, full | VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rd(f, 1, STATUS, 1), full);	/* cannot set it */
	wr(f, 1, STATUS, 1, full & ~VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(f, 1, STATUS, 1), full);	/* cannot clear bits */
	wr(f, 1, STATUS, 1, full & ~VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(rd(f, 1, STATUS, 1), full);
	wr(f, 1, GFSEL, 4, 0);
	wr(f, 1, GF, 4, 2);				/* features frozen */
	assert_int_equal(drv_features(f), 1ULL << VIRTIO_F_VERSION_1);
	assert_int_equal(f->resets, 0);
	assert_true(virtio_pci_vq(f->vp, 0)->ready);
	wr(f, 1, STATUS, 1, 0);				/* only 0 resets */
	assert_int_equal(f->resets, 1);
	assert_int_equal(rd(f, 1, STATUS, 1), 0);
	assert_int_equal(f->lock_free_calls, 0);
}

/* A queue cannot be enabled before FEATURES_OK. */
static void test_queue_enable_needs_features_ok(void **state)
{
	struct fix *f = *state;

	wr(f, 1, STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	setup_queue(f, 0, 8, RAM_GPA);
	assert_false(virtio_pci_vq(f->vp, 0)->ready);
}

/* Offered features may change only before a driver starts. */
static void test_set_device_features(void **state)
{
	struct fix *f = *state;

	assert_int_equal(set_dev_features(f, 1ULL << 1), 0);
	wr(f, 1, DFSEL, 4, 0);
	assert_int_equal(rd(f, 1, DF, 4), 1u << 1);
	wr(f, 1, DFSEL, 4, 1);
	assert_int_equal(rd(f, 1, DF, 4), 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(f, 1, STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(set_dev_features(f, 0), -EBUSY);
	wr(f, 1, DFSEL, 4, 0);
	assert_int_equal(rd(f, 1, DF, 4), 1u << 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_device_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_and_caps, setup, teardown),
		cmocka_unit_test(test_reset_races_queue_work),
		cmocka_unit_test_setup_teardown(test_status_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_enable_needs_features_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_enable_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupts_and_isr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_cfg_and_pci_cfg_window, setup, teardown),
		cmocka_unit_test(test_event_loop_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
