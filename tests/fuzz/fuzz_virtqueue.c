// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the split-virtqueue walker (vmm/virtio/virtqueue.c + vmm/dma.c): the
 * input is a queue setup, a DMA translation table and guest RAM contents
 * (descriptor table, avail ring, indirect tables), then driver writes between
 * pops. Invariants: every iovec lies inside the RAM (or, for device reads,
 * ROM) buffer, chains respect VQ_MAX_SEGS / VQ_MAX_CHAIN_LEN, and a ring the
 * driver stops touching drains in at most queue-size pops.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dma.h"
#include "vmm/memmap.h"
#include "vmm/virtio/virtqueue.h"

#define RAM_GPA		0x10000ULL
#define RAM_SIZE	0x10000ULL	/* 64 KiB, one malloc: ASan bounds it */
#define ROM_GPA		(RAM_GPA + RAM_SIZE)
#define ROM_SIZE	0x4000ULL
#define MMIO_GPA	(ROM_GPA + ROM_SIZE)
#define PAGE		0x1000ULL
#define NPAGES		32		/* IOVA pages the paging translator knows */

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

enum xlate_mode { XLATE_IDENTITY, XLATE_PAGES, XLATE_NONSENSE, XLATE_NR };

struct input {
	const uint8_t *p;
	size_t n;
};

struct fx {
	uint8_t *ram, *rom;
	struct memmap *mem;
	uint8_t pages[NPAGES];		/* translator: bits 0-4 GPA page, 5 ro, 6 hole, 7 rom */
	struct input nonsense;		/* XLATE_NONSENSE answers come from here */
};

static uint64_t take(struct input *in, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

/* IOVA page i -> a GPA page of RAM (or of ROM), some holes, some read-only. */
static int xlate_pages(void *opaque, uint32_t ep, uint64_t iova, uint64_t len,
		       unsigned access, uint64_t *gpa, uint64_t *contig)
{
	struct fx *f = opaque;
	uint64_t page = iova / PAGE;
	uint8_t e;

	if (page >= NPAGES)
		return -EFAULT;
	e = f->pages[page];
	if (e & 0x40)
		return -EFAULT;
	if ((e & 0x20) && (access & DMA_ACCESS_WRITE))
		return -EPERM;
	*gpa = (e & 0x80 ? ROM_GPA + (e & 3) * PAGE : RAM_GPA + (e & 15) * PAGE) + iova % PAGE;
	*contig = PAGE - iova % PAGE < len ? PAGE - iova % PAGE : len;
	return 0;
}

/* A translator that answers anything: dma.c must not widen the access. */
static int xlate_nonsense(void *opaque, uint32_t ep, uint64_t iova, uint64_t len,
			  unsigned access, uint64_t *gpa, uint64_t *contig)
{
	struct fx *f = opaque;
	uint8_t how = take(&f->nonsense, 1);

	*gpa = how & 1 ? take(&f->nonsense, 8) : iova + (how >> 4) * PAGE;
	*contig = how & 2 ? take(&f->nonsense, 8) : len;
	return how & 4 ? -EFAULT : 0;
}

static const struct dma_ops pages_ops = { .translate = xlate_pages };
static const struct dma_ops nonsense_ops = { .translate = xlate_nonsense };

static bool inside(const void *p, size_t len, const uint8_t *buf, size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;

	return a >= b && len <= size && a - b <= size - len;
}

static void check_elem(const struct fx *f, const struct virtq *vq, const struct vq_elem *e)
{
	uint64_t total = 0, in = 0;

	CHECK(e->n_out + e->n_in <= VQ_MAX_SEGS);
	for (unsigned i = 0; i < (unsigned)e->n_out + e->n_in; i++) {
		const struct iovec *v = &e->iov[i];
		bool writable = i >= e->n_out;

		CHECK(v->iov_len > 0);
		CHECK(inside(v->iov_base, v->iov_len, f->ram, RAM_SIZE) ||
		      (!writable && inside(v->iov_base, v->iov_len, f->rom, ROM_SIZE)));
		total += v->iov_len;
		if (writable)
			in += v->iov_len;
	}
	CHECK(total <= VQ_MAX_CHAIN_LEN);
	CHECK(in == e->in_len);
}

static void use_elem(const struct vq_elem *e)
{
	static const uint8_t pattern[4096] = { 0x5a };
	uint8_t buf[4096];
	size_t n = e->in_len < sizeof(pattern) ? e->in_len : sizeof(pattern);

	vq_copy_from_out(e, buf, sizeof(buf));
	CHECK(vq_copy_to_in(e, pattern, n) == n);
}

static void setup_queue(struct fx *f, struct virtq *vq, struct input *in)
{
	uint8_t b0 = take(in, 1), b1 = take(in, 1);
	enum xlate_mode mode = (b1 & 3) % XLATE_NR;

	vq->size = b0 & 0x80 ? (uint16_t)take(in, 2) : (uint16_t)(1u << (b0 % 11));
	vq->event_idx = b1 & 4;
	vq->desc_addr = take(in, 2) | (b1 & 8 ? take(in, 6) << 16 : RAM_GPA);
	vq->avail_addr = take(in, 2) | (b1 & 16 ? take(in, 6) << 16 : RAM_GPA);
	vq->used_addr = take(in, 2) | (b1 & 32 ? take(in, 6) << 16 : RAM_GPA);
	vq->dma = (struct dma_ctx){ .mem = f->mem, .endpoint = 8 };
	if (mode == XLATE_PAGES) {
		for (unsigned i = 0; i < NPAGES; i++)
			f->pages[i] = take(in, 1);
		vq->dma.ops = &pages_ops;
		vq->dma.opaque = f;
	} else if (mode == XLATE_NONSENSE) {
		size_t n = take(in, 1);

		f->nonsense = (struct input){ in->p, n < in->n ? n : in->n };
		in->p += f->nonsense.n;
		in->n -= f->nonsense.n;
		vq->dma.ops = &nonsense_ops;
		vq->dma.opaque = f;
	}
}

/* RAM image: chunks of (u16 offset, u16 length, bytes) until length 0. */
static void fill_ram(struct fx *f, struct input *in)
{
	for (;;) {
		uint64_t off = take(in, 2), len = take(in, 2);

		if (!len || !in->n)
			return;
		len = len < in->n ? len : in->n;
		if (off + len > RAM_SIZE)
			len = RAM_SIZE - off;
		memcpy(f->ram + off, in->p, len);
		in->p += len;
		in->n -= len;
	}
}

static void run(struct fx *f, struct input *in)
{
	struct virtq vq = { 0 };
	static struct vq_elem e;
	unsigned idle = 0;

	memset(&e, 0, sizeof(e));
	setup_queue(f, &vq, in);
	fill_ram(f, in);
	if (vq_enable(&vq) == 0) {
		CHECK(inside(vq.desc, 16u * vq.size, f->ram, RAM_SIZE));
		CHECK(inside(vq.avail, 6u + 2u * vq.size, f->ram, RAM_SIZE));
		CHECK(inside(vq.used, 6u + 8u * vq.size, f->ram, RAM_SIZE));
	}
	/* Each remaining 4 bytes: a 16-bit driver store into RAM, then a pop. */
	for (;;) {
		uint16_t before = vq.last_avail;
		int ret;

		if (in->n >= 4) {
			uint64_t off = take(in, 2) % (RAM_SIZE - 1);
			uint16_t val = take(in, 2);

			memcpy(f->ram + off, &val, 2);
			idle = 0;
		} else if (++idle > (unsigned)vq.size + 1) {
			__builtin_trap();	/* a still ring must drain in size pops */
		}
		ret = vq_pop(&vq, &e);
		if (ret == 0 && in->n < 4)
			break;
		if (ret == 0)
			continue;
		/* -EPIPE, and only it, means a broken ring: nothing consumed, or
		 * a head that names no descriptor (vdev_queue_drain stops). */
		CHECK((ret == -EPIPE) ==
		      (ret < 0 && (vq.last_avail == before || e.head >= vq.size)));
		if (ret == -EPIPE)
			break;
		check_elem(f, &vq, &e);
		CHECK(e.head < vq.size);
		if (ret > 0)
			use_elem(&e);
		vq_push(&vq, e.head, ret > 0 ? e.in_len : 0);
		vq_should_signal(&vq);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fx f = { 0 };

	f.ram = calloc(1, RAM_SIZE);
	f.rom = calloc(1, ROM_SIZE);
	f.mem = memmap_create();
	CHECK(f.ram && f.rom && f.mem);
	CHECK(!memmap_add(f.mem, RAM_GPA, RAM_SIZE, MEMMAP_RAM, 0, f.ram, "ram"));
	CHECK(!memmap_add(f.mem, ROM_GPA, ROM_SIZE, MEMMAP_ROM, 0, f.rom, "rom"));
	CHECK(!memmap_add(f.mem, MMIO_GPA, PAGE, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar"));
	run(&f, &in);
	memmap_destroy(f.mem);
	free(f.rom);
	free(f.ram);
	return 0;
}
