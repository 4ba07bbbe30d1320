/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The multi-vCPU race guest: shared context, the raw "kicker" ring that keeps
 * a queue busy from one CPU while another resets the device, DMA setup for
 * devices behind the virtio-iommu, per-device liveness checks, and the
 * scenarios (reset-kick, viommu-reset-faults, viommu-ops-dma, status-games).
 */
#ifndef GUEST_RACE_H
#define GUEST_RACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edu.h"
#include "smp.h"
#include "viot.h"
#include "virtio.h"
#include "virtio_iommu.h"

#define RACE_MAX_VDEVS		3
#define RACE_WAIT_MS		30000	/* smp_wait_all bound for one phase */
#define RACE_DOMAIN_BASE	0x10	/* domain of vdev i: base + i */

enum race_kind { RACE_RNG, RACE_BLK, RACE_IOMMU };

/* One virtio device under test (rng, blk, or the virtio-iommu itself). */
struct race_vdev {
	const char *name;
	enum race_kind kind;
	struct virtio_dev *dev;		/* the viommu's own vdev for RACE_IOMMU */
	uint64_t want;			/* features to negotiate */
	uint32_t ep;			/* endpoint ID behind the viommu */
	bool translated;		/* ACCESS_PLATFORM negotiated: needs mappings */
};

struct race_ctx {
	bool qemu;			/* quirks=qemu */
	unsigned iters;			/* iterations per race loop (iters=N) */
	bool have_viommu, have_edu;
	struct viommu viommu;
	struct viot_info viot;
	struct spinlock vlock;		/* serialises viommu requests between CPUs */
	struct edu edu;
	uint32_t edu_ep;
	bool have_any_ep;		/* any_ep: an endpoint behind the viommu */
	uint32_t any_ep;
	struct virtio_dev rng, blk;
	unsigned n_vdevs;
	struct race_vdev vdevs[RACE_MAX_VDEVS];
};

/* A queue kept busy from one CPU: prefilled descriptors, the kicker only
 * moves avail->idx ahead of used->idx and notifies (kick.c). */
struct race_kicker {
	struct race_vdev *rv;
	bool eventq;			/* the viommu's eventq (queue 1): writable buffers */
	uint16_t q;
	uint16_t size, n_chains;
	uint64_t notify;
	volatile uint32_t stop;
	volatile uint32_t kicks;
	volatile uint32_t done;		/* used entries seen (roughly: resets rewind) */
	struct spinlock lock;		/* serialises avail->idx updates and last_used */
	/* The BSP pauses the APs while it lays the ring out again: a kick
	 * computed from the old ring would push avail->idx past what the new
	 * one holds (the device would rightly need a reset). */
	volatile uint32_t pause, inside;
	uint16_t last_used;
};

static inline struct race_vdev *race_find(struct race_ctx *c, enum race_kind kind)
{
	for (unsigned i = 0; i < c->n_vdevs; i++) {
		if (c->vdevs[i].kind == kind)
			return &c->vdevs[i];
	}
	return NULL;
}

/* kick.c */
/* Pages identity-mapped for translated devices: the kicker's ring and its
 * buffers, then a ring and a buffer page for the liveness request. */
#define RACE_PAGE_KICK_RING	0
#define RACE_PAGE_KICK_BUFS	1	/* RACE_KICK_BUF_PAGES pages */
#define RACE_KICK_BUF_PAGES	4
#define RACE_PAGE_LIVE_RING	5
#define RACE_PAGE_LIVE_BUF	6
#define RACE_PAGES		7
uint8_t *race_page(unsigned i);			/* i < RACE_PAGES */
/* Reset (already done or not), negotiate, prefill and enable queue 0 (the
 * eventq if k->eventq) and DRIVER_OK; fills k. 0 or -errno. */
int race_kick_init(struct race_vdev *rv, struct race_kicker *k);
int race_kick_reinit_fast(struct race_kicker *k);	/* after a reset; 0 or -EIO */
#define RESET_TIMEOUT_MS	1000
/* After a write of 0: the status reads 0 within RESET_TIMEOUT_MS. */
bool race_wait_status_zero(struct virtio_dev *d);
void race_kicker_run(void *arg);		/* AP body: kicks until k->stop */
void race_kickers_pause(struct race_kicker *k);	/* BSP: no AP inside a kick after this */
void race_kickers_resume(struct race_kicker *k);
void race_replenish_unless_paused(struct race_kicker *k);	/* AP side of the pause */
void race_kick(struct race_kicker *k);		/* one kick: avail = used + n_chains */
void race_replenish(struct race_kicker *k);	/* the same without the notify */
bool race_used_moves(struct race_kicker *k, unsigned timeout_ms);
/* DMA setup for a translated device: viommu reinit, attach, identity map of
 * the race pages. 0 or -1 (reported). */
int race_dma_prepare(struct race_ctx *c, struct race_vdev *rv);
/* Re-initialise from scratch and complete one request; a named check. */
bool race_liveness(struct race_ctx *c, struct race_vdev *rv, const char *scenario);

/* scenarios */
void race_reset_kick(struct race_ctx *c);
void race_status_games(struct race_ctx *c);
void race_viommu_reset_faults(struct race_ctx *c);
void race_viommu_ops_dma(struct race_ctx *c);

#endif
