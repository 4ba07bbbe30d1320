// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scenario viommu-ops-dma: the BSP cycles the edu's DMA target IOVA through
 * fresh pages (MAP, DMA lands, then UNMAP, or DETACH + UNMAP + ATTACH) while
 * one AP runs edu DMA to that IOVA in a loop and the other APs MAP/UNMAP
 * neighbouring IOVAs in the same domain; all requests share the requestq
 * under c->vlock. Once an UNMAP or DETACH returned S_OK, the page it removed
 * is poisoned and must never change again (invalid use, seed 003); the page
 * at GPA == IOVA must never change either (no identity fallback).
 */
#include "race.h"

#include "check.h"
#include "console.h"
#include "io.h"
#include "lib.h"

#define DMA_DOMAIN		3
#define DMA_PAGES		24
#define DMA_LEN			256u
#define POISON			0xa5
#define GUARD			0x5e
#define EDU_PATTERN		0xc3
#define LANDED_TIMEOUT_MS	2000
#define OPS_B_STRIDE		0x10000ull
#define OPS_B_PAUSE		2000

struct ops_dma {
	struct race_ctx *c;
	uint64_t iova;			/* the DMA target */
	volatile uint32_t stop;
	volatile uint32_t dmas, dma_errors, b_ops, b_bad;
	bool dma_on_b;			/* two CPUs: the DMA AP also runs ops B */
};

static uint8_t target_pages[DMA_PAGES][4096] __attribute__((aligned(4096)));
static uint8_t guard_page[4096] __attribute__((aligned(4096)));	/* GPA == the IOVA */
static uint8_t scratch_pages[SMP_MAX_CPUS][4096] __attribute__((aligned(4096)));
static uint8_t pattern_page[4096] __attribute__((aligned(4096)));

/* Ops B: MAP + UNMAP of a neighbouring IOVA, under the lock. */
static void ops_b_once(struct ops_dma *o, unsigned cpu)
{
	struct race_ctx *c = o->c;
	uint64_t iova = o->iova + OPS_B_STRIDE * (cpu + 1);
	uint64_t pa = (uintptr_t)scratch_pages[cpu];
	int rc;
	bool ok;

	spin_lock(&c->vlock);
	rc = viommu_map(&c->viommu, DMA_DOMAIN, iova, iova + 4095, pa, VIOMMU_MAP_F_RW);
	/* S_NOENT: the edu is detached and its domain went with it. */
	ok = rc == VIRTIO_IOMMU_S_NOENT ||
	     (rc == VIRTIO_IOMMU_S_OK &&
	      viommu_unmap(&c->viommu, DMA_DOMAIN, iova, iova + 4095) == VIRTIO_IOMMU_S_OK);
	spin_unlock(&c->vlock);
	atomic_add32(ok ? &o->b_ops : &o->b_bad, 1);
}

/* The lock is not fair: pause between rounds so the BSP gets it too. */
static void ops_b_run(void *arg)
{
	struct ops_dma *o = arg;
	unsigned cpu = smp_cpu_id(), i;

	while (!atomic_load32(&o->stop)) {
		ops_b_once(o, cpu);
		for (i = 0; i < OPS_B_PAUSE && !atomic_load32(&o->stop); i++)
			cpu_relax();
	}
}

static void dma_run(void *arg)
{
	struct ops_dma *o = arg;
	unsigned cpu = smp_cpu_id(), n = 0;

	while (!atomic_load32(&o->stop)) {
		if (edu_dma_to_ram(&o->c->edu, 0, o->iova, DMA_LEN))
			atomic_add32(&o->dma_errors, 1);
		atomic_add32(&o->dmas, 1);
		if (o->dma_on_b && (++n % 4) == 0)
			ops_b_once(o, cpu);
	}
}

static bool wait_dmas(struct ops_dma *o, unsigned n)
{
	uint32_t target = atomic_load32(&o->dmas) + n;
	struct timeout t;

	timeout_start(&t, LANDED_TIMEOUT_MS);
	while (atomic_load32(&o->dmas) < target) {
		if (timeout_expired(&t))
			return false;
	}
	return true;
}

/* Maps page k at the IOVA, lets DMA land, then removes it (UNMAP, or DETACH
 * first) and poisons it as soon as the removal returned S_OK. */
static bool cycle_page(struct ops_dma *o, unsigned k, bool detach, unsigned *landed)
{
	struct race_ctx *c = o->c;
	uint8_t *p = target_pages[k];
	bool ok, removed;
	int rc;

	memset(p, 0, 4096);
	spin_lock(&c->vlock);
	ok = viommu_map(&c->viommu, DMA_DOMAIN, o->iova, o->iova + 4095, (uintptr_t)p,
			VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_OK;
	spin_unlock(&c->vlock);
	if (!ok)
		return false;
	wait_dmas(o, 2);
	if (mem_find_not(p, 0, DMA_LEN) < DMA_LEN)
		(*landed)++;
	spin_lock(&c->vlock);
	if (detach)
		removed = viommu_detach(&c->viommu, DMA_DOMAIN, c->edu_ep) == VIRTIO_IOMMU_S_OK;
	else
		removed = viommu_unmap(&c->viommu, DMA_DOMAIN, o->iova, o->iova + 4095) ==
			  VIRTIO_IOMMU_S_OK;
	if (removed)
		memset(p, POISON, 4096);
	if (detach) {
		/* The domain may have gone with its last endpoint (S_NOENT). */
		rc = viommu_unmap(&c->viommu, DMA_DOMAIN, o->iova, o->iova + 4095);
		ok = rc == VIRTIO_IOMMU_S_OK || rc == VIRTIO_IOMMU_S_NOENT;
		ok = viommu_attach(&c->viommu, DMA_DOMAIN, c->edu_ep, 0) == VIRTIO_IOMMU_S_OK && ok;
	}
	viommu_drain_faults(&c->viommu);
	spin_unlock(&c->vlock);
	return ok && removed;
}

/* Fresh viommu, edu attached, the edu buffer filled with EDU_PATTERN. */
static bool setup(struct ops_dma *o, bool *can_detach)
{
	struct race_ctx *c = o->c;
	bool ok;

	memset(pattern_page, EDU_PATTERN, sizeof(pattern_page));
	memset(guard_page, GUARD, sizeof(guard_page));
	spin_lock(&c->vlock);
	ok = !viommu_reinit(&c->viommu);
	*can_detach = ok && viommu_set_bypass(&c->viommu, 0) == 0;
	ok = ok && viommu_attach(&c->viommu, DMA_DOMAIN, c->edu_ep, 0) == VIRTIO_IOMMU_S_OK;
	ok = ok && viommu_map(&c->viommu, DMA_DOMAIN, o->iova, o->iova + 4095,
			      (uintptr_t)pattern_page, VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_OK;
	ok = ok && !edu_dma_to_dev(&c->edu, o->iova, 0, DMA_LEN);
	ok = viommu_unmap(&c->viommu, DMA_DOMAIN, o->iova, o->iova + 4095) == VIRTIO_IOMMU_S_OK && ok;
	spin_unlock(&c->vlock);
	return ok;
}

static unsigned pages_changed(void)
{
	unsigned k, n = 0;

	for (k = 0; k < DMA_PAGES; k++)
		n += mem_find_not(target_pages[k], POISON, 4096) != 4096;
	return n;
}

static void start_aps(struct ops_dma *o)
{
	unsigned cpu;

	o->dma_on_b = smp_cpus() == 2;
	smp_start(1, dma_run, o);
	for (cpu = 2; cpu < smp_cpus(); cpu++)
		smp_start(cpu, ops_b_run, o);
}

void race_viommu_ops_dma(struct race_ctx *c)
{
	struct ops_dma o = { .c = c, .iova = (uintptr_t)guard_page };
	unsigned k, landed = 0, bad = 0;
	bool can_detach;

	if (!c->have_viommu || !c->have_edu) {
		check_skip("viommu_ops_dma", "needs a virtio-iommu and an edu behind it");
		return;
	}
	if (!check("viommu_ops_dma.setup", setup(&o, &can_detach)))
		return;
	start_aps(&o);
	for (k = 0; k < DMA_PAGES; k++)
		bad += !cycle_page(&o, k, can_detach && k % 3 == 2, &landed);
	wait_dmas(&o, 4);
	atomic_store32(&o.stop, 1);
	check("viommu_ops_dma.aps_done", smp_wait_all(RACE_WAIT_MS) == 0);
	printf("viommu_ops_dma: %u pages cycled, %u received DMA, %u DMAs (%u timed out), "
	       "%u ops B (%u bad)\n", DMA_PAGES, landed, (unsigned)o.dmas,
	       (unsigned)o.dma_errors, (unsigned)o.b_ops, (unsigned)o.b_bad);
	check("viommu_ops_dma.requests_ok", bad == 0 && o.b_bad == 0);
	check("viommu_ops_dma.dma_lands_in_mapped_page", landed == DMA_PAGES);
	check("viommu_ops_dma.invalid_use.removed_pages_untouched", pages_changed() == 0);
	check("viommu_ops_dma.bad_address.identity_page_untouched",
	      mem_find_not(guard_page, GUARD, sizeof(guard_page)) == sizeof(guard_page));
	race_liveness(c, race_find(c, RACE_IOMMU), "viommu_ops_dma");
}
