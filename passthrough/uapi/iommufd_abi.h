/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The iommufd and VFIO cdev ABI ioshade uses. Taken from the system headers
 * when they are new enough (linux-libc-dev >= 6.8: HWPT invalidation, VT-d
 * stage-1 nesting, VFIO cdev ioctls); otherwise written out here from the
 * kernel's include/uapi/linux/{iommufd,vfio}.h. Define IOSHADE_UAPI_FALLBACK
 * to force the local definitions (used to compile-check them on new hosts).
 * The iommufd selftest values live in the kernel's iommufd_test.h, not uapi,
 * so they are always defined here.
 */
#ifndef IOSHADE_PASSTHROUGH_UAPI_IOMMUFD_ABI_H
#define IOSHADE_PASSTHROUGH_UAPI_IOMMUFD_ABI_H

#include <linux/types.h>
#include <linux/version.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#if !defined(IOSHADE_UAPI_FALLBACK) && __has_include(<linux/iommufd.h>) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#include <linux/iommufd.h>
#define IOSHADE_IOMMUFD_SYSTEM_HEADER 1
#else
#define IOSHADE_IOMMUFD_SYSTEM_HEADER 0

#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')
#endif

#define IOSHADE_IOMMUFD_CMD_DESTROY		0x80
#define IOSHADE_IOMMUFD_CMD_IOAS_ALLOC		0x81
#define IOSHADE_IOMMUFD_CMD_IOAS_IOVA_RANGES	0x84
#define IOSHADE_IOMMUFD_CMD_IOAS_MAP		0x85
#define IOSHADE_IOMMUFD_CMD_IOAS_UNMAP		0x86
#define IOSHADE_IOMMUFD_CMD_HWPT_ALLOC		0x89
#define IOSHADE_IOMMUFD_CMD_GET_HW_INFO		0x8a
#define IOSHADE_IOMMUFD_CMD_HWPT_INVALIDATE	0x8d
#define IOSHADE_IOMMUFD_CMD_FAULT_QUEUE_ALLOC	0x8e

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_DESTROY)

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_IOAS_ALLOC)

struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;		/* in: array capacity, out: total count */
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* struct iommu_iova_range[] */
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_IOAS_IOVA_RANGES)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_IOAS_MAP)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;		/* in: range, out: bytes unmapped */
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_IOAS_UNMAP)

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
};

struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
};

struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_HWPT_ALLOC)

struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
};

struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;			/* in: buffer size, out: bytes filled */
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_GET_HW_INFO)

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;		/* in: entries, out: entries handled */
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_HWPT_INVALIDATE)

struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOSHADE_IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

#endif /* local iommufd definitions */

/* The layouts ioshade relies on, checked against whichever definitions are
 * in use: the system header or the local ones above. */
_Static_assert(sizeof(struct iommu_destroy) == 8, "iommu_destroy");
_Static_assert(sizeof(struct iommu_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert(sizeof(struct iommu_iova_range) == 16, "iommu_iova_range");
_Static_assert(sizeof(struct iommu_ioas_iova_ranges) == 32, "iommu_ioas_iova_ranges");
_Static_assert(sizeof(struct iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(sizeof(struct iommu_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert(sizeof(struct iommu_hwpt_vtd_s1) == 24, "iommu_hwpt_vtd_s1");
_Static_assert(sizeof(struct iommu_hwpt_alloc) == 48, "iommu_hwpt_alloc");
_Static_assert(sizeof(struct iommu_hw_info_vtd) == 24, "iommu_hw_info_vtd");
_Static_assert(sizeof(struct iommu_hw_info) == 40, "iommu_hw_info");
_Static_assert(sizeof(struct iommu_hwpt_vtd_s1_invalidate) == 24, "vtd_s1_invalidate");
_Static_assert(sizeof(struct iommu_hwpt_invalidate) == 32, "iommu_hwpt_invalidate");
#ifdef IOMMU_FAULT_QUEUE_ALLOC
_Static_assert(sizeof(struct iommu_hwpt_pgfault) == 40, "iommu_hwpt_pgfault");
_Static_assert(sizeof(struct iommu_fault_alloc) == 16, "iommu_fault_alloc");
#endif

/* VFIO cdev (kernel 6.6+). The macros and structs arrived together. */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;	/* 6.17+, read only with a flag */
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;			/* in: IOAS or HWPT, out: HWPT used */
	__u32 pasid;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)

_Static_assert(sizeof(struct vfio_device_bind_iommufd) == 24, "vfio bind");
_Static_assert(sizeof(struct vfio_device_attach_iommufd_pt) == 16, "vfio attach");
_Static_assert(sizeof(struct vfio_device_detach_iommufd_pt) == 12, "vfio detach");
#endif

/* iommufd selftest driver (CONFIG_IOMMUFD_TEST), drivers/iommu/iommufd/iommufd_test.h. */
#define IOSHADE_IOMMU_HW_INFO_TYPE_SELFTEST		0xfeedbeefu
#define IOSHADE_IOMMU_HWPT_DATA_SELFTEST		0xdeadu
#define IOSHADE_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST	0xdeadbeefu

struct ioshade_iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};
_Static_assert(sizeof(struct ioshade_iommu_test_hw_info) == 8, "selftest hw_info");

/* Nested HWPT data and invalidation entry of the mock driver. */
#define IOSHADE_IOMMU_TEST_IOTLB_DEFAULT		0xbadbeefu
#define IOSHADE_IOMMU_TEST_INVALIDATE_FLAG_ALL		(1u << 0)

struct ioshade_iommu_hwpt_selftest {
	__u32 iotlb;
};

struct ioshade_iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};
_Static_assert(sizeof(struct ioshade_iommu_hwpt_invalidate_selftest) == 8, "selftest inv");

/* The selftest command ioctl (IOMMUFD_CMD_BASE + 32) and the ops ioshade uses. */
#define IOSHADE_IOMMU_TEST_CMD			_IO(';', 0x80 + 32)
#define IOSHADE_IOMMU_TEST_OP_MOCK_DOMAIN		2
#define IOSHADE_IOMMU_TEST_OP_MD_CHECK_MAP		3
#define IOSHADE_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE	10
#define IOSHADE_IOMMU_TEST_OP_MD_CHECK_IOTLB		14

/* struct iommu_test_cmd: a 48-byte union of per-op arguments, then "last"
 * (the kernel's minimum size ends there). Only the members ioshade uses. */
struct ioshade_iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		__aligned_u64 raw[6];
	};
	__u32 last;
};
_Static_assert(sizeof(struct ioshade_iommu_test_cmd) == 72, "iommu_test_cmd");
_Static_assert(__builtin_offsetof(struct ioshade_iommu_test_cmd, last) == 64, "test_cmd.last");
_Static_assert(__builtin_offsetof(struct ioshade_iommu_test_cmd, check_map.uptr) == 32,
	       "test_cmd.check_map.uptr");

/* VT-d capability bits (VT-d spec 11.4.2/11.4.3) read from iommu_hw_info_vtd. */
#define IOSHADE_VTD_CAP_SLLPS(c)	(((c) >> 34) & 0xf)	/* stage-2 2M/1G... */
#define IOSHADE_VTD_CAP_FL1GP(c)	(((c) >> 56) & 0x1)	/* stage-1 1 GiB pages */
#define IOSHADE_VTD_CAP_FL5LP(c)	(((c) >> 60) & 0x1)	/* stage-1 5-level */
#define IOSHADE_VTD_ECAP_NEST(e)	(((e) >> 26) & 0x1)	/* nested translation */

#endif
