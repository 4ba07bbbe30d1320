/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the kernel-loader fuzz targets: a layout.h memory map over a
 * poisoned RAM buffer followed by a guard area. The input is the image file;
 * its lowest bit adds an initrd. A failed load must leave RAM untouched,
 * and no load may write past RAM (the guard) or report memory it did not own.
 */
#ifndef IOSHADE_TESTS_FUZZ_LOADER_H
#define IOSHADE_TESTS_FUZZ_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot.h"
#include "vmm/memmap.h"
#include "vmm/vm.h"

#define LDR_RAM_SIZE	(4ULL << 20)
#define LDR_GUARD	0x10000ULL
#define LDR_POISON	0xcc
#define LDR_BAR		0xc0000000ULL

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct ldr {
	uint8_t *ram;			/* LDR_RAM_SIZE + LDR_GUARD */
	struct memmap *mem;
	uint8_t initrd[0x1234];
	struct boot_pvh_args args;
	char err[256];
};

static inline void ldr_setup(struct ldr *l, const uint8_t *image, size_t size)
{
	memset(l, 0, sizeof(*l));
	l->ram = malloc(LDR_RAM_SIZE + LDR_GUARD);
	l->mem = memmap_create();
	CHECK(l->ram && l->mem && !vm_memmap_fill(l->mem, l->ram, LDR_RAM_SIZE));
	CHECK(!memmap_add(l->mem, LDR_BAR, 0x1000, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar"));
	memset(l->ram, LDR_POISON, LDR_RAM_SIZE + LDR_GUARD);
	memset(l->initrd, 0x5a, sizeof(l->initrd));
	l->args = (struct boot_pvh_args){
		.image = image, .image_size = size, .cmdline = "console=ttyS0 quiet",
		.initrd = size & 1 ? l->initrd : NULL, .initrd_size = size & 1 ? sizeof(l->initrd) : 0,
		.rsdp = LAYOUT_ACPI_BASE,
	};
}

static inline bool ldr_untouched(const struct ldr *l, uint64_t start, uint64_t end)
{
	static const uint8_t poison[4096] = { [0 ... 4095] = LDR_POISON };

	while (start < end) {
		uint64_t n = end - start < sizeof(poison) ? end - start : sizeof(poison);

		if (memcmp(l->ram + start, poison, n))
			return false;
		start += n;
	}
	return true;
}

/* [start, end) lies in RAM regions of the map (one region each piece). */
static inline bool ldr_in_ram(const struct ldr *l, uint64_t start, uint64_t end)
{
	struct memmap_region r;

	while (start < end) {
		if (memmap_query(l->mem, start, 1, &r) || r.kind != MEMMAP_RAM)
			return false;
		start = r.last + 1;
	}
	return true;
}

static inline void ldr_finish(struct ldr *l, int ret)
{
	CHECK(ldr_untouched(l, LDR_RAM_SIZE, LDR_RAM_SIZE + LDR_GUARD));
	if (ret)	/* "Nothing is written on failure." */
		CHECK(ldr_untouched(l, 0, LDR_RAM_SIZE));
	CHECK(strnlen(l->err, sizeof(l->err)) < sizeof(l->err));
	memmap_destroy(l->mem);
	free(l->ram);
}

#endif
