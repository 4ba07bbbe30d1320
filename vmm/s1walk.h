/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one stage-1 page-table walker: x86-64 4-level format as VT-d uses it
 * for first-stage translation (docs/nested.md "Table format 1"). It knows
 * nothing about memory: the caller's read_entry decides how a table address
 * becomes bytes and may refuse it (MMIO, outside RAM, not owned). Used by
 * viommu (emulated endpoints in nested mode) and by the simulated IOMMU.
 */
#ifndef IOSHADE_VMM_S1WALK_H
#define IOSHADE_VMM_S1WALK_H

#include <stdint.h>

#define S1WALK_READ		(1u << 0)
#define S1WALK_WRITE		(1u << 1)

#define S1WALK_LEVELS		4
#define S1WALK_PAGE		4096ULL
/* Default physical address width: entry bits 51:46 are reserved. */
#define S1WALK_PA_WIDTH		46

/* Entry bits (bits 62:52 and 63 (XD) are ignored; U/S and A are not checked). */
#define S1WALK_PTE_P		(1ULL << 0)
#define S1WALK_PTE_RW		(1ULL << 1)
#define S1WALK_PTE_US		(1ULL << 2)
#define S1WALK_PTE_A		(1ULL << 5)
#define S1WALK_PTE_PS		(1ULL << 7)	/* leaf at level 3 (1 GiB) / 2 (2 MiB) */
#define S1WALK_PTE_ADDR		0x000ffffffffff000ULL

enum s1walk_fault {
	S1WALK_OK = 0,
	S1WALK_NOT_PRESENT,	/* P clear in some entry */
	S1WALK_PERM,		/* write through an entry without RW (walk completed) */
	S1WALK_RESERVED,	/* reserved bit set (high address bits, PS in a PML4E,
				 * low bits of a huge leaf's address, misaligned root) */
	S1WALK_NONCANONICAL,	/* IOVA bits 63:48 differ from bit 47 */
	S1WALK_TABLE_REFUSED,	/* read_entry refused the table address */
	S1WALK_DEPTH,		/* more than S1WALK_LEVELS reads (guard, never expected) */
};

struct s1walk_table {
	uint64_t root;		/* address of the PML4 page, 4 KiB aligned */
	unsigned pa_width;	/* bits of table/output addresses, 32..52; 0 = S1WALK_PA_WIDTH */
	/*
	 * Reads entry idx (0..511) of the 4 KiB table page at table into *entry
	 * (host byte order). Returns 0, or -errno to refuse the table address
	 * (the walk then fails with S1WALK_TABLE_REFUSED). Called at most
	 * S1WALK_LEVELS times per walk; a self-referencing table is read again
	 * as the next level, as on hardware (recursive mappings translate).
	 */
	int (*read_entry)(void *opaque, uint64_t table, unsigned idx, uint64_t *entry);
	void *opaque;
};

struct s1walk_result {
	enum s1walk_fault fault;
	int level;		/* leaf level (1: 4K, 2: 2M, 3: 1G) or level of the fault */
	uint64_t entry;		/* the leaf, or the entry that faulted */
	unsigned perm;		/* effective S1WALK_READ | S1WALK_WRITE (RW at every level) */
	uint64_t leaf_iova;	/* first IOVA of the leaf */
	uint64_t leaf_size;	/* 4 KiB, 2 MiB or 1 GiB */
	uint64_t out;		/* output address of the IOVA */
	uint64_t contig;	/* bytes from the IOVA to the end of the leaf */
};

/*
 * Translates iova for access (S1WALK_READ/WRITE, 0 = no permission check).
 * Returns 0; -EPERM for S1WALK_PERM (the leaf fields are filled then, so a
 * cache may keep the leaf); -EFAULT for every other fault. r->fault says why.
 * The walk never writes the table (the A bit is left alone).
 */
int s1walk(const struct s1walk_table *t, uint64_t iova, unsigned access,
	   struct s1walk_result *r);

const char *s1walk_fault_name(enum s1walk_fault f);

#endif
