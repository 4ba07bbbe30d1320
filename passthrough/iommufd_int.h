/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal state of the iommufd backend, shared by iommufd.c (ops, objects,
 * VFIO cdev devices) and iommufd_selftest.c (the kernel's mock device as a
 * hiopt device, for lab tests). Not for other files.
 */
#ifndef IOSHADE_PASSTHROUGH_IOMMUFD_INT_H
#define IOSHADE_PASSTHROUGH_IOMMUFD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "passthrough/iommufd.h"

enum iommufd_obj_kind { OBJ_IOAS, OBJ_HWPT_PARENT, OBJ_HWPT_NESTED };

struct iommufd_obj {
	uint32_t id;
	enum iommufd_obj_kind kind;
	uint32_t data_type;		/* nested HWPT: the kernel's data type */
};

struct hiopt_dev {
	struct iommufd *ifd;		/* NULL once orphaned by iommufd_close */
	int fd;				/* VFIO cdev, owned by the caller; -1 for a mock */
	uint32_t dev_id;
	uint32_t pt_id;			/* valid while attached: the HWPT in use */
	bool attached;
	/* Selftest mock device: its selftest object and the empty IOAS that
	 * stands in for "blocked" (the mock cannot be detached, only replaced). */
	bool selftest;
	uint32_t stdev_id;
	uint32_t park_ioas;
	char name[64];
	struct hiopt_dev *next;
};

struct iommufd {
	int fd;
	pthread_mutex_t lock;		/* protects objs, nobjs, devs, memlock_warned */
	struct iommufd_obj *objs;
	size_t nobjs;
	size_t cap;
	struct hiopt_dev *devs;
	bool memlock_warned;
};

/* iommufd.c */
int iommufd_ioctl(int fd, unsigned long req, void *arg);	/* 0 or -errno */
int iommufd_destroy_id(struct iommufd *ifd, uint32_t id);
void iommufd_dev_link(struct iommufd *ifd, struct hiopt_dev *dev);

/* iommufd_selftest.c: attach/detach of a mock device, and its release
 * (selftest object, then park IOAS) on unbind or close. */
int iommufd_selftest_attach(struct iommufd *ifd, struct hiopt_dev *dev, uint32_t pt_id);
int iommufd_selftest_detach(struct iommufd *ifd, struct hiopt_dev *dev);
void iommufd_selftest_release(struct iommufd *ifd, struct hiopt_dev *dev);

#endif
