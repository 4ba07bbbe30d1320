// SPDX-License-Identifier: GPL-2.0-only
/*
 * nested-s1: the edu behind the virtio-iommu in nested mode. The guest
 * builds its own stage-1 table (4 KiB and 2 MiB leaves), attaches it with
 * ATTACH_TABLE, runs DMA through it, changes a live PTE and checks which
 * translation the device uses before and after INVALIDATE (old or new before,
 * only new after), then checks the isolation violations (isolation.c).
 */
#include "nested.h"

#include "check.h"
#include "console.h"
#include "errno.h"
#include "guest.h"
#include "lib.h"
#include "setup.h"

#define SCRATCH_OFF	2048u		/* edu buffer half used for read-back */

uint8_t ns_pages[PG_COUNT][PAGE] __attribute__((aligned(PAGE)));
uint8_t ns_big[SIZE_2M] __attribute__((aligned(SIZE_2M)));
static uint8_t pattern[LEN];

uint32_t ns_new_domain(struct ns *t)
{
	const struct viommu_config *cfg = &t->v.cfg;
	uint64_t span = (uint64_t)cfg->domain_end - cfg->domain_start + 1;

	return cfg->domain_start + (uint32_t)((1 + t->next_domain++) % span);
}

void ns_fill(unsigned pg, int c)
{
	memset(ns_pages[pg], c, PAGE);
}

bool ns_untouched(unsigned pg, int c)
{
	return mem_find_not(ns_pages[pg], c, PAGE) == PAGE;
}

bool ns_landed(const uint8_t *p)
{
	return !memcmp(p, pattern, LEN);
}

int ns_dma_out(struct ns *t, uint64_t iova)
{
	return edu_dma_to_ram(&t->edu, 0, iova, LEN);
}

/* RAM at iova -> edu scratch -> PG_DST; true if PG_DST then equals want. */
static bool read_back(struct ns *t, uint64_t iova, const uint8_t *want)
{
	ns_fill(PG_DST, 0);
	return edu_dma_to_dev(&t->edu, iova, SCRATCH_OFF, LEN) == 0 &&
	       edu_dma_to_ram(&t->edu, SCRATCH_OFF, IOVA_DST, LEN) == 0 &&
	       !memcmp(ns_pages[PG_DST], want, LEN);
}

static bool build_table(struct ns *t)
{
	return !s1_init(&t->s1) &&
	       !s1_map(&t->s1, IOVA_SRC, GPA(PG_SRC), 1, false) &&
	       !s1_map(&t->s1, IOVA_DST, GPA(PG_DST), 1, true) &&
	       !s1_map(&t->s1, IOVA_SWAP, GPA(PG_OLD), 1, true) &&
	       !s1_map(&t->s1, IOVA_CLEAR, GPA(PG_CLR), 1, true) &&
	       !s1_map(&t->s1, IOVA_RO, GPA(PG_RO), 1, false) &&
	       !s1_map(&t->s1, IOVA_2M, (uint64_t)(uintptr_t)ns_big, 2, true);
}

static void test_positive(struct ns *t)
{
	static uint8_t other[LEN];
	unsigned i;

	printf("-- DMA through the guest's table: 4 KiB and 2 MiB leaves\n");
	for (i = 0; i < LEN; i++) {
		pattern[i] = (uint8_t)(i * 7 + 1);
		other[i] = (uint8_t)(i * 13 + 5);
	}
	memcpy(ns_pages[PG_SRC], pattern, LEN);
	ns_fill(PG_DST, 0);
	viommu_drain_faults(&t->v);
	check("map4k.read_leaf_to_device", edu_dma_to_dev(&t->edu, IOVA_SRC, 0, LEN) == 0);
	check("map4k.write_leaf_lands", ns_dma_out(t, IOVA_DST) == 0 &&
	      ns_landed(ns_pages[PG_DST]) &&
	      mem_find_not(ns_pages[PG_DST] + LEN, 0, PAGE - LEN) == PAGE - LEN);
	memset(ns_big + 0x1fff00, 0, 0x100);
	check("map2m.write_at_leaf_end_lands", ns_dma_out(t, IOVA_2M + 0x1fff00) == 0 &&
	      ns_landed(ns_big + 0x1fff00));
	memcpy(ns_big + 0x123000, other, LEN);
	check("map2m.read_through_leaf", read_back(t, IOVA_2M + 0x123000, other));
	check("positive.no_fault_event", viommu_drain_faults(&t->v) == 0);
}

/* After a PTE changes the device may use the old entry until INVALIDATE
 * completes, never after it. */
static void test_swap(struct ns *t)
{
	volatile uint64_t *pte = s1_leaf(&t->s1, IOVA_SWAP, 1);
	bool old, new;
	int rc;

	printf("-- changing a live PTE: old vs new around INVALIDATE\n");
	ns_fill(PG_OLD, SENTINEL);
	ns_fill(PG_NEW, SENTINEL);
	check("swap.old_target_lands", ns_dma_out(t, IOVA_SWAP) == 0 &&
	      ns_landed(ns_pages[PG_OLD]) && ns_untouched(PG_NEW, SENTINEL));
	ns_fill(PG_OLD, SENTINEL);
	s1_store(pte, s1_pte(GPA(PG_NEW), 1, true));
	rc = ns_dma_out(t, IOVA_SWAP);
	old = ns_landed(ns_pages[PG_OLD]);
	new = ns_landed(ns_pages[PG_NEW]);
	printf("  before INVALIDATE the device used the %s entry\n",
	       old && !new ? "OLD (stale, allowed)" : new && !old ? "NEW" : "neither/both (!)");
	check("swap.before_invalidate_old_xor_new", rc == 0 && old != new &&
	      (old ? ns_untouched(PG_NEW, SENTINEL) : ns_untouched(PG_OLD, SENTINEL)));
	check("swap.invalidate_range_ok",
	      viommu_invalidate(&t->v, t->dom, VIRTIO_IOMMU_X_INV_F_LEAF, 12, IOVA_SWAP,
				IOVA_SWAP + PAGE - 1) == VIRTIO_IOMMU_S_OK);
	ns_fill(PG_OLD, SENTINEL);
	ns_fill(PG_NEW, SENTINEL);
	check("swap.after_invalidate_new_only", ns_dma_out(t, IOVA_SWAP) == 0 &&
	      ns_landed(ns_pages[PG_NEW]) && ns_untouched(PG_OLD, SENTINEL));
	ns_fill(PG_OLD, 0x11);
	memset(ns_pages[PG_NEW], 0x22, PAGE);
	check("swap.after_invalidate_read_sees_new", read_back(t, IOVA_SWAP, ns_pages[PG_NEW]));
	/* Back to the old page, this time with INVALIDATE ALL. */
	s1_store(pte, s1_pte(GPA(PG_OLD), 1, true));
	check("swap.invalidate_all_ok", viommu_invalidate_all(&t->v, t->dom) == VIRTIO_IOMMU_S_OK);
	ns_fill(PG_OLD, SENTINEL);
	ns_fill(PG_NEW, SENTINEL);
	check("swap.after_invalidate_all_old_only", ns_dma_out(t, IOVA_SWAP) == 0 &&
	      ns_landed(ns_pages[PG_OLD]) && ns_untouched(PG_NEW, SENTINEL));
	check("swap.no_fault_event", viommu_drain_faults(&t->v) == 0);
}

static int setup_devices(struct ns *t, const struct hvm_start_info *si)
{
	uint16_t bdf;

	if (setup_viommu_edu(si, VIOMMU_WANT_NESTED, &t->v, &t->edu, &t->ep, &bdf) ||
	    !check("setup.nested_negotiated", viommu_has(&t->v, VIRTIO_IOMMU_F_X_NESTED)))
		return -1;
	if (viommu_has(&t->v, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		check("setup.bypass_config_off", viommu_set_bypass(&t->v, 0) == 0);
	printf("edu %02x:%02x.%x endpoint 0x%x BAR0 0x%lx, ram_top 0x%lx\n", bdf >> 8,
	       (bdf >> 3) & 31, bdf & 7, t->ep, t->edu.mmio, t->ram_top);
	if (!check("setup.table_built", build_table(t)))
		return -1;
	printf("stage-1 root 0x%lx, %u table pages, 2 MiB leaf at 0x%lx\n",
	       (uint64_t)(uintptr_t)t->s1.root, t->s1.used, (uint64_t)(uintptr_t)ns_big);
	t->dom = ns_new_domain(t);
	return check("setup.attach_table",
		     viommu_attach_table(&t->v, t->dom, t->ep,
					 (uint64_t)(uintptr_t)t->s1.root) == VIRTIO_IOMMU_S_OK) ? 0 : -1;
}

int guest_main(const struct hvm_start_info *si)
{
	static struct ns t;

	printf("nested-s1: edu DMA through a guest-owned stage-1 table\n");
	t.ram_top = setup_ram_top(si);
	if (!setup_devices(&t, si)) {
		test_positive(&t);
		test_swap(&t);
		ns_attach_refusals(&t);
		ns_isolation(&t);
	}
	return check_summary();
}
