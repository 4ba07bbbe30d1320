// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scenarios reset-kick and status-games. The APs keep queue 0 of one device
 * busy (race_kicker_run) while the BSP resets it (plain 0, or NEEDS_RESET
 * alone then 0) and re-initialises it, or plays status-bit games on it: the
 * driver must not be able to clear bits, set NEEDS_RESET or renegotiate
 * features without a write of 0.
 */
#include "race.h"

#include "check.h"
#include "console.h"
#include "io.h"

#define ST_ACK			VIRTIO_STATUS_ACKNOWLEDGE
#define ST_DRIVER		VIRTIO_STATUS_DRIVER
#define ST_FEAT_OK		VIRTIO_STATUS_FEATURES_OK
#define ST_DRV_OK		VIRTIO_STATUS_DRIVER_OK
#define ST_NEEDS_RESET		VIRTIO_STATUS_NEEDS_RESET

static void start_kickers(struct race_kicker *k)
{
	unsigned cpu;

	atomic_store32(&k->stop, 0);
	for (cpu = 1; cpu < smp_cpus(); cpu++)
		smp_start(cpu, race_kicker_run, k);
}

static bool stop_kickers(struct race_kicker *k)
{
	atomic_store32(&k->stop, 1);
	return smp_wait_all(RACE_WAIT_MS) == 0;
}

static void reset_kick_one(struct race_ctx *c, struct race_vdev *rv)
{
	struct race_kicker k = { 0 };
	unsigned i, timeouts = 0, init_fail = 0, zeroed = 0;

	if (race_dma_prepare(c, rv) || race_kick_init(rv, &k)) {
		checkf(false, "reset_kick.%s.init", rv->name);
		return;
	}
	start_kickers(&k);
	for (i = 0; i < c->iters; i++) {
		race_kick(&k);	/* the device has work in flight when the reset lands */
		if (i % 4) {	/* the "0x40 trick": NEEDS_RESET alone, then 0 */
			virtio_set_status(rv->dev, ST_NEEDS_RESET);
			/* Not a write of 0, and it would clear bits: ignored. */
			zeroed += virtio_get_status(rv->dev) == 0;
		}
		virtio_set_status(rv->dev, 0);
		if (!race_wait_status_zero(rv->dev))
			timeouts++;
		/* The reset raced the kicks above; the re-init must not. */
		race_kickers_pause(&k);
		if (i % 8 ? race_kick_reinit_fast(&k) : race_kick_init(rv, &k))
			init_fail++;
		race_kickers_resume(&k);
	}
	checkf(stop_kickers(&k), "reset_kick.%s.kickers_stopped", rv->name);
	printf("reset_kick.%s: %u resets, %u kicks, ~%u chains used, %u reset timeouts, "
	       "%u failed re-inits, %u NEEDS_RESET writes that zeroed the status\n", rv->name,
	       c->iters, (unsigned)k.kicks, (unsigned)k.done, timeouts, init_fail, zeroed);
	checkf(zeroed == 0, "reset_kick.%s.needs_reset_write_ignored", rv->name);
	checkf(timeouts == 0, "reset_kick.%s.resets_complete", rv->name);
	checkf(init_fail == 0, "reset_kick.%s.reinit_ok", rv->name);
	race_liveness(c, rv, "reset_kick");
}

void race_reset_kick(struct race_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->n_vdevs; i++)
		reset_kick_one(c, &c->vdevs[i]);
}

/* ---------------------------------------------------------- status games */

struct game {
	struct race_ctx *c;
	struct race_vdev *rv;
	struct race_kicker *k;
	uint8_t s0;			/* status after a full init */
};

static uint32_t driver_features(struct virtio_dev *d, uint32_t sel)
{
	mmio_write32(d->common + VIRTIO_CC_GFSELECT, sel);
	return mmio_read32(d->common + VIRTIO_CC_GF);
}

static void write_driver_features(struct virtio_dev *d, uint32_t sel, uint32_t v)
{
	mmio_write32(d->common + VIRTIO_CC_GFSELECT, sel);
	mmio_write32(d->common + VIRTIO_CC_GF, v);
}

static bool features_unchanged(struct virtio_dev *d)
{
	return driver_features(d, 0) == (uint32_t)d->features &&
	       driver_features(d, 1) == (uint32_t)(d->features >> 32);
}

/* Reports a game; a device left in another state is re-initialised. */
static void game_result(struct game *g, const char *what, bool feat_ok)
{
	struct virtio_dev *d = g->rv->dev;
	uint8_t st = virtio_get_status(d);
	bool ok = feat_ok && st == g->s0;

	if (!ok)
		printf("status_games.%s.%s: status 0x%x (want 0x%x), driver features 0x%x_%08x "
		       "(want 0x%x_%08x)\n", g->rv->name, what, st, g->s0, driver_features(d, 1),
		       driver_features(d, 0), (uint32_t)(d->features >> 32), (uint32_t)d->features);
	checkf(ok, "status_games.%s.%s", g->rv->name, what);
	if (!ok || !features_unchanged(g->rv->dev)) {
		race_kickers_pause(g->k);
		race_kick_init(g->rv, g->k);
		race_kickers_resume(g->k);
	}
}

static void game_write(struct game *g, const char *what, uint8_t val)
{
	virtio_set_status(g->rv->dev, val);
	game_result(g, what, true);
}

static void game_features(struct game *g)
{
	struct virtio_dev *d = g->rv->dev;

	write_driver_features(d, 0, 0);
	write_driver_features(d, 1, 0);		/* would drop VERSION_1 */
	game_result(g, "features_frozen_after_features_ok", features_unchanged(d));
}

/* Clear FEATURES_OK and DRIVER_OK, offer other features, set them again. */
static void game_renegotiate(struct game *g)
{
	struct virtio_dev *d = g->rv->dev;

	virtio_set_status(d, ST_ACK | ST_DRIVER);
	write_driver_features(d, 0, 0);
	write_driver_features(d, 1, 1u << (VIRTIO_F_VERSION_1 - 32));
	virtio_set_status(d, ST_ACK | ST_DRIVER | ST_FEAT_OK);
	virtio_set_status(d, g->s0);
	game_result(g, "renegotiate_ignored", features_unchanged(d));
}

static void status_games_one(struct race_ctx *c, struct race_vdev *rv)
{
	struct race_kicker k = { 0 };
	struct game g = { c, rv, &k, 0 };

	if (race_dma_prepare(c, rv) || race_kick_init(rv, &k)) {
		checkf(false, "status_games.%s.init", rv->name);
		return;
	}
	g.s0 = virtio_get_status(rv->dev);
	checkf(g.s0 == (ST_ACK | ST_DRIVER | ST_FEAT_OK | ST_DRV_OK), "status_games.%s.init",
	       rv->name);
	start_kickers(&k);
	game_write(&g, "clear_driver_ok_ignored", g.s0 & ~ST_DRV_OK);
	game_write(&g, "clear_features_ok_ignored", g.s0 & ~ST_FEAT_OK);
	game_write(&g, "clear_acknowledge_ignored", g.s0 & ~ST_ACK);
	game_write(&g, "needs_reset_not_settable", g.s0 | ST_NEEDS_RESET);
	game_features(&g);
	game_renegotiate(&g);
	checkf(race_used_moves(&k, RESET_TIMEOUT_MS), "status_games.%s.queue_live_after_games",
	       rv->name);
	game_write(&g, "needs_reset_alone_ignored", ST_NEEDS_RESET);
	virtio_set_status(rv->dev, 0);
	checkf(race_wait_status_zero(rv->dev), "status_games.%s.zero_resets", rv->name);
	checkf(stop_kickers(&k), "status_games.%s.kickers_stopped", rv->name);
	race_liveness(c, rv, "status_games");
}

void race_status_games(struct race_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->n_vdevs; i++)
		status_games_one(c, &c->vdevs[i]);
}
