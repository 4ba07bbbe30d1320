// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct pdev on a VFIO cdev: finds /dev/vfio/devices/vfioN from a BDF through
 * sysfs (explaining what is wrong when it is not usable), binds the device to
 * an iommufd, and implements region access, mmap, SET_IRQS and reset with
 * the VFIO device ioctls.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passthrough/uapi/iommufd_abi.h"
#include "passthrough/vfio_dev.h"

#define VFIO_DEV_MAX_VECTORS	2048
#define VFIO_DEV_MAX_INFO	(64u << 10)	/* region info with its capabilities */

struct vfio_region {
	uint64_t size;
	uint64_t offset;		/* of the region within the cdev fd */
	uint32_t flags;			/* PDEV_REGION_F_* */
};

struct vfio_dev {
	int fd;
	struct iommufd *ifd;
	struct hiopt_dev *hdev;
	uint32_t flags;			/* VFIO_DEVICE_FLAGS_* */
	struct vfio_region region[PDEV_NUM_REGIONS];
	unsigned nregions;
	uint32_t irq_count[3];		/* INTx, MSI, MSI-X */
	char bdf[16];
};

/* ---- sysfs: from a BDF to the cdev ---- */

/* out = a/b; false when it does not fit. */
static bool path_join(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/%s", a, b);

	return n > 0 && (size_t)n < len;
}

static int parse_bdf(const char *spec, char *bdf, size_t len)
{
	const char *base = spec;
	char tmp[PATH_MAX];
	unsigned dom = 0, bus, dev, fn;
	char end;

	if (strchr(spec, '/')) {
		snprintf(tmp, sizeof(tmp), "%s", spec);
		for (size_t n = strlen(tmp); n > 1 && tmp[n - 1] == '/'; n--)
			tmp[n - 1] = 0;
		base = strrchr(tmp, '/') + 1;
	}
	if (sscanf(base, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &end) != 4 &&
	    (dom = 0, sscanf(base, "%x:%x.%x%c", &bus, &dev, &fn, &end) != 3))
		return -EINVAL;
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(bdf, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* Name of the driver bound at dir (its "driver" symlink), or "" if none. */
static void driver_of(const char *dir, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/driver", dir);
	n = readlink(path, link, sizeof(link) - 1);
	drv[0] = 0;
	if (n <= 0)
		return;
	link[n] = 0;
	if (snprintf(drv, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link) >= (int)len)
		drv[0] = 0;	/* no driver name is that long */
}

/* First "vfioN" entry in dir, or -ENOENT. */
static int find_vfio_entry(const char *dir, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4) && e->d_name[4] >= '0' && e->d_name[4] <= '9') {
			ret = snprintf(name, len, "%s", e->d_name) < (int)len ? 0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return ret;
}

static int explain_unbound(const char *devpath, const char *bdf, const char *drv,
			   char *why, size_t why_len)
{
	if (!strcmp(drv, "vfio-pci")) {
		snprintf(why, why_len, "%s is bound to vfio-pci but %s/vfio-dev is missing: "
			 "the kernel has no VFIO cdev (CONFIG_VFIO_DEVICE_CDEV)", bdf, devpath);
		return -EOPNOTSUPP;
	}
	if (!drv[0]) {
		snprintf(why, why_len, "%s is not bound to any driver. Bind it to vfio-pci "
			 "(as root):\n  echo vfio-pci > /sys/bus/pci/devices/%s/driver_override\n"
			 "  echo %s > /sys/bus/pci/drivers_probe", bdf, bdf, bdf);
		return -ENODEV;
	}
	snprintf(why, why_len, "%s is bound to %s, not to vfio-pci. Rebind it (as root):\n"
		 "  echo %s > /sys/bus/pci/devices/%s/driver/unbind\n"
		 "  echo vfio-pci > /sys/bus/pci/devices/%s/driver_override\n"
		 "  echo %s > /sys/bus/pci/drivers_probe", bdf, drv, bdf, bdf, bdf, bdf);
	return -ENODEV;
}

static bool driver_is_harmless(const char *drv)
{
	/* No driver, VFIO, pci-stub (no DMA) or a bridge's port driver. */
	return !drv[0] || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

/* Every other device in the IOMMU group must be unused by host drivers. */
static int check_group(const char *devpath, const char *bdf, char *why, size_t why_len)
{
	char dir[PATH_MAX], sub[PATH_MAX], drv[64], busy[512] = "";
	struct dirent *e;
	size_t used = 0;
	DIR *d;

	d = path_join(dir, sizeof(dir), devpath, "iommu_group/devices") ? opendir(dir) : NULL;
	if (!d) {
		snprintf(why, why_len, "%s has no IOMMU group: is the IOMMU on "
			 "(intel_iommu=on / amd_iommu=on, CONFIG_IOMMUFD)?", bdf);
		return -ENODEV;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, bdf))
			continue;
		if (!path_join(sub, sizeof(sub), dir, e->d_name))
			continue;
		driver_of(sub, drv, sizeof(drv));
		if (!driver_is_harmless(drv) && used < sizeof(busy))
			used += snprintf(busy + used, sizeof(busy) - used, "%s%s (%s)",
					 used ? ", " : "", e->d_name, drv);
	}
	closedir(d);
	if (!used)
		return 0;
	snprintf(why, why_len, "IOMMU group of %s is not viable: %s %s bound to host drivers; "
		 "bind them to vfio-pci as well (or unbind them)", bdf, busy,
		 strchr(busy, ',') ? "are" : "is");
	return -EBUSY;
}

int vfio_dev_locate(const char *sysfs_root, const char *dev_root, const char *spec,
		    char *cdev, size_t cdev_len, char *bdf, size_t bdf_len,
		    char *why, size_t why_len)
{
	char devpath[PATH_MAX], sub[PATH_MAX], drv[64], node[32];
	struct stat st;
	int ret;

	if (parse_bdf(spec, bdf, bdf_len)) {
		snprintf(why, why_len, "'%s' is not a PCI address (want 0000:03:00.0)", spec);
		return -EINVAL;
	}
	snprintf(devpath, sizeof(devpath), "%s/bus/pci/devices/%s", sysfs_root, bdf);
	if (stat(devpath, &st)) {
		snprintf(why, why_len, "no PCI device %s (%s missing; see lspci -D)", bdf, devpath);
		return -ENOENT;
	}
	if (!path_join(sub, sizeof(sub), devpath, "vfio-dev") ||
	    find_vfio_entry(sub, node, sizeof(node))) {
		driver_of(devpath, drv, sizeof(drv));
		return explain_unbound(devpath, bdf, drv, why, why_len);
	}
	ret = check_group(devpath, bdf, why, why_len);
	if (ret)
		return ret;
	snprintf(cdev, cdev_len, "%s/vfio/devices/%s", dev_root, node);
	if (stat(cdev, &st)) {
		snprintf(why, why_len, "%s missing (is udev running? %s/%s/dev holds its "
			 "major:minor for mknod)", cdev, sub, node);
		return -ENOENT;
	}
	return 0;
}

/* ---- device info ---- */

/* A sparse-mmap capability means only parts may be mapped: we then trap. */
static bool has_sparse_mmap(const struct vfio_region_info *ri)
{
	uint32_t off = ri->cap_offset;

	for (int guard = 0; off && guard < 16; guard++) {
		struct vfio_info_cap_header h;

		/* ri->argsz <= the buffer (region_query checks it). */
		if (off < sizeof(*ri) || off + sizeof(h) > ri->argsz)
			return true;	/* malformed: be conservative */
		memcpy(&h, (const uint8_t *)ri + off, sizeof(h));	/* may be unaligned */
		if (h.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			return true;
		off = h.next;
	}
	return off != 0;		/* a chain longer than 16: malformed */
}

static int region_query(struct vfio_dev *vd, unsigned idx)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri));
	struct vfio_region *r = &vd->region[idx];
	uint32_t sz = sizeof(*ri);
	int ret = -ENOMEM;

	for (int pass = 0; ri && pass < 2; pass++) {
		ri->argsz = sz;
		ri->index = idx;
		ret = ioctl(vd->fd, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
		if (ret || ri->argsz <= sz)
			break;
		/* Capabilities follow: fetch again with room for them, once
		 * (a size that keeps growing is an error, not a loop). */
		ret = -EIO;
		if (pass || ri->argsz > VFIO_DEV_MAX_INFO)
			break;
		sz = ri->argsz;
		free(ri);
		ri = calloc(1, sz);
		ret = -ENOMEM;
	}
	if (!ret) {
		r->size = ri->size;
		r->offset = ri->offset;
		r->flags = (ri->flags & VFIO_REGION_INFO_FLAG_READ ? PDEV_REGION_F_READ : 0) |
			   (ri->flags & VFIO_REGION_INFO_FLAG_WRITE ? PDEV_REGION_F_WRITE : 0);
		if ((ri->flags & VFIO_REGION_INFO_FLAG_MMAP) &&
		    !((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && has_sparse_mmap(ri)))
			r->flags |= PDEV_REGION_F_MMAP;
	}
	free(ri);
	return ret;
}

static int dev_query(struct vfio_dev *vd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int ret;

	if (ioctl(vd->fd, VFIO_DEVICE_GET_INFO, &info))
		return -errno;
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI))
		return -ENODEV;
	vd->flags = info.flags;
	vd->nregions = info.num_regions < PDEV_NUM_REGIONS ? info.num_regions : PDEV_NUM_REGIONS;
	for (unsigned i = 0; i < vd->nregions; i++) {
		ret = region_query(vd, i);
		if (ret)
			return ret;
	}
	for (unsigned i = 0; i < 3 && i < info.num_irqs; i++) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = i };

		if (ioctl(vd->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq))
			return -errno;
		vd->irq_count[i] = (irq.flags & VFIO_IRQ_INFO_EVENTFD) ? irq.count : 0;
		/* No PCI interrupt type has more vectors than MSI-X's 2048. */
		if (vd->irq_count[i] > VFIO_DEV_MAX_VECTORS)
			vd->irq_count[i] = VFIO_DEV_MAX_VECTORS;
	}
	return 0;
}

/* ---- pdev ops ---- */

static const struct vfio_region *region_get(struct vfio_dev *vd, unsigned idx, uint64_t off,
					    size_t len)
{
	uint64_t end;

	if (idx >= vd->nregions || __builtin_add_overflow(off, len, &end) ||
	    end > vd->region[idx].size)
		return NULL;
	return &vd->region[idx];
}

static int op_region_info(void *d, unsigned idx, struct pdev_region_info *info)
{
	struct vfio_dev *vd = d;

	if (idx >= vd->nregions)
		return -EINVAL;
	info->size = vd->region[idx].size;
	info->flags = vd->region[idx].flags;
	return 0;
}

static ssize_t op_region_read(void *d, unsigned idx, uint64_t off, void *buf, size_t len)
{
	struct vfio_dev *vd = d;
	const struct vfio_region *r = region_get(vd, idx, off, len);
	ssize_t n;

	if (!r || !(r->flags & PDEV_REGION_F_READ))
		return -EINVAL;
	n = pread(vd->fd, buf, len, r->offset + off);
	return n < 0 ? -errno : n;
}

static ssize_t op_region_write(void *d, unsigned idx, uint64_t off, const void *buf, size_t len)
{
	struct vfio_dev *vd = d;
	const struct vfio_region *r = region_get(vd, idx, off, len);
	ssize_t n;

	if (!r || !(r->flags & PDEV_REGION_F_WRITE))
		return -EINVAL;
	n = pwrite(vd->fd, buf, len, r->offset + off);
	return n < 0 ? -errno : n;
}

static void *op_region_mmap(void *d, unsigned idx, uint64_t size)
{
	struct vfio_dev *vd = d;
	const struct vfio_region *r = region_get(vd, idx, 0, size);
	void *p;

	if (!r || !(r->flags & PDEV_REGION_F_MMAP))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vd->fd, r->offset);
	return p == MAP_FAILED ? NULL : p;
}

static void op_region_munmap(void *d, unsigned idx, void *addr, uint64_t size)
{
	munmap(addr, size);
}

static int op_irq_count(void *d, unsigned type)
{
	struct vfio_dev *vd = d;

	return type < 3 ? (int)vd->irq_count[type] : 0;
}

static int op_set_irqs(void *d, unsigned type, unsigned start, unsigned count, const int *fds)
{
	struct vfio_dev *vd = d;
	size_t sz = sizeof(struct vfio_irq_set) + (size_t)count * sizeof(int32_t);
	struct vfio_irq_set *s;
	int ret;

	if (type >= 3)
		return -EINVAL;
	s = calloc(1, sz);
	if (!s)
		return -ENOMEM;
	s->argsz = sz;
	s->index = type;
	s->start = start;
	s->count = count;
	/* count 0 with DATA_NONE disables the index; fd -1 unbinds one vector. */
	s->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		   (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	for (unsigned i = 0; i < count; i++) {
		int32_t fd = fds[i];

		memcpy(s->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	ret = ioctl(vd->fd, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
	free(s);
	return ret;
}

static int op_reset(void *d)
{
	struct vfio_dev *vd = d;

	if (!(vd->flags & VFIO_DEVICE_FLAGS_RESET))
		return -EOPNOTSUPP;
	return ioctl(vd->fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

static struct hiopt_dev *op_hiopt_dev(void *d)
{
	return ((struct vfio_dev *)d)->hdev;
}

static const char *op_name(void *d)
{
	return ((struct vfio_dev *)d)->bdf;
}

static const struct pdev_ops vfio_pdev_ops = {
	.region_info = op_region_info,
	.region_read = op_region_read,
	.region_write = op_region_write,
	.region_mmap = op_region_mmap,
	.region_munmap = op_region_munmap,
	.irq_count = op_irq_count,
	.set_irqs = op_set_irqs,
	.reset = op_reset,
	.hiopt_dev = op_hiopt_dev,
	.name = op_name,
};

/* ---- lifetime ---- */

static int open_cdev(const char *cdev, char *why, size_t why_len)
{
	int fd = open(cdev, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == EACCES || errno == EPERM)
		snprintf(why, why_len, "no permission to open %s: run as root, or chown it to "
			 "this user (and /dev/iommu too)", cdev);
	else
		snprintf(why, why_len, "cannot open %s: %s", cdev, strerror(errno));
	return -errno;
}

int vfio_dev_open(struct iommufd *ifd, const char *spec, struct vfio_dev **out,
		  char *why, size_t why_len)
{
	struct vfio_dev *vd = calloc(1, sizeof(*vd));
	char cdev[PATH_MAX];
	int ret = -ENOMEM;

	if (!vd)
		goto err;
	ret = vfio_dev_locate(VFIO_SYSFS_ROOT, VFIO_DEV_ROOT, spec, cdev, sizeof(cdev),
			      vd->bdf, sizeof(vd->bdf), why, why_len);
	if (ret)
		goto err_free;
	vd->fd = ret = open_cdev(cdev, why, why_len);
	if (ret < 0)
		goto err_free;
	ret = iommufd_dev_bind(ifd, vd->fd, vd->bdf, &vd->hdev);
	if (ret) {
		snprintf(why, why_len, "VFIO_DEVICE_BIND_IOMMUFD on %s failed: %s%s", cdev,
			 strerror(-ret), ret == -EBUSY ? " (device in use, or opened through "
			 "/dev/vfio/<group> elsewhere)" : "");
		goto err_close;
	}
	vd->ifd = ifd;
	ret = dev_query(vd);
	if (ret) {
		snprintf(why, why_len, "reading VFIO info of %s failed: %s", vd->bdf,
			 ret == -ENODEV ? "not a vfio-pci device" : strerror(-ret));
		goto err_unbind;
	}
	*out = vd;
	return 0;
err_unbind:
	iommufd_dev_unbind(vd->hdev);
err_close:
	close(vd->fd);
err_free:
	free(vd);
err:
	return ret;
}

void vfio_dev_close(struct vfio_dev *vd)
{
	if (!vd)
		return;
	iommufd_dev_unbind(vd->hdev);
	close(vd->fd);
	free(vd);
}

struct pdev vfio_dev_pdev(struct vfio_dev *vd)
{
	return (struct pdev){ .ops = &vfio_pdev_ops, .d = vd };
}

struct hiopt_dev *vfio_dev_hiopt(struct vfio_dev *vd)
{
	return vd->hdev;
}
