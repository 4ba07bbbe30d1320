// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk driven through the PCI transport like a guest driver: config
 * space, reads and writes at sector offsets of a temp file, flush, GET_ID,
 * range and read-only errors, malformed chains (len 0, nothing touched), and
 * DMA through a fake IOMMU that faults: the request fails cleanly and no
 * guest memory outside the translations changes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/evloop.h"
#include "vmm/virtio/blk.h"
#include "virtio_driver.h"

#define SECTORS		64
#define HDR		(VD_BUF + 0x0000)
#define DATA		(VD_BUF + 0x1000)	/* up to 16 KiB */
#define STATUS		(VD_BUF + 0x6000)
#define FAR		0x10000000ULL		/* not guest RAM */

struct fix {
	struct vd d;
	struct virtio_blk *blk;
	struct evloop *loop;
	char path[64];
	int fd;				/* the test's own handle on the file */
	uint8_t *snap;			/* RAM copy before a request */
};

/* The file's initial content: every byte names its offset. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static void make_file(struct fix *f)
{
	uint8_t buf[SECTORS * 512];

	snprintf(f->path, sizeof(f->path), "/tmp/ioshade-test-blk-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	assert_int_equal(pwrite(f->fd, buf, sizeof(buf), 0), sizeof(buf));
}

static void make_dev(struct fix *f, bool iommu, bool ro, struct evloop *loop)
{
	f->blk = virtio_blk_create(f->d.host, loop, iommu ? &f->d.iommu_ctx : &f->d.identity,
				   iommu, 3, f->path, ro);
	assert_non_null(f->blk);
	f->d.shift = iommu ? VD_SHIFT : 0;
	vd_probe(&f->d, virtio_blk_bdf(f->blk));
}

static int setup_opts(void **state, bool iommu, bool ro, bool loop)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vd_init(&f->d);
	make_file(f);
	if (loop) {
		f->loop = evloop_create();
		assert_non_null(f->loop);
		assert_int_equal(evloop_start(f->loop), 0);
		f->d.wait_ms = 2000;
	}
	make_dev(f, iommu, ro, f->loop);
	f->snap = malloc(VD_RAM_SIZE);
	assert_non_null(f->snap);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_opts(state, false, false, false); }
static int setup_ro(void **state) { return setup_opts(state, false, true, false); }
static int setup_iommu(void **state) { return setup_opts(state, true, false, false); }
static int setup_loop(void **state) { return setup_opts(state, false, false, true); }

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->loop)
		evloop_stop(f->loop);
	virtio_blk_destroy(f->blk);
	if (f->loop)
		evloop_destroy(f->loop);
	vd_fini(&f->d);
	close(f->fd);
	unlink(f->path);
	free(f->snap);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- helpers */

static void put_hdr(struct fix *f, uint32_t type, uint64_t sector)
{
	uint8_t *h = vd_host(&f->d, HDR);

	memset(h, 0, 16);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
}

static uint8_t status(struct fix *f)
{
	return *vd_host(&f->d, STATUS);
}

/* Header, one data buffer, status: the usual three-descriptor request. */
static uint32_t request(struct fix *f, uint32_t type, uint64_t sector, uint32_t len,
			bool data_writable)
{
	struct vd_buf b[3] = {
		{ HDR, 16, false }, { DATA, len, data_writable }, { STATUS, 1, true },
	};

	put_hdr(f, type, sector);
	*vd_host(&f->d, STATUS) = 0xee;
	if (!len) {
		b[1] = b[2];
		return vd_run(&f->d, b, 2);
	}
	return vd_run(&f->d, b, 3);
}

/* Kick after a hand-built chain; the used length of its completion. */
static uint32_t kick_used_len(struct fix *f)
{
	uint32_t id = ~0u, len = ~0u;

	vd_kick(&f->d);
	assert_true(vd_used(&f->d, &id, &len));
	return len;
}

static bool file_is_pattern(struct fix *f)
{
	uint8_t buf[SECTORS * 512];

	assert_int_equal(pread(f->fd, buf, sizeof(buf), 0), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != pattern(i))
			return false;
	return true;
}

static void snapshot(struct fix *f)
{
	memcpy(f->snap, f->d.ram, VD_RAM_SIZE);
}

static bool in_range(struct fix *f, uint64_t i, uint64_t iova, uint64_t len)
{
	uint64_t s = (uint64_t)(vd_host(&f->d, iova) - f->d.ram);

	return i >= s && i < s + len;
}

/* Bytes of RAM that changed since the snapshot outside [skip, skip+skip_len)
 * (an IOVA range, through the current translation), the rings and the
 * header, which the driver itself writes. */
static size_t changed_outside(struct fix *f, uint64_t skip, uint64_t skip_len)
{
	size_t n = 0;

	for (uint64_t i = 0; i < VD_RAM_SIZE; i++) {
		if (in_range(f, i, VD_DESC, 3 * VD_PAGE) || in_range(f, i, HDR, 16) ||
		    in_range(f, i, skip, skip_len))
			continue;
		n += f->d.ram[i] != f->snap[i];
	}
	return n;
}

/* --------------------------------------------------------------- tests */

static void test_ids_config_features(void **state)
{
	struct fix *f = *state;
	uint64_t feat = vd_device_features(&f->d);

	assert_int_equal(vd_cfg_rd(&f->d, 0, 4), 0x10421af4);
	assert_int_equal(vd_cfg_rd(&f->d, 8, 4) >> 8, 0x010000);
	assert_int_equal(f->d.devfn, 3 << 3);
	assert_int_equal(virtio_blk_capacity(f->blk), SECTORS);
	assert_int_equal(vd_rd(&f->d, VD_CAP_DEVICE, VIRTIO_BLK_CFG_CAPACITY, 8), SECTORS);
	assert_int_equal(vd_rd(&f->d, VD_CAP_DEVICE, VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	assert_int_equal(vd_rd(&f->d, VD_CAP_DEVICE, VIRTIO_BLK_CFG_SEG_MAX, 4), VIRTIO_BLK_SEG_MAX);
	assert_int_equal(vd_rd(&f->d, VD_CAP_DEVICE, VIRTIO_BLK_CFG_SIZE_MAX, 4),
			 VIRTIO_BLK_SIZE_MAX);
	assert_true(feat & (1ULL << VIRTIO_F_VERSION_1));
	assert_true(feat & (1ULL << VIRTIO_BLK_F_SEG_MAX));
	assert_true(feat & (1ULL << VIRTIO_BLK_F_BLK_SIZE));
	assert_true(feat & (1ULL << VIRTIO_BLK_F_FLUSH));
	assert_false(feat & (1ULL << VIRTIO_BLK_F_RO));
	assert_false(feat & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
	/* A driver without ACCESS_PLATFORM is fine when no IOMMU is in the way. */
	assert_true(vd_negotiate(&f->d, 1ULL << VIRTIO_F_VERSION_1));
}

static void test_read_at_sector(void **state)
{
	struct fix *f = *state;
	struct vd_buf b[4] = {
		{ HDR, 16, false }, { DATA, 512, true }, { DATA + 0x800, 512, true },
		{ STATUS, 1, true },
	};
	uint8_t *d = vd_host(&f->d, DATA);

	vd_start(&f->d);
	put_hdr(f, VIRTIO_BLK_T_IN, 3);
	assert_int_equal(vd_run(&f->d, b, 4), 1025);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	for (int i = 0; i < 512; i++) {
		assert_int_equal(d[i], pattern(3 * 512 + i));
		assert_int_equal(d[0x800 + i], pattern(4 * 512 + i));
	}
	assert_int_equal(d[512], 0);			/* between the two buffers */
}

static void test_write_at_sector(void **state)
{
	struct fix *f = *state;
	uint8_t buf[1024];

	vd_start(&f->d);
	memset(vd_host(&f->d, DATA), 0x3c, 1024);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 5, 1024, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(f->fd, buf, sizeof(buf), 5 * 512), sizeof(buf));
	for (int i = 0; i < 1024; i++)
		assert_int_equal(buf[i], 0x3c);
	assert_int_equal(pread(f->fd, buf, 2, 5 * 512 - 1), 2);
	assert_int_equal(buf[0], pattern(5 * 512 - 1));	/* neighbours intact */
	assert_int_equal(pread(f->fd, buf, 1, 7 * 512), 1);
	assert_int_equal(buf[0], pattern(7 * 512));
	/* Read it back through the device. */
	memset(vd_host(&f->d, DATA), 0, 1024);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 5, 1024, true), 1025);
	assert_int_equal(vd_host(&f->d, DATA)[1023], 0x3c);
}

static void test_flush_get_id_unsupp(void **state)
{
	struct fix *f = *state;
	uint8_t *d = vd_host(&f->d, DATA);

	vd_start(&f->d);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	memset(d, 0xff, 32);
	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 32, true), 21);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	assert_memory_equal(d, "ioshade-", 8);
	assert_int_equal(d[20], 0xff);			/* 20 bytes at most */
	assert_int_equal(request(f, 99, 0, 0, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_UNSUPP);
}

static void test_range_errors(void **state)
{
	struct fix *f = *state;

	vd_start(&f->d);
	memset(vd_host(&f->d, DATA), 0x11, 4096);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, SECTORS - 1, 1024, true), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vd_host(&f->d, DATA)[0], 0x11);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, SECTORS, 512, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	/* sector * 512 and offset + len overflow. */
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 1ULL << 56, 512, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, UINT64_MAX / 512, 1024, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 100, false), 1);	/* not sectors */
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, SECTORS - 2, 1024, true), 1025);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);	/* the last sectors are fine */
	assert_true(file_is_pattern(f));
}

static void test_read_only(void **state)
{
	struct fix *f = *state;

	assert_true(vd_device_features(&f->d) & (1ULL << VIRTIO_BLK_F_RO));
	vd_start(&f->d);
	memset(vd_host(&f->d, DATA), 0x77, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 512, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_true(file_is_pattern(f));
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, 512, true), 513);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	assert_int_equal(vd_host(&f->d, DATA)[0], pattern(512));
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
}

/* Each chain has the wrong shape: used len 0, no byte of RAM or file changes. */
static void test_malformed_chains(void **state)
{
	struct fix *f = *state;
	static const struct vd_buf bad[][3] = {
		{ { HDR, 16, false }, { DATA, 512, false } },		/* no status byte */
		{ { HDR, 8, false }, { STATUS, 1, true } },		/* short header */
		{ { HDR, 16, true }, { STATUS, 1, true } },		/* writable header */
		{ { HDR, 16, false }, { STATUS, 1, true }, { DATA, 512, false } }, /* r after w */
		{ { HDR, 16, false }, { FAR, 512, false }, { STATUS, 1, true } },  /* not RAM */
	};
	static const int n[] = { 2, 2, 2, 3, 3 };

	vd_start(&f->d);
	memset(vd_host(&f->d, DATA), 0x42, 512);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		put_hdr(f, VIRTIO_BLK_T_OUT, 0);
		*vd_host(&f->d, STATUS) = 0xee;
		snapshot(f);
		assert_int_equal(vd_run(&f->d, bad[i], n[i]), i == 4 ? 1 : 0);
		/* A buffer outside RAM still gets S_IOERR in its reachable status. */
		assert_int_equal(status(f), i == 4 ? VIRTIO_BLK_S_IOERR : 0xee);
		assert_int_equal(changed_outside(f, STATUS, 1), 0);
		assert_true(file_is_pattern(f));
	}
	assert_false(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_descriptor_loop_and_bad_ring(void **state)
{
	struct fix *f = *state;
	struct vd_buf b[2] = { { HDR, 16, false }, { STATUS, 1, true } };
	uint16_t *avail = (uint16_t *)vd_host(&f->d, VD_AVAIL);
	uint8_t *desc = vd_host(&f->d, VD_DESC);
	uint32_t id, len;

	vd_start(&f->d);
	put_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	vd_post(&f->d, b, 2);
	desc[16 + 12] |= VIRTQ_DESC_F_NEXT;		/* 1 -> 0 -> 1 ... */
	memset(desc + 16 + 14, 0, 2);
	assert_int_equal(kick_used_len(f), 0);
	/* An avail index beyond the queue size: the ring is unusable. */
	avail[1] += VD_QSIZE + 1;
	vd_kick(&f->d);
	assert_true(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_false(vd_used(&f->d, &id, &len));
	/* After a reset the device works again. */
	memset(vd_host(&f->d, VD_DESC), 0, 3 * VD_PAGE);
	vd_start(&f->d);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
}

/* ------------------------------------------------------- behind an IOMMU */

static void test_iommu_translates(void **state)
{
	struct fix *f = *state;
	uint64_t feat = vd_device_features(&f->d);

	assert_true(feat & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
	assert_false(vd_negotiate(&f->d, feat & ~(1ULL << VIRTIO_F_ACCESS_PLATFORM)));
	vd_start(&f->d);
	assert_int_equal(f->d.iommu.endpoint, f->d.devfn);
	memset(f->d.ram, 0x99, VD_RAM_SIZE / 2);	/* what identity DMA would hit */
	snapshot(f);
	/* 8 KiB across two IOMMU pages. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 8, 8192, true), 8193);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	for (int i = 0; i < 8192; i++)
		assert_int_equal(vd_host(&f->d, DATA)[i], pattern(8 * 512 + i));
	for (uint64_t i = 0; i < VD_RAM_SIZE / 2; i++)
		assert_int_equal(f->d.ram[i], 0x99);
	assert_int_equal(f->d.iommu.faults, 0);
}

static void test_iommu_faults(void **state)
{
	struct fix *f = *state;
	uint64_t data_page = (DATA - VD_RAM_GPA) / VD_PAGE;
	uint64_t status_page = (STATUS - VD_RAM_GPA) / VD_PAGE;

	vd_start(&f->d);
	/* Data unmapped, status reachable: S_IOERR, nothing else changes. */
	f->d.iommu.hole[data_page + 1] = true;
	memset(vd_host(&f->d, DATA), 0x5a, 4096);
	snapshot(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 8192, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(changed_outside(f, STATUS, 1), 0);
	assert_true(file_is_pattern(f));
	assert_true(f->d.iommu.faults > 0);
	/* Device write to a read-only page: S_IOERR, the page is untouched. */
	f->d.iommu.hole[data_page + 1] = false;
	f->d.iommu.ro[data_page] = true;
	snapshot(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 4096, true), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(changed_outside(f, STATUS, 1), 0);
	/* Status byte unmapped: len 0 and nothing written at all. */
	f->d.iommu.ro[data_page] = false;
	f->d.iommu.hole[status_page] = true;
	snapshot(f);
	put_hdr(f, VIRTIO_BLK_T_IN, 0);
	assert_int_equal(vd_run(&f->d, (struct vd_buf[]){ { HDR, 16, false },
			 { DATA, 512, true }, { STATUS, 1, true } }, 3), 0);
	assert_int_equal(changed_outside(f, 0, 0), 0);
	assert_false(vd_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The same through an indirect table: the status byte is still found. */
static void test_iommu_fault_indirect(void **state)
{
	struct fix *f = *state;
	const uint64_t table = VD_BUF + 0x5000;
	struct virtq_desc t[3] = {
		{ HDR, 16, VIRTQ_DESC_F_NEXT, 1 },
		{ DATA, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 },
		{ STATUS, 1, VIRTQ_DESC_F_WRITE, 0 },
	};
	struct vd_buf ind = { table, sizeof(t), false };

	vd_start(&f->d);
	memcpy(vd_host(&f->d, table), t, sizeof(t));
	put_hdr(f, VIRTIO_BLK_T_IN, 0);
	*vd_host(&f->d, STATUS) = 0xee;
	f->d.iommu.hole[(DATA - VD_RAM_GPA) / VD_PAGE] = true;
	snapshot(f);
	vd_post(&f->d, &ind, 1);
	vd_host(&f->d, VD_DESC)[12] = VIRTQ_DESC_F_INDIRECT;
	assert_int_equal(kick_used_len(f), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	assert_int_equal(changed_outside(f, STATUS, 1), 0);
	/* Without the hole the indirect request works. */
	f->d.iommu.hole[(DATA - VD_RAM_GPA) / VD_PAGE] = false;
	vd_post(&f->d, &ind, 1);
	vd_host(&f->d, VD_DESC)[12] = VIRTQ_DESC_F_INDIRECT;
	assert_int_equal(kick_used_len(f), 4097);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	assert_int_equal(vd_host(&f->d, DATA)[100], pattern(100));
}

static void test_event_loop(void **state)
{
	struct fix *f = *state;

	vd_start(&f->d);
	memset(vd_host(&f->d, DATA), 0x21, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 9, 512, false), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	memset(vd_host(&f->d, DATA), 0, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 9, 512, true), 513);
	assert_int_equal(vd_host(&f->d, DATA)[511], 0x21);
}

/* More chains than one batch (VDEV_BATCH) in one kick: the device yields
 * the loop and re-queues itself until the ring is empty. */
static void test_event_loop_batches(void **state)
{
	struct fix *f = *state;
	struct vd_buf b[2] = { { HDR, 16, false }, { STATUS, 1, true } };
	uint16_t *avail = (uint16_t *)vd_host(&f->d, VD_AVAIL);
	uint32_t id = 0, len = 0;
	const int n = 200;

	f->d.qsize = VIRTIO_BLK_QUEUE_MAX;
	vd_start(&f->d);
	put_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	vd_post(&f->d, b, 2);
	for (int i = 1; i < n; i++)
		avail[2 + i] = 0;		/* the same chain again */
	f->d.avail_idx = n;
	__atomic_store_n(&avail[1], f->d.avail_idx, __ATOMIC_RELEASE);
	vd_kick(&f->d);
	for (int i = 0; i < n; i++) {
		assert_true(vd_used(&f->d, &id, &len));
		assert_int_equal(len, 1);
	}
	f->d.wait_ms = 100;		/* and nothing more */
	assert_false(vd_used(&f->d, &id, &len));
}

static void test_create_errors(void **state)
{
	struct vd d;

	vd_init(&d);
	errno = 0;
	assert_null(virtio_blk_create(d.host, NULL, &d.identity, false, -1,
				      "/nonexistent/ioshade.img", false));
	assert_int_equal(errno, ENOENT);
	assert_null(virtio_blk_create(d.host, NULL, NULL, false, -1, "/dev/null", true));
	assert_int_equal(errno, EINVAL);
	vd_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_config_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_at_sector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_at_sector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_get_id_unsupp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_loop_and_bad_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iommu_translates, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_iommu_faults, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_iommu_fault_indirect, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_event_loop, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_batches, setup_loop, teardown),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
