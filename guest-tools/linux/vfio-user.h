/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A PCI device opened from user space through VFIO: either the VFIO cdev bound
 * to iommufd (/dev/vfio/devices/vfioN + /dev/iommu, one IOAS) or the legacy
 * type1 container (/dev/vfio/vfio + /dev/vfio/<group>). Both backends give the
 * same verbs: DMA map/unmap of user memory at a fixed IOVA, BAR access, config
 * space access.
 */
#ifndef IOSHADE_GUEST_LINUX_VFIO_USER_H
#define IOSHADE_GUEST_LINUX_VFIO_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vfu_backend {
	VFU_IOMMUFD,	/* VFIO cdev + iommufd IOAS */
	VFU_TYPE1,	/* VFIO group + type1 container */
};

struct vfu_region {
	uint64_t offset;	/* offset of the region in the device fd */
	uint64_t size;
	volatile uint8_t *map;	/* NULL: access with pread/pwrite */
};

struct vfu_dev;

struct vfu_dev_ops {
	const char *name;
	int (*open)(struct vfu_dev *d, const char *bdf);
	int (*map)(struct vfu_dev *d, void *va, uint64_t iova, uint64_t len);
	int (*unmap)(struct vfu_dev *d, uint64_t iova, uint64_t len);
	void (*close)(struct vfu_dev *d);
};

/* One opened device. fds are -1 when unused; only the backend's own are set. */
struct vfu_dev {
	const struct vfu_dev_ops *ops;
	int device;		/* VFIO device fd */
	int iommufd;		/* VFU_IOMMUFD */
	uint32_t ioas_id;
	uint32_t devid;
	int container;		/* VFU_TYPE1 */
	int group;
	struct vfu_region cfg;	/* config space, always pread/pwrite */
	struct vfu_region bar0;
	char err[256];		/* why the last call failed */
};

/*
 * Open BDF ("0000:00:03.0") with the given backend, enable memory decoding and
 * bus mastering, and mmap BAR0 unless use_rw. On failure err says why.
 */
int vfu_open(struct vfu_dev **out, enum vfu_backend be, const char *bdf, bool use_rw,
	     char *err, size_t errlen);
void vfu_close(struct vfu_dev *d);
/* Why the last map/unmap failed. */
const char *vfu_error(const struct vfu_dev *d);

int vfu_dma_map(struct vfu_dev *d, void *va, uint64_t iova, uint64_t len);
int vfu_dma_unmap(struct vfu_dev *d, uint64_t iova, uint64_t len);

int vfu_cfg_read(struct vfu_dev *d, uint32_t off, void *buf, size_t len);
int vfu_cfg_write(struct vfu_dev *d, uint32_t off, const void *buf, size_t len);

/* 32-bit BAR0 register access: through the mapping when there is one. */
uint32_t vfu_bar0_read32(struct vfu_dev *d, uint64_t off);
void vfu_bar0_write32(struct vfu_dev *d, uint64_t off, uint32_t val);

/* The first PCI device vendor:device in sysfs, written to bdf; -ENOENT if none. */
int vfu_find_pci(uint16_t vendor, uint16_t device, char *bdf, size_t len);

#endif
