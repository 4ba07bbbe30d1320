// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the shared stage-1 walker (vmm/s1walk.c) over a fake RAM of 4 KiB
 * pages: 4K/2M/1G leaves, permissions and non-present entries at every level,
 * reserved bits, misaligned huge leaves, non-canonical IOVAs, and hostile
 * tables (self-references, a cycle, entries naming MMIO or beyond RAM).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/s1walk.h"

#define RAM_BASE	0x100000ull
#define NPAGES		8
#define MMIO_ADDR	0xfe000000ull	/* the fake's "MMIO": never readable */
#define PML4		(RAM_BASE + 0x0000)
#define PDPT		(RAM_BASE + 0x1000)
#define PD		(RAM_BASE + 0x2000)
#define PT		(RAM_BASE + 0x3000)
#define P		S1WALK_PTE_P
#define RW		S1WALK_PTE_RW
#define US		S1WALK_PTE_US
#define PS		S1WALK_PTE_PS
#define R		S1WALK_READ
#define W		S1WALK_WRITE

#define IOVA_4K		0x5abcull		/* PT[5] -> 0x123000 */
#define IOVA_2M		0x201234ull		/* PD[1] -> 0x400000 (2M) */
#define IOVA_1G		0x40005678ull		/* PDPT[1] -> 0x80000000 (1G) */

struct fake {
	uint64_t page[NPAGES][512];
	unsigned reads;
	uint64_t refused;		/* last table address refused */
	struct s1walk_table t;
};

/* The callback: only the fake RAM pages are tables; anything else refused. */
static int read_entry(void *opaque, uint64_t table, unsigned idx, uint64_t *e)
{
	struct fake *f = opaque;

	f->reads++;
	assert_true(idx < 512);
	if (table < RAM_BASE || table - RAM_BASE >= NPAGES * S1WALK_PAGE) {
		f->refused = table;
		return -EFAULT;
	}
	*e = f->page[(table - RAM_BASE) / S1WALK_PAGE][idx];
	return 0;
}

static uint64_t *ent(struct fake *f, uint64_t table, unsigned idx)
{
	return &f->page[(table - RAM_BASE) / S1WALK_PAGE][idx];
}

static int setup(void **state)
{
	static struct fake f;

	memset(&f, 0, sizeof(f));
	f.t = (struct s1walk_table){ .root = PML4, .read_entry = read_entry, .opaque = &f };
	*ent(&f, PML4, 0) = PDPT | P | RW | US;
	*ent(&f, PDPT, 0) = PD | P | RW | US;
	*ent(&f, PDPT, 1) = 0x80000000ull | P | RW | US | PS;
	*ent(&f, PD, 0) = PT | P | RW | US;
	*ent(&f, PD, 1) = 0x400000ull | P | RW | US | PS;
	*ent(&f, PT, 5) = 0x123000ull | P | RW | US;
	*state = &f;
	return 0;
}

static int walk(struct fake *f, uint64_t iova, unsigned acc, struct s1walk_result *r)
{
	f->reads = 0;
	return s1walk(&f->t, iova, acc, r);
}

/* The entry on IOVA_4K's path at level (4 = PML4E ... 1 = PTE). */
static uint64_t *path_entry(struct fake *f, int level)
{
	static const uint64_t tables[] = { PT, PD, PDPT, PML4 };

	return ent(f, tables[level - 1], level == 1 ? 5 : 0);
}

static void test_leaves(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	assert_int_equal(walk(f, IOVA_4K, R | W, &r), 0);
	assert_int_equal(r.fault, S1WALK_OK);
	assert_int_equal(r.out, 0x123abc);
	assert_int_equal(r.leaf_size, 0x1000);
	assert_int_equal(r.leaf_iova, 0x5000);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.perm, R | W);
	assert_int_equal(f->reads, 4);

	assert_int_equal(walk(f, IOVA_2M, W, &r), 0);
	assert_int_equal(r.out, 0x401234);
	assert_int_equal(r.leaf_size, 0x200000);
	assert_int_equal(r.level, 2);
	assert_int_equal(f->reads, 3);

	assert_int_equal(walk(f, IOVA_1G, R, &r), 0);
	assert_int_equal(r.out, 0x80005678);
	assert_int_equal(r.leaf_size, 1ull << 30);
	assert_int_equal(r.level, 3);
	assert_int_equal(f->reads, 2);
}

static void test_contig_at_leaf_ends(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	assert_int_equal(walk(f, 0x5000, R, &r), 0);
	assert_int_equal(r.contig, 0x1000);
	assert_int_equal(walk(f, 0x5fff, R, &r), 0);
	assert_int_equal(r.contig, 1);
	assert_int_equal(r.out, 0x123fff);
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
	assert_int_equal(r.contig, 0x1000 - 0xabc);
	assert_int_equal(walk(f, 0x3ff000, R, &r), 0);		/* last page of the 2M leaf */
	assert_int_equal(r.contig, 0x1000);
	assert_int_equal(walk(f, 0x3fffff, R, &r), 0);
	assert_int_equal(r.contig, 1);
	assert_int_equal(r.out, 0x5fffff);
	assert_int_equal(walk(f, 0x7fffffff, R, &r), 0);		/* last byte of the 1G leaf */
	assert_int_equal(r.contig, 1);
	assert_int_equal(r.out, 0xbfffffff);
	assert_int_equal(walk(f, 0x6000, R, &r), -EFAULT);	/* the next 4K is not mapped */
}

/* RW cleared at one level: reads pass, writes fail, the leaf is still described. */
static void test_rw_each_level(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;
	int level;

	for (level = 4; level >= 1; level--) {
		*path_entry(f, level) &= ~RW;
		assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
		assert_int_equal(r.perm, R);
		assert_int_equal(walk(f, IOVA_4K, 0, &r), 0);
		assert_int_equal(walk(f, IOVA_4K, W, &r), -EPERM);
		assert_int_equal(r.fault, S1WALK_PERM);
		assert_int_equal(r.out, 0x123abc);	/* a cache may keep the leaf */
		assert_int_equal(walk(f, IOVA_4K, R | W, &r), -EPERM);
		*path_entry(f, level) |= RW;
		assert_int_equal(walk(f, IOVA_4K, W, &r), 0);
	}
	*ent(f, PD, 1) &= ~RW;					/* read-only 2M leaf */
	assert_int_equal(walk(f, IOVA_2M, W, &r), -EPERM);
	*ent(f, PDPT, 1) &= ~RW;				/* read-only 1G leaf */
	assert_int_equal(walk(f, IOVA_1G, W, &r), -EPERM);
	assert_int_equal(walk(f, IOVA_1G, R, &r), 0);
}

static void test_not_present_each_level(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;
	int level;

	for (level = 4; level >= 1; level--) {
		*path_entry(f, level) &= ~P;
		assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
		assert_int_equal(r.fault, S1WALK_NOT_PRESENT);
		assert_int_equal(r.level, level);
		assert_int_equal(f->reads, 5 - level);	/* stops right there */
		/* Reserved bits of a non-present entry do not matter. */
		*path_entry(f, level) |= 1ull << 50;
		assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
		assert_int_equal(r.fault, S1WALK_NOT_PRESENT);
		*path_entry(f, level) = (*path_entry(f, level) & ~(1ull << 50)) | P;
	}
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
}

static void test_reserved_each_level(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;
	int level;

	for (level = 4; level >= 1; level--) {
		*path_entry(f, level) |= 1ull << 46;		/* bits 51:46 reserved */
		assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
		assert_int_equal(r.fault, S1WALK_RESERVED);
		assert_int_equal(r.level, level);
		*path_entry(f, level) &= ~(1ull << 46);
		*path_entry(f, level) |= 1ull << 51;
		assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
		assert_int_equal(r.fault, S1WALK_RESERVED);
		*path_entry(f, level) &= ~(1ull << 51);
	}
	/* Bits 62:52 and 63 (XD) are ignored; bit 45 is an address bit. */
	*path_entry(f, 1) |= 0xfff0000000000000ull;
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
	assert_int_equal(r.out, 0x123abc);
	*path_entry(f, 1) |= 1ull << 45;
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
	assert_int_equal(r.out, (1ull << 45) | 0x123abc);
	/* A 52-bit walker accepts bit 51 in the output address. */
	f->t.pa_width = 52;
	*path_entry(f, 1) |= 1ull << 51;
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
	assert_int_equal(r.out, (1ull << 51) | (1ull << 45) | 0x123abc);
	f->t.pa_width = 0;
	/* PS in a PML4E is reserved. */
	*ent(f, PML4, 0) |= PS;
	assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	assert_int_equal(r.level, 4);
	assert_int_equal(f->reads, 1);
}

static void test_misaligned_huge_leaf(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	*ent(f, PD, 1) |= 0x2000;			/* bit 13 of a 2M leaf */
	assert_int_equal(walk(f, IOVA_2M, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	assert_int_equal(r.level, 2);
	*ent(f, PD, 1) = 0x400000ull | 0x100000 | P | RW | PS;	/* bit 20 */
	assert_int_equal(walk(f, IOVA_2M, R, &r), -EFAULT);
	*ent(f, PD, 1) = 0x400000ull | 0x1000 | P | RW | PS;	/* bit 12 is PAT: ignored */
	assert_int_equal(walk(f, IOVA_2M, R, &r), 0);
	assert_int_equal(r.out, 0x401234);
	*ent(f, PDPT, 1) |= 0x200000;			/* 2M-aligned is not 1G-aligned */
	assert_int_equal(walk(f, IOVA_1G, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	assert_int_equal(r.level, 3);
	*ent(f, PT, 5) = 0x123000ull | P | RW | PS;		/* bit 7 of a PTE is PAT */
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
	assert_int_equal(r.leaf_size, 0x1000);
}

static void test_root(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	f->t.root = PML4 + 8;
	assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	assert_int_equal(f->reads, 0);
	f->t.root = PML4 | (1ull << 60);
	assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	f->t.root = MMIO_ADDR;
	assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_TABLE_REFUSED);
	assert_int_equal(r.level, 4);
}

static void test_noncanonical(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	assert_int_equal(walk(f, 1ull << 48, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_NONCANONICAL);
	assert_int_equal(f->reads, 0);
	assert_int_equal(walk(f, 0x0000800000000000ull, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_NONCANONICAL);
	assert_int_equal(walk(f, 0xffff7fffffffffffull, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_NONCANONICAL);
	assert_int_equal(walk(f, (1ull << 63) | IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_NONCANONICAL);
	/* The canonical upper half walks PML4 index 256..511. */
	*ent(f, PML4, 256) = PDPT | P | RW;
	assert_int_equal(walk(f, 0xffff800000005abcull, R, &r), 0);
	assert_int_equal(r.out, 0x123abc);
	assert_int_equal(walk(f, 0xffffffffffffffffull, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_NOT_PRESENT);
}

/* PML4[0] names the PML4 itself: a recursive mapping. Every level reads the
 * same page; the walk stops after four reads and maps IOVA 0 to the root. */
static void test_self_reference(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	*ent(f, PML4, 0) = PML4 | P | RW;
	assert_int_equal(walk(f, 0x10, W, &r), 0);
	assert_int_equal(f->reads, 4);
	assert_int_equal(r.out, PML4 + 0x10);
	assert_int_equal(r.level, 1);
	/* IOVA 0x1000 uses index 1 at level 1 of the same page: not present. */
	assert_int_equal(walk(f, 0x1000, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_NOT_PRESENT);
	assert_int_equal(f->reads, 4);
	/* With PS the self-reference is a reserved PML4E, found at once. */
	*ent(f, PML4, 0) = PML4 | P | RW | PS;
	assert_int_equal(walk(f, 0, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	assert_int_equal(f->reads, 1);
}

/* Two tables naming each other: A -> B -> A -> B, still four reads. */
static void test_cycle(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	*ent(f, PML4, 0) = PDPT | P | RW;
	*ent(f, PDPT, 0) = PML4 | P | RW;
	assert_int_equal(walk(f, 0, R, &r), 0);
	assert_int_equal(f->reads, 4);
	assert_int_equal(r.out, PML4);		/* the last read was B[0] -> A */
	*ent(f, PDPT, 0) = PML4 | P | RW | PS;	/* as a 1G leaf: misaligned */
	assert_int_equal(walk(f, 0, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_RESERVED);
	assert_int_equal(f->reads, 2);
}

/* Table entries naming MMIO or memory beyond RAM: the callback refuses. */
static void test_table_refused(void **state)
{
	struct fake *f = *state;
	struct s1walk_result r;

	*ent(f, PML4, 0) = MMIO_ADDR | P | RW;
	assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_TABLE_REFUSED);
	assert_int_equal(r.level, 3);
	assert_int_equal(f->refused, MMIO_ADDR);
	*ent(f, PML4, 0) = PDPT | P | RW;
	*ent(f, PD, 0) = (RAM_BASE + NPAGES * S1WALK_PAGE) | P | RW;	/* just past RAM */
	assert_int_equal(walk(f, IOVA_4K, R, &r), -EFAULT);
	assert_int_equal(r.fault, S1WALK_TABLE_REFUSED);
	assert_int_equal(r.level, 1);
	assert_int_equal(f->refused, RAM_BASE + NPAGES * S1WALK_PAGE);
	/* Leaves are outputs, not tables: the walker returns them, the caller
	 * checks ownership of the output. */
	*ent(f, PD, 0) = PT | P | RW;
	*ent(f, PT, 5) = MMIO_ADDR | P | RW;
	assert_int_equal(walk(f, IOVA_4K, R, &r), 0);
	assert_int_equal(r.out, MMIO_ADDR + 0xabc);
}

static void test_fault_names(void **state)
{
	(void)state;
	assert_string_equal(s1walk_fault_name(S1WALK_OK), "ok");
	assert_string_equal(s1walk_fault_name(S1WALK_RESERVED), "reserved bit set");
	assert_string_equal(s1walk_fault_name(S1WALK_DEPTH), "depth guard");
	assert_string_equal(s1walk_fault_name((enum s1walk_fault)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_leaves, setup),
		cmocka_unit_test_setup(test_contig_at_leaf_ends, setup),
		cmocka_unit_test_setup(test_rw_each_level, setup),
		cmocka_unit_test_setup(test_not_present_each_level, setup),
		cmocka_unit_test_setup(test_reserved_each_level, setup),
		cmocka_unit_test_setup(test_misaligned_huge_leaf, setup),
		cmocka_unit_test_setup(test_root, setup),
		cmocka_unit_test_setup(test_noncanonical, setup),
		cmocka_unit_test_setup(test_self_reference, setup),
		cmocka_unit_test_setup(test_cycle, setup),
		cmocka_unit_test_setup(test_table_refused, setup),
		cmocka_unit_test_setup(test_fault_names, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
