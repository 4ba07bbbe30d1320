// SPDX-License-Identifier: GPL-2.0-only
/*
 * viommu-bench: what a guest pays to map and unmap N 4 KiB pages for the edu,
 * timed with the guest's own TSC. Shadow mode: N MAP + N UNMAP requests.
 * Nested mode (when the device offers it): the guest writes its own stage-1
 * PTEs and sends INVALIDATE, once per page or once for the whole range. One
 * edu DMA through the last page checks that each mapping really works.
 * "pages=N" on the command line (2..512, default 256). Prints one line per
 * mode and exits PASS when every request succeeded.
 */
#include "check.h"
#include "cmdline.h"
#include "console.h"
#include "edu.h"
#include "guest.h"
#include "io.h"
#include "lib.h"
#include "setup.h"
#include "virtio_iommu.h"
#include "../nested-s1/nested.h"

#define N_MAX		512u
#define IOVA_BASE	0x08000000ull	/* one page table: below 256 MiB for edu */

static uint8_t pages[N_MAX][PAGE] __attribute__((aligned(PAGE)));

struct bench {
	struct viommu v;
	struct edu edu;
	uint32_t ep;
	uint32_t next_dom;
	unsigned n;
};

static uint64_t iova_of(unsigned i)
{
	return IOVA_BASE + (uint64_t)i * PAGE;
}

static uint64_t gpa_of(unsigned i)
{
	return (uint64_t)(uintptr_t)pages[i];
}

static unsigned pages_arg(void)
{
	char buf[16];
	unsigned n = 0;

	if (!cmdline_value("pages", buf, sizeof(buf)))
		return 256;
	for (const char *p = buf; *p >= '0' && *p <= '9' && n <= N_MAX; p++)
		n = n * 10 + (unsigned)(*p - '0');
	return n >= 2 && n <= N_MAX ? n : 256;
}

/* The edu copies 64 bytes from the first page to the last through their
 * IOVAs: did they arrive? */
static bool dma_lands(struct bench *b)
{
	unsigned last = b->n - 1, i;

	for (i = 0; i < 64; i++)
		pages[0][i] = (uint8_t)(i * 3 + b->next_dom);
	memset(pages[last], 0, 64);
	return edu_dma_to_dev(&b->edu, iova_of(0), 0, 64) == 0 &&
	       edu_dma_to_ram(&b->edu, 0, iova_of(last), 64) == 0 &&
	       !memcmp(pages[0], pages[last], 64);
}

/* One INVALIDATE of [first, last]: 0 on S_OK. */
static int invalidate(struct bench *b, uint32_t dom, uint64_t first, uint64_t last)
{
	return viommu_invalidate(&b->v, dom, VIRTIO_IOMMU_X_INV_F_LEAF, 12, first, last) !=
	       VIRTIO_IOMMU_S_OK;
}

static void report(const char *mode, unsigned n, unsigned requests, uint64_t map_cycles,
		   uint64_t unmap_cycles)
{
	printf("bench: %-22s pages %3u requests %4u map %8lu cycles/page unmap %8lu cycles/page\n",
	       mode, n, requests, map_cycles / n, unmap_cycles / n);
}

static void bench_shadow(struct bench *b)
{
	uint32_t dom = ++b->next_dom;
	unsigned i, bad = 0;
	uint64_t t0, t1, t2;

	check("shadow.attach", viommu_attach(&b->v, dom, b->ep, 0) == VIRTIO_IOMMU_S_OK);
	t0 = rdtsc();
	for (i = 0; i < b->n; i++)
		bad += viommu_map(&b->v, dom, iova_of(i), iova_of(i) + PAGE - 1, gpa_of(i),
				  VIOMMU_MAP_F_RW) != VIRTIO_IOMMU_S_OK;
	t1 = rdtsc();
	check("shadow.dma_through_last_page", dma_lands(b));
	t2 = rdtsc();
	for (i = 0; i < b->n; i++)
		bad += viommu_unmap(&b->v, dom, iova_of(i), iova_of(i) + PAGE - 1) != VIRTIO_IOMMU_S_OK;
	check("shadow.every_request_ok", bad == 0);
	report("shadow MAP/UNMAP", b->n, 2 * b->n, t1 - t0, rdtsc() - t2);
	check("shadow.detach", viommu_detach(&b->v, dom, b->ep) == VIRTIO_IOMMU_S_OK);
}

/* per_page: one INVALIDATE per PTE change, else one for the whole range. */
static void bench_nested(struct bench *b, bool per_page)
{
	static struct s1 s1;
	uint32_t dom = ++b->next_dom;
	uint64_t first = iova_of(0), last = iova_of(b->n) - 1, t0, t1, t2;
	unsigned i, bad = 0, requests;

	if (!check("nested.table_init", s1_init(&s1) == 0))
		return;
	/* The tables above the leaves exist before the clock starts. */
	bad += s1_map(&s1, first, gpa_of(0), 1, true) != 0;
	s1_store(s1_leaf(&s1, first, 1), 0);
	check("nested.attach_table", viommu_attach_table(&b->v, dom, b->ep,
		(uint64_t)(uintptr_t)s1.root) == VIRTIO_IOMMU_S_OK);
	t0 = rdtsc();
	for (i = 0; i < b->n; i++) {
		bad += s1_map(&s1, iova_of(i), gpa_of(i), 1, true) != 0;
		if (per_page)
			bad += invalidate(b, dom, iova_of(i), iova_of(i) + PAGE - 1);
	}
	if (!per_page)
		bad += invalidate(b, dom, first, last);
	t1 = rdtsc();
	check(per_page ? "nested.per_page.dma_through_last_page" :
			 "nested.range.dma_through_last_page", dma_lands(b));
	t2 = rdtsc();
	for (i = 0; i < b->n; i++) {
		s1_store(s1_leaf(&s1, iova_of(i), 1), 0);
		if (per_page)
			bad += invalidate(b, dom, iova_of(i), iova_of(i) + PAGE - 1);
	}
	if (!per_page)
		bad += invalidate(b, dom, first, last);
	requests = per_page ? 2 * b->n : 2;
	report(per_page ? "nested, INV per page" : "nested, INV one range", b->n, requests,
	       t1 - t0, rdtsc() - t2);
	check(per_page ? "nested.per_page.every_request_ok" : "nested.range.every_request_ok",
	      bad == 0);
	check("nested.detach", viommu_detach(&b->v, dom, b->ep) == VIRTIO_IOMMU_S_OK);
}

static int setup(struct bench *b, const struct hvm_start_info *si)
{
	if (setup_viommu_edu(si, VIOMMU_WANT_NESTED, &b->v, &b->edu, &b->ep, NULL))
		return -1;
	b->next_dom = b->v.cfg.domain_start;
	return 0;
}

int guest_main(const struct hvm_start_info *si)
{
	static struct bench b;

	b.n = pages_arg();
	printf("viommu-bench: map and unmap %u pages of 4 KiB, guest TSC cycles\n", b.n);
	if (!setup(&b, si)) {
		bench_shadow(&b);
		if (viommu_has(&b.v, VIRTIO_IOMMU_F_X_NESTED)) {
			bench_nested(&b, true);
			bench_nested(&b, false);
		} else {
			printf("bench: nested mode not offered by this device (host backend)\n");
		}
	}
	return check_summary();
}
