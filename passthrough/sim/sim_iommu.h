/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sim_iommu: an in-process host IOMMU with iommufd's object model and errnos,
 * behind struct hiopt_ops. Objects (IOAS, nest-parent HWPT, nested HWPT,
 * device) get iommufd-style IDs (lowest free, never 0). The page size is
 * configurable (the kernel's mock uses 2 KiB) so granule handling is really
 * exercised. Extras for tests: a "fail the Nth mutating op" switch, mapping
 * and object inspection, and the DMA walk a simulated device uses.
 *
 * Model: every IOAS behaves like an iommufd IOAS that already has the sim
 * IOMMU's domain attached: the page-size alignment and the reserved IOVA
 * (outside the aperture, the holes) apply from creation on. (The kernel adds
 * them when the first domain joins the IOAS.)
 */
#ifndef IOSHADE_PASSTHROUGH_SIM_IOMMU_H
#define IOSHADE_PASSTHROUGH_SIM_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "viommu/hiopt.h"

#define SIM_MAX_HOLES		8
#define SIM_IOTLB_ENTRIES	16	/* stage-1 IOTLB entries per nested HWPT */
#define SIM_FAULT_QUEUE		64	/* pending faults kept; more are dropped */
#define SIM_ADDR_WIDTH		48

/* x86 MSI window, reported as a hole by x86 IOMMUs. */
#define SIM_MSI_START		0xfee00000ull
#define SIM_MSI_LAST		0xfeefffffull

struct sim_iommu_config {
	uint64_t page_size;		/* power of two, 512 B .. 1 GiB */
	struct hiopt_iova_range aperture;	/* inclusive */
	struct hiopt_iova_range holes[SIM_MAX_HOLES];	/* reserved inside the aperture */
	size_t nholes;
	bool nesting;			/* nest parent + nested HWPT supported */
};

/* Stage-1 description for HIOPT_HWPT_DATA_SIM_X86 (hwpt_alloc_nested). */
struct sim_hwpt_x86 {
	uint64_t root_gpa;		/* GPA of the PML4, 4 KiB aligned */
	uint32_t addr_width;		/* input address width: must be 48 */
	uint32_t flags;			/* none defined: must be 0 */
};

/* One invalidation entry for hwpt_invalidate (data type HIOPT_HWPT_DATA_SIM_X86). */
struct sim_hwpt_x86_inv {
	uint64_t addr;			/* IOVA, 4 KiB aligned (ignored with F_ALL) */
	uint64_t npages;		/* 4 KiB pages; UINT64_MAX with addr 0 = all */
	uint32_t flags;
#define SIM_X86_INV_F_ALL	(1u << 0)	/* drop the whole IOTLB */
	uint32_t reserved;		/* must be 0 */
};

/* Stage-1 x86-64 page-table entry bits the walk honours. */
#define SIM_PTE_P		(1ull << 0)
#define SIM_PTE_RW		(1ull << 1)
#define SIM_PTE_PS		(1ull << 7)
#define SIM_PTE_ADDR		0x000ffffffffff000ull

struct sim_mapping {
	uint64_t iova;
	uint64_t len;
	void *hva;
	unsigned prot;			/* HIOPT_PROT_* */
};

struct sim_counts {
	size_t ioas;
	size_t hwpt_parent;
	size_t hwpt_nested;
	size_t devices;
	size_t mappings;		/* over all IOAS */
	size_t faults;			/* pending in the fault queue */
};

struct sim_iommu;

/* Defaults: 4 KiB pages, aperture [0, 2^48-1], the MSI window as the one
 * hole, nesting on. */
void sim_iommu_config_default(struct sim_iommu_config *cfg);
/* NULL cfg = defaults. Returns NULL with errno EINVAL (bad config) or ENOMEM. */
struct sim_iommu *sim_iommu_create(const struct sim_iommu_config *cfg);
/* Frees every object still alive (tests assert counts before). */
void sim_iommu_destroy(struct sim_iommu *sim);
/* The {ops, be} pair for the viommu layer. */
const struct hiopt *sim_iommu_hiopt(struct sim_iommu *sim);

/* A simulated device (what a bound VFIO cdev is to iommufd). Destroy detaches. */
struct hiopt_dev *sim_iommu_dev_create(struct sim_iommu *sim);
void sim_iommu_dev_destroy(struct sim_iommu *sim, struct hiopt_dev *dev);
uint32_t sim_iommu_dev_id(const struct hiopt_dev *dev);
/* The IOAS/HWPT ID the device is attached to, 0 when blocked. */
uint32_t sim_iommu_dev_pt(struct sim_iommu *sim, const struct hiopt_dev *dev);

/* IOMMU_DESTROY: 0, -ENOENT (no such object), -EBUSY (still used). */
int sim_iommu_obj_destroy(struct sim_iommu *sim, uint32_t id);

/*
 * The nth mutating op from now (ioas_alloc, map, unmap, device_attach,
 * device_detach, hwpt_alloc_*; n = 1: the next one) fails with -err and
 * changes nothing. n = 0 disarms. op_count counts mutating ops ever made.
 */
void sim_iommu_fail_nth(struct sim_iommu *sim, unsigned n, int err);
/* A run of failures: ops n .. n + count - 1 from now fail with -err (a
 * retry that fails as well, a host that will not let a device go). */
void sim_iommu_fail_run(struct sim_iommu *sim, unsigned n, unsigned count, int err);
bool sim_iommu_fail_pending(struct sim_iommu *sim);
uint64_t sim_iommu_op_count(struct sim_iommu *sim);

/* Inspection. mapping_count: count or -ENOENT. foreach: ascending IOVA over
 * a snapshot taken under the sim lock, fn called without it; stops at and
 * returns fn's first non-zero value (or -ENOENT, -ENOMEM). */
long sim_iommu_mapping_count(struct sim_iommu *sim, uint32_t ioas_id);
int sim_iommu_foreach_mapping(struct sim_iommu *sim, uint32_t ioas_id,
			      int (*fn)(const struct sim_mapping *m, void *opaque),
			      void *opaque);
void sim_iommu_counts(struct sim_iommu *sim, struct sim_counts *c);
/* Valid IOTLB entries of a nested HWPT, or -ENOENT/-EINVAL. */
int sim_iommu_iotlb_count(struct sim_iommu *sim, uint32_t hwpt_id);

/*
 * The walk a device's DMA takes: [iova, iova+len) with access HIOPT_PROT_READ
 * (device reads memory) or HIOPT_PROT_WRITE. Fails closed and records a fault:
 * -ENODEV device blocked (not attached), -EFAULT nothing mapped (or stage-1
 * entry not present), -EPERM permission. -ERANGE (no fault): accessible but
 * not contiguous in host memory. On success *hva is the host address of iova.
 */
int sim_iommu_translate(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
			uint64_t len, unsigned access, void **hva);
/* Device DMA: the whole range is translated first, so a fault copies nothing. */
int sim_iommu_dma_read(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
		       void *buf, size_t len);
int sim_iommu_dma_write(struct sim_iommu *sim, const struct hiopt_dev *dev, uint64_t iova,
			const void *buf, size_t len);

#endif
