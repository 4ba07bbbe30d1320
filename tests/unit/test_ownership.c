// SPDX-License-Identifier: GPL-2.0-only
/*
 * GPA ownership rules (DESIGN.md section 4): one test per rejection reason
 * and the acceptance cases, on a memory map laid out as vmm/layout.h says
 * (3 GiB of RAM below 4 GiB, 1 GiB above, BARs, ECAM, IOAPIC, MSI window).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "viommu/ownership.h"

#define PAGE		0x1000ULL
#define BAR_EMU		(LAYOUT_MMIO32_BASE)			/* emulated BAR, 4 KiB */
#define BAR_ASSIGNED	(LAYOUT_MMIO32_BASE + 0x100000)		/* assigned BAR, 1 MiB */
#define RAM_HIGH_SIZE	0x40000000ULL

static const struct viommu_range resv[] = { { 0x7000000, 0x70fffff } };

static struct ownership_policy pol(bool mmio)
{
	return (struct ownership_policy){
		.granule = PAGE, .mmio_negotiated = mmio, .resv = resv, .nr_resv = 1,
	};
}

static int setup(void **state)
{
	struct memmap *m = memmap_create();
	int ret = 0;

	if (!m)
		return -1;
	ret |= memmap_add(m, LAYOUT_BOOT_BASE, LAYOUT_BOOT_SIZE, MEMMAP_RESERVED, 0, NULL, "boot");
	ret |= memmap_add(m, LAYOUT_LOW_RAM_BASE, LAYOUT_LOW_RAM_END - LAYOUT_LOW_RAM_BASE,
			  MEMMAP_RAM, 0, NULL, "ram-low");
	ret |= memmap_add(m, LAYOUT_LEGACY_BASE, LAYOUT_LEGACY_SIZE, MEMMAP_RESERVED, 0, NULL, "legacy");
	ret |= memmap_add(m, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, MEMMAP_ROM, 0, NULL, "acpi");
	ret |= memmap_add(m, LAYOUT_HIGH_RAM_BASE, LAYOUT_RAM_32_END - LAYOUT_HIGH_RAM_BASE,
			  MEMMAP_RAM, 0, NULL, "ram");
	ret |= memmap_add(m, BAR_EMU, PAGE, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar-emu");
	ret |= memmap_add(m, BAR_ASSIGNED, 0x100000, MEMMAP_MMIO,
			  MEMMAP_F_BAR | MEMMAP_F_ASSIGNED, NULL, "bar-vfio");
	ret |= memmap_add(m, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, MEMMAP_MMIO, 0, NULL, "ecam");
	ret |= memmap_add(m, LAYOUT_IOAPIC_BASE, LAYOUT_IOAPIC_SIZE, MEMMAP_MMIO, 0, NULL, "ioapic");
	ret |= memmap_add(m, LAYOUT_MSI_BASE, LAYOUT_MSI_LAST - LAYOUT_MSI_BASE + 1, MEMMAP_MMIO,
			  MEMMAP_F_MSI, NULL, "msi");
	ret |= memmap_add(m, LAYOUT_RAM_64_BASE, RAM_HIGH_SIZE, MEMMAP_RAM, 0, NULL, "ram-high");
	*state = m;
	return ret ? -1 : 0;
}

static int teardown(void **state)
{
	memmap_destroy(*state);
	return 0;
}

#define CHECK(gpa, len, flags, mmio, want) do {					\
		struct ownership_policy p_ = pol(mmio);				\
		int r_ = ownership_check(*state, (gpa), (len), (flags), &p_, NULL);	\
		if (r_ != (want))						\
			fail_msg("check(%#llx, %#llx) = %s, want %s",		\
				 (unsigned long long)(gpa), (unsigned long long)(len), \
				 ownership_strerror(r_), ownership_strerror(want)); \
	} while (0)

#define RW	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define RO	VIRTIO_IOMMU_MAP_F_READ
#define MMIO	(VIRTIO_IOMMU_MAP_F_MMIO | RW)

static void test_accept_ram(void **state)
{
	CHECK(LAYOUT_LOW_RAM_BASE, PAGE, RW, false, 0);
	CHECK(LAYOUT_LOW_RAM_END - PAGE, PAGE, RO, false, 0);
	CHECK(LAYOUT_HIGH_RAM_BASE, 0x200000, RW, false, 0);
	CHECK(LAYOUT_RAM_32_END - PAGE, PAGE, RW, false, 0);
	CHECK(LAYOUT_RAM_64_BASE, RAM_HIGH_SIZE, RW, false, 0);
	CHECK(LAYOUT_HIGH_RAM_BASE, PAGE, 0, false, 0);	/* no-access mapping */
}

static void test_reject_reserved_boot(void **state)
{
	CHECK(LAYOUT_BOOT_BASE, PAGE, RW, false, OWN_E_RESERVED);
	CHECK(LAYOUT_START_INFO & ~(PAGE - 1), PAGE, RO, false, OWN_E_RESERVED);
	CHECK(LAYOUT_LEGACY_BASE, PAGE, RO, false, OWN_E_RESERVED);
}

static void test_reject_rom(void **state)
{
	CHECK(LAYOUT_ACPI_BASE, PAGE, RO, false, OWN_E_ROM);
	CHECK(LAYOUT_ACPI_BASE, PAGE, RW, false, OWN_E_ROM);
	CHECK(LAYOUT_ACPI_BASE + PAGE, PAGE, VIRTIO_IOMMU_MAP_F_WRITE, false, OWN_E_ROM);
}

static void test_reject_straddle(void **state)
{
	/* RAM -> BAR at the 3 GiB boundary, RAM -> legacy hole, RAM -> hole at 4G+1G. */
	CHECK(LAYOUT_RAM_32_END - PAGE, 2 * PAGE, RW, false, OWN_E_STRADDLE);
	CHECK(LAYOUT_LOW_RAM_END - PAGE, 2 * PAGE, RW, false, OWN_E_STRADDLE);
	CHECK(LAYOUT_RAM_64_BASE + RAM_HIGH_SIZE - PAGE, 2 * PAGE, RW, false, OWN_E_STRADDLE);
	/* Starting in reserved and running into RAM is refused by the first byte. */
	CHECK(LAYOUT_LOW_RAM_BASE - PAGE, 2 * PAGE, RW, false, OWN_E_RESERVED);
}

static void test_reject_bar_ecam_mmio(void **state)
{
	CHECK(BAR_EMU, PAGE, RW, false, OWN_E_BAR);
	CHECK(BAR_ASSIGNED, PAGE, RW, false, OWN_E_BAR);
	CHECK(LAYOUT_ECAM_BASE, PAGE, RW, false, OWN_E_MMIO);
	CHECK(LAYOUT_IOAPIC_BASE, PAGE, RW, false, OWN_E_MMIO);
}

static void test_reject_msi_window(void **state)
{
	CHECK(LAYOUT_MSI_BASE, PAGE, VIRTIO_IOMMU_MAP_F_WRITE, false, OWN_E_MSI);
	CHECK(LAYOUT_MSI_LAST + 1 - PAGE, PAGE, RW, false, OWN_E_MSI);
	/* A range that only grazes the window from below. */
	CHECK(LAYOUT_MSI_BASE - PAGE, 2 * PAGE, RW, false, OWN_E_MSI);
	/* Even as an MMIO mapping with the feature. */
	CHECK(LAYOUT_MSI_BASE, PAGE, MMIO, true, OWN_E_MSI);
}

static void test_reject_beyond_ram(void **state)
{
	CHECK(LAYOUT_RAM_64_BASE + RAM_HIGH_SIZE, PAGE, RW, false, OWN_E_UNMAPPED);
	CHECK(0x200000000000ULL, PAGE, RW, false, OWN_E_UNMAPPED);
	CHECK(LAYOUT_MMIO32_BASE + 0x10000, PAGE, RW, false, OWN_E_UNMAPPED);
}

static void test_reject_wrap_len_align(void **state)
{
	CHECK(0xfffffffffffff000ULL, 2 * PAGE, RW, false, OWN_E_WRAP);
	CHECK(UINT64_MAX, 2, RW, false, OWN_E_WRAP);
	CHECK(LAYOUT_HIGH_RAM_BASE, 0, RW, false, OWN_E_LENGTH);
	CHECK(LAYOUT_HIGH_RAM_BASE + 0x800, PAGE, RW, false, OWN_E_ALIGN);
	CHECK(LAYOUT_HIGH_RAM_BASE, 0x800, RW, false, OWN_E_ALIGN);
}

static void test_granule_one_byte(void **state)
{
	struct ownership_policy p = { .granule = 1 };

	assert_int_equal(ownership_check(*state, LAYOUT_HIGH_RAM_BASE + 3, 5, RW, &p, NULL), 0);
	assert_int_equal(ownership_check(*state, LAYOUT_HIGH_RAM_BASE - 1, 2, RW, &p, NULL),
			 OWN_E_ROM);
}

static void test_mmio_flag(void **state)
{
	CHECK(BAR_ASSIGNED, PAGE, MMIO, false, OWN_E_MMIO_FLAG);
	CHECK(BAR_EMU, PAGE, MMIO, true, OWN_E_MMIO_TARGET);
	CHECK(LAYOUT_HIGH_RAM_BASE, PAGE, MMIO, true, OWN_E_MMIO_TARGET);
	CHECK(LAYOUT_ECAM_BASE, PAGE, MMIO, true, OWN_E_MMIO_TARGET);
	/* Running out of the assigned BAR. */
	CHECK(BAR_ASSIGNED + 0x100000 - PAGE, 2 * PAGE, MMIO, true, OWN_E_MMIO_TARGET);
	CHECK(BAR_ASSIGNED, PAGE, MMIO, true, 0);
	CHECK(BAR_ASSIGNED, 0x100000, MMIO, true, 0);
}

/* The host address ownership_check validated: the one of gpa when the range
 * lies in one region with host memory, NULL when it spans two (adjacent RAM
 * regions need not be adjacent on the host), untouched on a rejection. */
static void test_host_address(void **state)
{
	static uint8_t a[0x2000], b[0x2000];
	struct memmap *m = memmap_create();
	struct ownership_policy p = { .granule = PAGE };
	void *hva = (void *)1;

	assert_non_null(m);
	assert_int_equal(memmap_add(m, 0x100000, 0x2000, MEMMAP_RAM, 0, a, "a"), 0);
	assert_int_equal(memmap_add(m, 0x102000, 0x2000, MEMMAP_RAM, 0, b, "b"), 0);
	assert_int_equal(ownership_check(m, 0x101000, PAGE, RW, &p, &hva), 0);
	assert_ptr_equal(hva, a + 0x1000);
	assert_int_equal(ownership_check(m, 0x102000, 2 * PAGE, RW, &p, &hva), 0);
	assert_ptr_equal(hva, b);
	assert_int_equal(ownership_check(m, 0x101000, 2 * PAGE, RW, &p, &hva), 0);
	assert_null(hva);
	hva = (void *)1;
	assert_int_equal(ownership_check(m, 0x104000, PAGE, RW, &p, &hva), OWN_E_UNMAPPED);
	assert_ptr_equal(hva, (void *)1);
	memmap_destroy(m);
}

static void test_resv_mem(void **state)
{
	CHECK(resv[0].start, PAGE, RW, false, OWN_E_RESV);
	CHECK(resv[0].start - PAGE, 2 * PAGE, RW, false, OWN_E_RESV);
	CHECK(resv[0].last + 1, PAGE, RW, false, 0);
	CHECK(resv[0].start - PAGE, PAGE, RW, false, 0);
}

static void test_adjacent_ram_regions(void **state)
{
	struct memmap *m = memmap_create();
	struct ownership_policy p = { .granule = PAGE };

	assert_non_null(m);
	assert_int_equal(memmap_add(m, 0x100000, 0x100000, MEMMAP_RAM, 0, NULL, "a"), 0);
	assert_int_equal(memmap_add(m, 0x200000, 0x100000, MEMMAP_RAM, 0, NULL, "b"), 0);
	assert_int_equal(memmap_add(m, 0x300000, 0x100000, MEMMAP_RESERVED, 0, NULL, "c"), 0);
	assert_int_equal(ownership_check(m, 0x1ff000, 2 * PAGE, RW, &p, NULL), 0);
	assert_int_equal(ownership_check(m, 0x100000, 0x200000, RW, &p, NULL), 0);
	assert_int_equal(ownership_check(m, 0x100000, 0x201000, RW, &p, NULL), OWN_E_STRADDLE);
	memmap_destroy(m);
}

static void test_reason_names(void **state)
{
	static const int all[] = {
		0, OWN_E_LENGTH, OWN_E_WRAP, OWN_E_ALIGN, OWN_E_MSI, OWN_E_RESV,
		OWN_E_MMIO_FLAG, OWN_E_MMIO_TARGET, OWN_E_UNMAPPED, OWN_E_BAR, OWN_E_MMIO,
		OWN_E_RESERVED, OWN_E_ROM, OWN_E_STRADDLE,
	};
	size_t i, j, n = sizeof(all) / sizeof(all[0]);

	assert_int_equal(n, OWN_NR_REASONS);
	for (i = 0; i < n; i++) {
		assert_int_equal(ownership_reason(all[i]), i);
		assert_string_not_equal(ownership_strerror(all[i]), "unknown");
		for (j = 0; j < i; j++) {
			assert_int_not_equal(all[i], all[j]);
			assert_string_not_equal(ownership_strerror(all[i]), ownership_strerror(all[j]));
		}
	}
	assert_string_equal(ownership_strerror(-12345), "unknown");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_accept_ram), T(test_reject_reserved_boot), T(test_reject_rom),
		T(test_reject_straddle), T(test_reject_bar_ecam_mmio), T(test_reject_msi_window),
		T(test_reject_beyond_ram), T(test_reject_wrap_len_align), T(test_granule_one_byte),
		T(test_mmio_flag), T(test_resv_mem), T(test_adjacent_ram_regions),
		T(test_host_address), T(test_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
