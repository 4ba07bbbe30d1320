// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the simulated host IOMMU: every iommufd errno rule it mirrors
 * (run for 4 KiB and the mock's odd 2 KiB page), aperture and hole edges up
 * to 2^64-1, unmap split refusal, fail-Nth sweeps, attach/replace/detach,
 * fail-closed translation, and object counting. Nested walks: test_sim_nested.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "passthrough/sim/sim_iommu.h"

#define MEM_SIZE	(1u << 20)

struct fx {
	struct sim_iommu *sim;
	const struct hiopt_ops *ops;
	void *be;
	uint32_t ioas;
	struct hiopt_dev *dev;
	uint8_t *mem;
	uint64_t pg;
};

static int setup_pg(void **state, uint64_t pg)
{
	struct sim_iommu_config cfg;
	struct fx *f = calloc(1, sizeof(*f));

	sim_iommu_config_default(&cfg);
	cfg.page_size = pg;
	f->sim = sim_iommu_create(&cfg);
	assert_non_null(f->sim);
	f->ops = sim_iommu_hiopt(f->sim)->ops;
	f->be = sim_iommu_hiopt(f->sim)->be;
	f->pg = pg;
	assert_int_equal(f->ops->ioas_alloc(f->be, &f->ioas), 0);
	f->dev = sim_iommu_dev_create(f->sim);
	assert_non_null(f->dev);
	f->mem = aligned_alloc(4096, MEM_SIZE);
	assert_non_null(f->mem);
	*state = f;
	return 0;
}

static int setup_4k(void **state) { return setup_pg(state, 4096); }
static int setup_2k(void **state) { return setup_pg(state, 2048); }

static int teardown(void **state)
{
	struct fx *f = *state;

	sim_iommu_dev_destroy(f->sim, f->dev);
	sim_iommu_destroy(f->sim);
	free(f->mem);
	free(f);
	return 0;
}

static int map(struct fx *f, uint64_t iova, uint64_t off, uint64_t len, unsigned prot)
{
	return f->ops->map(f->be, f->ioas, iova, f->mem + off, len, prot);
}

static int unmap(struct fx *f, uint64_t iova, uint64_t len, uint64_t *bytes)
{
	return f->ops->unmap(f->be, f->ioas, iova, len, bytes);
}

static long nmaps(struct fx *f)
{
	return sim_iommu_mapping_count(f->sim, f->ioas);
}

#define RW (HIOPT_PROT_READ | HIOPT_PROT_WRITE)

static void test_object_ids(void **state)
{
	struct fx *f = *state;
	uint32_t a, b, c;

	/* fixture: ioas = 1, dev = 2 */
	assert_int_equal(f->ioas, 1);
	assert_int_equal(sim_iommu_dev_id(f->dev), 2);
	assert_int_equal(f->ops->ioas_alloc(f->be, &a), 0);
	assert_int_equal(f->ops->ioas_alloc(f->be, &b), 0);
	assert_int_equal(a, 3);
	assert_int_equal(b, 4);
	f->ops->ioas_destroy(f->be, a);
	assert_int_equal(f->ops->ioas_alloc(f->be, &c), 0);
	assert_int_equal(c, 3);		/* lowest free ID is reused */
	assert_int_equal(sim_iommu_obj_destroy(f->sim, 99), -ENOENT);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, 0), -ENOENT);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, sim_iommu_dev_id(f->dev)), -EBUSY);
}

static void test_map_args(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg;

	assert_int_equal(map(f, 0x100000, 0, 0, RW), -EINVAL);
	assert_int_equal(map(f, 0x100000, 0, pg, 0), -EINVAL);
	assert_int_equal(map(f, 0x100000, 0, pg, 0x4), -EOPNOTSUPP);
	assert_int_equal(f->ops->map(f->be, 77, 0x100000, f->mem, pg, RW), -ENOENT);
	/* an ID of another type is not an IOAS either */
	assert_int_equal(f->ops->map(f->be, sim_iommu_dev_id(f->dev), 0x100000, f->mem, pg, RW),
			 -ENOENT);
	assert_int_equal(f->ops->map(f->be, f->ioas, 0x100000, NULL, pg, RW), -EFAULT);
	assert_int_equal(nmaps(f), 0);
}

static void test_map_alignment(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg;

	assert_int_equal(map(f, 0x100000 + pg / 2, 0, pg, RW), -EINVAL);
	assert_int_equal(map(f, 0x100000, 0, pg + pg / 2, RW), -EINVAL);
	assert_int_equal(map(f, 0x100000, pg / 2, pg, RW), -EINVAL);
	assert_int_equal(nmaps(f), 0);
	/* 2 KiB granule: a 2K-aligned IOVA/HVA that is not 4K aligned is fine */
	if (pg == 2048) {
		assert_int_equal(map(f, 0x100800, 0x800, 0x800, RW), 0);
		assert_int_equal(nmaps(f), 1);
	} else {
		assert_int_equal(map(f, 0x100800, 0x800, 0x800, RW), -EINVAL);
		assert_int_equal(nmaps(f), 0);
	}
}

static void test_map_overlap(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, a = 0x200000;

	assert_int_equal(map(f, a, 0, 2 * pg, RW), 0);
	assert_int_equal(map(f, a, 0, 2 * pg, RW), -EEXIST);
	assert_int_equal(map(f, a + pg, 0, 2 * pg, RW), -EEXIST);
	assert_int_equal(map(f, a - pg, 0, 2 * pg, RW), -EEXIST);
	assert_int_equal(map(f, a - pg, 0, 4 * pg, RW), -EEXIST);	/* covers it */
	assert_int_equal(nmaps(f), 1);
	assert_int_equal(map(f, a + 2 * pg, 0, pg, RW), 0);		/* adjacent */
	assert_int_equal(map(f, a - pg, 0, pg, RW), 0);
	assert_int_equal(nmaps(f), 3);
}

static void test_map_overflow_and_top(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, top = UINT64_MAX - pg + 1;

	assert_int_equal(map(f, UINT64_MAX, 0, pg, RW), -EOVERFLOW);
	assert_int_equal(f->ops->map(f->be, f->ioas, 0, f->mem, UINT64_MAX, RW), -EOVERFLOW);
	assert_int_equal(map(f, top, 0, 2 * pg, RW), -EOVERFLOW);	/* wraps */
	assert_int_equal(map(f, top, 0, pg, RW), -EINVAL);	/* last = 2^64-1: reserved */
	assert_int_equal(f->ops->map(f->be, f->ioas, 0,
				     (void *)(uintptr_t)(UINTPTR_MAX - pg + 1), 2 * pg, RW),
			 -EOVERFLOW);			/* host range wraps */
	assert_int_equal(nmaps(f), 0);
}

static void test_map_aperture_edges(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, end = 1ull << 48;

	assert_int_equal(map(f, end, 0, pg, RW), -EINVAL);
	assert_int_equal(map(f, end - pg, 0, 2 * pg, RW), -EINVAL);
	assert_int_equal(map(f, end - pg, 0, pg, RW), 0);	/* last page of the aperture */
	assert_int_equal(map(f, 0, 0, pg, RW), 0);		/* first page */
	/* the MSI hole */
	assert_int_equal(map(f, SIM_MSI_START, 0, pg, RW), -EINVAL);
	assert_int_equal(map(f, SIM_MSI_START - pg, 0, 2 * pg, RW), -EINVAL);
	assert_int_equal(map(f, SIM_MSI_LAST + 1 - pg, 0, 2 * pg, RW), -EINVAL);
	assert_int_equal(map(f, SIM_MSI_START - pg, 0, pg, RW), 0);
	assert_int_equal(map(f, SIM_MSI_LAST + 1, 0, pg, RW), 0);
	assert_int_equal(nmaps(f), 4);
}

static void test_unmap_args(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, bytes = 123;

	assert_int_equal(f->ops->unmap(f->be, 77, 0, pg, &bytes), -ENOENT);
	assert_int_equal(unmap(f, 0x100000, 0, &bytes), -EINVAL);
	assert_int_equal(unmap(f, 0x100000, pg, &bytes), -ENOENT);	/* nothing there */
	assert_int_equal(bytes, 0);
	assert_int_equal(unmap(f, UINT64_MAX, 1, &bytes), -EOVERFLOW);
	assert_int_equal(unmap(f, 1, UINT64_MAX, &bytes), -EOVERFLOW);
	assert_int_equal(unmap(f, UINT64_MAX - pg + 1, 2 * pg, &bytes), -EOVERFLOW);
	/* unmap-all of an empty IOAS succeeds (iopt_unmap_all) */
	assert_int_equal(unmap(f, 0, UINT64_MAX, &bytes), 0);
	assert_int_equal(bytes, 0);
}

static void test_unmap_split_refused(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, a = 0x400000, bytes;

	assert_int_equal(map(f, a, 0, 4 * pg, RW), 0);
	assert_int_equal(unmap(f, a, 2 * pg, &bytes), -ENOENT);
	assert_int_equal(unmap(f, a + pg, 3 * pg, &bytes), -ENOENT);
	assert_int_equal(unmap(f, a + pg, pg, &bytes), -ENOENT);
	assert_int_equal(nmaps(f), 1);
	assert_int_equal(unmap(f, a - pg, 6 * pg, &bytes), 0);	/* superset: removed */
	assert_int_equal(bytes, 4 * pg);
	assert_int_equal(nmaps(f), 0);
}

/* Like the kernel, mappings below the one that sticks out are already gone. */
static void test_unmap_split_at_end_removes_lower(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, a = 0x400000, bytes;

	assert_int_equal(map(f, a, 0, pg, RW), 0);
	assert_int_equal(map(f, a + 2 * pg, 0, 2 * pg, RW), 0);
	assert_int_equal(unmap(f, a, 3 * pg, &bytes), -ENOENT);
	assert_int_equal(bytes, pg);
	assert_int_equal(nmaps(f), 1);
}

static int collect(const struct sim_mapping *m, void *opaque)
{
	uint64_t *sum = opaque;

	*sum += m->len;
	return 0;
}

static void test_unmap_many_and_all(void **state)
{
	struct fx *f = *state;
	uint64_t pg = f->pg, bytes, sum = 0;

	assert_int_equal(map(f, 0x10000, 0, pg, RW), 0);
	assert_int_equal(map(f, 0x20000, 0, 3 * pg, HIOPT_PROT_READ), 0);
	assert_int_equal(map(f, 0x40000, 0, 2 * pg, RW), 0);
	assert_int_equal(sim_iommu_foreach_mapping(f->sim, f->ioas, collect, &sum), 0);
	assert_int_equal(sum, 6 * pg);
	assert_int_equal(unmap(f, 0x10000, 0x30000, &bytes), 0);
	assert_int_equal(bytes, 4 * pg);
	assert_int_equal(nmaps(f), 1);
	assert_int_equal(map(f, (1ull << 48) - pg, 0, pg, RW), 0);
	assert_int_equal(map(f, 0, 0, pg, RW), 0);
	assert_int_equal(unmap(f, 0, UINT64_MAX, &bytes), 0);
	assert_int_equal(bytes, 4 * pg);
	assert_int_equal(nmaps(f), 0);
}

static void test_iova_ranges(void **state)
{
	struct fx *f = *state;
	struct hiopt_iova_range r[4];
	size_t n = 0;

	assert_int_equal(f->ops->iova_ranges(f->be, f->ioas, r, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, SIM_MSI_START - 1);
	assert_int_equal(r[1].start, SIM_MSI_LAST + 1);
	assert_int_equal(r[1].last, (1ull << 48) - 1);
	memset(r, 0, sizeof(r));
	assert_int_equal(f->ops->iova_ranges(f->be, f->ioas, r, 1, &n), -EMSGSIZE);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].last, SIM_MSI_START - 1);
	assert_int_equal(r[1].last, 0);
	assert_int_equal(f->ops->iova_ranges(f->be, 99, r, 4, &n), -ENOENT);
}

static void test_custom_config(void **state)
{
	struct sim_iommu_config cfg;
	struct hiopt_iova_range r[4];
	struct sim_iommu *sim;
	const struct hiopt *h;
	uint32_t ioas;
	size_t n;

	sim_iommu_config_default(&cfg);
	cfg.aperture = (struct hiopt_iova_range){ 1ull << 24, (1ull << 31) - 1 };
	cfg.holes[0] = (struct hiopt_iova_range){ 0, (1ull << 25) - 1 };	/* clips the start */
	cfg.holes[1] = (struct hiopt_iova_range){ 1ull << 28, (1ull << 29) - 1 };
	cfg.nholes = 2;
	sim = sim_iommu_create(&cfg);
	assert_non_null(sim);
	h = sim_iommu_hiopt(sim);
	assert_int_equal(h->ops->ioas_alloc(h->be, &ioas), 0);
	assert_int_equal(h->ops->iova_ranges(h->be, ioas, r, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start, 1ull << 25);
	assert_int_equal(r[0].last, (1ull << 28) - 1);
	assert_int_equal(r[1].start, 1ull << 29);
	assert_int_equal(r[1].last, (1ull << 31) - 1);
	sim_iommu_destroy(sim);

	cfg.page_size = 3000;
	errno = 0;
	assert_null(sim_iommu_create(&cfg));
	assert_int_equal(errno, EINVAL);
}

static void test_attach_replace_detach(void **state)
{
	struct fx *f = *state;
	uint32_t ioas2, ioas3;
	void *hva;

	assert_int_equal(f->ops->ioas_alloc(f->be, &ioas2), 0);
	assert_int_equal(f->ops->ioas_alloc(f->be, &ioas3), 0);
	assert_int_equal(map(f, 0x10000, 0x3000, f->pg, RW), 0);
	assert_int_equal(f->ops->map(f->be, ioas2, 0x10000, f->mem + 0x5000, f->pg, RW), 0);
	assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev), 0);
	assert_int_equal(f->ops->device_attach(f->be, f->dev, f->ioas), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 8, HIOPT_PROT_READ, &hva), 0);
	assert_ptr_equal(hva, f->mem + 0x3000);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->ioas), -EBUSY);
	/* attaching again replaces atomically */
	assert_int_equal(f->ops->device_attach(f->be, f->dev, ioas2), 0);
	assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev), ioas2);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 8, HIOPT_PROT_READ, &hva), 0);
	assert_ptr_equal(hva, f->mem + 0x5000);
	assert_int_equal(f->ops->device_attach(f->be, f->dev, ioas2), 0);	/* same pt */
	/* failed attaches leave the attachment alone */
	assert_int_equal(f->ops->device_attach(f->be, f->dev, 99), -ENOENT);
	assert_int_equal(f->ops->device_attach(f->be, f->dev, sim_iommu_dev_id(f->dev)), -EINVAL);
	assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev), ioas2);
	/* old IOAS is free again, new one is held */
	assert_int_equal(sim_iommu_obj_destroy(f->sim, ioas3), 0);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, ioas2), -EBUSY);
	assert_int_equal(f->ops->device_detach(f->be, f->dev), 0);
	assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 8, HIOPT_PROT_READ, &hva),
			 -ENODEV);
	assert_int_equal(f->ops->device_detach(f->be, f->dev), 0);	/* twice is fine */
	assert_int_equal(sim_iommu_obj_destroy(f->sim, ioas2), 0);
}

static void test_translate_fails_closed(void **state)
{
	struct fx *f = *state;
	struct hiopt_fault flt[8];
	uint64_t pg = f->pg, bytes;
	void *hva;

	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 4, HIOPT_PROT_READ, &hva),
			 -ENODEV);
	assert_int_equal(f->ops->fault_read(f->be, flt, 8), 1);
	assert_int_equal(flt[0].dev_id, sim_iommu_dev_id(f->dev));
	assert_int_equal(flt[0].hwpt_id, 0);
	assert_int_equal(flt[0].addr, 0x10000);
	assert_int_equal(f->ops->fault_read(f->be, flt, 8), 0);

	assert_int_equal(f->ops->device_attach(f->be, f->dev, f->ioas), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 4, HIOPT_PROT_READ, &hva),
			 -EFAULT);
	assert_int_equal(map(f, 0x10000, 0, pg, HIOPT_PROT_READ), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 4, HIOPT_PROT_READ, &hva), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 4, HIOPT_PROT_WRITE, &hva),
			 -EPERM);
	/* running off the end of a mapping faults at the first unmapped byte */
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, pg + 1, HIOPT_PROT_READ,
					     &hva), -EFAULT);
	/* adjacent IOVA, non-adjacent host memory: accessible but not one piece */
	assert_int_equal(map(f, 0x10000 + pg, 4 * pg, pg, HIOPT_PROT_READ), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 2 * pg, HIOPT_PROT_READ,
					     &hva), -ERANGE);
	assert_int_equal(f->ops->fault_read(f->be, flt, 8), 3);
	assert_int_equal(flt[0].hwpt_id, f->ioas);
	assert_int_equal(flt[1].perm, HIOPT_PROT_WRITE);
	assert_int_equal(flt[2].addr, 0x10000 + pg);
	/* invalid-use: after the unmap completes the IOVA is dead */
	assert_int_equal(unmap(f, 0x10000, pg, &bytes), 0);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 4, HIOPT_PROT_READ, &hva),
			 -EFAULT);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, 0x10000, 0, HIOPT_PROT_READ, &hva),
			 -EINVAL);
}

static void test_hw_info(void **state)
{
	struct fx *f = *state;
	struct sim_iommu_config cfg;
	struct hiopt_hw_info info;
	struct sim_iommu *sim;
	struct hiopt_dev *dev;
	const struct hiopt *h;
	uint32_t ioas, hwpt;

	assert_int_equal(f->ops->hw_info(f->be, f->dev, &info), 0);
	assert_int_equal(info.type, HIOPT_HW_INFO_SIM);
	assert_int_equal(info.pgsize_bitmap, f->pg);
	assert_int_equal(info.addr_width, 48);
	assert_int_equal(info.flags, HIOPT_HW_F_NESTING);
	assert_int_equal(f->ops->hw_info(f->be, NULL, &info), -ENOENT);

	sim_iommu_config_default(&cfg);
	cfg.nesting = false;
	sim = sim_iommu_create(&cfg);
	h = sim_iommu_hiopt(sim);
	dev = sim_iommu_dev_create(sim);
	assert_int_equal(h->ops->hw_info(h->be, dev, &info), 0);
	assert_int_equal(info.flags & HIOPT_HW_F_NESTING, 0);
	assert_int_equal(h->ops->ioas_alloc(h->be, &ioas), 0);
	assert_int_equal(h->ops->hwpt_alloc_nest_parent(h->be, dev, ioas, &hwpt), -EOPNOTSUPP);
	sim_iommu_destroy(sim);
}

/* ---- fail-Nth sweep ---- */

struct snap {
	struct sim_counts c;
	long maps;
	uint32_t pt;
};

static void snap(struct fx *f, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	sim_iommu_counts(f->sim, &s->c);
	s->maps = nmaps(f);
	s->pt = sim_iommu_dev_pt(f->sim, f->dev);
}

/* The scenario: each step is one mutating op; returns its rc. */
static int step(struct fx *f, int i, uint32_t *ids)
{
	struct sim_hwpt_x86 s1 = { .root_gpa = 0x1000, .addr_width = 48 };
	uint64_t bytes, pg = f->pg;

	switch (i) {
	case 0: return f->ops->ioas_alloc(f->be, &ids[0]);
	case 1: return map(f, 0x10000, 0, 4 * pg, RW);
	case 2: return map(f, 0x20000, 0, pg, HIOPT_PROT_READ);
	case 3: return f->ops->device_attach(f->be, f->dev, f->ioas);
	case 4: return unmap(f, 0x10000, 4 * pg, &bytes);
	case 5: return f->ops->hwpt_alloc_nest_parent(f->be, f->dev, f->ioas, &ids[1]);
	case 6: return f->ops->hwpt_alloc_nested(f->be, f->dev, ids[1], HIOPT_HWPT_DATA_SIM_X86,
						  &s1, sizeof(s1), &ids[2]);
	case 7: return f->ops->device_attach(f->be, f->dev, ids[2]);
	case 8: return f->ops->device_detach(f->be, f->dev);
	default: return 1;	/* end */
	}
}

static void test_fail_nth_sweep(void **state)
{
	struct fx *f = *state;
	const uint64_t pg = f->pg;
	unsigned n, hits = 0;

	for (n = 1; n < 32; n++) {
		uint32_t ids[3] = { 0 };
		struct snap before, after;
		uint64_t ops0;
		bool failed = false;
		int i, rc;

		teardown(state);
		setup_pg(state, pg);
		f = *state;
		sim_iommu_fail_nth(f->sim, n, ENOMEM);
		ops0 = sim_iommu_op_count(f->sim);
		for (i = 0; !failed; i++) {
			snap(f, &before);
			rc = step(f, i, ids);
			if (rc == 1)
				break;
			snap(f, &after);
			assert_int_equal(sim_iommu_op_count(f->sim), ops0 + i + 1);
			if (rc) {
				assert_int_equal(rc, -ENOMEM);
				assert_int_equal(i + 1, (int)n);
				assert_memory_equal(&before, &after, sizeof(before));
				failed = true;
				hits++;
			}
		}
		if (!failed) {
			/* the scenario ran out before the nth op: switch still armed */
			assert_true(sim_iommu_fail_pending(f->sim));
			break;
		}
		assert_false(sim_iommu_fail_pending(f->sim));
	}
	assert_int_equal(hits, 9);
	assert_int_equal(n, 10);
}

static void test_no_leaks(void **state)
{
	struct fx *f = *state;
	struct sim_hwpt_x86 s1 = { .root_gpa = 0x1000, .addr_width = 48 };
	uint32_t ioas2, parent, nested;
	struct hiopt_dev *dev2;
	struct sim_counts c;
	uint64_t bytes;

	assert_int_equal(f->ops->ioas_alloc(f->be, &ioas2), 0);
	assert_int_equal(map(f, 0x10000, 0, f->pg, RW), 0);
	assert_int_equal(f->ops->hwpt_alloc_nest_parent(f->be, f->dev, ioas2, &parent), 0);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, parent, HIOPT_HWPT_DATA_SIM_X86,
						   &s1, sizeof(s1), &nested), 0);
	dev2 = sim_iommu_dev_create(f->sim);
	assert_int_equal(f->ops->device_attach(f->be, dev2, nested), 0);
	sim_iommu_counts(f->sim, &c);
	assert_int_equal(c.ioas, 2);
	assert_int_equal(c.hwpt_parent, 1);
	assert_int_equal(c.hwpt_nested, 1);
	assert_int_equal(c.devices, 2);
	assert_int_equal(c.mappings, 1);
	/* busy objects survive their void destroy op */
	f->ops->hwpt_destroy(f->be, nested);
	f->ops->hwpt_destroy(f->be, parent);
	f->ops->ioas_destroy(f->be, ioas2);
	sim_iommu_counts(f->sim, &c);
	assert_int_equal(c.hwpt_nested + c.hwpt_parent + c.ioas, 4);	/* + fixture IOAS */
	sim_iommu_dev_destroy(f->sim, dev2);		/* detaches */
	f->ops->hwpt_destroy(f->be, nested);
	f->ops->hwpt_destroy(f->be, parent);
	f->ops->ioas_destroy(f->be, ioas2);
	assert_int_equal(unmap(f, 0, UINT64_MAX, &bytes), 0);
	sim_iommu_counts(f->sim, &c);
	assert_int_equal(c.ioas, 1);
	assert_int_equal(c.hwpt_parent + c.hwpt_nested + c.mappings, 0);
	assert_int_equal(c.devices, 1);
}

#define BOTH(t) \
	cmocka_unit_test_setup_teardown(t, setup_4k, teardown), \
	cmocka_unit_test_setup_teardown(t, setup_2k, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_object_ids, setup_4k, teardown),
		BOTH(test_map_args),
		BOTH(test_map_alignment),
		BOTH(test_map_overlap),
		BOTH(test_map_overflow_and_top),
		BOTH(test_map_aperture_edges),
		BOTH(test_unmap_args),
		BOTH(test_unmap_split_refused),
		BOTH(test_unmap_split_at_end_removes_lower),
		BOTH(test_unmap_many_and_all),
		cmocka_unit_test_setup_teardown(test_iova_ranges, setup_4k, teardown),
		cmocka_unit_test(test_custom_config),
		BOTH(test_attach_replace_detach),
		BOTH(test_translate_fails_closed),
		BOTH(test_hw_info),
		BOTH(test_fail_nth_sweep),
		cmocka_unit_test_setup_teardown(test_no_leaks, setup_4k, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
