// SPDX-License-Identifier: GPL-2.0-only
/*
 * GPA ownership: a MAP must name guest RAM only. MMIO (the edu BAR, also with
 * MAP_F_MMIO), the MSI window, addresses beyond RAM, ranges straddling the
 * end of RAM or wrapping around, E820-reserved memory and writable mappings
 * of ACPI tables must be refused. ownership=lax turns refusals into XFAILs.
 */
#include "isolation.h"

#include "acpi.h"
#include "check.h"
#include "console.h"
#include "lib.h"

#define IOVA_OWN	0x09000000ull
#define MSI_WINDOW	0xfee00000ull
#define SIZE_2M		0x200000ull

static uint8_t ram_page[PAGE] __attribute__((aligned(PAGE)));

/* Expects MAP(iova <- phys, len) to be refused; removes it if it was not. */
static void expect_refused(struct iso *t, uint32_t dom, const char *name, uint64_t phys,
			   uint64_t len, uint32_t flags)
{
	uint64_t iova = IOVA_OWN + (uint64_t)t->next_domain * 0x100000;
	int st;

	t->next_domain++;	/* also spreads the IOVAs of successive checks */
	st = viommu_map(&t->v, dom, iova, iova + len - 1, phys, flags);
	printf("  %s: MAP phys 0x%lx len 0x%lx flags 0x%x -> %s\n", name, phys, len, flags,
	       viommu_status_name(st));
	check_dev(name, st > VIRTIO_IOMMU_S_OK, t->lax_ownership,
		  "ownership=lax: this device accepted it");
	if (st == VIRTIO_IOMMU_S_OK)
		viommu_unmap(&t->v, dom, iova, iova + len - 1);
}

/* First page-aligned E820 entry that is not RAM, below 4 GiB; 0 if none. */
static uint64_t reserved_page(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	uint32_t i;

	for (i = 0; si->version >= 1 && e && i < si->memmap_entries; i++) {
		if (e[i].type != HVM_MEMMAP_TYPE_RAM && !(e[i].addr & (PAGE - 1)) &&
		    e[i].size >= PAGE && e[i].addr + e[i].size <= 0x100000000ull &&
		    e[i].addr != 0)
			return e[i].addr;
	}
	return 0;
}

static void mmio_checks(struct iso *t, uint32_t dom)
{
	uint64_t bar = t->edu.pci.bar[0].addr;

	expect_refused(t, dom, "ownership.map_edu_bar_refused", bar, PAGE, VIOMMU_MAP_F_RW);
	if (viommu_has(&t->v, VIRTIO_IOMMU_F_MMIO))
		expect_refused(t, dom, "ownership.map_emulated_bar_with_mmio_flag_refused", bar,
			       PAGE, VIOMMU_MAP_F_RW | VIRTIO_IOMMU_MAP_F_MMIO);
	expect_refused(t, dom, "ownership.map_msi_window_refused", MSI_WINDOW, PAGE,
		       VIOMMU_MAP_F_RW);
	if (pci_uses_ecam())
		expect_refused(t, dom, "ownership.map_ecam_refused", pci_ecam_base(), PAGE,
			       VIOMMU_MAP_F_RW);
}

static void ram_edge_checks(struct iso *t, uint32_t dom, const struct hvm_start_info *si)
{
	uint64_t top = ALIGN_UP(t->ram_top, SIZE_2M), rsv = reserved_page(si);
	const struct acpi_info *a = acpi_get();

	if (!t->ram_top) {
		check_skip("ownership.ram_edges", "no E820 map in start_info");
		return;
	}
	expect_refused(t, dom, "ownership.map_beyond_ram_refused", top, PAGE, VIOMMU_MAP_F_RW);
	if (t->ram_top == top)
		expect_refused(t, dom, "ownership.map_straddling_ram_end_refused", top - PAGE,
			       2 * PAGE, VIOMMU_MAP_F_RW);
	expect_refused(t, dom, "ownership.map_wrapping_phys_refused", ~0ull - PAGE + 1,
		       2 * PAGE, VIOMMU_MAP_F_RW);
	if (rsv)
		expect_refused(t, dom, "ownership.map_e820_reserved_refused", rsv, PAGE,
			       VIOMMU_MAP_F_RW);
	if (a->rsdp)
		expect_refused(t, dom, "ownership.map_acpi_rsdp_writable_refused",
			       a->rsdp & ~(uint64_t)(PAGE - 1), PAGE, VIOMMU_MAP_F_RW);
}

void iso_ownership(struct iso *t, const struct hvm_start_info *si)
{
	uint32_t dom = iso_new_domain(t);
	uint64_t iova = IOVA_OWN - PAGE;
	int st;

	printf("-- ownership: MAP must name this guest's RAM (%s)\n",
	       t->lax_ownership ? "lax" : "strict");
	if (!check("ownership.attach", viommu_attach(&t->v, dom, t->ep, 0) == VIRTIO_IOMMU_S_OK))
		return;
	st = viommu_map(&t->v, dom, iova, iova + PAGE - 1, (uint64_t)(uintptr_t)ram_page,
			VIOMMU_MAP_F_RW);
	check("ownership.map_guest_ram_accepted", st == VIRTIO_IOMMU_S_OK);
	mmio_checks(t, dom);
	if (si && si->magic == HVM_START_MAGIC_VALUE)
		ram_edge_checks(t, dom, si);
	viommu_detach(&t->v, dom, t->ep);
}
