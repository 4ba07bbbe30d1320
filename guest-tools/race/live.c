// SPDX-License-Identifier: GPL-2.0-only
/*
 * Liveness checks that end every scenario: the device is re-initialised from
 * scratch and one request must complete correctly. rng returns bytes, blk
 * reads sector 0 with status OK, the virtio-iommu accepts MAP and UNMAP and,
 * with an edu behind it, a DMA round trip goes through the new mapping.
 */
#include "race.h"

#include "check.h"
#include "console.h"
#include "errno.h"
#include "lib.h"

#define LIVE_TIMEOUT_MS		3000
#define LIVE_DOMAIN		1
#define LIVE_PATTERN		0x3c
#define LIVE_DMA_LEN		64u

/* One request on queue 0 (rings and buffer in the liveness pages). */
static bool vdev_request(struct race_vdev *rv)
{
	struct virtio_dev *d = rv->dev;
	uint8_t *b = race_page(RACE_PAGE_LIVE_BUF);
	struct virtq_buf rng = { (uintptr_t)b, 64, true };
	struct virtq_buf blk[3] = {
		{ (uintptr_t)b, 16, false }, { (uintptr_t)b + 512, 512, true },
		{ (uintptr_t)b + 1024, 1, true },
	};
	uint32_t len = 0;
	int head;

	if (virtio_negotiate(d, rv->want) || virtio_setup_vq_page(d, 0, 8, race_page(RACE_PAGE_LIVE_RING)))
		return false;
	virtio_driver_ok(d);
	memset(b, 0, 4096);
	b[1024] = 0xff;
	head = rv->kind == RACE_RNG ? virtq_add(&d->vq[0], &rng, 1) : virtq_add(&d->vq[0], blk, 3);
	if (head < 0)
		return false;
	virtq_kick(&d->vq[0]);
	if (virtq_wait(&d->vq[0], (uint16_t)head, &len, LIVE_TIMEOUT_MS))
		return false;
	if (rv->kind == RACE_RNG)
		return len > 0 && len <= 64 && mem_find_not(b, 0, len) < len;
	return b[1024] == 0;
}

/* edu DMA to the device and back through iova, with c->vlock held. */
static bool edu_round_trip_locked(struct race_ctx *c, uint64_t iova, uint8_t *p)
{
	bool ok;

	memset(p, LIVE_PATTERN, LIVE_DMA_LEN);
	ok = !edu_dma_to_dev(&c->edu, iova, 0, LIVE_DMA_LEN);
	memset(p, 0, LIVE_DMA_LEN);
	ok = ok && !edu_dma_to_ram(&c->edu, 0, iova, LIVE_DMA_LEN);
	return ok && mem_find_not(p, LIVE_PATTERN, LIVE_DMA_LEN) == LIVE_DMA_LEN;
}

/* ATTACH, MAP, (edu DMA), UNMAP, DETACH of endpoint ep, with c->vlock held. */
static bool viommu_ops_locked(struct race_ctx *c, uint32_t ep)
{
	uint8_t *p = race_page(RACE_PAGE_LIVE_BUF);
	uint64_t a = (uintptr_t)p;
	bool ok;

	ok = viommu_attach(&c->viommu, LIVE_DOMAIN, ep, 0) == VIRTIO_IOMMU_S_OK;
	ok = ok && viommu_map(&c->viommu, LIVE_DOMAIN, a, a + 4095, a,
			      VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_OK;
	if (ok && c->have_edu && ep == c->edu_ep)
		ok = edu_round_trip_locked(c, a, p);
	ok = viommu_unmap(&c->viommu, LIVE_DOMAIN, a, a + 4095) == VIRTIO_IOMMU_S_OK && ok;
	return viommu_detach(&c->viommu, LIVE_DOMAIN, ep) == VIRTIO_IOMMU_S_OK && ok;
}

static bool viommu_alive(struct race_ctx *c)
{
	bool ok;

	spin_lock(&c->vlock);
	ok = !viommu_reinit(&c->viommu);
	if (ok && viommu_has(&c->viommu, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		ok = viommu_set_bypass(&c->viommu, 0) == 0;
	if (ok && c->have_any_ep)
		ok = viommu_ops_locked(c, c->have_edu ? c->edu_ep : c->any_ep);
	else if (ok)	/* no endpoint: a MAP must still complete (no such domain) */
		ok = viommu_map(&c->viommu, LIVE_DOMAIN, 0, 4095, 0x100000,
				VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_NOENT;
	spin_unlock(&c->vlock);
	return ok;
}

bool race_liveness(struct race_ctx *c, struct race_vdev *rv, const char *scenario)
{
	bool ok;

	if (rv->kind == RACE_IOMMU)
		ok = viommu_alive(c);
	else
		ok = !race_dma_prepare(c, rv) && vdev_request(rv);
	return checkf(ok, "%s.%s.liveness", scenario, rv->name);
}
