// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's own x86-64 4-level stage-1 table (docs/nested.md format 1):
 * table pages come from a static pool in guest RAM, every non-leaf entry is
 * P|RW|US, leaves are 4 KiB PTEs or 2 MiB PDEs with PS. Entries are updated
 * with single 8-byte stores, since the device may walk concurrently.
 */
#include "nested.h"

#include "errno.h"
#include "io.h"
#include "lib.h"

#define POOL_PAGES	8
#define TABLE_FLAGS	(VIRTIO_IOMMU_X_PTE_P | VIRTIO_IOMMU_X_PTE_RW | VIRTIO_IOMMU_X_PTE_US)

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(PAGE)));

static uint64_t *table_alloc(struct s1 *s)
{
	uint64_t *p;

	if (s->used >= POOL_PAGES)
		return NULL;
	p = pool[s->used++];
	memset(p, 0, PAGE);
	return p;
}

int s1_init(struct s1 *s)
{
	s->used = 0;
	s->root = table_alloc(s);
	return s->root ? 0 : -ENOMEM;
}

static unsigned index_of(uint64_t iova, int level)
{
	return (iova >> (12 + 9 * (level - 1))) & 511;
}

void s1_store(volatile uint64_t *e, uint64_t val)
{
	barrier();	/* the target's contents are written before it is mapped */
	*e = val;
	barrier();
}

uint64_t s1_pte(uint64_t gpa, int level, bool writable)
{
	return (gpa & VIRTIO_IOMMU_X_PTE_ADDR) | VIRTIO_IOMMU_X_PTE_P | VIRTIO_IOMMU_X_PTE_US |
	       (writable ? VIRTIO_IOMMU_X_PTE_RW : 0) | (level == 2 ? VIRTIO_IOMMU_X_PTE_PS : 0);
}

/* Table holding iova's entry at level; creates missing tables when asked. */
static uint64_t *table_for(struct s1 *s, uint64_t iova, int level, bool create)
{
	uint64_t *t = s->root, *next;
	int l;

	for (l = 4; l > level; l--) {
		volatile uint64_t *e = &t[index_of(iova, l)];

		if (!(*e & VIRTIO_IOMMU_X_PTE_P)) {
			if (!create)
				return NULL;
			next = table_alloc(s);
			if (!next)
				return NULL;
			s1_store(e, (uint64_t)(uintptr_t)next | TABLE_FLAGS);
		}
		t = (uint64_t *)(uintptr_t)(*e & VIRTIO_IOMMU_X_PTE_ADDR);
	}
	return t;
}

volatile uint64_t *s1_leaf(struct s1 *s, uint64_t iova, int level)
{
	uint64_t *t = table_for(s, iova, level, false);

	return t ? &t[index_of(iova, level)] : NULL;
}

int s1_map(struct s1 *s, uint64_t iova, uint64_t gpa, int level, bool writable)
{
	uint64_t size = level == 2 ? SIZE_2M : PAGE, *t;

	if ((level != 1 && level != 2) || ((iova | gpa) & (size - 1)))
		return -EINVAL;
	t = table_for(s, iova, level, true);
	if (!t)
		return -ENOMEM;
	s1_store(&t[index_of(iova, level)], s1_pte(gpa, level, writable));
	return 0;
}
