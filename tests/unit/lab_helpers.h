/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the lab tests (test_lab_*.c), which run against the real
 * kernel inside the QEMU lab: guest RAM in a memfd laid out like vmm/layout.h
 * and a memory map over it, for a viommu without a PCI transport.
 * Include after <cmocka.h> and unit/viommu_helpers.h.
 */
#ifndef IOSHADE_TESTS_LAB_HELPERS_H
#define IOSHADE_TESTS_LAB_HELPERS_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Guest RAM: one memfd, GPA x at ram + x (so GPA = offset), 16 MiB. */
#define LAB_RAM_SIZE	0x1000000ULL

struct lab_ram {
	int fd;
	uint8_t *base;
	uint64_t size;
	struct memmap *mem;
};

static inline int lab_ram_create(struct lab_ram *r, uint64_t size)
{
	int ret = 0;

	r->size = size;
	r->fd = memfd_create("lab-guest-ram", MFD_CLOEXEC);
	if (r->fd < 0 || ftruncate(r->fd, (off_t)size))
		return -1;
	r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED)
		return -1;
	r->mem = memmap_create();
	if (!r->mem)
		return -1;
	ret |= memmap_add(r->mem, LAYOUT_BOOT_BASE, LAYOUT_BOOT_SIZE, MEMMAP_RESERVED, 0,
			  r->base, "boot");
	ret |= memmap_add(r->mem, LAYOUT_LOW_RAM_BASE, LAYOUT_LOW_RAM_END - LAYOUT_LOW_RAM_BASE,
			  MEMMAP_RAM, 0, r->base + LAYOUT_LOW_RAM_BASE, "ram-low");
	ret |= memmap_add(r->mem, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, MEMMAP_ROM, 0,
			  r->base + LAYOUT_ACPI_BASE, "acpi");
	ret |= memmap_add(r->mem, LAYOUT_HIGH_RAM_BASE, size - LAYOUT_HIGH_RAM_BASE, MEMMAP_RAM,
			  0, r->base + LAYOUT_HIGH_RAM_BASE, "ram");
	ret |= memmap_add(r->mem, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, MEMMAP_MMIO, 0, NULL, "ecam");
	ret |= memmap_add(r->mem, LAYOUT_MSI_BASE, LAYOUT_MSI_LAST - LAYOUT_MSI_BASE + 1,
			  MEMMAP_MMIO, MEMMAP_F_MSI, NULL, "msi");
	return ret;
}

static inline void lab_ram_destroy(struct lab_ram *r)
{
	if (r->mem)
		memmap_destroy(r->mem);
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
}

/* FNV-1a of all guest RAM: proves a blocked DMA changed nothing. */
static inline uint64_t lab_ram_hash(const struct lab_ram *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint64_t i = 0; i < r->size; i++)
		h = (h ^ r->base[i]) * 0x100000001b3ULL;
	return h;
}

/* Deterministic bytes (xorshift32). */
static inline void lab_fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* The domain's IOAS id, or 0 when it has none (no domain, bypass, no host
 * endpoint). */
static inline uint32_t lab_domain_ioas(struct viommu *v, uint32_t dom)
{
	struct viommu_debug_dom d;

	return viommu_debug_domain(v, dom, &d) ? 0 : d.host_pt;
}

#endif
