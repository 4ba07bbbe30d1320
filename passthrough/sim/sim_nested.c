// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested translation of the simulated IOMMU: the guest's x86-64 4-level
 * stage-1 table (4 KiB / 2 MiB / 1 GiB leaves) is walked with every table
 * read going through the parent's stage-2 IOAS, then the output GPA goes
 * through stage 2. Stage-1 leaves are cached in a small IOTLB that only
 * hwpt_invalidate clears, so a missing invalidation is observable.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "passthrough/sim/sim_internal.h"
#include "vmm/s1walk.h"

#define S1_PAGE		4096ull

/* The neutral hiopt stage-1 structures are accepted as the sim's own. */
_Static_assert(sizeof(struct hiopt_s1_table) == sizeof(struct sim_hwpt_x86) &&
	       offsetof(struct hiopt_s1_table, addr_width) ==
	       offsetof(struct sim_hwpt_x86, addr_width) &&
	       offsetof(struct hiopt_s1_table, flags) == offsetof(struct sim_hwpt_x86, flags),
	       "hiopt_s1_table layout");
_Static_assert(sizeof(struct hiopt_s1_inv) == sizeof(struct sim_hwpt_x86_inv) &&
	       offsetof(struct hiopt_s1_inv, flags) == offsetof(struct sim_hwpt_x86_inv, flags),
	       "hiopt_s1_inv layout");
_Static_assert(HIOPT_S1_INV_F_ALL == SIM_X86_INV_F_ALL, "F_ALL");
_Static_assert(SIM_PTE_P == S1WALK_PTE_P && SIM_PTE_RW == S1WALK_PTE_RW &&
	       SIM_PTE_PS == S1WALK_PTE_PS && SIM_PTE_ADDR == S1WALK_PTE_ADDR, "PTE bits");

/* Mirrors iommu_copy_struct_from_user(): short -> EINVAL, non-zero tail -> E2BIG. */
static int copy_struct(void *dst, size_t dst_len, const void *src, size_t src_len)
{
	const uint8_t *tail = (const uint8_t *)src + dst_len;
	size_t i;

	if (src_len < dst_len)
		return -EINVAL;
	for (i = 0; i < src_len - dst_len; i++)
		if (tail[i])
			return -E2BIG;
	memcpy(dst, src, dst_len);
	return 0;
}

int sim_nested_parse(const void *data, size_t len, struct sim_hwpt_x86 *out)
{
	int rc;

	if (!data)
		return -EFAULT;
	rc = copy_struct(out, sizeof(*out), data, len);
	if (rc)
		return rc;
	if (out->flags)
		return -EOPNOTSUPP;
	if (out->addr_width != SIM_ADDR_WIDTH || (out->root_gpa & (S1_PAGE - 1)))
		return -EINVAL;
	return 0;
}

static struct sim_tlb *tlb_lookup(struct sim_nested *n, uint64_t iova)
{
	unsigned i;

	for (i = 0; i < SIM_IOTLB_ENTRIES; i++) {
		struct sim_tlb *t = &n->tlb[i];

		if (t->valid && iova >= t->iova && iova - t->iova < t->size)
			return t;
	}
	return NULL;
}

static void tlb_fill(struct sim_nested *n, const struct sim_tlb *e)
{
	n->tlb[n->tlb_next] = *e;
	n->tlb_next = (n->tlb_next + 1) % SIM_IOTLB_ENTRIES;
}

/* s1walk's read_entry: a table read goes through stage 2 and needs READ;
 * an address stage 2 does not map is refused (a fault, as in hardware). */
static int read_pte(void *opaque, uint64_t table, unsigned idx, uint64_t *pte)
{
	const struct sim_ioas *s2 = opaque;
	uint64_t contig;
	uint8_t *p;

	if (sim_ioas_xlate(s2, table + idx * 8ull, HIOPT_PROT_READ, &p, &contig) || contig < 8 ||
	    ((uintptr_t)p & 7))
		return -EFAULT;
	/* One 8-byte load, as the hardware does: the guest may be rewriting
	 * the entry, and a torn mix of old and new bytes must not be used. */
	*pte = le64toh(__atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_RELAXED));
	return 0;
}

/* Walk the stage-1 table for iova; a completed walk (also one that fails
 * the permission check) describes its leaf in *leaf. */
static int s1_walk(const struct sim_nested *n, uint64_t iova, unsigned access,
		   struct sim_tlb *leaf)
{
	const struct s1walk_table t = {
		.root = n->s1.root_gpa, .read_entry = read_pte, .opaque = n->parent->ioas,
	};
	unsigned acc = (access & HIOPT_PROT_READ ? S1WALK_READ : 0) |
		       (access & HIOPT_PROT_WRITE ? S1WALK_WRITE : 0);
	struct s1walk_result r;
	int rc = s1walk(&t, iova, acc, &r);

	if (rc && rc != -EPERM)
		return rc;
	*leaf = (struct sim_tlb){
		.iova = r.leaf_iova, .size = r.leaf_size, .gpa = r.out - (iova - r.leaf_iova),
		.prot = HIOPT_PROT_READ | (r.perm & S1WALK_WRITE ? HIOPT_PROT_WRITE : 0),
		.valid = true,
	};
	return 0;
}

int sim_nested_xlate(struct sim_nested *n, uint64_t iova, unsigned access, uint8_t **hva,
		     uint64_t *contig)
{
	struct sim_tlb walked, *t;
	uint64_t off, s2_contig;
	int rc;

	if (iova >> SIM_ADDR_WIDTH)
		return -EFAULT;
	t = tlb_lookup(n, iova);
	if (!t) {
		rc = s1_walk(n, iova, access, &walked);
		if (rc)
			return rc;
		tlb_fill(n, &walked);
		t = &walked;
	}
	if ((t->prot & access) != access)
		return -EPERM;
	off = iova - t->iova;
	rc = sim_ioas_xlate(n->parent->ioas, t->gpa + off, access, hva, &s2_contig);
	if (rc)
		return rc;
	*contig = t->size - off < s2_contig ? t->size - off : s2_contig;
	return 0;
}

static void tlb_flush_range(struct sim_nested *n, uint64_t start, uint64_t last)
{
	unsigned i;

	for (i = 0; i < SIM_IOTLB_ENTRIES; i++) {
		struct sim_tlb *t = &n->tlb[i];

		if (t->valid && t->iova <= last && start <= t->iova + (t->size - 1))
			t->valid = false;
	}
}

static int invalidate_one(struct sim_nested *n, uint32_t known,
			  const struct sim_hwpt_x86_inv *inv)
{
	uint64_t bytes, last;

	if ((inv->flags & ~known) || inv->reserved)
		return -EOPNOTSUPP;
	if ((inv->flags & SIM_X86_INV_F_ALL) || (inv->npages == UINT64_MAX && !inv->addr)) {
		tlb_flush_range(n, 0, UINT64_MAX);
		return 0;
	}
	/* As intel_nested_cache_invalidate_user(): aligned, and "all" only from 0. */
	if ((inv->addr & (S1_PAGE - 1)) || inv->npages == UINT64_MAX)
		return -EINVAL;
	if (!inv->npages)
		return 0;
	/* A range running past the top is clamped, as a full flush would be. */
	if (__builtin_mul_overflow(inv->npages, S1_PAGE, &bytes) ||
	    __builtin_add_overflow(inv->addr, bytes - 1, &last))
		last = UINT64_MAX;
	tlb_flush_range(n, inv->addr, last);
	return 0;
}

/* *num in: entries, out: entries handled before the first error. */
int sim_nested_invalidate(struct sim_nested *n, uint32_t type, const void *entries,
			  uint32_t entry_len, uint32_t *num)
{
	uint32_t known = SIM_X86_INV_F_ALL |
			 (type == HIOPT_HWPT_DATA_X86_S1 ? HIOPT_S1_INV_F_LEAF : 0);
	struct sim_hwpt_x86_inv inv;
	uint32_t i;
	int rc = 0;

	for (i = 0; i < *num; i++) {
		rc = copy_struct(&inv, sizeof(inv), (const uint8_t *)entries + (size_t)i * entry_len,
				 entry_len);
		if (!rc)
			rc = invalidate_one(n, known, &inv);
		if (rc)
			break;
	}
	*num = i;
	return rc;
}

int sim_nested_tlb_count(const struct sim_nested *n)
{
	int i, c = 0;

	for (i = 0; i < SIM_IOTLB_ENTRIES; i++)
		c += n->tlb[i].valid;
	return c;
}
