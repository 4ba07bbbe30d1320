/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host objects of the viommu: the IOASes and HWPTs it allocates through a
 * hiopt backend, in the manner of iommufd's objects. Each has an owner
 * backend, a kind, a parent it holds (nest parent -> its IOAS, nested HWPT ->
 * its nest parent) and a count of users. A user is whatever holds a pointer
 * to it: a domain (its page table), the viommu (the stage-2 IOAS), a host
 * endpoint whose device is attached to it, a child. The last put destroys it
 * on the host and then puts its parent: one destroy path, children first.
 * Not for other folders; every call runs under v->lock.
 */
#ifndef IOSHADE_VIOMMU_HOBJ_H
#define IOSHADE_VIOMMU_HOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "viommu/hiopt.h"

enum hobj_kind {
	HOBJ_IOAS,		/* an address space: a domain's, or the stage 2 */
	HOBJ_HWPT_PARENT,	/* nest parent HWPT on an IOAS */
	HOBJ_HWPT_NESTED,	/* nested HWPT (the guest's stage 1) on a parent */
};

struct hobj {
	const struct hiopt *hw;		/* owner backend */
	enum hobj_kind kind;
	uint32_t id;			/* the backend's object id */
	struct hobj *parent;		/* held: NULL for an IOAS */
	unsigned users;			/* >= 1 while the struct exists */
};

/* Allocate on the host, with one user (the caller). 0 or the backend's
 * -errno (-ENOMEM when the struct cannot be had; nothing reached the host). */
int hobj_ioas_alloc(const struct hiopt *hw, struct hobj **out);
int hobj_nest_parent_alloc(struct hobj *ioas, struct hiopt_dev *dev, struct hobj **out);
int hobj_nested_alloc(struct hobj *parent, struct hiopt_dev *dev, uint32_t data_type,
		      const void *data, size_t data_len, struct hobj **out);

/* One more user; NULL passes through. */
struct hobj *hobj_get(struct hobj *o);
/* One user less; the last one destroys o on the host, then puts its parent. */
void hobj_put(struct hobj *o);
/* One user less, never destroying on the host: for a reference a device the
 * host would not detach still holds at teardown (a leak on the host, never
 * a hole). Frees the bookkeeping of what no one else holds. */
void hobj_forget(struct hobj *o);

#endif
