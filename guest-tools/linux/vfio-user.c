// SPDX-License-Identifier: GPL-2.0-only
// VFIO from user space for the Linux test guests: the iommufd + VFIO cdev
// backend and the legacy type1 container backend behind one const ops table,
// then what both share: config space, BAR0 (mmap or pread/pwrite), bus
// mastering, and a sysfs lookup of a PCI device by vendor:device.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_abi.h"
#include "vfio-user.h"

#define SYSFS_PCI "/sys/bus/pci/devices"
#define PCI_CMD_OFF 0x04
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4

static int errf(struct vfu_dev *d, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(struct vfu_dev *d, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- iommufd + VFIO cdev ---- */

/* /sys/bus/pci/devices/BDF/vfio-dev/vfioN -> /dev/vfio/devices/vfioN */
static int find_cdev(struct vfu_dev *d, const char *bdf, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dp;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), SYSFS_PCI "/%s/vfio-dev", bdf);
	dp = opendir(dir);
	if (!dp)
		return errf(d, -errno, "%s: %s (no VFIO cdev: device not bound to vfio-pci, "
			    "or kernel without CONFIG_VFIO_DEVICE_CDEV)", dir, strerror(errno));
	while ((e = readdir(dp))) {
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(path, len, "/dev/vfio/devices/%s", e->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dp);
	return ret ? errf(d, ret, "%s: no vfioN entry", dir) : 0;
}

static int iommufd_bind_attach(struct vfu_dev *d)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = d->iommufd };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	if (ioctl(d->device, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return errf(d, -errno, "VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
	d->devid = bind.out_devid;
	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return errf(d, -errno, "IOMMU_IOAS_ALLOC: %s", strerror(errno));
	d->ioas_id = alloc.out_ioas_id;
	at.pt_id = d->ioas_id;
	if (ioctl(d->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return errf(d, -errno, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(ioas %u): %s",
			    d->ioas_id, strerror(errno));
	return 0;
}

static int iommufd_open(struct vfu_dev *d, const char *bdf)
{
	char path[PATH_MAX];
	int ret = find_cdev(d, bdf, path, sizeof(path));

	if (ret)
		return ret;
	d->device = open(path, O_RDWR | O_CLOEXEC);
	if (d->device < 0)
		return errf(d, -errno, "open %s: %s", path, strerror(errno));
	d->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (d->iommufd < 0)
		return errf(d, -errno, "open /dev/iommu: %s (kernel without CONFIG_IOMMUFD?)",
			    strerror(errno));
	return iommufd_bind_attach(d);
}

static int iommufd_map(struct vfu_dev *d, void *va, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = d->ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	if (ioctl(d->iommufd, IOMMU_IOAS_MAP, &map))
		return errf(d, -errno, "IOMMU_IOAS_MAP iova %#llx len %#llx: %s",
			    (unsigned long long)iova, (unsigned long long)len, strerror(errno));
	return 0;
}

static int iommufd_unmap(struct vfu_dev *d, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap), .ioas_id = d->ioas_id, .iova = iova, .length = len,
	};

	if (ioctl(d->iommufd, IOMMU_IOAS_UNMAP, &unmap))
		return errf(d, -errno, "IOMMU_IOAS_UNMAP iova %#llx: %s",
			    (unsigned long long)iova, strerror(errno));
	if (unmap.length != len)
		return errf(d, -EIO, "IOMMU_IOAS_UNMAP unmapped %#llx of %#llx bytes",
			    (unsigned long long)unmap.length, (unsigned long long)len);
	return 0;
}

static void iommufd_close(struct vfu_dev *d)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = d->ioas_id };

	/* Closing the device detaches it, so the IOAS can go next. */
	if (d->device >= 0)
		close(d->device);
	d->device = -1;
	if (d->iommufd < 0)
		return;
	if (d->ioas_id)
		ioctl(d->iommufd, IOMMU_DESTROY, &destroy);
	close(d->iommufd);
	d->iommufd = -1;
}

static const struct vfu_dev_ops iommufd_ops = {
	.name = "iommufd",
	.open = iommufd_open,
	.map = iommufd_map,
	.unmap = iommufd_unmap,
	.close = iommufd_close,
};

/* ---- VFIO group + type1 container ---- */

static int type1_group_open(struct vfu_dev *d, const char *bdf)
{
	char link[PATH_MAX], path[PATH_MAX];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	const char *group;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errf(d, -errno, "%s: %s (device not behind an IOMMU?)", path,
			    strerror(errno));
	link[n] = '\0';
	group = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strlen(group) > 32)
		return errf(d, -EINVAL, "%s: odd IOMMU group name", path);
	snprintf(path, sizeof(path), "/dev/vfio/%.32s", group);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		return errf(d, -errno, "open %s: %s (device not bound to vfio-pci, or kernel "
			    "without CONFIG_VFIO_GROUP?)", path, strerror(errno));
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st))
		return errf(d, -errno, "VFIO_GROUP_GET_STATUS: %s", strerror(errno));
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return errf(d, -EBUSY, "%s is not viable: bind every device of the group "
			    "to vfio-pci", path);
	return 0;
}

static int type1_container_open(struct vfu_dev *d)
{
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return errf(d, -errno, "open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return errf(d, -EINVAL, "/dev/vfio/vfio: unknown VFIO API version");
	if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return errf(d, -EOPNOTSUPP, "/dev/vfio/vfio: no VFIO_TYPE1v2_IOMMU");
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return errf(d, -errno, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return errf(d, -errno, "VFIO_SET_IOMMU(type1v2): %s", strerror(errno));
	return 0;
}

static int type1_open(struct vfu_dev *d, const char *bdf)
{
	int ret = type1_group_open(d, bdf);

	if (!ret)
		ret = type1_container_open(d);
	if (ret)
		return ret;
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->device < 0)
		return errf(d, -errno, "VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf, strerror(errno));
	return 0;
}

static int type1_map(struct vfu_dev *d, void *va, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	if (ioctl(d->container, VFIO_IOMMU_MAP_DMA, &map))
		return errf(d, -errno, "VFIO_IOMMU_MAP_DMA iova %#llx len %#llx: %s",
			    (unsigned long long)iova, (unsigned long long)len, strerror(errno));
	return 0;
}

static int type1_unmap(struct vfu_dev *d, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = len,
	};

	if (ioctl(d->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return errf(d, -errno, "VFIO_IOMMU_UNMAP_DMA iova %#llx: %s",
			    (unsigned long long)iova, strerror(errno));
	if (unmap.size != len)
		return errf(d, -EIO, "VFIO_IOMMU_UNMAP_DMA unmapped %#llx of %#llx bytes",
			    (unsigned long long)unmap.size, (unsigned long long)len);
	return 0;
}

static void type1_close(struct vfu_dev *d)
{
	if (d->device >= 0)
		close(d->device);
	d->device = -1;
	if (d->group >= 0) {
		if (d->container >= 0)
			ioctl(d->group, VFIO_GROUP_UNSET_CONTAINER);
		close(d->group);
		d->group = -1;
	}
	if (d->container >= 0)
		close(d->container);
	d->container = -1;
}

static const struct vfu_dev_ops type1_ops = {
	.name = "type1",
	.open = type1_open,
	.map = type1_map,
	.unmap = type1_unmap,
	.close = type1_close,
};

/* ---- shared: regions, config space, BAR0 ---- */

static int region_get(struct vfu_dev *d, uint32_t index, struct vfu_region *r, uint32_t *flags)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(d->device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return errf(d, -errno, "VFIO_DEVICE_GET_REGION_INFO(%u): %s", index,
			    strerror(errno));
	r->offset = info.offset;
	r->size = info.size;
	*flags = info.flags;
	return 0;
}

static int bar0_setup(struct vfu_dev *d, bool use_rw)
{
	uint32_t flags;
	void *p;
	int ret = region_get(d, VFIO_PCI_BAR0_REGION_INDEX, &d->bar0, &flags);

	if (ret)
		return ret;
	if (!d->bar0.size)
		return errf(d, -ENODEV, "BAR0 is not implemented");
	if (use_rw || !(flags & VFIO_REGION_INFO_FLAG_MMAP))
		return 0;
	p = mmap(NULL, d->bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->device,
		 (off_t)d->bar0.offset);
	/* A BAR that will not mmap is still reachable with pread/pwrite. */
	if (p != MAP_FAILED)
		d->bar0.map = p;
	return 0;
}

/* Memory decoding for BAR0 and bus mastering for DMA. */
static int enable_master(struct vfu_dev *d)
{
	uint16_t cmd;

	if (vfu_cfg_read(d, PCI_CMD_OFF, &cmd, sizeof(cmd)))
		return errf(d, -EIO, "config read of the command register failed");
	cmd |= PCI_CMD_MEMORY | PCI_CMD_MASTER;
	if (vfu_cfg_write(d, PCI_CMD_OFF, &cmd, sizeof(cmd)))
		return errf(d, -EIO, "config write of the command register failed");
	return 0;
}

static int vfu_setup(struct vfu_dev *d, const char *bdf, bool use_rw)
{
	uint32_t flags;
	int ret = d->ops->open(d, bdf);

	if (!ret)
		ret = region_get(d, VFIO_PCI_CONFIG_REGION_INDEX, &d->cfg, &flags);
	if (!ret)
		ret = bar0_setup(d, use_rw);
	if (!ret)
		ret = enable_master(d);
	return ret;
}

int vfu_open(struct vfu_dev **out, enum vfu_backend be, const char *bdf, bool use_rw,
	     char *err, size_t errlen)
{
	struct vfu_dev *d = calloc(1, sizeof(*d));
	int ret;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->ops = be == VFU_TYPE1 ? &type1_ops : &iommufd_ops;
	d->device = d->iommufd = d->container = d->group = -1;
	ret = vfu_setup(d, bdf, use_rw);
	if (ret) {
		snprintf(err, errlen, "%s: %s", d->ops->name, d->err);
		vfu_close(d);
		return ret;
	}
	*out = d;
	return 0;
}

void vfu_close(struct vfu_dev *d)
{
	if (!d)
		return;
	if (d->bar0.map)
		munmap((void *)d->bar0.map, d->bar0.size);
	d->ops->close(d);
	free(d);
}

const char *vfu_error(const struct vfu_dev *d)
{
	return d->err;
}

int vfu_dma_map(struct vfu_dev *d, void *va, uint64_t iova, uint64_t len)
{
	return d->ops->map(d, va, iova, len);
}

int vfu_dma_unmap(struct vfu_dev *d, uint64_t iova, uint64_t len)
{
	return d->ops->unmap(d, iova, len);
}

static bool in_region(const struct vfu_region *r, uint64_t off, size_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= r->size;
}

int vfu_cfg_read(struct vfu_dev *d, uint32_t off, void *buf, size_t len)
{
	if (!in_region(&d->cfg, off, len))
		return -ERANGE;
	return pread(d->device, buf, len, (off_t)(d->cfg.offset + off)) == (ssize_t)len ? 0 : -EIO;
}

int vfu_cfg_write(struct vfu_dev *d, uint32_t off, const void *buf, size_t len)
{
	if (!in_region(&d->cfg, off, len))
		return -ERANGE;
	return pwrite(d->device, buf, len, (off_t)(d->cfg.offset + off)) == (ssize_t)len ? 0 : -EIO;
}

uint32_t vfu_bar0_read32(struct vfu_dev *d, uint64_t off)
{
	uint32_t v = ~0u;

	if (!in_region(&d->bar0, off, sizeof(v)))
		return ~0u;
	if (d->bar0.map)
		return *(volatile uint32_t *)(d->bar0.map + off);
	if (pread(d->device, &v, sizeof(v), (off_t)(d->bar0.offset + off)) != sizeof(v))
		return ~0u;
	return v;
}

void vfu_bar0_write32(struct vfu_dev *d, uint64_t off, uint32_t val)
{
	if (!in_region(&d->bar0, off, sizeof(val)))
		return;
	if (d->bar0.map) {
		*(volatile uint32_t *)(d->bar0.map + off) = val;
		return;
	}
	/* A failed write shows up as a register that does not change. */
	if (pwrite(d->device, &val, sizeof(val), (off_t)(d->bar0.offset + off)) != sizeof(val))
		return;
}

static unsigned long read_hex(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return ~0ul;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtoul(buf, NULL, 16) : ~0ul;
}

int vfu_find_pci(uint16_t vendor, uint16_t device, char *bdf, size_t len)
{
	struct dirent *e;
	DIR *dp = opendir(SYSFS_PCI);
	int ret = -ENOENT;

	if (!dp)
		return -errno;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		if (read_hex(e->d_name, "vendor") == vendor &&
		    read_hex(e->d_name, "device") == device) {
			snprintf(bdf, len, "%s", e->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dp);
	return ret;
}
