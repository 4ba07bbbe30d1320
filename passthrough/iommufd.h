/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real hiopt backend: Linux iommufd (/dev/iommu). One struct iommufd per
 * VM; it tracks the objects it created so iommufd_close tears them down in a
 * safe order (devices detached, nested HWPTs, nest parents, IOASes last).
 * VFIO cdev devices are bound here so the ops table can attach them.
 */
#ifndef IOSHADE_PASSTHROUGH_IOMMUFD_H
#define IOSHADE_PASSTHROUGH_IOMMUFD_H

#include <stddef.h>
#include <stdint.h>

#include "viommu/hiopt.h"

struct iommufd;
struct hiopt_dev;

#define IOMMUFD_PATH	"/dev/iommu"

/*
 * Open path (IOMMUFD_PATH normally). On failure returns -errno and writes a
 * sentence for the user into why (ENOENT: kernel without CONFIG_IOMMUFD,
 * EACCES: permissions); nothing is printed.
 */
int iommufd_open(const char *path, struct iommufd **out, char *why, size_t why_len);
void iommufd_close(struct iommufd *ifd);
int iommufd_fd(const struct iommufd *ifd);
/* The hiopt instance backed by ifd (valid until iommufd_close). */
struct hiopt iommufd_hiopt(struct iommufd *ifd);

/*
 * VFIO_DEVICE_BIND_IOMMUFD on an open VFIO cdev. iommufd_dev_unbind detaches
 * the device and frees the handle; closing the cdev fd (the caller owns it)
 * completes the unbind in the kernel. Unbind devices before iommufd_close; a
 * handle still bound then is detached and orphaned (unbind later just frees).
 */
int iommufd_dev_bind(struct iommufd *ifd, int cdev_fd, const char *name,
		     struct hiopt_dev **out);
void iommufd_dev_unbind(struct hiopt_dev *dev);
uint32_t iommufd_dev_id(const struct hiopt_dev *dev);
const char *iommufd_dev_name(const struct hiopt_dev *dev);
/* The HWPT dev is attached to (for an IOAS: the one the kernel picked), or
 * -ENOENT when it is not attached. */
int iommufd_dev_hwpt(const struct hiopt_dev *dev, uint32_t *hwpt_id);

/*
 * The iommufd selftest mock device (CONFIG_IOMMUFD_TEST) as a hiopt device,
 * for lab tests: IOMMU_TEST_OP_MOCK_DOMAIN creates it bound to ifd and
 * attached to a private empty "park" IOAS. Attach replaces its page table
 * (MOCK_DOMAIN_REPLACE); detach replaces it back to the park IOAS, since the
 * mock cannot be left attached to nothing. iommufd_dev_unbind destroys it.
 * *stdev_id (optional) gets the selftest object id. -ENOTTY: no IOMMUFD_TEST.
 */
int iommufd_selftest_dev_create(struct iommufd *ifd, struct hiopt_dev **out,
				uint32_t *stdev_id);

/*
 * Will pinning bytes more fit in RLIMIT_MEMLOCK? iommufd charges pinned pages
 * to the user's locked_vm against RLIMIT_MEMLOCK unless the process has
 * CAP_IPC_LOCK. 0 when it fits (or is not charged), else -ENOMEM with a hint
 * (ulimit -l / setrlimit) in why.
 */
int iommufd_check_memlock(uint64_t bytes, char *why, size_t why_len);

/* Decode a VT-d cap/ecap pair into hw_info fields (exposed for tests). */
void iommufd_vtd_decode(uint64_t cap, uint64_t ecap, struct hiopt_hw_info *info);

#endif
