/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A host PCI device opened through its VFIO cdev (/dev/vfio/devices/vfioN),
 * bound to an iommufd, and offered as a struct pdev to the assignment layer.
 */
#ifndef IOSHADE_PASSTHROUGH_VFIO_DEV_H
#define IOSHADE_PASSTHROUGH_VFIO_DEV_H

#include <stddef.h>

#include "passthrough/iommufd.h"
#include "passthrough/pdev.h"

struct vfio_dev;

#define VFIO_SYSFS_ROOT	"/sys"
#define VFIO_DEV_ROOT	"/dev"

/*
 * Find the cdev of spec (a BDF like 0000:03:00.0 or 03:00.0, or a sysfs
 * device path) under sysfs_root and dev_root (normally /sys and /dev). On
 * failure returns -errno and a sentence for the user in why: no such device,
 * bound to another driver (with the commands to rebind it), kernel without
 * CONFIG_VFIO_DEVICE_CDEV, IOMMU group not viable (naming the other devices).
 */
int vfio_dev_locate(const char *sysfs_root, const char *dev_root, const char *spec,
		    char *cdev, size_t cdev_len, char *bdf, size_t bdf_len,
		    char *why, size_t why_len);

/* Locate, open, VFIO_DEVICE_BIND_IOMMUFD, read region and IRQ info. */
int vfio_dev_open(struct iommufd *ifd, const char *spec, struct vfio_dev **out,
		  char *why, size_t why_len);
/* Unbinds from the iommufd (detaching first) and closes the cdev. */
void vfio_dev_close(struct vfio_dev *vd);

struct pdev vfio_dev_pdev(struct vfio_dev *vd);
struct hiopt_dev *vfio_dev_hiopt(struct vfio_dev *vd);

#endif
