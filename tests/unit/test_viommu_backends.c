// SPDX-License-Identifier: GPL-2.0-only
/*
 * The viommu backend suite (unit/viommu_suite.h) on the variants that run
 * anywhere: the fake recording backend, the sim at 4 KiB pages, and the sim
 * at 2 KiB pages (smaller than the guest's granule, like the kernel's mock
 * IOMMU). Each runs the table of request sequences with its statuses and
 * host-state checks, then the fail-Nth sweep over every script. The lab
 * variant (iommufd) is in test_lab_iommufd_viommu.c.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "passthrough/sim/sim_iommu.h"
#include "unit/fake_hiopt.h"
#include "unit/viommu_helpers.h"
#include "unit/lab_helpers.h"
#include "unit/viommu_suite.h"

/* ---- the fake ---- */

struct fake_var {
	struct fake fake;
	struct hiopt hw;
};

static void fake_setup(struct vs_fx *fx)
{
	struct fake_var *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fake.ranges[0] = (struct hiopt_iova_range){ 0, LAYOUT_MSI_BASE - 1 };
	f->fake.ranges[1] = (struct hiopt_iova_range){ LAYOUT_MSI_LAST + 1, (1ULL << 48) - 1 };
	f->fake.nr_ranges = 2;
	f->hw = (struct hiopt){ .ops = &fake_ops, .be = &f->fake };
	fx->be = f;
	fx->hw = &f->hw;
	fx->dev[0] = (struct hiopt_dev *)&f->fake.dev[0];
	fx->dev[1] = (struct hiopt_dev *)&f->fake.dev[1];
}

static void fake_teardown(struct vs_fx *fx)
{
	struct fake_var *f = fx->be;

	for (int i = 1; i <= FAKE_IOAS; i++)
		assert_false(f->fake.ioas[i].live);
	assert_false(f->fake.dev[0].attached || f->fake.dev[1].attached);
	assert_int_equal(f->fake.destroy_busy, 0);
	free(f);
}

static uint32_t fake_dev_pt(struct vs_fx *fx, unsigned i)
{
	struct fake_var *f = fx->be;

	return f->fake.dev[i].attached ? f->fake.dev[i].pt : 0;
}

static int fake_foreach_map(struct vs_fx *fx, uint32_t ioas,
			    int (*fn)(const struct vs_host_map *m, void *opaque), void *opaque)
{
	struct fake_var *f = fx->be;
	const struct fioas *a = ioas <= FAKE_IOAS ? &f->fake.ioas[ioas] : NULL;
	int ret = 0;

	assert_int_equal(f->fake.destroy_busy, 0);
	if (!a || !a->live)
		return -ENOENT;
	for (int i = 0; i < a->n && !ret; i++) {
		struct vs_host_map m = {
			a->maps[i].iova, a->maps[i].len, a->maps[i].hva, a->maps[i].prot,
		};

		ret = fn(&m, opaque);
	}
	return ret;
}

static void fake_fail_run(struct vs_fx *fx, unsigned n, unsigned count, int err)
{
	struct fake_var *f = fx->be;

	f->fake.fail_at = n ? f->fake.calls + (int)n : 0;
	f->fake.fail_run = (int)count;
	f->fake.fail_err = -err;
}

static uint64_t fake_op_count(struct vs_fx *fx)
{
	return (uint64_t)((struct fake_var *)fx->be)->fake.calls;
}

static bool fake_fail_pending(struct vs_fx *fx)
{
	struct fake_var *f = fx->be;
	int run = f->fake.fail_run ? f->fake.fail_run : 1;

	return f->fake.fail_at && f->fake.calls < f->fake.fail_at + run - 1;
}

static const struct vs_variant fake_variant = {
	.name = "fake", .nr_devs = 2,
	.setup = fake_setup, .teardown = fake_teardown, .dev_pt = fake_dev_pt,
	.foreach_map = fake_foreach_map, .fail_run = fake_fail_run,
	.op_count = fake_op_count, .fail_pending = fake_fail_pending,
};

/* ---- the sim ---- */

static void sim_setup_pages(struct vs_fx *fx, uint64_t page_size)
{
	struct sim_iommu_config sc;
	struct sim_iommu *sim;

	sim_iommu_config_default(&sc);
	sc.page_size = page_size;
	sim = sim_iommu_create(&sc);
	assert_non_null(sim);
	fx->be = sim;
	fx->hw = sim_iommu_hiopt(sim);
	fx->dev[0] = sim_iommu_dev_create(sim);
	fx->dev[1] = sim_iommu_dev_create(sim);
	assert_true(fx->dev[0] && fx->dev[1]);
}

static void sim4k_setup(struct vs_fx *fx)
{
	sim_setup_pages(fx, 0x1000);
}

static void sim2k_setup(struct vs_fx *fx)
{
	sim_setup_pages(fx, 0x800);
}

static void sim_teardown(struct vs_fx *fx)
{
	struct sim_iommu *sim = fx->be;
	struct sim_counts c;

	sim_iommu_counts(sim, &c);
	assert_int_equal(c.ioas + c.hwpt_parent + c.hwpt_nested + c.mappings, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(sim_iommu_dev_pt(sim, fx->dev[i]), 0);
		sim_iommu_dev_destroy(sim, fx->dev[i]);
	}
	sim_iommu_destroy(sim);
}

static uint32_t sim_dev_pt(struct vs_fx *fx, unsigned i)
{
	return sim_iommu_dev_pt(fx->be, fx->dev[i]);
}

struct sim_walk {
	int (*fn)(const struct vs_host_map *m, void *opaque);
	void *opaque;
};

static int sim_walk_one(const struct sim_mapping *m, void *opaque)
{
	struct sim_walk *w = opaque;
	struct vs_host_map h = { m->iova, m->len, m->hva, m->prot };

	return w->fn(&h, w->opaque);
}

static int sim_foreach_map(struct vs_fx *fx, uint32_t ioas,
			   int (*fn)(const struct vs_host_map *m, void *opaque), void *opaque)
{
	struct sim_walk w = { fn, opaque };

	if (sim_iommu_mapping_count(fx->be, ioas) < 0)
		return -ENOENT;
	return sim_iommu_foreach_mapping(fx->be, ioas, sim_walk_one, &w);
}

static void sim_fail_run(struct vs_fx *fx, unsigned n, unsigned count, int err)
{
	sim_iommu_fail_run(fx->be, n, count, err);
}

static uint64_t sim_op_count(struct vs_fx *fx)
{
	return sim_iommu_op_count(fx->be);
}

static bool sim_fail_pending(struct vs_fx *fx)
{
	return sim_iommu_fail_pending(fx->be);
}

#define SIM_VARIANT(nm, setup_fn) {						\
	.name = nm, .nr_devs = 2, .setup = setup_fn, .teardown = sim_teardown,	\
	.dev_pt = sim_dev_pt, .foreach_map = sim_foreach_map,			\
	.fail_run = sim_fail_run, .op_count = sim_op_count,			\
	.fail_pending = sim_fail_pending,					\
}

static const struct vs_variant sim4k_variant = SIM_VARIANT("sim-4k", sim4k_setup);
static const struct vs_variant sim2k_variant = SIM_VARIANT("sim-2k", sim2k_setup);

/* ---- tests: the table, then the sweep, per variant ---- */

static void test_fake_table(void **state)
{
	vs_run_variant(&fake_variant, NULL);
}

static void test_fake_sweep(void **state)
{
	vs_sweep_variant(&fake_variant);
}

static void test_sim4k_table(void **state)
{
	vs_run_variant(&sim4k_variant, NULL);
}

static void test_sim4k_sweep(void **state)
{
	vs_sweep_variant(&sim4k_variant);
}

static void test_sim2k_table(void **state)
{
	vs_run_variant(&sim2k_variant, NULL);
}

static void test_sim2k_sweep(void **state)
{
	vs_sweep_variant(&sim2k_variant);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_table),
		cmocka_unit_test(test_sim4k_table),
		cmocka_unit_test(test_sim2k_table),
		cmocka_unit_test(test_fake_sweep),
		cmocka_unit_test(test_sim4k_sweep),
		cmocka_unit_test(test_sim2k_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
