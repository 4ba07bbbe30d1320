// SPDX-License-Identifier: GPL-2.0-only
/*
 * Extends the boot identity map (entry.S) above 4 GiB with 2 MiB pages.
 * Page-table pages come from a static pool and are never freed; entries that
 * already exist are left alone since the map is the identity everywhere.
 */
#include "paging.h"

#include "errno.h"
#include "lib.h"

#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_PWT		0x008ull
#define PTE_PCD		0x010ull
#define PTE_PS		0x080ull
#define PTE_ADDR	0x000ffffffffff000ull
#define PAGE_2M		0x200000ull
#define POOL_PAGES	16

extern uint64_t boot_pml4[512];

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pool_used;

/* Returns the table that entry *e points to, allocating it if absent. */
static uint64_t *table_of(uint64_t *e)
{
	uint64_t *t;

	if (*e & PTE_P)
		return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	if (pool_used == POOL_PAGES)
		return NULL;
	t = pool[pool_used++];
	memset(t, 0, 4096);
	*e = (uint64_t)(uintptr_t)t | PTE_P | PTE_RW;
	return t;
}

static int map_2m(uint64_t pa)
{
	uint64_t *pdpt, *pd;

	pdpt = table_of(&boot_pml4[(pa >> 39) & 511]);
	if (!pdpt)
		return -ENOMEM;
	pd = table_of(&pdpt[(pa >> 30) & 511]);
	if (!pd)
		return -ENOMEM;
	if (!(pd[(pa >> 21) & 511] & PTE_P))
		pd[(pa >> 21) & 511] = pa | PTE_P | PTE_RW | PTE_PS | PTE_PCD | PTE_PWT;
	return 0;
}

int paging_map_identity(uint64_t pa, uint64_t size)
{
	uint64_t cur, last, cr3;
	int rc;

	if (!size)
		return 0;
	if (__builtin_add_overflow(pa, size - 1, &last) || last >= PAGING_MAX_PHYS)
		return -EINVAL;
	if (last < PAGING_BOOT_LIMIT)
		return 0;
	for (cur = pa & ~(PAGE_2M - 1); cur <= last; cur += PAGE_2M) {
		if (cur < PAGING_BOOT_LIMIT)
			continue;
		rc = map_2m(cur);
		if (rc)
			return rc;
	}
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
	return 0;
}
