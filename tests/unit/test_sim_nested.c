// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the simulated IOMMU's nesting: HWPT allocation errnos, the x86-64
 * stage-1 walk (4K/2M/1G leaves, non-present, read-only leaf and table
 * entries, table pages read through stage 2), the IOTLB staying stale until
 * hwpt_invalidate, and invalidation errnos. Run for 4 KiB and 2 KiB stage 2.
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

#define RAM_A_GPA	0x200000ull	/* 256 KiB: page tables + data */
#define RAM_A_SIZE	0x40000ull
#define RAM_B_GPA	0x40000000ull	/* 64 KiB: target of the 1 GiB leaf */
#define RAM_B_SIZE	0x10000ull
#define RW		(HIOPT_PROT_READ | HIOPT_PROT_WRITE)
#define R		HIOPT_PROT_READ
#define W		HIOPT_PROT_WRITE

struct fx {
	struct sim_iommu *sim;
	const struct hiopt_ops *ops;
	void *be;
	uint32_t ioas, parent, nested;
	struct hiopt_dev *dev;
	uint8_t *a, *b;
};

static void put_pte(struct fx *f, uint64_t table_off, unsigned idx, uint64_t v)
{
	uint8_t *p = f->a + table_off + idx * 8;
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#define P	SIM_PTE_P
#define WR	SIM_PTE_RW
#define PS	SIM_PTE_PS

/* Tables at RAM A offsets: PML4 0, PDPT 0x1000, PD 0x2000, PT 0x3000, PD2 0x4000, PT2 0x5000. */
static void build_tables(struct fx *f)
{
	put_pte(f, 0x0000, 0, (RAM_A_GPA + 0x1000) | P | WR);
	put_pte(f, 0x1000, 0, (RAM_A_GPA + 0x2000) | P | WR);
	put_pte(f, 0x1000, 1, RAM_B_GPA | P | WR | PS);			/* 1G leaf */
	put_pte(f, 0x1000, 2, (RAM_A_GPA + 0x4000) | P);		/* read-only table */
	put_pte(f, 0x2000, 0, (RAM_A_GPA + 0x3000) | P | WR);
	put_pte(f, 0x2000, 1, RAM_A_GPA | P | WR | PS);			/* 2M leaf */
	put_pte(f, 0x3000, 1, (RAM_A_GPA + 0x10000) | P | WR);
	put_pte(f, 0x3000, 2, (RAM_A_GPA + 0x11000) | P);		/* read-only leaf */
	put_pte(f, 0x3000, 4, 0x300000 | P | WR);			/* GPA not in stage 2 */
	put_pte(f, 0x4000, 0, (RAM_A_GPA + 0x5000) | P | WR);
	put_pte(f, 0x5000, 0, (RAM_A_GPA + 0x12000) | P | WR);
}

static int nested_alloc(struct fx *f, uint64_t root, uint32_t *id)
{
	struct sim_hwpt_x86 s1 = { .root_gpa = root, .addr_width = 48 };

	return f->ops->hwpt_alloc_nested(f->be, f->dev, f->parent, HIOPT_HWPT_DATA_SIM_X86, &s1,
					 sizeof(s1), id);
}

static int setup_pg(void **state, uint64_t pg)
{
	struct sim_iommu_config cfg;
	struct fx *f = calloc(1, sizeof(*f));

	sim_iommu_config_default(&cfg);
	cfg.page_size = pg;
	f->sim = sim_iommu_create(&cfg);
	f->ops = sim_iommu_hiopt(f->sim)->ops;
	f->be = sim_iommu_hiopt(f->sim)->be;
	f->a = aligned_alloc(4096, RAM_A_SIZE);
	f->b = aligned_alloc(4096, RAM_B_SIZE);
	memset(f->a, 0, RAM_A_SIZE);
	memset(f->b, 0, RAM_B_SIZE);
	f->dev = sim_iommu_dev_create(f->sim);
	assert_int_equal(f->ops->ioas_alloc(f->be, &f->ioas), 0);
	assert_int_equal(f->ops->map(f->be, f->ioas, RAM_A_GPA, f->a, RAM_A_SIZE, RW), 0);
	assert_int_equal(f->ops->map(f->be, f->ioas, RAM_B_GPA, f->b, RAM_B_SIZE, RW), 0);
	assert_int_equal(f->ops->hwpt_alloc_nest_parent(f->be, f->dev, f->ioas, &f->parent), 0);
	build_tables(f);
	assert_int_equal(nested_alloc(f, RAM_A_GPA, &f->nested), 0);
	assert_int_equal(f->ops->device_attach(f->be, f->dev, f->nested), 0);
	*state = f;
	return 0;
}

static int setup_4k(void **state) { return setup_pg(state, 4096); }
static int setup_2k(void **state) { return setup_pg(state, 2048); }

static int teardown(void **state)
{
	struct fx *f = *state;

	sim_iommu_destroy(f->sim);
	free(f->a);
	free(f->b);
	free(f);
	return 0;
}

static int xl(struct fx *f, uint64_t iova, uint64_t len, unsigned acc, void **hva)
{
	return sim_iommu_translate(f->sim, f->dev, iova, len, acc, hva);
}

static void test_walk_leaves(void **state)
{
	struct fx *f = *state;
	void *h;

	assert_int_equal(xl(f, 0x1008, 4, R, &h), 0);			/* 4K leaf */
	assert_ptr_equal(h, f->a + 0x10008);
	assert_int_equal(xl(f, 0x1000, 8, W, &h), 0);
	assert_int_equal(xl(f, 0x200000 + 0x10008, 4, RW, &h), 0);	/* 2M leaf */
	assert_ptr_equal(h, f->a + 0x10008);
	assert_int_equal(xl(f, (1ull << 30) + 0x1234, 4, W, &h), 0);	/* 1G leaf */
	assert_ptr_equal(h, f->b + 0x1234);
	/* two 4K leaves that are adjacent in host memory form one piece */
	assert_int_equal(xl(f, 0x1000, 0x2000, R, &h), 0);
	assert_ptr_equal(h, f->a + 0x10000);
}

static void test_walk_faults(void **state)
{
	struct fx *f = *state;
	struct hiopt_fault flt[16];
	void *h;

	assert_int_equal(xl(f, 0x2000, 4, R, &h), 0);			/* read-only leaf */
	assert_ptr_equal(h, f->a + 0x11000);
	assert_int_equal(xl(f, 0x2000, 4, W, &h), -EPERM);
	assert_int_equal(xl(f, 0x1000, 0x2000, W, &h), -EPERM);		/* second page RO */
	assert_int_equal(xl(f, 0x80000000, 4, R, &h), 0);		/* RO table entry */
	assert_ptr_equal(h, f->a + 0x12000);
	assert_int_equal(xl(f, 0x80000000, 4, W, &h), -EPERM);
	assert_int_equal(xl(f, 0x3000, 4, R, &h), -EFAULT);		/* not present */
	assert_int_equal(xl(f, 0x0000, 4, R, &h), -EFAULT);		/* PT[0] empty */
	assert_int_equal(xl(f, 0x4000, 4, R, &h), -EFAULT);		/* stage 2 misses */
	assert_int_equal(xl(f, 0x200000 + RAM_A_SIZE, 4, R, &h), -EFAULT);	/* 2M leaf past RAM */
	assert_int_equal(xl(f, 3ull << 30, 4, R, &h), -EFAULT);		/* PDPT[3] empty */
	assert_int_equal(xl(f, 1ull << 48, 4, R, &h), -EFAULT);		/* beyond 48 bits */
	assert_int_equal(f->ops->fault_read(f->be, flt, 16), 9);
	assert_int_equal(flt[0].hwpt_id, f->nested);
	assert_int_equal(flt[0].addr, 0x2000);
	assert_int_equal(flt[1].addr, 0x2000);	/* the faulting page of the range */
	assert_int_equal(flt[1].perm, W);
}

/* Table pages are read through stage 2: a root outside it walks nowhere. */
static void test_walk_table_needs_stage2(void **state)
{
	struct fx *f = *state;
	uint32_t bad;
	void *h;

	assert_int_equal(nested_alloc(f, 0x800000, &bad), 0);
	assert_int_equal(f->ops->device_attach(f->be, f->dev, bad), 0);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), -EFAULT);
	/* stage-2 unmap of the data page kills the nested path too */
	assert_int_equal(f->ops->device_attach(f->be, f->dev, f->nested), 0);
	assert_int_equal(xl(f, (1ull << 30), 4, R, &h), 0);
	assert_int_equal(f->ops->unmap(f->be, f->ioas, RAM_B_GPA, RAM_B_SIZE, NULL), 0);
	assert_int_equal(xl(f, (1ull << 30), 4, R, &h), -EFAULT);
}

static void test_nested_dma(void **state)
{
	struct fx *f = *state;
	const char msg[] = "through two stages";
	char back[sizeof(msg)];

	assert_int_equal(sim_iommu_dma_write(f->sim, f->dev, 0x1010, msg, sizeof(msg)), 0);
	assert_memory_equal(f->a + 0x10010, msg, sizeof(msg));
	assert_int_equal(sim_iommu_dma_read(f->sim, f->dev, 0x200000 + 0x10010, back,
					    sizeof(back)), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	memset(f->a + 0x11000, 0x5a, 16);
	assert_int_equal(sim_iommu_dma_write(f->sim, f->dev, 0x2000, msg, sizeof(msg)), -EPERM);
	assert_int_equal(f->a[0x11000], 0x5a);		/* refused DMA wrote nothing */
}

static int inval(struct fx *f, uint64_t addr, uint64_t npages, uint32_t flags, uint32_t *n)
{
	struct sim_hwpt_x86_inv e = { .addr = addr, .npages = npages, .flags = flags };

	*n = 1;
	return f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, &e, sizeof(e), n);
}

static void test_iotlb_stale_until_invalidate(void **state)
{
	struct fx *f = *state;
	uint32_t n;
	void *h;

	assert_int_equal(sim_iommu_iotlb_count(f->sim, f->nested), 0);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), 0);
	assert_ptr_equal(h, f->a + 0x10000);
	assert_int_equal(sim_iommu_iotlb_count(f->sim, f->nested), 1);
	/* guest retargets the PTE but forgets to invalidate: stale */
	put_pte(f, 0x3000, 1, (RAM_A_GPA + 0x13000) | P | WR);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), 0);
	assert_ptr_equal(h, f->a + 0x10000);
	/* an unrelated range does not drop it */
	assert_int_equal(inval(f, 0x5000, 1, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), 0);
	assert_ptr_equal(h, f->a + 0x10000);
	assert_int_equal(inval(f, 0x1000, 1, 0, &n), 0);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), 0);
	assert_ptr_equal(h, f->a + 0x13000);
	/* clearing present without invalidation still translates ... */
	put_pte(f, 0x3000, 1, 0);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), 0);
	/* ... until a flush-all */
	assert_int_equal(inval(f, 0, 0, SIM_X86_INV_F_ALL, &n), 0);
	assert_int_equal(sim_iommu_iotlb_count(f->sim, f->nested), 0);
	assert_int_equal(xl(f, 0x1000, 4, R, &h), -EFAULT);
	/* a 2M leaf is dropped by an invalidation of any page inside it */
	assert_int_equal(xl(f, 0x200000, 4, R, &h), 0);
	assert_int_equal(inval(f, 0x3ff000, 1, 0, &n), 0);
	assert_int_equal(sim_iommu_iotlb_count(f->sim, f->nested), 0);
	/* npages = UINT64_MAX from 0 means everything */
	assert_int_equal(xl(f, 1ull << 30, 4, R, &h), 0);
	assert_int_equal(inval(f, 0, UINT64_MAX, 0, &n), 0);
	assert_int_equal(sim_iommu_iotlb_count(f->sim, f->nested), 0);
}

static void test_invalidate_errnos(void **state)
{
	struct fx *f = *state;
	struct sim_hwpt_x86_inv e[2] = {
		{ .addr = 0x1000, .npages = 1 },
		{ .addr = 0x2000, .npages = 1, .flags = 0x80 },
	};
	uint8_t big[sizeof(e[0]) + 8] = { 0 };
	uint32_t n;

	n = 2;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, e,
						 sizeof(e[0]), &n), -EOPNOTSUPP);
	assert_int_equal(n, 1);		/* the first entry was handled */
	assert_int_equal(inval(f, 0x1800, 1, 0, &n), -EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(inval(f, 0x1000, UINT64_MAX, 0, &n), -EINVAL);
	n = 1;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, e,
						 sizeof(e[0]) - 4, &n), -EINVAL);
	n = 1;
	memcpy(big, &e[0], sizeof(e[0]));
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, big,
						 sizeof(big), &n), 0);
	big[sizeof(big) - 1] = 1;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, big,
						 sizeof(big), &n), -E2BIG);
	n = 1;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_VTD_S1, e,
						 sizeof(e[0]), &n), -EINVAL);
	assert_int_equal(n, 0);
	n = 1;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->parent, HIOPT_HWPT_DATA_SIM_X86, e,
						 sizeof(e[0]), &n), -EINVAL);
	n = 1;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, 99, HIOPT_HWPT_DATA_SIM_X86, e,
						 sizeof(e[0]), &n), -ENOENT);
	n = 1;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, NULL,
						 sizeof(e[0]), &n), -EINVAL);
	n = 0;
	assert_int_equal(f->ops->hwpt_invalidate(f->be, f->nested, HIOPT_HWPT_DATA_SIM_X86, NULL,
						 0, &n), 0);
}

static void test_alloc_errnos(void **state)
{
	struct fx *f = *state;
	struct sim_hwpt_x86 s1 = { .root_gpa = RAM_A_GPA, .addr_width = 48 };
	uint8_t big[sizeof(s1) + 8] = { 0 };
	uint32_t id, p = f->parent;
	const uint32_t T = HIOPT_HWPT_DATA_SIM_X86;
	struct sim_counts before, after;

	sim_iommu_counts(f->sim, &before);
	assert_int_equal(f->ops->hwpt_alloc_nest_parent(f->be, f->dev, 99, &id), -EINVAL);
	assert_int_equal(f->ops->hwpt_alloc_nest_parent(f->be, f->dev, sim_iommu_dev_id(f->dev),
							&id), -EINVAL);
	assert_int_equal(f->ops->hwpt_alloc_nest_parent(f->be, f->dev, p, &id), -EOPNOTSUPP);
	assert_int_equal(f->ops->hwpt_alloc_nest_parent(f->be, NULL, f->ioas, &id), -ENOENT);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, HIOPT_HWPT_DATA_NONE, &s1,
						   sizeof(s1), &id), -EINVAL);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, &s1, 0, &id), -EINVAL);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, HIOPT_HWPT_DATA_NONE, NULL,
						   0, &id), -EOPNOTSUPP);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, HIOPT_HWPT_DATA_VTD_S1, &s1,
						   sizeof(s1), &id), -EOPNOTSUPP);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, f->ioas, T, &s1, sizeof(s1),
						   &id), -EOPNOTSUPP);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, f->nested, T, &s1, sizeof(s1),
						   &id), -EINVAL);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, 99, T, &s1, sizeof(s1), &id),
			 -EINVAL);
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, &s1, sizeof(s1) - 1, &id),
			 -EINVAL);
	memcpy(big, &s1, sizeof(s1));
	big[sizeof(big) - 1] = 1;
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, big, sizeof(big), &id),
			 -E2BIG);
	s1.flags = 1;
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, &s1, sizeof(s1), &id),
			 -EOPNOTSUPP);
	s1.flags = 0;
	s1.addr_width = 39;
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, &s1, sizeof(s1), &id),
			 -EINVAL);
	s1.addr_width = 48;
	s1.root_gpa = RAM_A_GPA + 8;
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, &s1, sizeof(s1), &id),
			 -EINVAL);
	sim_iommu_counts(f->sim, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* a longer struct with a zero tail is accepted */
	big[sizeof(big) - 1] = 0;
	assert_int_equal(f->ops->hwpt_alloc_nested(f->be, f->dev, p, T, big, sizeof(big), &id), 0);
}

static void test_destroy_order(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->ioas), -EBUSY);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->parent), -EBUSY);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->nested), -EBUSY);	/* dev attached */
	assert_int_equal(f->ops->device_detach(f->be, f->dev), 0);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->nested), 0);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->parent), 0);
	assert_int_equal(sim_iommu_obj_destroy(f->sim, f->ioas), 0);
	assert_int_equal(sim_iommu_iotlb_count(f->sim, f->nested), -ENOENT);
}

#define BOTH(t) \
	cmocka_unit_test_setup_teardown(t, setup_4k, teardown), \
	cmocka_unit_test_setup_teardown(t, setup_2k, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_walk_leaves),
		BOTH(test_walk_faults),
		BOTH(test_walk_table_needs_stage2),
		BOTH(test_nested_dma),
		BOTH(test_iotlb_stale_until_invalidate),
		cmocka_unit_test_setup_teardown(test_invalidate_errnos, setup_4k, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_errnos, setup_4k, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_order, setup_4k, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
