/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared state of the nested-s1 guest: the virtio-iommu in nested mode, the
 * edu behind it, the guest-built x86-64 stage-1 table (s1.c) and the test
 * pages. Everything DMA touches lies below 256 MiB (edu's 28-bit mask).
 */
#ifndef NESTED_S1_H
#define NESTED_S1_H

#include <stdbool.h>
#include <stdint.h>

#include "edu.h"
#include "virtio_iommu.h"

#define PAGE		4096u
#define SIZE_2M		0x200000ull
#define LEN		256u		/* bytes per DMA */
#define FAULT_TIMEOUT_MS 1000

/* IOVAs (all below 256 MiB); one PT covers 0x08000000-0x081fffff. */
#define IOVA_SRC	0x08000000ull	/* -> PG_SRC, read-only */
#define IOVA_DST	0x08001000ull	/* -> PG_DST */
#define IOVA_SWAP	0x08002000ull	/* -> PG_OLD, later PG_NEW */
#define IOVA_HOLE	0x08003000ull	/* never present */
#define IOVA_CLEAR	0x08004000ull	/* -> PG_CLR, later cleared */
#define IOVA_RO		0x08005000ull	/* -> PG_RO, read-only */
#define IOVA_TO_BAR	0x08006000ull	/* hostile: leaf -> edu BAR0 */
#define IOVA_TO_BEYOND	0x08007000ull	/* hostile: leaf -> beyond RAM */
#define IOVA_2M		0x08200000ull	/* 2 MiB leaf -> big */
#define IOVA_HOSTILE_PT	0x08400000ull	/* hostile PDE (table in MSI window, ...) */

enum { PG_SRC, PG_DST, PG_OLD, PG_NEW, PG_CLR, PG_RO, PG_SENT, PG_COUNT };

/* ---- s1.c: the guest's stage-1 table, from a static pool of pages ---- */
struct s1 {
	uint64_t *root;			/* PML4 */
	unsigned used;			/* pool pages handed out */
};

int s1_init(struct s1 *s);
/* Maps iova -> gpa with a leaf at level 1 (4 KiB) or 2 (2 MiB), creating the
 * tables above with P|RW|US. 0, -ENOMEM (pool) or -EINVAL (alignment). */
int s1_map(struct s1 *s, uint64_t iova, uint64_t gpa, int level, bool writable);
/* The leaf entry of iova at level, or NULL when a table above is missing. */
volatile uint64_t *s1_leaf(struct s1 *s, uint64_t iova, int level);
/* One 8-byte store, as a driver updates a live entry. */
void s1_store(volatile uint64_t *e, uint64_t val);
uint64_t s1_pte(uint64_t gpa, int level, bool writable);

/* ---- test state ---- */
struct ns {
	struct viommu v;
	struct edu edu;
	uint32_t ep;			/* edu's endpoint ID */
	uint32_t dom;			/* the table domain */
	uint64_t ram_top;		/* end of the highest E820 RAM entry */
	unsigned next_domain;
	struct s1 s1;
};

extern uint8_t ns_pages[PG_COUNT][PAGE];
extern uint8_t ns_big[SIZE_2M];
#define GPA(pg)		((uint64_t)(uintptr_t)ns_pages[pg])
#define SENTINEL	0x5a

uint32_t ns_new_domain(struct ns *t);
void ns_fill(unsigned pg, int c);
bool ns_untouched(unsigned pg, int c);
/* Did the last device write (pattern of LEN bytes) land in page pg? */
bool ns_landed(const uint8_t *p);
/* Device buffer [0, LEN) -> RAM at iova: 0 or -errno. */
int ns_dma_out(struct ns *t, uint64_t iova);

/* isolation.c: the three violations and ATTACH_TABLE refusals */
void ns_attach_refusals(struct ns *t);
void ns_isolation(struct ns *t);

#endif
