// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scenario viommu-reset-faults: the APs keep enabling queue 0 of a device
 * behind the virtio-iommu (ACCESS_PLATFORM negotiated, not attached, bypass
 * off) with its rings at unmapped IOVAs, so the viommu reports a fault event
 * on its eventq for each enable; they also keep the eventq stocked with
 * buffers. Meanwhile the BSP resets the virtio-iommu (plain, or NEEDS_RESET
 * first) and re-enables its eventq.
 */
#include "race.h"

#include "check.h"
#include "console.h"
#include "io.h"

#define FAULT_IOVA		0x3f000000ull	/* never mapped, beyond guest RAM */
#define FAULT_ENABLES_PER_ITER	1000	/* cap on the APs' loop */
#define FAULT_RENEGOTIATE	64

struct fault_maker {
	struct race_vdev *rv;
	struct race_kicker *eventq;
	unsigned iters;
	volatile uint32_t stop;
	volatile uint32_t enables;
};

/* A failed enable leaves the queue disabled, so enable can be retried at
 * once: two register writes per fault. Re-negotiates every few rounds in
 * case the device stopped accepting (NEEDS_RESET). */
static void fault_maker_run(void *arg)
{
	struct fault_maker *m = arg;
	struct virtio_dev *d = m->rv->dev;
	unsigned i, cap = m->iters * FAULT_ENABLES_PER_ITER;
	uint64_t iova;

	for (i = 0; i < cap && !atomic_load32(&m->stop); i++) {
		if (i % FAULT_RENEGOTIATE == 0) {
			if (virtio_negotiate(d, m->rv->want))
				continue;
			mmio_write16(d->common + VIRTIO_CC_Q_SELECT, 0);
		}
		race_replenish_unless_paused(m->eventq);
		iova = FAULT_IOVA + (uint64_t)(i % 16) * 0x4000;
		mmio_write32(d->common + VIRTIO_CC_Q_DESC, (uint32_t)iova);
		mmio_write16(d->common + VIRTIO_CC_Q_ENABLE, 1);
		atomic_add32(&m->enables, 1);
	}
}

/* Reset (every other one with NEEDS_RESET written first, so the reset runs
 * on this vCPU) and re-enable the eventq; false if either failed. */
static bool viommu_cycle(struct race_kicker *ek, unsigned i)
{
	struct virtio_dev *d = ek->rv->dev;

	if (i & 1)
		virtio_set_status(d, VIRTIO_STATUS_NEEDS_RESET);
	virtio_set_status(d, 0);
	bool ok;

	if (!race_wait_status_zero(d))
		return false;
	/* The reset raced the APs; laying the eventq out again must not. */
	race_kickers_pause(ek);
	ok = !(i % 8 ? race_kick_reinit_fast(ek) : race_kick_init(ek->rv, ek));
	race_kickers_resume(ek);
	return ok;
}

/* Quiet check that the setup really produces fault events: a clean eventq,
 * one enable at an unmapped IOVA, and the event must arrive. */
static bool one_fault(struct fault_maker *m)
{
	struct virtio_dev *d = m->rv->dev;
	struct timeout t;
	uint32_t before;

	if (race_kick_init(m->eventq->rv, m->eventq) || virtio_negotiate(d, m->rv->want))
		return false;
	race_replenish(m->eventq);
	before = atomic_load32(&m->eventq->done);
	mmio_write16(d->common + VIRTIO_CC_Q_SELECT, 0);
	mmio_write32(d->common + VIRTIO_CC_Q_DESC, (uint32_t)FAULT_IOVA);
	mmio_write16(d->common + VIRTIO_CC_Q_ENABLE, 1);
	timeout_start(&t, RESET_TIMEOUT_MS);
	do {
		race_replenish(m->eventq);
		if (atomic_load32(&m->eventq->done) != before)
			return true;
	} while (!timeout_expired(&t));
	return false;
}

static struct race_vdev *translated_vdev(struct race_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->n_vdevs; i++) {
		if (c->vdevs[i].kind != RACE_IOMMU && c->vdevs[i].translated)
			return &c->vdevs[i];
	}
	return NULL;
}

/* bypass=0 (kept across device resets, 5.13.4) so an unattached endpoint faults. */
static bool block_unattached(struct race_ctx *c)
{
	bool ok;

	spin_lock(&c->vlock);
	ok = !viommu_reinit(&c->viommu) && viommu_set_bypass(&c->viommu, 0) == 0;
	spin_unlock(&c->vlock);
	return ok;
}

void race_viommu_reset_faults(struct race_ctx *c)
{
	struct race_vdev *rv = translated_vdev(c), *iommu = race_find(c, RACE_IOMMU);
	struct race_kicker ek = { .eventq = true };
	struct fault_maker m = { rv, &ek, c->iters, 0, 0 };
	unsigned i, bad = 0;

	if (!iommu || !rv) {
		check_skip("viommu_reset_faults", "needs a virtio-iommu and a virtio device behind it");
		return;
	}
	if (!check("viommu_reset_faults.setup", block_unattached(c) && !race_kick_init(iommu, &ek)))
		return;
	for (i = 1; i < smp_cpus(); i++)
		smp_start(i, fault_maker_run, &m);
	for (i = 0; i < c->iters; i++)
		bad += !viommu_cycle(&ek, i);
	atomic_store32(&m.stop, 1);
	check("viommu_reset_faults.aps_done", smp_wait_all(RACE_WAIT_MS) == 0);
	printf("viommu_reset_faults: %u viommu resets, %u queue enables at unmapped IOVAs, "
	       "~%u fault events seen\n", c->iters, (unsigned)m.enables, (unsigned)ek.done);
	check("viommu_reset_faults.viommu_resets_ok", bad == 0);
	check_dev("viommu_reset_faults.fault_event_after_race", one_fault(&m), c->qemu,
		  "QEMU translates rings on access, not at queue enable");
	race_liveness(c, rv, "viommu_reset_faults");
	race_liveness(c, iommu, "viommu_reset_faults");
}
