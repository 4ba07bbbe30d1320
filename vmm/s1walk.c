// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86-64 4-level stage-1 walk (VT-d first-stage format): canonical IOVA,
 * four entry reads through the caller's read_entry, reserved-bit checks,
 * 1 GiB / 2 MiB / 4 KiB leaves and the write permission accumulated over the
 * walk. Bounded by construction: exactly one read per level, never more.
 */
#include "vmm/s1walk.h"

#include <errno.h>

#define PAT_HUGE	(1ULL << 12)	/* PAT in a 1G/2M leaf: ignored */

static unsigned pa_width(const struct s1walk_table *t)
{
	if (!t->pa_width)
		return S1WALK_PA_WIDTH;
	return t->pa_width > 52 ? 52 : t->pa_width;
}

/* Address bits 51:w are reserved in every present entry and in the root. */
static uint64_t high_reserved(unsigned w)
{
	return S1WALK_PTE_ADDR & ~((1ULL << w) - 1);
}

static unsigned level_shift(int level)
{
	return 12 + 9 * (unsigned)(level - 1);
}

/* Bits 63:47 all equal (4-level paging has 48-bit input addresses). */
static int is_canonical(uint64_t iova)
{
	uint64_t top = iova >> 47;

	return top == 0 || top == (UINT64_MAX >> 47);
}

static int fail(struct s1walk_result *r, enum s1walk_fault why)
{
	r->fault = why;
	return why == S1WALK_PERM ? -EPERM : -EFAULT;
}

/* The entry e at level maps iova: fill the leaf, check its alignment. */
static int leaf(struct s1walk_result *r, uint64_t iova, int level, uint64_t e)
{
	uint64_t size = 1ULL << level_shift(level);
	uint64_t low = S1WALK_PTE_ADDR & (size - 1) & ~PAT_HUGE;
	uint64_t base = e & S1WALK_PTE_ADDR & ~(size - 1);

	if (level > 1 && (e & low))
		return fail(r, S1WALK_RESERVED);	/* huge leaf not aligned */
	r->leaf_size = size;
	r->leaf_iova = iova & ~(size - 1);
	r->out = base + (iova - r->leaf_iova);
	r->contig = size - (iova - r->leaf_iova);
	return 0;
}

int s1walk(const struct s1walk_table *t, uint64_t iova, unsigned access,
	   struct s1walk_result *r)
{
	uint64_t table = t->root, rsvd = high_reserved(pa_width(t)), e;
	int level;

	*r = (struct s1walk_result){ .level = S1WALK_LEVELS, .perm = S1WALK_READ | S1WALK_WRITE };
	if (!is_canonical(iova))
		return fail(r, S1WALK_NONCANONICAL);
	if ((table & (S1WALK_PAGE - 1)) || (table & ~S1WALK_PTE_ADDR) || (table & rsvd))
		return fail(r, S1WALK_RESERVED);
	for (level = S1WALK_LEVELS; level >= 1; level--) {
		r->level = level;
		if (t->read_entry(t->opaque, table, (iova >> level_shift(level)) & 511, &e))
			return fail(r, S1WALK_TABLE_REFUSED);
		r->entry = e;
		/* As on x86: reserved bits count only in a present entry. */
		if (!(e & S1WALK_PTE_P))
			return fail(r, S1WALK_NOT_PRESENT);
		if ((e & rsvd) || (level == S1WALK_LEVELS && (e & S1WALK_PTE_PS)))
			return fail(r, S1WALK_RESERVED);
		if (!(e & S1WALK_PTE_RW))
			r->perm &= ~S1WALK_WRITE;
		if (level == 1 || (e & S1WALK_PTE_PS)) {
			if (leaf(r, iova, level, e))
				return -EFAULT;
			return (r->perm & access) == access ? 0 : fail(r, S1WALK_PERM);
		}
		table = e & S1WALK_PTE_ADDR;
	}
	return fail(r, S1WALK_DEPTH);	/* unreachable: level 1 is always a leaf */
}

const char *s1walk_fault_name(enum s1walk_fault f)
{
	static const char *const names[] = {
		[S1WALK_OK] = "ok",
		[S1WALK_NOT_PRESENT] = "not present",
		[S1WALK_PERM] = "permission",
		[S1WALK_RESERVED] = "reserved bit set",
		[S1WALK_NONCANONICAL] = "non-canonical IOVA",
		[S1WALK_TABLE_REFUSED] = "table read refused",
		[S1WALK_DEPTH] = "depth guard",
	};

	if ((unsigned)f < sizeof(names) / sizeof(names[0]) && names[f])
		return names[f];
	return "unknown";
}
