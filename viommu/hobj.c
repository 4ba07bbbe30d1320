// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host objects (hobj.h): allocation through the owner backend, reference
 * counting, and the one path that destroys an IOAS or HWPT on the host.
 * Nothing else in viommu calls a backend's ioas_destroy or hwpt_destroy.
 */
#include <errno.h>
#include <stdlib.h>

#include "viommu/hobj.h"

static struct hobj *hobj_new(const struct hiopt *hw, enum hobj_kind kind)
{
	struct hobj *o = calloc(1, sizeof(*o));

	if (o)
		*o = (struct hobj){ .hw = hw, .kind = kind, .users = 1 };
	return o;
}

int hobj_ioas_alloc(const struct hiopt *hw, struct hobj **out)
{
	struct hobj *o = hobj_new(hw, HOBJ_IOAS);
	int ret;

	if (!o)
		return -ENOMEM;
	ret = hw->ops->ioas_alloc(hw->be, &o->id);
	if (ret) {
		free(o);
		return ret;
	}
	*out = o;
	return 0;
}

int hobj_nest_parent_alloc(struct hobj *ioas, struct hiopt_dev *dev, struct hobj **out)
{
	const struct hiopt *hw = ioas->hw;
	struct hobj *o = hobj_new(hw, HOBJ_HWPT_PARENT);
	int ret;

	if (!o)
		return -ENOMEM;
	ret = hw->ops->hwpt_alloc_nest_parent(hw->be, dev, ioas->id, &o->id);
	if (ret) {
		free(o);
		return ret;
	}
	o->parent = hobj_get(ioas);
	*out = o;
	return 0;
}

int hobj_nested_alloc(struct hobj *parent, struct hiopt_dev *dev, uint32_t data_type,
		      const void *data, size_t data_len, struct hobj **out)
{
	const struct hiopt *hw = parent->hw;
	struct hobj *o = hobj_new(hw, HOBJ_HWPT_NESTED);
	int ret;

	if (!o)
		return -ENOMEM;
	ret = hw->ops->hwpt_alloc_nested(hw->be, dev, parent->id, data_type, data, data_len,
					 &o->id);
	if (ret) {
		free(o);
		return ret;
	}
	o->parent = hobj_get(parent);
	*out = o;
	return 0;
}

struct hobj *hobj_get(struct hobj *o)
{
	if (o)
		o->users++;
	return o;
}

static void hobj_destroy(struct hobj *o)
{
	if (o->kind == HOBJ_IOAS)
		o->hw->ops->ioas_destroy(o->hw->be, o->id);
	else
		o->hw->ops->hwpt_destroy(o->hw->be, o->id);
}

void hobj_put(struct hobj *o)
{
	struct hobj *parent;

	/* A loop, not recursion: a chain is at most three long anyway. */
	while (o && --o->users == 0) {
		parent = o->parent;
		hobj_destroy(o);
		free(o);
		o = parent;
	}
}

void hobj_forget(struct hobj *o)
{
	struct hobj *parent;

	while (o && --o->users == 0) {
		parent = o->parent;
		free(o);
		o = parent;
	}
}
