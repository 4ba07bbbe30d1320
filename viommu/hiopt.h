/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hiopt: the host I/O page table interface. viommu calls it, passthrough/
 * implements it (iommufd for the real kernel, sim for the in-process model).
 * It is modelled on iommufd objects so the real backend is a thin layer:
 * IOAS (an address space), HWPT (a hardware page table: nest parent or nested),
 * devices attached to an IOAS or HWPT, map/unmap by IOVA -> host VA.
 * All ops return 0 or -errno with iommufd's errno for the same misuse.
 */
#ifndef IOSHADE_VIOMMU_HIOPT_H
#define IOSHADE_VIOMMU_HIOPT_H

#include <stddef.h>
#include <stdint.h>

#define HIOPT_PROT_READ		(1u << 0)
#define HIOPT_PROT_WRITE	(1u << 1)

/* hw_info types, numbered like enum iommu_hw_info_type. */
#define HIOPT_HW_INFO_NONE	0
#define HIOPT_HW_INFO_VTD	1
#define HIOPT_HW_INFO_SELFTEST	0xfeedbeef
#define HIOPT_HW_INFO_SIM	0x51300001	/* ioshade's sim backend */

/* Nested HWPT data types, numbered like enum iommu_hwpt_data_type. */
#define HIOPT_HWPT_DATA_NONE		0
#define HIOPT_HWPT_DATA_VTD_S1		1
#define HIOPT_HWPT_DATA_SELFTEST	0xdead
#define HIOPT_HWPT_DATA_SIM_X86		0x51300002	/* sim: x86-64 4-level stage 1 */
/* Backend-neutral x86-64 4-level stage 1 (VT-d first-stage format): data is
 * struct hiopt_s1_table, invalidation entries struct hiopt_s1_inv. Each
 * backend translates it to its own type (iommufd: VTD_S1 or SELFTEST by
 * hw_info; sim: SIM_X86), so viommu never names a kernel structure. */
#define HIOPT_HWPT_DATA_X86_S1		0x51300003

struct hiopt_s1_table {
	uint64_t root_gpa;		/* GPA of the PML4, 4 KiB aligned */
	uint32_t addr_width;		/* input address width (48) */
	uint32_t flags;			/* none defined: 0 */
};

struct hiopt_s1_inv {
	uint64_t addr;			/* IOVA, 4 KiB aligned (0 with F_ALL) */
	uint64_t npages;		/* 4 KiB pages (UINT64_MAX with F_ALL) */
	uint32_t flags;
#define HIOPT_S1_INV_F_ALL	(1u << 0)	/* everything the HWPT caches */
#define HIOPT_S1_INV_F_LEAF	(1u << 1)	/* only leaf entries changed */
	uint32_t reserved;		/* 0 */
};

struct hiopt_iova_range {
	uint64_t start;
	uint64_t last;			/* inclusive */
};

struct hiopt_hw_info {
	uint32_t type;			/* HIOPT_HW_INFO_* */
	uint64_t pgsize_bitmap;		/* page sizes the host IOMMU maps */
	uint8_t addr_width;		/* stage-1 input address width, 0 = unknown */
	uint32_t flags;
#define HIOPT_HW_F_NESTING	(1u << 0)	/* nest parent + nested HWPT supported */
};

/* An assigned device as a backend knows it (VFIO cdev, or a sim device). */
struct hiopt_dev;

struct hiopt_fault {
	uint32_t dev_id;		/* backend device handle id */
	uint32_t hwpt_id;
	uint64_t addr;
	uint32_t perm;			/* HIOPT_PROT_* of the faulting access */
	uint32_t reason;		/* HIOPT_FAULT_* */
#define HIOPT_FAULT_UNMAPPED	0	/* no translation for addr */
#define HIOPT_FAULT_BLOCKED	1	/* the device is attached to nothing */
#define HIOPT_FAULT_PERM	2	/* mapped, but not for this access */
	struct hiopt_dev *dev;		/* the faulting device */
};

struct hiopt_ops {
	const char *name;
	int (*ioas_alloc)(void *be, uint32_t *ioas_id);
	void (*ioas_destroy)(void *be, uint32_t ioas_id);
	/* Map [iova, iova+len) to host memory at hva. -EEXIST overlap,
	 * -EINVAL misaligned or outside the IOVA ranges (as iommufd). */
	int (*map)(void *be, uint32_t ioas_id, uint64_t iova, void *hva, uint64_t len,
		   unsigned prot);
	/* Unmap whole mappings inside [iova, iova+len). -ENOENT when nothing is
	 * mapped there; refuses to split a mapping. *unmapped: bytes removed. */
	int (*unmap)(void *be, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped);
	/* Usable IOVA ranges of the IOAS, ascending. *n is the total count even
	 * when more than max. */
	int (*iova_ranges)(void *be, uint32_t ioas_id, struct hiopt_iova_range *r,
			   size_t max, size_t *n);
	int (*device_attach)(void *be, struct hiopt_dev *dev, uint32_t pt_id);
	/* After detach the device reaches nothing (blocking). */
	int (*device_detach)(void *be, struct hiopt_dev *dev);
	int (*hw_info)(void *be, struct hiopt_dev *dev, struct hiopt_hw_info *info);
	int (*hwpt_alloc_nest_parent)(void *be, struct hiopt_dev *dev, uint32_t ioas_id,
				      uint32_t *hwpt_id);
	int (*hwpt_alloc_nested)(void *be, struct hiopt_dev *dev, uint32_t parent_id,
				 uint32_t data_type, const void *data, size_t data_len,
				 uint32_t *hwpt_id);
	void (*hwpt_destroy)(void *be, uint32_t hwpt_id);
	/* Forward a stage-1 invalidation. *n in: entries, out: entries handled. */
	int (*hwpt_invalidate)(void *be, uint32_t hwpt_id, uint32_t data_type,
			       const void *entries, uint32_t entry_len, uint32_t *n);
	/* Read pending faults (non-blocking). Returns the number read or -errno. */
	int (*fault_read)(void *be, struct hiopt_fault *f, size_t max);
	/* Optional: an fd that polls readable while faults are pending. The
	 * consumer read(2)s 8 bytes from it to re-arm, then drains fault_read.
	 * -errno (or NULL op) when the backend cannot report faults. */
	int (*fault_fd)(void *be);
};

/* A backend instance: ops plus its private state. */
struct hiopt {
	const struct hiopt_ops *ops;
	void *be;
};

#endif
