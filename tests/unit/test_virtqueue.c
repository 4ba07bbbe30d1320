// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for split virtqueues against a fake guest RAM buffer: good direct
 * and indirect chains, hostile descriptor tables (bad addresses, overflow,
 * MMIO, loops, bad indirect tables, ordering, too many segments), corrupt
 * avail indexes, the used ring and interrupt suppression with event_idx.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/memmap.h"
#include "vmm/virtio/virtqueue.h"

#define RAM_GPA		0x100000ULL
#define RAM_SIZE	0x100000ULL
#define ROM_GPA		0x280000ULL
#define MMIO_GPA	0x300000ULL
#define QSZ		8
#define DESC_GPA	(RAM_GPA + 0x0000)
#define AVAIL_GPA	(RAM_GPA + 0x1000)
#define USED_GPA	(RAM_GPA + 0x2000)
#define IND_GPA		(RAM_GPA + 0x3000)
#define BUF_GPA		(RAM_GPA + 0x10000)

struct fix {
	struct memmap *mem;
	uint8_t *ram;
	uint8_t rom[0x1000];
	struct virtq vq;
	struct vq_elem elem;
	uint16_t avail_idx;
};

static void *gpa(struct fix *f, uint64_t a)
{
	return f->ram + (a - RAM_GPA);
}

static void put_desc(struct fix *f, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy((uint8_t *)gpa(f, table) + 16 * i, &d, sizeof(d));
}

static void avail_push(struct fix *f, uint16_t head)
{
	uint16_t *avail = gpa(f, AVAIL_GPA);

	avail[2 + (f->avail_idx % QSZ)] = head;
	avail[1] = ++f->avail_idx;
}

static uint16_t *avail_word(struct fix *f, unsigned i)
{
	return (uint16_t *)gpa(f, AVAIL_GPA) + i;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ram = calloc(1, RAM_SIZE);
	f->mem = memmap_create();
	assert_int_equal(memmap_add(f->mem, RAM_GPA, RAM_SIZE, MEMMAP_RAM, 0, f->ram, "ram"), 0);
	assert_int_equal(memmap_add(f->mem, ROM_GPA, 0x1000, MEMMAP_ROM, 0, f->rom, "rom"), 0);
	assert_int_equal(memmap_add(f->mem, MMIO_GPA, 0x1000, MEMMAP_MMIO, 0, NULL, "mmio"), 0);
	f->vq.dma.mem = f->mem;
	f->vq.size = QSZ;
	f->vq.desc_addr = DESC_GPA;
	f->vq.avail_addr = AVAIL_GPA;
	f->vq.used_addr = USED_GPA;
	assert_int_equal(vq_enable(&f->vq), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	memmap_destroy(f->mem);
	free(f->ram);
	free(f);
	return 0;
}

static int pop_chain(struct fix *f, uint16_t head)
{
	avail_push(f, head);
	return vq_pop(&f->vq, &f->elem);
}

static void test_enable_checks(void **state)
{
	struct fix *f = *state;
	struct virtq vq = { .dma = f->vq.dma, .size = QSZ, .desc_addr = DESC_GPA,
			    .avail_addr = AVAIL_GPA, .used_addr = USED_GPA };

	vq.size = 6;
	assert_int_equal(vq_enable(&vq), -EINVAL);
	vq.size = QSZ;
	vq.desc_addr = DESC_GPA + 8;
	assert_int_equal(vq_enable(&vq), -EINVAL);
	vq.desc_addr = MMIO_GPA;
	assert_int_equal(vq_enable(&vq), -EFAULT);
	vq.desc_addr = ROM_GPA;		/* rings must be RAM, even read-only ones */
	assert_int_equal(vq_enable(&vq), -EFAULT);
	vq.desc_addr = DESC_GPA;
	vq.used_addr = RAM_GPA + RAM_SIZE - 8;	/* runs off the end of RAM */
	assert_int_equal(vq_enable(&vq), -EFAULT);
	assert_false(vq.ready);
	vq.used_addr = USED_GPA;
	assert_int_equal(vq_enable(&vq), 0);
	assert_true(vq.ready);
}

static void test_good_chain(void **state)
{
	struct fix *f = *state;
	char out[32];

	memcpy(gpa(f, BUF_GPA), "hello, device", 14);
	put_desc(f, DESC_GPA, 3, BUF_GPA, 6, VIRTQ_DESC_F_NEXT, 5);
	put_desc(f, DESC_GPA, 5, BUF_GPA + 6, 8, VIRTQ_DESC_F_NEXT, 0);
	put_desc(f, DESC_GPA, 0, BUF_GPA + 0x100, 64, VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(vq_pop(&f->vq, &f->elem), 0);
	assert_int_equal(pop_chain(f, 3), 1);
	assert_int_equal(f->elem.head, 3);
	assert_int_equal(f->elem.n_out, 2);
	assert_int_equal(f->elem.n_in, 1);
	assert_int_equal(f->elem.in_len, 64);
	assert_ptr_equal(f->elem.iov[2].iov_base, gpa(f, BUF_GPA + 0x100));
	assert_int_equal(vq_copy_from_out(&f->elem, out, sizeof(out)), 14);
	assert_string_equal(out, "hello, device");
	assert_int_equal(vq_copy_to_in(&f->elem, "reply", 6), 6);
	assert_string_equal(gpa(f, BUF_GPA + 0x100), "reply");
	assert_int_equal(vq_pop(&f->vq, &f->elem), 0);
}

static void test_indirect_chain(void **state)
{
	struct fix *f = *state;

	put_desc(f, IND_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
	put_desc(f, IND_GPA, 2, BUF_GPA + 16, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	put_desc(f, IND_GPA, 1, BUF_GPA + 32, 16, VIRTQ_DESC_F_WRITE, 0);
	put_desc(f, DESC_GPA, 1, IND_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 1), 1);
	assert_int_equal(f->elem.n_out, 1);
	assert_int_equal(f->elem.n_in, 2);
	assert_int_equal(f->elem.in_len, 32);
}

static void test_bad_addresses(void **state)
{
	struct fix *f = *state;

	put_desc(f, DESC_GPA, 0, RAM_GPA + RAM_SIZE, 4, 0, 0);
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, RAM_GPA + RAM_SIZE - 4, 8, 0, 0);	/* straddles the end */
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, UINT64_MAX - 2, 8, 0, 0);		/* addr + len wraps */
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, MMIO_GPA, 8, 0, 0);
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, ROM_GPA, 8, VIRTQ_DESC_F_WRITE, 0);	/* device write to ROM */
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, BUF_GPA, 0x80000000u, 0, 0);		/* over the chain cap */
	assert_int_equal(pop_chain(f, 0), -E2BIG);
	/* The errors consumed their heads; a good chain still works after. */
	put_desc(f, DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	assert_int_equal(pop_chain(f, 0), 1);
}

static void test_loops(void **state)
{
	struct fix *f = *state;

	put_desc(f, DESC_GPA, 2, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);	/* self-loop */
	assert_int_equal(pop_chain(f, 2), -ELOOP);
	put_desc(f, DESC_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	assert_int_equal(pop_chain(f, 0), -ELOOP);
	/* A full-length chain (size descriptors) is fine; one that revisits is not. */
	for (uint16_t i = 0; i < QSZ; i++)
		put_desc(f, DESC_GPA, i, BUF_GPA, 4, i + 1 < QSZ ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	assert_int_equal(pop_chain(f, 0), 1);
	assert_int_equal(f->elem.n_out, QSZ);
	put_desc(f, DESC_GPA, QSZ - 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	assert_int_equal(pop_chain(f, 0), -ELOOP);
	put_desc(f, DESC_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, QSZ);	/* next out of table */
	assert_int_equal(pop_chain(f, 0), -EINVAL);
}

static void test_bad_indirect(void **state)
{
	struct fix *f = *state;

	put_desc(f, IND_GPA, 0, BUF_GPA, 4, 0, 0);
	put_desc(f, DESC_GPA, 0, IND_GPA, 0, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -EINVAL);
	put_desc(f, DESC_GPA, 0, IND_GPA, 17, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -EINVAL);
	put_desc(f, DESC_GPA, 0, MMIO_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, ROM_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -EFAULT);
	put_desc(f, DESC_GPA, 0, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	assert_int_equal(pop_chain(f, 0), -EINVAL);
	put_desc(f, IND_GPA, 0, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);	/* nested */
	put_desc(f, DESC_GPA, 0, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -EINVAL);
	/* A loop inside a table is bounded by the table's own length. */
	put_desc(f, IND_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, IND_GPA, 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	put_desc(f, DESC_GPA, 0, IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -ELOOP);
	put_desc(f, IND_GPA, 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);	/* next past table end */
	assert_int_equal(pop_chain(f, 0), -EINVAL);
}

static void test_too_many_segments(void **state)
{
	struct fix *f = *state;
	uint16_t n = VQ_MAX_SEGS + 1;

	for (uint16_t i = 0; i < n; i++)
		put_desc(f, IND_GPA, i, BUF_GPA + i, 1, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	put_desc(f, DESC_GPA, 0, IND_GPA, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(pop_chain(f, 0), -E2BIG);
	put_desc(f, IND_GPA, n - 2, BUF_GPA, 1, 0, 0);			/* exactly the max */
	assert_int_equal(pop_chain(f, 0), 1);
	assert_int_equal(f->elem.n_out, VQ_MAX_SEGS);
}

static void test_order(void **state)
{
	struct fix *f = *state;

	put_desc(f, DESC_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 1, BUF_GPA + 4, 4, 0, 0);
	assert_int_equal(pop_chain(f, 0), -EINVAL);
}

static void test_avail_corruption(void **state)
{
	struct fix *f = *state;

	put_desc(f, DESC_GPA, 0, BUF_GPA, 4, 0, 0);
	assert_int_equal(pop_chain(f, QSZ), -EPIPE);	/* head >= size: ring broken */
	assert_int_equal(f->vq.last_avail, 1);
	*avail_word(f, 1) = f->avail_idx + QSZ + 1;		/* idx jumps past size */
	assert_int_equal(vq_pop(&f->vq, &f->elem), -EPIPE);
	assert_int_equal(f->vq.last_avail, 1);
	*avail_word(f, 1) = f->avail_idx + QSZ;			/* exactly size is legal */
	*avail_word(f, 2 + 1) = 0;
	assert_int_equal(vq_pop(&f->vq, &f->elem), 1);
}

static void test_split_translation(void **state);

static void test_used_and_flags(void **state)
{
	struct fix *f = *state;
	uint16_t *used = gpa(f, USED_GPA);
	uint32_t *elem = (uint32_t *)(used + 2);

	vq_push(&f->vq, 5, 123);
	vq_push(&f->vq, 2, 7);
	assert_int_equal(used[1], 2);
	assert_int_equal(elem[0], 5);
	assert_int_equal(elem[1], 123);
	assert_int_equal(elem[2], 2);
	assert_int_equal(elem[3], 7);
	assert_true(vq_should_signal(&f->vq));
	*avail_word(f, 0) = VIRTQ_AVAIL_F_NO_INTERRUPT;
	vq_push(&f->vq, 1, 0);
	assert_false(vq_should_signal(&f->vq));
	*avail_word(f, 0) = 0;
	assert_true(vq_should_signal(&f->vq));
}

static void test_event_idx(void **state)
{
	struct fix *f = *state;
	uint16_t *used_event = avail_word(f, 2 + QSZ);
	uint16_t *avail_event = (uint16_t *)gpa(f, USED_GPA) + 2 + 4 * QSZ;

	f->vq.event_idx = true;
	put_desc(f, DESC_GPA, 0, BUF_GPA, 4, 0, 0);
	assert_int_equal(pop_chain(f, 0), 1);
	assert_int_equal(vq_pop(&f->vq, &f->elem), 0);
	assert_int_equal(*avail_event, 1);	/* kick me when entry 1 is published */
	/* Wrap-around: start just below 2^16. */
	f->vq.used_idx = 0xfffe;
	f->vq.signalled_used = 0xfffe;
	f->vq.signalled_valid = true;
	*used_event = 0x0001;
	for (int i = 0; i < 3; i++)
		vq_push(&f->vq, 0, 0);
	assert_int_equal(f->vq.used_idx, 1);
	assert_false(vq_should_signal(&f->vq));	/* entry 1 not yet used */
	vq_push(&f->vq, 0, 0);
	assert_true(vq_should_signal(&f->vq));	/* used 1 crossed */
	assert_false(vq_should_signal(&f->vq));	/* nothing new */
	*used_event = 0xffff;
	f->vq.used_idx = 0xfffe;
	f->vq.signalled_used = 0xfffe;
	vq_push(&f->vq, 0, 0);
	vq_push(&f->vq, 0, 0);
	assert_true(vq_should_signal(&f->vq));
}

/* A translator with 0x1000 pages that are identity-mapped but reported one
 * page at a time: a buffer crossing pages becomes several segments. */
static int page_translate(void *opaque, uint32_t ep, uint64_t iova, uint64_t len,
			  unsigned access, uint64_t *gpa_out, uint64_t *contig)
{
	*gpa_out = iova;
	*contig = 0x1000 - (iova & 0xfff);
	if (*contig > len)
		*contig = len;
	return 0;
}

static const struct dma_ops page_ops = { .translate = page_translate };

static void test_split_translation(void **state)
{
	struct fix *f = *state;

	f->vq.dma.ops = &page_ops;
	put_desc(f, DESC_GPA, 0, BUF_GPA + 0x800, 0x2000, VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(pop_chain(f, 0), 1);
	assert_int_equal(f->elem.n_in, 3);
	assert_int_equal(f->elem.iov[0].iov_len, 0x800);
	assert_int_equal(f->elem.iov[1].iov_len, 0x1000);
	assert_int_equal(f->elem.iov[2].iov_len, 0x800);
	assert_int_equal(f->elem.in_len, 0x2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enable_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_avail_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_translation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
