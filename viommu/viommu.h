/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-iommu device (virtio 1.3 section 5.13, device ID 23): public API
 * for app/main.c. One viommu per VM; endpoints are PCI BDFs. Emulated
 * endpoints reach memory through viommu_translate (the vmm/dma.h hook);
 * host endpoints (assigned devices) are shadowed into hiopt IOASes.
 */
#ifndef IOSHADE_VIOMMU_VIOMMU_H
#define IOSHADE_VIOMMU_VIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/dma.h"
#include "viommu/hiopt.h"
#include "viommu/ownership.h"

struct memmap;
struct pci_host;
struct evloop;
struct viommu;

#define VIOMMU_PROBE_SIZE	512	/* config probe_size */
#define VIOMMU_MAX_RESV		16	/* RESERVED ranges reported by PROBE */
#define VIOMMU_MAX_HOST_RANGES	16	/* host IOVA ranges read per endpoint */

/*
 * What a guest can make the VMM allocate (docs/security.md, "Resource
 * limits"). A request past a limit gets S_NOMEM and changes nothing. 0 in a
 * field means its default; the defaults leave stock Linux a wide margin.
 */
struct viommu_limits {
	uint32_t max_mappings;		/* live mappings over all domains of the VM */
	uint32_t max_domain_mappings;	/* live mappings in one domain */
	uint32_t max_domains;		/* domains alive at once */
	uint32_t max_pending_faults;	/* fault events queued for the eventq */
};

#define VIOMMU_DEFAULT_MAX_MAPPINGS		524288	/* 2^19: 32 MiB of tree nodes */
#define VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS	262144	/* 2^18 */
#define VIOMMU_DEFAULT_MAX_DOMAINS		1024
#define VIOMMU_DEFAULT_MAX_PENDING_FAULTS	256

/* Replace every 0 in l by its default. */
void viommu_limits_fill(struct viommu_limits *l);

struct viommu_config {
	struct memmap *mem;		/* required */
	struct pci_host *pci;		/* NULL: no PCI function (unit tests) */
	struct evloop *loop;		/* queue work thread; NULL: synchronous */
	int slot;			/* PCI slot, < 0: first free */
	uint64_t page_size_mask;	/* 0: 4 KiB */
	uint64_t input_start, input_end;	/* both 0: the whole 64-bit space */
	uint32_t domain_start, domain_end;	/* both 0: [0, 0xffffffff] */
	bool bypass;			/* default (system reset) value of config bypass */
	const struct hiopt *hiopt;	/* optional default host backend */
	const struct viommu_range *resv; /* extra VMM-reserved IOVA ranges */
	size_t nr_resv;
	struct viommu_limits limits;	/* zeros: defaults */
};

#define VIOMMU_NR_TYPES		6	/* index 0: unknown type */
#define VIOMMU_NR_OWN		OWN_NR_REASONS

struct viommu_stats {
	uint64_t requests[VIOMMU_NR_TYPES];	/* by request type */
	uint64_t status[VIRTIO_IOMMU_S_COUNT];	/* results by status code */
	uint64_t discarded;			/* chains returned with used length 0 */
	uint64_t own_rejects[VIOMMU_NR_OWN];	/* MAP ownership rejections by reason */
	uint64_t host_errors;			/* hiopt calls that failed */
	uint64_t faults;			/* fault events written */
	uint64_t faults_dropped;		/* no eventq buffer */
	uint64_t translations;			/* viommu_translate calls */
	uint64_t limit_rejects;			/* requests refused by a limit (S_NOMEM) */
	uint64_t stuck_devices;			/* host refused to switch, detach and park a
						 * device that had to stop (shadow_fail_closed) */
	/* High-water marks, to size the limits from what a guest really uses. */
	uint64_t peak_mappings;			/* live mappings, whole VM */
	uint64_t peak_domain_mappings;		/* live mappings, one domain */
	uint64_t peak_domains;			/* live domains */
};

struct viommu *viommu_create(const struct viommu_config *cfg);
void viommu_destroy(struct viommu *v);

/* PCI BDF of the viommu function itself (for VIOT), or -ENODEV without PCI. */
int viommu_bdf(const struct viommu *v);

/* Register an emulated endpoint (idempotent). Requests about endpoints that
 * are not registered get S_NOENT. */
int viommu_add_endpoint(struct viommu *v, uint32_t endpoint);
/* Register a host (assigned) endpoint shadowed through hiopt. Reads its host
 * reserved IOVA ranges (reported by PROBE) and blocks or bypasses it
 * according to the bypass config. */
int viommu_add_host_endpoint(struct viommu *v, uint32_t endpoint,
			     const struct hiopt *hiopt, struct hiopt_dev *dev);

/* The vmm/dma.h translate hook. Fails closed with a fault event. */
int viommu_translate(struct viommu *v, uint32_t endpoint, uint64_t iova, uint64_t len,
		     unsigned access, uint64_t *gpa, uint64_t *contig);
/* Fill a dma_ctx routing endpoint's DMA through viommu_translate (and
 * register the endpoint as emulated if it is not known yet). */
void viommu_dma_ctx(struct viommu *v, uint32_t endpoint, struct dma_ctx *out);

/* Report a fault on the eventq (reason/flags: VIRTIO_IOMMU_FAULT_*). Never
 * blocks: without an eventq buffer the event waits in a bounded queue of
 * pending events until the driver adds one; with that queue full it is
 * counted as dropped (-ENOSPC). 0 or -ENOSPC. */
int viommu_report_fault(struct viommu *v, uint32_t endpoint, uint8_t reason,
			uint32_t flags, uint64_t address);

void viommu_stats(struct viommu *v, struct viommu_stats *out);

/* Move pending fault events (from translations on device threads) to the
 * eventq now. With an event loop this happens by itself; tests without one
 * call it. */
void viommu_poll_faults(struct viommu *v);

/* Forward pending host IOMMU faults (assigned devices) to the eventq now.
 * With an event loop this happens by itself; tests without one call it. */
void viommu_poll_host_faults(struct viommu *v);

/* Device reset (virtio status 0): every endpoint leaves its domain, bypass
 * keeps its value. System reset: the same, and bypass returns to default. */
void viommu_device_reset(struct viommu *v);
void viommu_system_reset(struct viommu *v);

/*
 * The request core, without a transport: req/req_len is the device-readable
 * part, resp/resp_cap the device-writable part. Sets *written to the used
 * length (0: the chain is returned untouched). Returns 0.
 */
int viommu_handle_request(struct viommu *v, const void *req, size_t req_len,
			  void *resp, size_t resp_cap, size_t *written);

/* Config space access as the driver sees it (little-endian bytes). */
void viommu_config_read(struct viommu *v, uint32_t off, void *data, uint32_t len);
void viommu_config_write(struct viommu *v, uint32_t off, const void *data, uint32_t len);
uint64_t viommu_device_features(const struct viommu *v);
/* Driver features accepted (FEATURES_OK). Without a transport, all offered
 * features count as accepted until this is called. */
bool viommu_set_driver_features(struct viommu *v, uint64_t features);

/* Tests without a transport: where fault events go instead of the eventq.
 * sink returns 0 when it took the event, -ENOSPC when it has no buffer. */
typedef int (*viommu_fault_sink)(void *opaque, const struct virtio_iommu_fault *f);
void viommu_set_fault_sink(struct viommu *v, viommu_fault_sink sink, void *opaque);

#endif
