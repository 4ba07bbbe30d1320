// SPDX-License-Identifier: GPL-2.0-only
/*
 * Isolation in nested mode: DMA to an IOVA whose entry is not present, DMA
 * after a PTE was cleared and invalidated, a write through a read-only leaf,
 * and DMA after DETACH must all be blocked with a fault event; ATTACH_TABLE
 * must refuse a root that is not guest RAM (MMIO, MSI window, beyond RAM).
 */
#include "nested.h"

#include "check.h"
#include "console.h"
#include "lib.h"

#define MSI_WINDOW	0xfee00000ull

/* One fault naming the edu, the reason and an address in [iova, iova+LEN). */
static void expect_fault(struct ns *t, const char *what, uint8_t reason, uint64_t iova)
{
	struct virtio_iommu_fault f;
	bool ok = viommu_poll_fault(&t->v, &f, FAULT_TIMEOUT_MS) == 0;

	if (!checkf(ok, "%s_fault_reported", what))
		return;
	printf("  fault: reason %u flags 0x%x endpoint 0x%x address 0x%lx\n", f.reason, f.flags,
	       f.endpoint, f.address);
	checkf(f.endpoint == t->ep, "%s_fault_endpoint", what);
	checkf(f.reason == reason, "%s_fault_reason_%s", what,
	       reason == VIRTIO_IOMMU_FAULT_R_DOMAIN ? "domain" : "mapping");
	checkf(!(f.flags & VIRTIO_IOMMU_FAULT_F_ADDRESS) || (f.address >= iova && f.address - iova < LEN),
	       "%s_fault_address", what);
	viommu_drain_faults(&t->v);
}

/* A device-to-RAM DMA that must not land; pg (if any) holds SENTINEL. */
static void blocked_write(struct ns *t, const char *what, uint64_t iova, int pg, uint8_t reason)
{
	if (pg >= 0)
		ns_fill((unsigned)pg, SENTINEL);
	viommu_drain_faults(&t->v);
	checkf(ns_dma_out(t, iova) == 0, "%s_dma_completes", what);
	if (pg >= 0)
		checkf(ns_untouched((unsigned)pg, SENTINEL), "%s_memory_untouched", what);
	expect_fault(t, what, reason, iova);
}

static void refused(struct ns *t, const char *name, uint64_t root)
{
	int st = viommu_attach_table(&t->v, ns_new_domain(t), t->ep, root);

	printf("  %s: ATTACH_TABLE root 0x%lx -> %s\n", name, root, viommu_status_name(st));
	check(name, st == VIRTIO_IOMMU_S_RANGE);
}

void ns_attach_refusals(struct ns *t)
{
	printf("-- ATTACH_TABLE must name a root in guest RAM\n");
	refused(t, "attach_table.root_in_edu_bar_refused",
		t->edu.pci.bar[0].addr & ~(uint64_t)(PAGE - 1));
	refused(t, "attach_table.root_in_msi_window_refused", MSI_WINDOW);
	if (t->ram_top)
		refused(t, "attach_table.root_beyond_ram_refused", ALIGN_UP(t->ram_top, PAGE));
	else
		check_skip("attach_table.root_beyond_ram_refused", "no E820 map in start_info");
	refused(t, "attach_table.root_misaligned_refused",
		(uint64_t)(uintptr_t)t->s1.root + 0x800);
	/* Nothing changes on error: the edu still translates through its table. */
	ns_fill(PG_DST, 0);
	check("attach_table.refusals_left_endpoint_attached",
	      ns_dma_out(t, IOVA_DST) == 0 && ns_landed(ns_pages[PG_DST]));
	check("attach_table.refusals_no_fault_event", viommu_drain_faults(&t->v) == 0);
}

static void test_cleared(struct ns *t)
{
	volatile uint64_t *pte = s1_leaf(&t->s1, IOVA_CLEAR, 1);

	ns_fill(PG_CLR, 0);
	check("cleared.dma_before_clear_lands",
	      ns_dma_out(t, IOVA_CLEAR) == 0 && ns_landed(ns_pages[PG_CLR]));
	s1_store(pte, 0);
	check("cleared.invalidate_ok",
	      viommu_invalidate(&t->v, t->dom, VIRTIO_IOMMU_X_INV_F_LEAF, 12, IOVA_CLEAR,
				IOVA_CLEAR + PAGE - 1) == VIRTIO_IOMMU_S_OK);
	blocked_write(t, "cleared.after_invalidate", IOVA_CLEAR, PG_CLR, VIRTIO_IOMMU_FAULT_R_MAPPING);
}

/* After DETACH the domain is gone; attaching the same table again works. */
static void test_detached(struct ns *t)
{
	check("detached.detach_ok", viommu_detach(&t->v, t->dom, t->ep) == VIRTIO_IOMMU_S_OK);
	blocked_write(t, "detached.old_iova", IOVA_DST, PG_DST, VIRTIO_IOMMU_FAULT_R_DOMAIN);
	blocked_write(t, "detached.identity", GPA(PG_SENT), PG_SENT, VIRTIO_IOMMU_FAULT_R_DOMAIN);
	check("reattach.attach_table_ok",
	      viommu_attach_table(&t->v, t->dom, t->ep, (uint64_t)(uintptr_t)t->s1.root) ==
	      VIRTIO_IOMMU_S_OK);
	ns_fill(PG_DST, 0);
	check("reattach.dma_lands", ns_dma_out(t, IOVA_DST) == 0 && ns_landed(ns_pages[PG_DST]));
	check("reattach.detach_ok", viommu_detach(&t->v, t->dom, t->ep) == VIRTIO_IOMMU_S_OK);
}

/* Entries a driver must never write: the walk or the output check faults. */
static void test_hostile(struct ns *t)
{
	const uint64_t rsvd_2m = (uint64_t)(uintptr_t)ns_big | 0x2000;	/* bit 13 */
	volatile uint64_t *pd = s1_leaf(&t->s1, IOVA_HOSTILE_PT, 2);

	printf("-- hostile entries: outputs and tables outside RAM, reserved bits\n");
	s1_store(s1_leaf(&t->s1, IOVA_TO_BAR, 1),
		 s1_pte(t->edu.pci.bar[0].addr & ~(uint64_t)(PAGE - 1), 1, true));
	blocked_write(t, "hostile.leaf_to_edu_bar", IOVA_TO_BAR, -1, VIRTIO_IOMMU_FAULT_R_MAPPING);
	if (t->ram_top) {
		s1_store(s1_leaf(&t->s1, IOVA_TO_BEYOND, 1),
			 s1_pte(ALIGN_UP(t->ram_top, PAGE), 1, true));
		blocked_write(t, "hostile.leaf_beyond_ram", IOVA_TO_BEYOND, -1,
			      VIRTIO_IOMMU_FAULT_R_MAPPING);
	}
	s1_store(pd, s1_pte(MSI_WINDOW, 1, true));		/* a PT in the MSI window */
	blocked_write(t, "hostile.table_in_msi_window", IOVA_HOSTILE_PT, -1,
		      VIRTIO_IOMMU_FAULT_R_MAPPING);
	s1_store(pd, s1_pte(rsvd_2m, 2, true));			/* misaligned 2 MiB leaf */
	memset(ns_big, SENTINEL, PAGE);
	blocked_write(t, "hostile.misaligned_2m_leaf", IOVA_HOSTILE_PT, -1,
		      VIRTIO_IOMMU_FAULT_R_MAPPING);
	check("hostile.misaligned_2m_leaf_target_untouched",
	      mem_find_not(ns_big, SENTINEL, PAGE) == PAGE);
	s1_store(pd, 0);
}

void ns_isolation(struct ns *t)
{
	test_hostile(t);
	printf("-- bad-address: entries that are not present\n");
	blocked_write(t, "not_present.pte", IOVA_HOLE, -1, VIRTIO_IOMMU_FAULT_R_MAPPING);
	blocked_write(t, "not_present.pde_identity", GPA(PG_SENT), PG_SENT,
		      VIRTIO_IOMMU_FAULT_R_MAPPING);
	printf("-- permissions: device write through a read-only leaf\n");
	blocked_write(t, "read_only.write", IOVA_RO, PG_RO, VIRTIO_IOMMU_FAULT_R_MAPPING);
	printf("-- invalid-use: DMA after the PTE was cleared and invalidated\n");
	test_cleared(t);
	printf("-- bad-device: DMA after DETACH\n");
	test_detached(t);
}
