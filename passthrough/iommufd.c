// SPDX-License-Identifier: GPL-2.0-only
/*
 * hiopt on Linux iommufd: each op is one ioctl on /dev/iommu, with the
 * kernel's errno passed through unchanged. The backend remembers the IOASes,
 * HWPTs and bound devices it created so close can undo them in dependency
 * order. VFIO cdev devices are attached with VFIO_DEVICE_ATTACH_IOMMUFD_PT.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "passthrough/iommufd_int.h"
#include "passthrough/uapi/iommufd_abi.h"

int iommufd_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* ---- object tracking ---- */

static int track(struct iommufd *ifd, uint32_t id, enum iommufd_obj_kind kind)
{
	int rc = 0;

	pthread_mutex_lock(&ifd->lock);
	if (ifd->nobjs == ifd->cap) {
		size_t ncap = ifd->cap ? ifd->cap * 2 : 8;
		struct iommufd_obj *n = realloc(ifd->objs, ncap * sizeof(*n));

		if (!n) {
			rc = -ENOMEM;
			goto out;
		}
		ifd->objs = n;
		ifd->cap = ncap;
	}
	ifd->objs[ifd->nobjs++] = (struct iommufd_obj){ .id = id, .kind = kind };
out:
	pthread_mutex_unlock(&ifd->lock);
	return rc;
}

static void untrack(struct iommufd *ifd, uint32_t id)
{
	pthread_mutex_lock(&ifd->lock);
	for (size_t i = 0; i < ifd->nobjs; i++) {
		if (ifd->objs[i].id == id) {
			ifd->objs[i] = ifd->objs[--ifd->nobjs];
			break;
		}
	}
	pthread_mutex_unlock(&ifd->lock);
}

/* Remember (set) or look up (get) the kernel data type of a nested HWPT. */
static uint32_t obj_data_type(struct iommufd *ifd, uint32_t id, bool set, uint32_t type)
{
	uint32_t out = IOMMU_HWPT_DATA_NONE;

	pthread_mutex_lock(&ifd->lock);
	for (size_t i = 0; i < ifd->nobjs; i++) {
		if (ifd->objs[i].id != id)
			continue;
		if (set)
			ifd->objs[i].data_type = type;
		out = ifd->objs[i].data_type;
		break;
	}
	pthread_mutex_unlock(&ifd->lock);
	return out;
}

int iommufd_destroy_id(struct iommufd *ifd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return iommufd_ioctl(ifd->fd, IOMMU_DESTROY, &d);
}

/* Allocate-then-track; on a tracking failure the kernel object is undone. */
static int track_or_destroy(struct iommufd *ifd, uint32_t id, enum iommufd_obj_kind kind)
{
	int rc = track(ifd, id, kind);

	if (rc)
		iommufd_destroy_id(ifd, id);
	return rc;
}

/* ---- memlock accounting ---- */

static bool has_cap_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}

int iommufd_check_memlock(uint64_t bytes, char *why, size_t why_len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (has_cap_ipc_lock() || bytes <= rl.rlim_cur)
		return 0;
	snprintf(why, why_len,
		 "pinning %llu bytes for DMA exceeds RLIMIT_MEMLOCK (%llu bytes); iommufd "
		 "charges pinned pages to the user unless the process has CAP_IPC_LOCK. "
		 "Raise the limit: `ulimit -l %llu` (KiB) in the launching shell, "
		 "setrlimit(RLIMIT_MEMLOCK) / LimitMEMLOCK= in a service, or a memlock "
		 "line in /etc/security/limits.conf",
		 (unsigned long long)bytes, (unsigned long long)rl.rlim_cur,
		 (unsigned long long)((bytes + 1023) / 1024));
	return -ENOMEM;
}

static void warn_memlock_once(struct iommufd *ifd, uint64_t len)
{
	char why[320];
	bool first;

	pthread_mutex_lock(&ifd->lock);
	first = !ifd->memlock_warned;
	ifd->memlock_warned = true;
	pthread_mutex_unlock(&ifd->lock);
	if (first && iommufd_check_memlock(len, why, sizeof(why)) == -ENOMEM)
		fprintf(stderr, "ioshade: iommufd: IOAS_MAP failed with ENOMEM: %s\n", why);
}

/* ---- hiopt ops ---- */

static int ifd_ioas_alloc(void *be, uint32_t *ioas_id)
{
	struct iommufd *ifd = be;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = iommufd_ioctl(ifd->fd, IOMMU_IOAS_ALLOC, &a);

	if (rc)
		return rc;
	rc = track_or_destroy(ifd, a.out_ioas_id, OBJ_IOAS);
	if (!rc)
		*ioas_id = a.out_ioas_id;
	return rc;
}

static void ifd_obj_destroy(void *be, uint32_t id)
{
	struct iommufd *ifd = be;
	int rc = iommufd_destroy_id(ifd, id);

	/* EBUSY: still in use (a device or nested HWPT on it); keep tracking it
	 * so close retries in order. */
	if (rc != -EBUSY)
		untrack(ifd, id);
}

static int ifd_map(void *be, uint32_t ioas_id, uint64_t iova, void *hva, uint64_t len,
		   unsigned prot)
{
	struct iommufd *ifd = be;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)hva,
		.length = len,
		.iova = iova,
	};
	int rc;

	if (prot & ~(HIOPT_PROT_READ | HIOPT_PROT_WRITE))
		return -EINVAL;
	if (prot & HIOPT_PROT_READ)
		m.flags |= IOMMU_IOAS_MAP_READABLE;
	if (prot & HIOPT_PROT_WRITE)
		m.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	rc = iommufd_ioctl(ifd->fd, IOMMU_IOAS_MAP, &m);
	if (rc == -ENOMEM)
		warn_memlock_once(ifd, len);
	return rc;
}

static int ifd_unmap(void *be, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct iommufd *ifd = be;
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas_id, .iova = iova, .length = len,
	};
	int rc = iommufd_ioctl(ifd->fd, IOMMU_IOAS_UNMAP, &u);

	if (unmapped)
		*unmapped = rc ? 0 : u.length;
	return rc;
}

/* One IOVA_RANGES call into buf[cap]; *total gets the kernel's count. */
static int iova_ranges_once(struct iommufd *ifd, uint32_t ioas_id, struct iommu_iova_range *buf,
			    uint32_t cap, uint32_t *total)
{
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r), .ioas_id = ioas_id, .num_iovas = cap,
		.allowed_iovas = (uintptr_t)buf,
	};
	int rc = iommufd_ioctl(ifd->fd, IOMMU_IOAS_IOVA_RANGES, &r);

	*total = r.num_iovas;
	/* The uapi documents EMSGSIZE; accept E2BIG as the same answer. */
	if (rc == -E2BIG)
		rc = -EMSGSIZE;
	return rc;
}

static int ifd_iova_ranges(void *be, uint32_t ioas_id, struct hiopt_iova_range *r,
			   size_t max, size_t *n)
{
	struct iommufd *ifd = be;
	struct iommu_iova_range *buf = NULL;
	uint32_t cap = 4, total = 0;
	int rc, tries = 0;

	do {
		struct iommu_iova_range *nb = realloc(buf, cap * sizeof(*buf));

		if (!nb) {
			rc = -ENOMEM;
			break;
		}
		buf = nb;
		rc = iova_ranges_once(ifd, ioas_id, buf, cap, &total);
		/* The kernel wrote the size it needs: resize and ask again
		 * (ranges can change between calls, so loop a few times). */
		if (rc == -EMSGSIZE)
			cap = total > cap ? total : cap * 2;
	} while (rc == -EMSGSIZE && ++tries < 8);

	if (!rc) {
		for (size_t i = 0; i < total && i < max; i++)
			r[i] = (struct hiopt_iova_range){ buf[i].start, buf[i].last };
		*n = total;
	}
	free(buf);
	return rc;
}

static int ifd_device_attach(void *be, struct hiopt_dev *dev, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };
	int rc;

	if (dev && dev->selftest)
		return iommufd_selftest_attach(be, dev, pt_id);
	if (!dev || dev->fd < 0)
		return -EINVAL;
	rc = iommufd_ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	if (rc)
		return rc;
	/* Attaching to an IOAS makes the kernel pick (or create) a HWPT: the
	 * pt_id it returns is the one in use. */
	dev->pt_id = a.pt_id;
	dev->attached = true;
	return 0;
}

static int ifd_device_detach(void *be, struct hiopt_dev *dev)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	int rc;

	if (dev && dev->selftest)
		return iommufd_selftest_detach(be, dev);
	if (!dev || dev->fd < 0)
		return -EINVAL;
	rc = iommufd_ioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	if (!rc)
		dev->attached = false;
	return rc;
}

void iommufd_vtd_decode(uint64_t cap, uint64_t ecap, struct hiopt_hw_info *info)
{
	uint64_t sllps = IOSHADE_VTD_CAP_SLLPS(cap);

	info->type = HIOPT_HW_INFO_VTD;
	/* Stage 2 (the IOAS) maps 4 KiB, plus 2 MiB / 1 GiB when SLLPS says so. */
	info->pgsize_bitmap = 1ull << 12;
	if (sllps & 1)
		info->pgsize_bitmap |= 1ull << 21;
	if (sllps & 2)
		info->pgsize_bitmap |= 1ull << 30;
	/* Stage-1 input width: 4-level (48 bits), 5-level if FL5LP. */
	info->addr_width = IOSHADE_VTD_CAP_FL5LP(cap) ? 57 : 48;
	info->flags = IOSHADE_VTD_ECAP_NEST(ecap) ? HIOPT_HW_F_NESTING : 0;
}

static void hw_info_fill(uint32_t type, const void *data, struct hiopt_hw_info *info)
{
	const struct iommu_hw_info_vtd *vtd = data;

	memset(info, 0, sizeof(*info));
	switch (type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD:
		iommufd_vtd_decode(vtd->cap_reg, vtd->ecap_reg, info);
		break;
	case IOSHADE_IOMMU_HW_INFO_TYPE_SELFTEST:
		/* The mock IOMMU uses half-page (2 KiB) pages and nests. */
		info->type = HIOPT_HW_INFO_SELFTEST;
		info->pgsize_bitmap = 1ull << 11;
		info->addr_width = 48;
		info->flags = HIOPT_HW_F_NESTING;
		break;
	default:
		info->type = HIOPT_HW_INFO_NONE;
		info->pgsize_bitmap = (uint64_t)sysconf(_SC_PAGESIZE);
		break;
	}
}

static int ifd_hw_info(void *be, struct hiopt_dev *dev, struct hiopt_hw_info *info)
{
	struct iommufd *ifd = be;
	union {
		struct iommu_hw_info_vtd vtd;
		struct ioshade_iommu_test_hw_info selftest;
		uint8_t raw[256];
	} data;
	struct iommu_hw_info h = {
		.size = sizeof(h), .data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
	};
	int rc;

	if (!dev)
		return -EINVAL;
	memset(&data, 0, sizeof(data));
	h.dev_id = dev->dev_id;
	rc = iommufd_ioctl(ifd->fd, IOMMU_GET_HW_INFO, &h);
	if (!rc)
		hw_info_fill(h.out_data_type, &data, info);
	return rc;
}

static int hwpt_alloc(struct iommufd *ifd, struct iommu_hwpt_alloc *a, enum iommufd_obj_kind kind,
		      uint32_t *hwpt_id)
{
	int rc = iommufd_ioctl(ifd->fd, IOMMU_HWPT_ALLOC, a);

	if (rc)
		return rc;
	rc = track_or_destroy(ifd, a->out_hwpt_id, kind);
	if (!rc)
		*hwpt_id = a->out_hwpt_id;
	return rc;
}

static int ifd_hwpt_alloc_nest_parent(void *be, struct hiopt_dev *dev, uint32_t ioas_id,
				      uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.pt_id = ioas_id, .data_type = IOMMU_HWPT_DATA_NONE,
	};

	if (!dev)
		return -EINVAL;
	a.dev_id = dev->dev_id;
	return hwpt_alloc(be, &a, OBJ_HWPT_PARENT, hwpt_id);
}

/*
 * The neutral HIOPT_HWPT_DATA_X86_S1: VT-d hardware takes the guest table as
 * IOMMU_HWPT_DATA_VTD_S1; the selftest mock has no table, only its IOTLB
 * model, so it gets IOMMU_HWPT_DATA_SELFTEST. hw_info decides.
 */
static int alloc_nested_x86(struct iommufd *ifd, struct hiopt_dev *dev, uint32_t parent_id,
			    const struct hiopt_s1_table *t, size_t len, uint32_t *hwpt_id)
{
	struct iommu_hwpt_vtd_s1 vtd = { .flags = 0 };
	struct ioshade_iommu_hwpt_selftest st = { .iotlb = IOSHADE_IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .pt_id = parent_id };
	struct hiopt_hw_info info;
	int rc;

	if (!t || len != sizeof(*t) || t->flags || !dev)
		return -EINVAL;
	rc = ifd_hw_info(ifd, dev, &info);
	if (rc)
		return rc;
	if (info.type == HIOPT_HW_INFO_VTD) {
		vtd.pgtbl_addr = t->root_gpa;
		vtd.addr_width = t->addr_width;
		a.data_type = IOMMU_HWPT_DATA_VTD_S1;
		a.data_len = sizeof(vtd);
		a.data_uptr = (uintptr_t)&vtd;
	} else if (info.type == HIOPT_HW_INFO_SELFTEST) {
		a.data_type = IOSHADE_IOMMU_HWPT_DATA_SELFTEST;
		a.data_len = sizeof(st);
		a.data_uptr = (uintptr_t)&st;
	} else {
		return -EOPNOTSUPP;
	}
	a.dev_id = dev->dev_id;
	rc = hwpt_alloc(ifd, &a, OBJ_HWPT_NESTED, hwpt_id);
	if (!rc)
		obj_data_type(ifd, *hwpt_id, true, a.data_type);
	return rc;
}

static int ifd_hwpt_alloc_nested(void *be, struct hiopt_dev *dev, uint32_t parent_id,
				 uint32_t data_type, const void *data, size_t data_len,
				 uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .pt_id = parent_id, .data_type = data_type,
		.data_len = (uint32_t)data_len, .data_uptr = (uintptr_t)data,
	};

	if (data_type == HIOPT_HWPT_DATA_X86_S1)
		return alloc_nested_x86(be, dev, parent_id, data, data_len, hwpt_id);
	/* hiopt numbers data types like the kernel; only the sim's are foreign. */
	if (!dev || data_len > UINT32_MAX)
		return -EINVAL;
	if (data_type != HIOPT_HWPT_DATA_VTD_S1 && data_type != HIOPT_HWPT_DATA_SELFTEST)
		return -EOPNOTSUPP;
	a.dev_id = dev->dev_id;
	return hwpt_alloc(be, &a, OBJ_HWPT_NESTED, hwpt_id);
}

/* HWPT data type -> invalidation data type (a separate kernel enum). */
static int inv_data_type(uint32_t data_type, uint32_t *out)
{
	if (data_type == HIOPT_HWPT_DATA_VTD_S1)
		*out = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
	else if (data_type == HIOPT_HWPT_DATA_SELFTEST)
		*out = IOSHADE_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	else
		return -EOPNOTSUPP;
	return 0;
}

static void inv_to_vtd(const struct hiopt_s1_inv *in, struct iommu_hwpt_vtd_s1_invalidate *out)
{
	*out = (struct iommu_hwpt_vtd_s1_invalidate){
		.addr = in->flags & HIOPT_S1_INV_F_ALL ? 0 : in->addr,
		.npages = in->flags & HIOPT_S1_INV_F_ALL ? UINT64_MAX : in->npages,
		.flags = in->flags & HIOPT_S1_INV_F_LEAF ? IOMMU_VTD_INV_FLAGS_LEAF : 0,
	};
}

/* Neutral entries -> the kernel type the HWPT was made with. The mock has
 * no address ranges: every entry becomes "all" (over-flushing is safe). */
static int invalidate_x86(struct iommufd *ifd, uint32_t hwpt_id, const void *entries,
			  uint32_t entry_len, uint32_t *n)
{
	uint32_t type = obj_data_type(ifd, hwpt_id, false, 0), i, want = *n;
	const struct ioshade_iommu_hwpt_invalidate_selftest st = {
		.flags = IOSHADE_IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	const struct hiopt_s1_inv *in = entries;
	struct iommu_hwpt_vtd_s1_invalidate vtd;
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv), .hwpt_id = hwpt_id,
					     .entry_num = want };
	size_t esz = type == IOMMU_HWPT_DATA_VTD_S1 ? sizeof(vtd) : sizeof(st);
	uint8_t *buf;
	int rc;

	*n = 0;
	if (want && (!entries || entry_len != sizeof(*in)))
		return -EINVAL;
	if (inv_data_type(type, &inv.data_type))
		return -EOPNOTSUPP;
	buf = calloc(want ? want : 1, esz);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < want; i++) {
		if (type == IOMMU_HWPT_DATA_VTD_S1)
			inv_to_vtd(&in[i], &vtd);
		memcpy(buf + (size_t)i * esz, type == IOMMU_HWPT_DATA_VTD_S1 ?
		       (const void *)&vtd : (const void *)&st, esz);
	}
	inv.entry_len = (uint32_t)esz;
	inv.data_uptr = (uintptr_t)buf;
	rc = iommufd_ioctl(ifd->fd, IOMMU_HWPT_INVALIDATE, &inv);
	*n = inv.entry_num;
	free(buf);
	return rc;
}

static int ifd_hwpt_invalidate(void *be, uint32_t hwpt_id, uint32_t data_type,
			       const void *entries, uint32_t entry_len, uint32_t *n)
{
	struct iommufd *ifd = be;
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = hwpt_id, .data_uptr = (uintptr_t)entries,
		.entry_len = entry_len, .entry_num = *n,
	};
	int rc;

	if (data_type == HIOPT_HWPT_DATA_X86_S1)
		return invalidate_x86(ifd, hwpt_id, entries, entry_len, n);
	rc = inv_data_type(data_type, &inv.data_type);
	if (rc) {
		*n = 0;
		return rc;
	}
	rc = iommufd_ioctl(ifd->fd, IOMMU_HWPT_INVALIDATE, &inv);
	/* The kernel reports how many entries it handled, also on error. */
	*n = inv.entry_num;
	return rc;
}

static int ifd_fault_read(void *be, struct hiopt_fault *f, size_t max)
{
	/* Faults need a fault queue on an IOPF-capable nested HWPT, which this
	 * backend does not allocate yet. */
	(void)be;
	(void)f;
	(void)max;
	return -EOPNOTSUPP;
}

static const struct hiopt_ops iommufd_ops = {
	.name = "iommufd",
	.ioas_alloc = ifd_ioas_alloc,
	.ioas_destroy = ifd_obj_destroy,
	.map = ifd_map,
	.unmap = ifd_unmap,
	.iova_ranges = ifd_iova_ranges,
	.device_attach = ifd_device_attach,
	.device_detach = ifd_device_detach,
	.hw_info = ifd_hw_info,
	.hwpt_alloc_nest_parent = ifd_hwpt_alloc_nest_parent,
	.hwpt_alloc_nested = ifd_hwpt_alloc_nested,
	.hwpt_destroy = ifd_obj_destroy,
	.hwpt_invalidate = ifd_hwpt_invalidate,
	.fault_read = ifd_fault_read,
};

/* ---- instance and device lifetime ---- */

int iommufd_open(const char *path, struct iommufd **out, char *why, size_t why_len)
{
	struct iommufd *ifd;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			snprintf(why, why_len, "kernel has no iommufd: %s missing (CONFIG_IOMMUFD)",
				 path);
		else if (err == EACCES || err == EPERM)
			snprintf(why, why_len, "no permission to open %s: run as root or give "
				 "this user access (e.g. a udev rule or chmod/chown on %s)", path, path);
		else
			snprintf(why, why_len, "cannot open %s: %s", path, strerror(err));
		return -err;
	}
	ifd = calloc(1, sizeof(*ifd));
	if (!ifd) {
		close(fd);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	ifd->fd = fd;
	pthread_mutex_init(&ifd->lock, NULL);
	*out = ifd;
	return 0;
}

int iommufd_fd(const struct iommufd *ifd)
{
	return ifd->fd;
}

struct hiopt iommufd_hiopt(struct iommufd *ifd)
{
	return (struct hiopt){ .ops = &iommufd_ops, .be = ifd };
}

int iommufd_dev_bind(struct iommufd *ifd, int cdev_fd, const char *name, struct hiopt_dev **out)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ifd->fd };
	struct hiopt_dev *dev;
	int rc = iommufd_ioctl(cdev_fd, VFIO_DEVICE_BIND_IOMMUFD, &b);

	if (rc)
		return rc;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;		/* closing cdev_fd unbinds */
	dev->ifd = ifd;
	dev->fd = cdev_fd;
	dev->dev_id = b.out_devid;
	snprintf(dev->name, sizeof(dev->name), "%s", name ? name : "vfio");
	iommufd_dev_link(ifd, dev);
	*out = dev;
	return 0;
}

void iommufd_dev_link(struct iommufd *ifd, struct hiopt_dev *dev)
{
	pthread_mutex_lock(&ifd->lock);
	dev->next = ifd->devs;
	ifd->devs = dev;
	pthread_mutex_unlock(&ifd->lock);
}

/* Give up the kernel side of dev: detach a VFIO device (closing its cdev
 * completes the unbind), destroy a mock device. */
static void dev_release(struct iommufd *ifd, struct hiopt_dev *dev)
{
	if (dev->selftest)
		iommufd_selftest_release(ifd, dev);
	else if (dev->attached)
		ifd_device_detach(ifd, dev);
}

static void dev_unlink(struct iommufd *ifd, struct hiopt_dev *dev)
{
	pthread_mutex_lock(&ifd->lock);
	for (struct hiopt_dev **p = &ifd->devs; *p; p = &(*p)->next) {
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	}
	pthread_mutex_unlock(&ifd->lock);
}

void iommufd_dev_unbind(struct hiopt_dev *dev)
{
	if (!dev)
		return;
	if (dev->ifd) {
		dev_unlink(dev->ifd, dev);
		dev_release(dev->ifd, dev);
	}
	free(dev);
}

int iommufd_dev_hwpt(const struct hiopt_dev *dev, uint32_t *hwpt_id)
{
	if (!dev->attached)
		return -ENOENT;
	*hwpt_id = dev->pt_id;
	return 0;
}

uint32_t iommufd_dev_id(const struct hiopt_dev *dev)
{
	return dev->dev_id;
}

const char *iommufd_dev_name(const struct hiopt_dev *dev)
{
	return dev->name;
}

/* Destroy every tracked object of one kind (called without other users). */
static void destroy_kind(struct iommufd *ifd, enum iommufd_obj_kind kind)
{
	size_t i = 0;

	while (i < ifd->nobjs) {
		if (ifd->objs[i].kind != kind) {
			i++;
			continue;
		}
		if (iommufd_destroy_id(ifd, ifd->objs[i].id))
			fprintf(stderr, "ioshade: iommufd: cannot destroy object %u: %s\n",
				ifd->objs[i].id, strerror(errno));
		ifd->objs[i] = ifd->objs[--ifd->nobjs];
	}
}

void iommufd_close(struct iommufd *ifd)
{
	if (!ifd)
		return;
	/* Devices first: an attached device pins its HWPT/IOAS. */
	while (ifd->devs) {
		struct hiopt_dev *dev = ifd->devs;

		ifd->devs = dev->next;
		dev_release(ifd, dev);
		dev->ifd = NULL;	/* orphaned: iommufd_dev_unbind only frees */
	}
	destroy_kind(ifd, OBJ_HWPT_NESTED);
	destroy_kind(ifd, OBJ_HWPT_PARENT);
	destroy_kind(ifd, OBJ_IOAS);
	free(ifd->objs);
	pthread_mutex_destroy(&ifd->lock);
	close(ifd->fd);
	free(ifd);
}
