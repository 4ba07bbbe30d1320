// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng: each chain on the requestq must be device-writable only; the
 * device fills its first VIRTIO_RNG_MAX_REQ bytes from getrandom(2) and
 * reports how many it wrote. Anything else (readable buffers, a chain that
 * vq_pop refused) gets a used entry of length 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "vmm/dma.h"
#include "vmm/pci.h"
#include "vmm/virtio/rng.h"
#include "vmm/virtio/vdev.h"
#include "vmm/virtio/virtio_pci.h"

struct virtio_rng {
	struct virtio_pci *vp;
	bool behind_iommu;
	struct vdev_queue q;
};

/* Fill buf from getrandom; returns the bytes written (short on error). */
static size_t rng_fill(void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

static uint32_t rng_request(void *opaque, struct virtq *vq, struct vq_elem *e, int err)
{
	size_t left = VIRTIO_RNG_MAX_REQ, done = 0;

	if (err || e->n_out)
		return 0;
	for (uint16_t i = 0; i < e->n_in && left; i++) {
		const struct iovec *v = &e->iov[e->n_out + i];
		size_t want = v->iov_len < left ? v->iov_len : left;
		size_t got = rng_fill(v->iov_base, want);

		done += got;
		left -= got;
		if (got < want)
			break;
	}
	return (uint32_t)done;
}

static void rng_notify(void *opaque, struct virtio_pci *vp, uint16_t q)
{
	struct virtio_rng *r = opaque;

	vdev_queue_drain(&r->q, vp, q, rng_request, r);
}

static bool rng_features_ok(void *opaque, uint64_t features)
{
	struct virtio_rng *r = opaque;

	/* Behind an IOMMU, a driver that ignores ACCESS_PLATFORM would hand
	 * us GPAs the IOMMU does not map. */
	return !r->behind_iommu || (features & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
}

static void rng_reset(void *opaque)
{
	struct virtio_rng *r = opaque;

	vdev_queue_reset(&r->q);
}

static const struct virtio_dev_ops rng_ops = {
	.features_ok = rng_features_ok,
	.queue_notify = rng_notify,
	.reset = rng_reset,
};

struct virtio_rng *virtio_rng_create(struct pci_host *host, struct evloop *loop,
				     const struct dma_ctx *dma, bool behind_iommu, int slot)
{
	struct virtio_pci_config cfg = {
		.device_id = VIRTIO_ID_RNG, .num_queues = 1, .queue_max = VIRTIO_RNG_QUEUE_MAX,
		.features = (1ULL << VIRTIO_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_RING_EVENT_IDX),
		.ops = &rng_ops, .loop = loop,
	};
	struct virtio_rng *r;

	if (!host || !dma || !dma->mem) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->behind_iommu = behind_iommu;
	if (behind_iommu)
		cfg.features |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	cfg.opaque = r;
	cfg.dma = *dma;		/* final: the transport sets its endpoint to our BDF */
	vdev_queue_init(&r->q);
	r->vp = virtio_pci_create(host, &cfg, slot);
	if (!r->vp)
		goto err_free;
	return r;

err_free:
	vdev_queue_fini(&r->q);
	free(r);
	errno = EIO;
	return NULL;
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	if (!r)
		return;
	virtio_pci_destroy(r->vp);
	vdev_queue_fini(&r->q);
	free(r);
}

uint16_t virtio_rng_bdf(const struct virtio_rng *r)
{
	return pci_dev_bdf(virtio_pci_dev(r->vp));
}
