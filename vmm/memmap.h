/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest physical address map: which kind of thing sits at each GPA.
 * Ranges are inclusive [start, last]; every query is overflow-checked.
 * Thread-safe: an internal rwlock lets BARs move while other threads look up.
 */
#ifndef IOSHADE_VMM_MEMMAP_H
#define IOSHADE_VMM_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum memmap_kind {
	MEMMAP_RAM,		/* guest-owned RAM: the only DMA-mappable kind */
	MEMMAP_ROM,		/* guest-readable, VMM-owned (ACPI tables) */
	MEMMAP_RESERVED,	/* VMM-owned (boot data, legacy hole) */
	MEMMAP_MMIO,		/* device registers, ECAM, BARs, IOAPIC, MSI window */
};

/* Region flags. */
#define MEMMAP_F_BAR		(1u << 0)	/* a PCI BAR */
#define MEMMAP_F_ASSIGNED	(1u << 1)	/* a BAR of an assigned (host) device */
#define MEMMAP_F_MSI		(1u << 2)	/* the MSI window */

#define MEMMAP_NAME_MAX	32

struct memmap_region {
	uint64_t start;
	uint64_t last;			/* inclusive */
	enum memmap_kind kind;
	uint32_t flags;
	void *hva;			/* host address of start, NULL when not host-backed */
	char name[MEMMAP_NAME_MAX];
};

struct memmap;

struct memmap *memmap_create(void);
void memmap_destroy(struct memmap *map);

/* Add [start, start+len). -EINVAL on len 0 or overflow, -EEXIST on overlap. */
int memmap_add(struct memmap *map, uint64_t start, uint64_t len,
	       enum memmap_kind kind, uint32_t flags, void *hva, const char *name);
/* Remove the region that starts exactly at start. -ENOENT if none. */
int memmap_remove(struct memmap *map, uint64_t start);

/*
 * What is at [gpa, gpa+len)? Returns 0 and copies the region when the whole
 * range lies in a single region; -EINVAL on len 0 or overflow; -ENOENT when
 * gpa itself is unmapped; -E2BIG when the range runs past the region holding gpa.
 */
int memmap_query(const struct memmap *map, uint64_t gpa, uint64_t len,
		 struct memmap_region *out);

/* True if any region of a kind in kind_mask (1u << MEMMAP_x) or with any flag
 * in flag_mask overlaps [start, last]. */
bool memmap_overlaps(const struct memmap *map, uint64_t start, uint64_t last,
		     uint32_t kind_mask, uint32_t flag_mask);

/*
 * Host pointer for [gpa, gpa+len) when it lies entirely in one RAM region
 * (or ROM when !write). NULL otherwise. RAM regions live as long as the VM.
 */
void *memmap_hva(const struct memmap *map, uint64_t gpa, uint64_t len, bool write);

/* Snapshot: copies up to max regions in address order, returns the total count. */
size_t memmap_snapshot(const struct memmap *map, struct memmap_region *out, size_t max);

const char *memmap_kind_name(enum memmap_kind kind);

#endif
