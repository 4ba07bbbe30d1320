/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake recording hiopt backend for the viommu unit tests: IOASes with a
 * list of mappings, two devices, iommufd's errnos for overlap and unmapping
 * nothing, and a "fail call N (and the next ones)" switch over every
 * fallible op. It counts IOASes destroyed while a device was on them.
 * No HWPTs: nesting is the sim's. Include after <cmocka.h>.
 */
#ifndef IOSHADE_TESTS_FAKE_HIOPT_H
#define IOSHADE_TESTS_FAKE_HIOPT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "viommu/hiopt.h"

#define FAKE_IOAS	16
#define FAKE_MAPS	64

struct fmap {
	uint64_t iova, len;
	void *hva;
	unsigned prot;
};

struct fioas {
	bool live;
	int n;
	struct fmap maps[FAKE_MAPS];
};

struct fdev {
	bool attached;
	uint32_t pt;
};

struct fake {
	int calls, fail_at, fail_err;	/* fail the fail_at-th fallible call */
	int fail_run;			/* and the fail_run - 1 after it (0 = 1) */
	int destroy_busy;		/* IOAS destroyed while a device used it */
	struct fioas ioas[FAKE_IOAS + 1];	/* ids 1..FAKE_IOAS */
	struct fdev dev[2];
	struct hiopt_iova_range ranges[2];
	size_t nr_ranges;
};

static inline int fallible(struct fake *f)
{
	int run = f->fail_run ? f->fail_run : 1;

	++f->calls;
	return f->fail_at && f->calls >= f->fail_at && f->calls < f->fail_at + run ?
	       f->fail_err : 0;
}

static inline int f_ioas_alloc(void *be, uint32_t *id)
{
	struct fake *f = be;
	int ret = fallible(f);

	if (ret)
		return ret;
	for (uint32_t i = 1; i <= FAKE_IOAS; i++) {
		if (!f->ioas[i].live) {
			f->ioas[i] = (struct fioas){ .live = true };
			*id = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static inline void f_ioas_destroy(void *be, uint32_t id)
{
	struct fake *f = be;

	for (int i = 0; i < 2; i++)
		if (f->dev[i].attached && f->dev[i].pt == id)
			f->destroy_busy++;
	f->ioas[id].live = false;
}

static inline int f_map(void *be, uint32_t id, uint64_t iova, void *hva, uint64_t len, unsigned prot)
{
	struct fake *f = be;
	struct fioas *a = &f->ioas[id];
	int ret = fallible(f);

	if (ret)
		return ret;
	if (!a->live || a->n == FAKE_MAPS)
		return -EINVAL;
	for (int i = 0; i < a->n; i++)
		if (iova < a->maps[i].iova + a->maps[i].len && a->maps[i].iova < iova + len)
			return -EEXIST;
	a->maps[a->n++] = (struct fmap){ iova, len, hva, prot };
	return 0;
}

static inline int f_unmap(void *be, uint32_t id, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct fake *f = be;
	struct fioas *a = &f->ioas[id];
	int ret = fallible(f), i;

	if (ret)
		return ret;
	*unmapped = 0;
	for (i = 0; i < a->n; i++) {
		if (a->maps[i].iova >= iova && a->maps[i].iova + a->maps[i].len <= iova + len) {
			*unmapped += a->maps[i].len;
			a->maps[i--] = a->maps[--a->n];
		}
	}
	return *unmapped ? 0 : -ENOENT;
}

static inline int f_iova_ranges(void *be, uint32_t id, struct hiopt_iova_range *r, size_t max, size_t *n)
{
	struct fake *f = be;
	int ret = fallible(f);

	if (ret)
		return ret;
	for (size_t i = 0; i < f->nr_ranges && i < max; i++)
		r[i] = f->ranges[i];
	*n = f->nr_ranges;
	return 0;
}

static struct fdev *fdev_of(struct fake *f, struct hiopt_dev *dev)
{
	return (struct fdev *)dev;
}

static inline int f_attach(void *be, struct hiopt_dev *dev, uint32_t pt)
{
	struct fake *f = be;
	int ret = fallible(f);

	if (ret)
		return ret;
	if (pt > FAKE_IOAS || !f->ioas[pt].live)
		return -ENOENT;
	fdev_of(f, dev)->attached = true;	/* replaces, like iommufd */
	fdev_of(f, dev)->pt = pt;
	return 0;
}

static inline int f_detach(void *be, struct hiopt_dev *dev)
{
	struct fake *f = be;
	int ret = fallible(f);

	if (ret)
		return ret;
	fdev_of(f, dev)->attached = false;
	return 0;
}

static const struct hiopt_ops fake_ops = {
	.name = "fake",
	.ioas_alloc = f_ioas_alloc,
	.ioas_destroy = f_ioas_destroy,
	.map = f_map,
	.unmap = f_unmap,
	.iova_ranges = f_iova_ranges,
	.device_attach = f_attach,
	.device_detach = f_detach,
};

#endif
