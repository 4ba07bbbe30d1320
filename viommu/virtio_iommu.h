/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-iommu wire format (virtio 1.3, section 5.13 "IOMMU device", device
 * ID 23). All multi-byte fields are little-endian; structures are exactly as
 * the spec lays them out (sizes checked with static asserts below). The VMM,
 * the tests and the freestanding guests all include this one copy: only
 * <stdint.h> and compiler built-ins here.
 */
#ifndef IOSHADE_VIOMMU_VIRTIO_IOMMU_H
#define IOSHADE_VIOMMU_VIRTIO_IOMMU_H

#include <stdint.h>

#define VIRTIO_ID_IOMMU			23

/* Feature bits (5.13.3). */
#define VIRTIO_IOMMU_F_INPUT_RANGE	0
#define VIRTIO_IOMMU_F_DOMAIN_RANGE	1
#define VIRTIO_IOMMU_F_MAP_UNMAP	2
#define VIRTIO_IOMMU_F_BYPASS		3	/* legacy; never offered */
#define VIRTIO_IOMMU_F_PROBE		4
#define VIRTIO_IOMMU_F_MMIO		5
#define VIRTIO_IOMMU_F_BYPASS_CONFIG	6
/* ioshade experimental (device-specific range 50-127): ATTACH_TABLE and
 * INVALIDATE below, documented in docs/nested.md. Not standardized. */
#define VIRTIO_IOMMU_F_X_NESTED		50

struct virtio_iommu_config {
	uint64_t page_size_mask;
	uint64_t input_start, input_end;	/* input_range */
	uint32_t domain_start, domain_end;	/* domain_range */
	uint32_t probe_size;
	uint8_t bypass;
	uint8_t reserved[3];
} __attribute__((packed));

/* Field offsets in the device-specific config space. */
#define VIRTIO_IOMMU_CFG_PAGE_SIZE_MASK_OFF	0
#define VIRTIO_IOMMU_CFG_INPUT_START_OFF	8
#define VIRTIO_IOMMU_CFG_INPUT_END_OFF		16
#define VIRTIO_IOMMU_CFG_DOMAIN_START_OFF	24
#define VIRTIO_IOMMU_CFG_DOMAIN_END_OFF		28
#define VIRTIO_IOMMU_CFG_PROBE_SIZE_OFF		32
#define VIRTIO_IOMMU_CFG_BYPASS_OFF		36

/* Request types. */
#define VIRTIO_IOMMU_T_ATTACH		1
#define VIRTIO_IOMMU_T_DETACH		2
#define VIRTIO_IOMMU_T_MAP		3
#define VIRTIO_IOMMU_T_UNMAP		4
#define VIRTIO_IOMMU_T_PROBE		5
/* ioshade experimental, only with VIRTIO_IOMMU_F_X_NESTED (else unknown). */
#define VIRTIO_IOMMU_T_X_ATTACH_TABLE	0xe0
#define VIRTIO_IOMMU_T_X_INVALIDATE	0xe1

/* Status codes. */
#define VIRTIO_IOMMU_S_OK		0
#define VIRTIO_IOMMU_S_IOERR		1
#define VIRTIO_IOMMU_S_UNSUPP		2
#define VIRTIO_IOMMU_S_DEVERR		3
#define VIRTIO_IOMMU_S_INVAL		4
#define VIRTIO_IOMMU_S_RANGE		5
#define VIRTIO_IOMMU_S_NOENT		6
#define VIRTIO_IOMMU_S_FAULT		7
#define VIRTIO_IOMMU_S_NOMEM		8
#define VIRTIO_IOMMU_S_COUNT		9

struct virtio_iommu_req_head {
	uint8_t type;
	uint8_t reserved[3];
} __attribute__((packed));

struct virtio_iommu_req_tail {
	uint8_t status;
	uint8_t reserved[3];
} __attribute__((packed));

#define VIRTIO_IOMMU_ATTACH_F_BYPASS	(1u << 0)

/* Device-readable parts (the tail is the device-writable part). */
struct virtio_iommu_req_attach {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint32_t endpoint;
	uint32_t flags;
	uint8_t reserved[4];
} __attribute__((packed));

struct virtio_iommu_req_detach {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint32_t endpoint;
	uint8_t reserved[8];
} __attribute__((packed));

/* MAP flags (5.13.6.5). The spec puts MMIO at bit 2. */
#define VIRTIO_IOMMU_MAP_F_READ		(1u << 0)
#define VIRTIO_IOMMU_MAP_F_WRITE	(1u << 1)
#define VIRTIO_IOMMU_MAP_F_MMIO		(1u << 2)

struct virtio_iommu_req_map {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint64_t virt_start;
	uint64_t virt_end;
	uint64_t phys_start;
	uint32_t flags;
} __attribute__((packed));

struct virtio_iommu_req_unmap {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint64_t virt_start;
	uint64_t virt_end;
	uint8_t reserved[4];
} __attribute__((packed));

struct virtio_iommu_req_probe {
	struct virtio_iommu_req_head head;
	uint32_t endpoint;
	uint8_t reserved[64];
} __attribute__((packed));

/* PROBE properties (5.13.6.8). */
#define VIRTIO_IOMMU_PROBE_T_NONE	0
#define VIRTIO_IOMMU_PROBE_T_RESV_MEM	1
#define VIRTIO_IOMMU_PROBE_T_MASK	0xfff

struct virtio_iommu_probe_property {
	uint16_t type;
	uint16_t length;		/* bytes after this header */
} __attribute__((packed));

#define VIRTIO_IOMMU_RESV_MEM_T_RESERVED	0
#define VIRTIO_IOMMU_RESV_MEM_T_MSI		1

struct virtio_iommu_probe_resv_mem {
	struct virtio_iommu_probe_property head;
	uint8_t subtype;
	uint8_t reserved[3];
	uint64_t start;
	uint64_t end;			/* inclusive */
} __attribute__((packed));

/* ---- ioshade experimental nesting (VIRTIO_IOMMU_F_X_NESTED) ---- */

/* Table formats. */
#define VIRTIO_IOMMU_X_FMT_X86_64	1	/* x86-64 4-level (VT-d first stage) */
#define VIRTIO_IOMMU_X_ADDR_WIDTH	48	/* the only width of that format */

struct virtio_iommu_req_x_attach_table {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint32_t endpoint;
	uint32_t flags;			/* none defined: 0 */
	uint64_t root;			/* GPA of the root table (PML4), 4 KiB aligned */
	uint16_t format;		/* VIRTIO_IOMMU_X_FMT_* */
	uint8_t addr_width;		/* input address bits */
	uint8_t reserved[5];
} __attribute__((packed));

#define VIRTIO_IOMMU_X_INV_F_ALL	(1u << 0)	/* the whole domain */
#define VIRTIO_IOMMU_X_INV_F_LEAF	(1u << 1)	/* only leaf entries changed */

struct virtio_iommu_req_x_invalidate {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint32_t flags;			/* VIRTIO_IOMMU_X_INV_F_* */
	uint8_t granule;		/* log2 of the page size: 12, 21, 30 (0 with ALL) */
	uint8_t reserved[3];
	uint64_t virt_start;
	uint64_t virt_end;		/* inclusive */
} __attribute__((packed));

/* Stage-1 entry bits (x86-64 paging); the device reads P, RW, PS. */
#define VIRTIO_IOMMU_X_PTE_P		(1ULL << 0)
#define VIRTIO_IOMMU_X_PTE_RW		(1ULL << 1)
#define VIRTIO_IOMMU_X_PTE_US		(1ULL << 2)
#define VIRTIO_IOMMU_X_PTE_A		(1ULL << 5)
#define VIRTIO_IOMMU_X_PTE_PS		(1ULL << 7)	/* 1 GiB (PDPTE) / 2 MiB (PDE) */
#define VIRTIO_IOMMU_X_PTE_ADDR		0x000ffffffffff000ULL

/* Fault reports on the eventq (5.13.6.9). */
#define VIRTIO_IOMMU_FAULT_R_UNKNOWN	0
#define VIRTIO_IOMMU_FAULT_R_DOMAIN	1
#define VIRTIO_IOMMU_FAULT_R_MAPPING	2

#define VIRTIO_IOMMU_FAULT_F_READ	(1u << 0)
#define VIRTIO_IOMMU_FAULT_F_WRITE	(1u << 1)
#define VIRTIO_IOMMU_FAULT_F_EXEC	(1u << 2)
#define VIRTIO_IOMMU_FAULT_F_ADDRESS	(1u << 8)

struct virtio_iommu_fault {
	uint8_t reason;
	uint8_t reserved[3];
	uint32_t flags;
	uint32_t endpoint;
	uint32_t reserved1;
	uint64_t address;
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_iommu_config) == 40, "config layout");
#define VIRTIO_IOMMU_CFG_AT(field, off) \
	_Static_assert(__builtin_offsetof(struct virtio_iommu_config, field) == (off), #field)
VIRTIO_IOMMU_CFG_AT(input_start, VIRTIO_IOMMU_CFG_INPUT_START_OFF);
VIRTIO_IOMMU_CFG_AT(input_end, VIRTIO_IOMMU_CFG_INPUT_END_OFF);
VIRTIO_IOMMU_CFG_AT(domain_start, VIRTIO_IOMMU_CFG_DOMAIN_START_OFF);
VIRTIO_IOMMU_CFG_AT(domain_end, VIRTIO_IOMMU_CFG_DOMAIN_END_OFF);
VIRTIO_IOMMU_CFG_AT(probe_size, VIRTIO_IOMMU_CFG_PROBE_SIZE_OFF);
VIRTIO_IOMMU_CFG_AT(bypass, VIRTIO_IOMMU_CFG_BYPASS_OFF);
#undef VIRTIO_IOMMU_CFG_AT
_Static_assert(sizeof(struct virtio_iommu_req_attach) == 20, "attach layout");
_Static_assert(sizeof(struct virtio_iommu_req_detach) == 20, "detach layout");
_Static_assert(sizeof(struct virtio_iommu_req_map) == 36, "map layout");
_Static_assert(sizeof(struct virtio_iommu_req_unmap) == 28, "unmap layout");
_Static_assert(sizeof(struct virtio_iommu_req_probe) == 72, "probe layout");
_Static_assert(sizeof(struct virtio_iommu_probe_resv_mem) == 24, "resv_mem layout");
_Static_assert(sizeof(struct virtio_iommu_fault) == 24, "fault layout");
_Static_assert(sizeof(struct virtio_iommu_req_x_attach_table) == 32, "attach_table layout");
_Static_assert(sizeof(struct virtio_iommu_req_x_invalidate) == 32, "invalidate layout");

#endif
