// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kicker ring of the race guest and DMA setup for translated devices. The
 * ring is laid out once per (re)initialisation with valid chains for the
 * device type; the kicking CPU then only writes avail->idx = used->idx +
 * n_chains and the notify register, so the device always has well-formed
 * work to pop while another CPU resets it.
 */
#include "race.h"

#include "console.h"
#include "errno.h"
#include "io.h"
#include "lib.h"

#define RING_AVAIL		1024
#define RING_USED		2048
#define KICK_MAX_QSIZE		64
#define KICK_BUF_BYTES		(RACE_KICK_BUF_PAGES * 4096)
#define KICK_PAUSE		32

struct seg {
	uint16_t off, len;
	bool writable;
};

/* The chain of each device kind, within one per-chain buffer slot. */
static const struct seg rng_chain[] = { { 0, 64, true } };
static const struct seg blk_chain[] = { { 0, 16, false }, { 16, 512, true }, { 600, 1, true } };
static const struct seg iommu_chain[] = { { 0, 20, false }, { 32, 4, true } };

static const struct {
	const struct seg *segs;
	unsigned n, max_chains;
} chains[] = {
	[RACE_RNG] = { rng_chain, 1, 64 },
	[RACE_BLK] = { blk_chain, 3, 16 },
	[RACE_IOMMU] = { iommu_chain, 2, 32 },
};

static uint8_t pages[RACE_PAGES][4096] __attribute__((aligned(4096)));

uint8_t *race_page(unsigned i)
{
	return pages[i];
}

/* A harmless request for the virtio-iommu: DETACH of nothing (S_NOENT). */
static void fill_iommu_req(uint8_t *b)
{
	struct virtio_iommu_req_detach r = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = 0xfffe, .endpoint = 0xfffffe,
	};

	memcpy(b, &r, sizeof(r));
}

static void layout_ring(struct race_kicker *k, enum race_kind kind)
{
	volatile struct virtq_desc *desc = (void *)pages[RACE_PAGE_KICK_RING];
	volatile uint16_t *avail = (void *)(pages[RACE_PAGE_KICK_RING] + RING_AVAIL);
	unsigned n = chains[kind].n, slot = KICK_BUF_BYTES / k->n_chains, ch, j, i;
	uint8_t *bufs = pages[RACE_PAGE_KICK_BUFS];

	memset(pages[RACE_PAGE_KICK_RING], 0, 4096);
	memset(bufs, 0, KICK_BUF_BYTES);
	for (ch = 0; ch < k->n_chains; ch++) {
		uint8_t *buf = bufs + ch * slot;

		if (kind == RACE_IOMMU)
			fill_iommu_req(buf);
		for (j = 0; j < n; j++) {
			const struct seg *s = &chains[kind].segs[j];

			i = ch * n + j;
			desc[i].addr = (uintptr_t)(buf + s->off);
			desc[i].len = s->len;
			desc[i].flags = (uint16_t)((s->writable ? VIRTQ_DESC_F_WRITE : 0) |
						   (j + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			desc[i].next = (uint16_t)(j + 1 < n ? i + 1 : 0);
		}
	}
	for (i = 0; i < k->size; i++)
		avail[2 + i] = (uint16_t)((i % k->n_chains) * n);
}

static uint16_t queue_max(struct virtio_dev *d, uint16_t q)
{
	mmio_write16(d->common + VIRTIO_CC_Q_SELECT, q);
	return mmio_read16(d->common + VIRTIO_CC_Q_SIZE);
}

int race_kick_init(struct race_vdev *rv, struct race_kicker *k)
{
	struct virtio_dev *d = rv->dev;
	enum race_kind kind;
	uint64_t ring;
	uint16_t max;
	int rc = virtio_negotiate(d, rv->want);

	if (rc)
		return rc;
	kind = k->eventq ? RACE_RNG : rv->kind;	/* eventq: writable buffers, like rng */
	max = queue_max(d, k->eventq ? 1 : 0);
	if (!max)
		return -ENOENT;
	k->rv = rv;
	k->q = k->eventq ? 1 : 0;
	for (k->size = 1; k->size * 2 <= max && k->size * 2 <= KICK_MAX_QSIZE;)
		k->size *= 2;
	for (k->n_chains = 1; k->n_chains * 2 * chains[kind].n <= k->size &&
	     k->n_chains * 2 <= chains[kind].max_chains;)
		k->n_chains *= 2;
	layout_ring(k, kind);
	k->last_used = 0;
	ring = (uintptr_t)pages[RACE_PAGE_KICK_RING];
	virtio_program_vq(d, k->q, k->size, ring, ring + RING_AVAIL, ring + RING_USED);
	k->notify = virtio_notify_addr(d, k->q);
	virtio_driver_ok(d);
	return 0;
}

/* Re-enable after a reset with the features and ring layout already known:
 * only writes (a dozen exits instead of ~30), so resets come quickly. */
int race_kick_reinit_fast(struct race_kicker *k)
{
	struct virtio_dev *d = k->rv->dev;
	uint8_t *ring = pages[RACE_PAGE_KICK_RING];
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;

	((volatile uint16_t *)(ring + RING_AVAIL))[1] = 0;
	((volatile uint16_t *)(ring + RING_USED))[1] = 0;
	k->last_used = 0;
	mmio_write32(d->common + VIRTIO_CC_GFSELECT, 0);
	mmio_write32(d->common + VIRTIO_CC_GF, (uint32_t)d->features);
	mmio_write32(d->common + VIRTIO_CC_GFSELECT, 1);
	mmio_write32(d->common + VIRTIO_CC_GF, (uint32_t)(d->features >> 32));
	virtio_set_status(d, st);
	virtio_program_vq(d, k->q, k->size, (uintptr_t)ring, (uintptr_t)ring + RING_AVAIL,
			  (uintptr_t)ring + RING_USED);
	virtio_set_status(d, st | VIRTIO_STATUS_DRIVER_OK);
	/* The kickers are paused (race_kickers_pause): nothing can have broken
	 * the new ring, so the status must be exactly this. */
	return virtio_get_status(d) == (st | VIRTIO_STATUS_DRIVER_OK) ? 0 : -EIO;
}

bool race_wait_status_zero(struct virtio_dev *d)
{
	struct timeout t;

	timeout_start(&t, RESET_TIMEOUT_MS);
	while (virtio_get_status(d) != 0) {
		if (timeout_expired(&t))
			return false;
	}
	return true;
}

static uint16_t used_idx(void)
{
	return ((volatile uint16_t *)(pages[RACE_PAGE_KICK_RING] + RING_USED))[1];
}

/* Under k->lock: with several kickers, a late writer would otherwise move
 * avail->idx backwards, which a device rightly treats as a broken ring. */
void race_replenish(struct race_kicker *k)
{
	volatile uint16_t *avail = (void *)(pages[RACE_PAGE_KICK_RING] + RING_AVAIL);
	uint16_t u, delta;

	spin_lock(&k->lock);
	u = used_idx();
	delta = (uint16_t)(u - k->last_used);
	if (delta <= k->size)	/* else a reset rewound the ring under us */
		atomic_add32(&k->done, delta);
	k->last_used = u;
	avail[1] = (uint16_t)(u + k->n_chains);
	spin_unlock(&k->lock);
}

void race_kick(struct race_kicker *k)
{
	race_replenish(k);
	barrier();
	mmio_write16(k->notify, k->q);
	atomic_add32(&k->kicks, 1);
}

void race_kicker_run(void *arg)
{
	struct race_kicker *k = arg;
	unsigned i;

	while (!atomic_load32(&k->stop)) {
		atomic_add32(&k->inside, 1);
		if (!atomic_load32(&k->pause))
			race_kick(k);
		atomic_add32(&k->inside, (uint32_t)-1);
		for (i = 0; i < KICK_PAUSE; i++)
			cpu_relax();
	}
}

void race_replenish_unless_paused(struct race_kicker *k)
{
	atomic_add32(&k->inside, 1);
	if (!atomic_load32(&k->pause))
		race_replenish(k);
	atomic_add32(&k->inside, (uint32_t)-1);
}

/* Dekker with the two above: pause is set before inside is read, inside
 * is raised before pause is read (all seq_cst). */
void race_kickers_pause(struct race_kicker *k)
{
	atomic_store32(&k->pause, 1);
	while (atomic_load32(&k->inside))
		cpu_relax();
}

void race_kickers_resume(struct race_kicker *k)
{
	atomic_store32(&k->pause, 0);
}

bool race_used_moves(struct race_kicker *k, unsigned timeout_ms)
{
	uint16_t before = used_idx();
	struct timeout t;

	race_kick(k);
	timeout_start(&t, timeout_ms);
	while (used_idx() == before) {
		if (timeout_expired(&t))
			return false;
	}
	return true;
}

int race_dma_prepare(struct race_ctx *c, struct race_vdev *rv)
{
	uint64_t a = (uintptr_t)pages[0], last = a + sizeof(pages) - 1;
	uint32_t dom = RACE_DOMAIN_BASE + (uint32_t)(rv - c->vdevs);
	int rc;

	if (!rv->translated)
		return 0;
	spin_lock(&c->vlock);
	rc = viommu_reinit(&c->viommu);
	if (!rc) {
		viommu_set_bypass(&c->viommu, 0);
		rc = viommu_attach(&c->viommu, dom, rv->ep, 0);
	}
	if (!rc)
		rc = viommu_map(&c->viommu, dom, a, last, a, VIOMMU_MAP_F_RW);
	spin_unlock(&c->vlock);
	if (rc)
		printf("race: %s: DMA setup through the viommu: %d (%s)\n", rv->name, rc,
		       viommu_status_name(rc));
	return rc ? -1 : 0;
}
