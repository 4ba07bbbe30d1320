/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Polled driver for virtio-iommu (virtio device 23). Typed requests return
 * the device's status byte (VIOMMU_S_*, >= 0) or -errno (-ETIMEDOUT when the
 * chain never came back, -EIO when the device used it without writing).
 * viommu_raw sends arbitrary bytes for conformance tests.
 */
#ifndef GUEST_VIRTIO_IOMMU_H
#define GUEST_VIRTIO_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_ID_IOMMU			23

#define VIOMMU_F_INPUT_RANGE		0
#define VIOMMU_F_DOMAIN_RANGE		1
#define VIOMMU_F_MAP_UNMAP		2
#define VIOMMU_F_BYPASS			3
#define VIOMMU_F_PROBE			4
#define VIOMMU_F_MMIO			5
#define VIOMMU_F_BYPASS_CONFIG		6
/* ioshade experimental nested mode (docs/nested.md): ATTACH_TABLE, INVALIDATE. */
#define VIOMMU_F_X_NESTED		50
#define VIOMMU_FEAT(b)			(1ull << (b))

#define VIOMMU_T_ATTACH			1
#define VIOMMU_T_DETACH			2
#define VIOMMU_T_MAP			3
#define VIOMMU_T_UNMAP			4
#define VIOMMU_T_PROBE			5
#define VIOMMU_T_X_ATTACH_TABLE		0xe0
#define VIOMMU_T_X_INVALIDATE		0xe1

#define VIOMMU_S_OK			0
#define VIOMMU_S_IOERR			1
#define VIOMMU_S_UNSUPP			2
#define VIOMMU_S_DEVERR			3
#define VIOMMU_S_INVAL			4
#define VIOMMU_S_RANGE			5
#define VIOMMU_S_NOENT			6
#define VIOMMU_S_FAULT			7
#define VIOMMU_S_NOMEM			8

#define VIOMMU_ATTACH_F_BYPASS		(1u << 0)
#define VIOMMU_MAP_F_READ		(1u << 0)
#define VIOMMU_MAP_F_WRITE		(1u << 1)
#define VIOMMU_MAP_F_MMIO		(1u << 2)
#define VIOMMU_MAP_F_RW			(VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE)

#define VIOMMU_X_FMT_X86_64		1	/* x86-64 4-level (VT-d first stage) */
#define VIOMMU_X_ADDR_WIDTH		48
#define VIOMMU_X_INV_F_ALL		(1u << 0)
#define VIOMMU_X_INV_F_LEAF		(1u << 1)
#define VIOMMU_X_PTE_P			(1ull << 0)
#define VIOMMU_X_PTE_RW			(1ull << 1)
#define VIOMMU_X_PTE_US			(1ull << 2)
#define VIOMMU_X_PTE_PS			(1ull << 7)	/* 1 GiB (PDPTE) / 2 MiB (PDE) */
#define VIOMMU_X_PTE_ADDR		0x000ffffffffff000ull

#define VIOMMU_PROBE_T_RESV_MEM		1
#define VIOMMU_RESV_MEM_T_RESERVED	0
#define VIOMMU_RESV_MEM_T_MSI		1

#define VIOMMU_FAULT_R_UNKNOWN		0
#define VIOMMU_FAULT_R_DOMAIN		1
#define VIOMMU_FAULT_R_MAPPING		2
#define VIOMMU_FAULT_F_READ		(1u << 0)
#define VIOMMU_FAULT_F_WRITE		(1u << 1)
#define VIOMMU_FAULT_F_ADDRESS		(1u << 8)

/* struct virtio_iommu_config offsets */
#define VIOMMU_CFG_PAGE_SIZE_MASK	0
#define VIOMMU_CFG_INPUT_START		8
#define VIOMMU_CFG_INPUT_END		16
#define VIOMMU_CFG_DOMAIN_START		24
#define VIOMMU_CFG_DOMAIN_END		28
#define VIOMMU_CFG_PROBE_SIZE		32
#define VIOMMU_CFG_BYPASS		36

/* Wire formats, little-endian as on x86. */
struct viommu_req_head {
	uint8_t type;
	uint8_t reserved[3];
} __attribute__((packed));

struct viommu_req_tail {
	uint8_t status;
	uint8_t reserved[3];
} __attribute__((packed));

struct viommu_req_attach {
	struct viommu_req_head head;
	uint32_t domain;
	uint32_t endpoint;
	uint32_t flags;
	uint8_t reserved[4];
} __attribute__((packed));

struct viommu_req_detach {
	struct viommu_req_head head;
	uint32_t domain;
	uint32_t endpoint;
	uint8_t reserved[8];
} __attribute__((packed));

struct viommu_req_map {
	struct viommu_req_head head;
	uint32_t domain;
	uint64_t virt_start;
	uint64_t virt_end;
	uint64_t phys_start;
	uint32_t flags;
} __attribute__((packed));

struct viommu_req_unmap {
	struct viommu_req_head head;
	uint32_t domain;
	uint64_t virt_start;
	uint64_t virt_end;
	uint8_t reserved[4];
} __attribute__((packed));

struct viommu_req_probe {
	struct viommu_req_head head;
	uint32_t endpoint;
	uint8_t reserved[64];
} __attribute__((packed));

struct viommu_req_x_attach_table {
	struct viommu_req_head head;
	uint32_t domain;
	uint32_t endpoint;
	uint32_t flags;
	uint64_t root;			/* GPA of the PML4, 4 KiB aligned */
	uint16_t format;
	uint8_t addr_width;
	uint8_t reserved[5];
} __attribute__((packed));

struct viommu_req_x_invalidate {
	struct viommu_req_head head;
	uint32_t domain;
	uint32_t flags;			/* VIOMMU_X_INV_F_* */
	uint8_t granule;		/* 12, 21 or 30; 0 with ALL */
	uint8_t reserved[3];
	uint64_t virt_start;
	uint64_t virt_end;		/* inclusive */
} __attribute__((packed));

_Static_assert(sizeof(struct viommu_req_x_attach_table) == 32, "ATTACH_TABLE layout");
_Static_assert(sizeof(struct viommu_req_x_invalidate) == 32, "INVALIDATE layout");

struct viommu_probe_resv_mem {
	uint16_t type;			/* type:12, reserved:4 */
	uint16_t length;		/* without this 4-byte header */
	uint8_t subtype;
	uint8_t reserved[3];
	uint64_t start;
	uint64_t end;
} __attribute__((packed));

struct viommu_fault {
	uint8_t reason;
	uint8_t reserved[3];
	uint32_t flags;
	uint32_t endpoint;
	uint32_t reserved1;
	uint64_t address;
} __attribute__((packed));

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
	struct viommu_req_tail last_tail;	/* as written by the device */
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
	(VIOMMU_FEAT(VIOMMU_F_INPUT_RANGE) | VIOMMU_FEAT(VIOMMU_F_DOMAIN_RANGE) | \
	 VIOMMU_FEAT(VIOMMU_F_MAP_UNMAP) | VIOMMU_FEAT(VIOMMU_F_PROBE) | \
	 VIOMMU_FEAT(VIOMMU_F_MMIO) | VIOMMU_FEAT(VIOMMU_F_BYPASS_CONFIG))
/* The default plus nested mode (negotiated only when the device offers it). */
#define VIOMMU_WANT_NESTED	(VIOMMU_WANT_DEFAULT | VIOMMU_FEAT(VIOMMU_F_X_NESTED))
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
/* Nested mode (needs VIOMMU_F_X_NESTED): x86-64 4-level table at root. */
int viommu_attach_table(struct viommu *v, uint32_t domain, uint32_t ep, uint64_t root);
/* Range form: [start, end] made of 2^granule pages; flags VIOMMU_X_INV_F_LEAF. */
int viommu_invalidate(struct viommu *v, uint32_t domain, uint32_t flags, uint8_t granule,
		      uint64_t start, uint64_t end);
int viommu_invalidate_all(struct viommu *v, uint32_t domain);
/* props receives probe_size bytes (pre-filled with 0xff); used_len optional. */
int viommu_probe(struct viommu *v, uint32_t ep, uint8_t *props, uint32_t *used_len);

/* Takes one fault event (re-posting its buffer); 0 or -ETIMEDOUT. */
int viommu_poll_fault(struct viommu *v, struct viommu_fault *out, unsigned timeout_ms);
/* Discards pending fault events; returns how many. */
unsigned viommu_drain_faults(struct viommu *v);

const char *viommu_status_name(int status);

#endif
