/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Polled driver for virtio-iommu (virtio device 23). Typed requests return
 * the device's status byte (VIRTIO_IOMMU_S_*, >= 0) or -errno (-ETIMEDOUT
 * when the chain never came back, -EIO when the device used it without
 * writing). viommu_raw sends arbitrary bytes for conformance tests.
 */
#ifndef GUEST_VIRTIO_IOMMU_H
#define GUEST_VIRTIO_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"
#include "viommu/virtio_iommu.h"

/* Driver helpers; the wire format is viommu/virtio_iommu.h (VIRTIO_IOMMU_*). */
#define VIOMMU_FEAT(b)			(1ull << (b))
#define VIOMMU_MAP_F_RW			(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)

#define VIOMMU_EVENT_BUFS		8
#define VIOMMU_EVENT_BUF_SIZE		64
#define VIOMMU_REQ_TIMEOUT_MS		5000
#define VIOMMU_MAX_PROBE		4096

struct viommu_config {
	uint64_t page_size_mask;
	uint64_t input_start;
	uint64_t input_end;
	uint32_t domain_start;
	uint32_t domain_end;
	uint32_t probe_size;
	uint8_t bypass;
};

struct viommu {
	struct virtio_dev vdev;
	struct viommu_config cfg;	/* defaults filled for absent features */
	uint64_t wanted;		/* features asked for at open */
	unsigned timeout_ms;		/* per request */
	struct virtio_iommu_req_tail last_tail;	/* as written by the device */
	uint32_t last_used_len;
	uint8_t event_of_head[VQ_MAX_SIZE];	/* eventq head -> buffer */
};

/* Finds the first virtio-iommu-pci function on bus 0; 0 or -ENOENT. */
int viommu_find(struct pci_func *out);
/*
 * Opens and initialises the device. wanted: VIOMMU_FEAT() bits to negotiate
 * if offered (VIOMMU_WANT_DEFAULT is everything but the legacy BYPASS bit).
 */
#define VIOMMU_WANT_DEFAULT \
	(VIOMMU_FEAT(VIRTIO_IOMMU_F_INPUT_RANGE) | VIOMMU_FEAT(VIRTIO_IOMMU_F_DOMAIN_RANGE) | \
	 VIOMMU_FEAT(VIRTIO_IOMMU_F_MAP_UNMAP) | VIOMMU_FEAT(VIRTIO_IOMMU_F_PROBE) | \
	 VIOMMU_FEAT(VIRTIO_IOMMU_F_MMIO) | VIOMMU_FEAT(VIRTIO_IOMMU_F_BYPASS_CONFIG))
/* The default plus nested mode (negotiated only when the device offers it). */
#define VIOMMU_WANT_NESTED	(VIOMMU_WANT_DEFAULT | VIOMMU_FEAT(VIRTIO_IOMMU_F_X_NESTED))
int viommu_open(struct viommu *v, const struct pci_func *f, uint64_t wanted);
/* Reset + full re-initialisation with the same wanted features. */
int viommu_reinit(struct viommu *v);
bool viommu_has(const struct viommu *v, unsigned feature);	/* negotiated */
bool viommu_offered(const struct viommu *v, unsigned feature);
uint64_t viommu_granule(const struct viommu *v);
/* Writes config.bypass (needs BYPASS_CONFIG); returns the value read back or -errno. */
int viommu_set_bypass(struct viommu *v, uint8_t val);
void viommu_read_config(struct viommu *v);

/*
 * Sends out[0..out_len) device-readable and in[0..in_len) device-writable
 * (either may be 0 bytes: then no descriptor). in is copied to the device
 * buffer first, so the caller can pre-fill it to detect writes, and copied
 * back after completion. 0 (*used_len set) or -ETIMEDOUT.
 */
int viommu_raw(struct viommu *v, const void *out, uint32_t out_len,
	       void *in, uint32_t in_len, uint32_t *used_len);
/* Sends a request struct + 4-byte tail; returns status or -errno. */
int viommu_request(struct viommu *v, const void *req, uint32_t len);

int viommu_attach(struct viommu *v, uint32_t domain, uint32_t ep, uint32_t flags);
int viommu_detach(struct viommu *v, uint32_t domain, uint32_t ep);
int viommu_map(struct viommu *v, uint32_t domain, uint64_t virt_start, uint64_t virt_end,
	       uint64_t phys, uint32_t flags);
int viommu_unmap(struct viommu *v, uint32_t domain, uint64_t virt_start, uint64_t virt_end);
/* Nested mode (needs VIRTIO_IOMMU_F_X_NESTED): x86-64 4-level table at root. */
int viommu_attach_table(struct viommu *v, uint32_t domain, uint32_t ep, uint64_t root);
/* Range form: [start, end] made of 2^granule pages; flags VIRTIO_IOMMU_X_INV_F_LEAF. */
int viommu_invalidate(struct viommu *v, uint32_t domain, uint32_t flags, uint8_t granule,
		      uint64_t start, uint64_t end);
int viommu_invalidate_all(struct viommu *v, uint32_t domain);
/* props receives probe_size bytes (pre-filled with 0xff); used_len optional. */
int viommu_probe(struct viommu *v, uint32_t ep, uint8_t *props, uint32_t *used_len);

/* Takes one fault event (re-posting its buffer); 0 or -ETIMEDOUT. */
int viommu_poll_fault(struct viommu *v, struct virtio_iommu_fault *out, unsigned timeout_ms);
/* Discards pending fault events; returns how many. */
unsigned viommu_drain_faults(struct viommu *v);

const char *viommu_status_name(int status);

#endif
