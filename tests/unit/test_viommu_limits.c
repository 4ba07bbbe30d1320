// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bounded guest resources (docs/security.md, "Resource limits"), through
 * viommu_handle_request: a flood of MAPs gets S_NOMEM exactly at the
 * per-domain and per-VM limits, ATTACH past the domain limit gets S_NOMEM,
 * and every refusal leaves the guest view, and with the sim backend the
 * host IOASes, exactly as they were.
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
#include "unit/viommu_helpers.h"

#define EP1	0x08
#define EP2	0x10
#define EP_HOST	0x18
#define IOVA0	0x100000000ULL	/* clear of the MSI window */

struct fixture {
	struct memmap *mem;
	struct sim_iommu *sim;		/* NULL: emulated endpoints only */
	struct hiopt_dev *dev;
	struct viommu *v;
};

static struct fixture *fixture_new(const struct viommu_limits *lim, bool host)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct viommu_config cfg = { .input_end = (1ULL << 48) - 1 };

	assert_non_null(f);
	f->mem = t_memmap();
	assert_non_null(f->mem);
	cfg.mem = f->mem;
	if (lim)
		cfg.limits = *lim;
	if (host) {
		f->sim = sim_iommu_create(NULL);
		assert_non_null(f->sim);
		f->dev = sim_iommu_dev_create(f->sim);
		cfg.hiopt = sim_iommu_hiopt(f->sim);
	}
	f->v = viommu_create(&cfg);
	assert_non_null(f->v);
	assert_int_equal(viommu_add_endpoint(f->v, EP1), 0);
	assert_int_equal(viommu_add_endpoint(f->v, EP2), 0);
	if (host)
		assert_int_equal(viommu_add_host_endpoint(f->v, EP_HOST, NULL, f->dev), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	viommu_destroy(f->v);
	if (f->sim) {
		sim_iommu_dev_destroy(f->sim, f->dev);
		sim_iommu_destroy(f->sim);
	}
	memmap_destroy(f->mem);
	free(f);
}

/* MAP page i of a flood: distinct IOVAs, all on the same guest page. */
static int map_nth(struct viommu *v, uint32_t dom, uint64_t i)
{
	return t_map(v, dom, IOVA0 + i * T_PAGE, IOVA0 + i * T_PAGE + T_PAGE - 1, T_RAM, T_RW);
}

/* Flood dom with MAPs from index from on; return how many were S_OK before
 * the first refusal, which must be S_NOMEM and change nothing. */
static uint64_t flood(struct viommu *v, uint32_t dom, uint64_t from, uint64_t cap)
{
	uint64_t i;
	int st = VIRTIO_IOMMU_S_OK;

	for (i = from; i < from + cap; i++) {
		uint64_t before = t_digest(v);

		st = map_nth(v, dom, i);
		if (st != VIRTIO_IOMMU_S_OK) {
			assert_int_equal(st, VIRTIO_IOMMU_S_NOMEM);
			assert_true(t_digest(v) == before);
			break;
		}
	}
	assert_int_equal(st, VIRTIO_IOMMU_S_NOMEM);	/* the limit was reached */
	return i - from;
}

static uint64_t limit_rejects(struct viommu *v)
{
	struct viommu_stats st;

	viommu_stats(v, &st);
	return st.limit_rejects;
}

static bool translates(struct viommu *v, uint32_t ep, uint64_t iova)
{
	uint64_t gpa, contig;

	return !viommu_translate(v, ep, iova, 1, DMA_ACCESS_READ, &gpa, &contig);
}

/* Zeros in the config mean the documented defaults. */
static void test_defaults(void **state)
{
	struct viommu_limits l = { .max_domains = 7 };
	struct fixture *f = fixture_new(NULL, false);
	struct viommu_limits in_force;

	viommu_debug_limits(f->v, &in_force);
	assert_int_equal(in_force.max_mappings, VIOMMU_DEFAULT_MAX_MAPPINGS);
	assert_int_equal(in_force.max_domain_mappings, VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS);
	assert_int_equal(in_force.max_domains, VIOMMU_DEFAULT_MAX_DOMAINS);
	assert_int_equal(in_force.max_pending_faults, VIOMMU_DEFAULT_MAX_PENDING_FAULTS);
	viommu_limits_fill(&l);
	assert_int_equal(l.max_domains, 7);
	assert_int_equal(l.max_pending_faults, VIOMMU_DEFAULT_MAX_PENDING_FAULTS);
	fixture_free(f);
}

/* One guest page at many IOVAs of one domain: S_NOMEM exactly at
 * max_domain_mappings, the refused IOVA does not translate, and freeing one
 * mapping (or all) makes room again. */
static void test_domain_mappings_limit(void **state)
{
	const struct viommu_limits lim = { .max_domain_mappings = 1000, .max_mappings = 5000 };
	struct fixture *f = fixture_new(&lim, false);
	struct viommu *v = f->v;

	assert_int_equal(t_attach(v, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(flood(v, 1, 0, 2000), 1000);
	assert_int_equal(limit_rejects(v), 1);
	assert_true(translates(v, EP1, IOVA0 + 999 * T_PAGE));
	assert_false(translates(v, EP1, IOVA0 + 1000 * T_PAGE));
	/* The tree is as before the refusal: an UNMAP of one makes one slot. */
	assert_int_equal(t_unmap(v, 1, IOVA0 + 5 * T_PAGE, IOVA0 + 6 * T_PAGE - 1),
			 VIRTIO_IOMMU_S_OK);
	assert_int_equal(map_nth(v, 1, 1000), VIRTIO_IOMMU_S_OK);
	T_REJECT(v, map_nth(v, 1, 1001), VIRTIO_IOMMU_S_NOMEM);
	/* Another domain has its own budget. */
	assert_int_equal(t_attach(v, 2, EP2, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(flood(v, 2, 0, 2000), 1000);
	/* UNMAP of the whole space gives the domain its budget back. */
	assert_int_equal(t_unmap(v, 1, 0, UINT64_MAX), VIRTIO_IOMMU_S_OK);
	assert_int_equal(flood(v, 1, 0, 2000), 1000);
	fixture_free(f);
}

/* Two domains share max_mappings; a DETACH that ends a domain frees its
 * mappings' share. */
static void test_vm_mappings_limit(void **state)
{
	const struct viommu_limits lim = { .max_domain_mappings = 8, .max_mappings = 12 };
	struct fixture *f = fixture_new(&lim, false);
	struct viommu *v = f->v;

	assert_int_equal(t_attach(v, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(v, 2, EP2, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(flood(v, 1, 0, 100), 8);
	assert_int_equal(flood(v, 2, 0, 100), 4);		/* 8 + 4 = 12 */
	T_REJECT(v, map_nth(v, 1, 50), VIRTIO_IOMMU_S_NOMEM);
	assert_int_equal(t_unmap(v, 1, IOVA0, IOVA0 + 3 * T_PAGE - 1), VIRTIO_IOMMU_S_OK);
	assert_int_equal(flood(v, 2, 4, 100), 3);		/* 5 + 7 = 12 */
	assert_int_equal(t_detach(v, 1, EP1), VIRTIO_IOMMU_S_OK);	/* domain 1 goes */
	assert_int_equal(flood(v, 2, 7, 100), 1);		/* now the domain limit */
	assert_int_equal(limit_rejects(v), 5);
	/* A device reset frees everything. */
	viommu_device_reset(v);
	assert_int_equal(t_attach(v, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(flood(v, 1, 0, 100), 8);
	fixture_free(f);
}

/* ATTACH that would create one domain too many: S_NOMEM, nothing changes.
 * Joining an existing domain, or moving the last endpoint of a domain to a
 * new one (the count does not grow), is fine. */
static void test_domains_limit(void **state)
{
	const struct viommu_limits lim = { .max_domains = 1 };
	struct fixture *f = fixture_new(&lim, false);
	struct viommu *v = f->v;

	assert_int_equal(t_attach(v, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(map_nth(v, 1, 0), VIRTIO_IOMMU_S_OK);
	T_REJECT(v, t_attach(v, 2, EP2, 0), VIRTIO_IOMMU_S_NOMEM);
	T_REJECT(v, t_attach(v, 2, EP2, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_NOMEM);
	assert_false(translates(v, EP2, IOVA0));
	assert_int_equal(t_attach(v, 1, EP2, 0), VIRTIO_IOMMU_S_OK);
	assert_true(translates(v, EP2, IOVA0));
	T_REJECT(v, t_attach(v, 2, EP1, 0), VIRTIO_IOMMU_S_NOMEM);	/* 1 keeps EP2 */
	assert_int_equal(t_detach(v, 1, EP2), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(v, 2, EP1, 0), VIRTIO_IOMMU_S_OK);	/* 1 goes */
	assert_false(translates(v, EP1, IOVA0));
	assert_int_equal(limit_rejects(v), 3);
	fixture_free(f);
}

/* ATTACH_TABLE creates domains too, under the same limit. */
static void test_domains_limit_nested(void **state)
{
	const struct viommu_limits lim = { .max_domains = 1 };
	struct fixture *f = fixture_new(&lim, false);
	struct virtio_iommu_req_x_attach_table r = {
		.head.type = VIRTIO_IOMMU_T_X_ATTACH_TABLE, .domain = htole32(2),
		.endpoint = htole32(EP2), .root = htole64(T_RAM),
		.format = htole16(VIRTIO_IOMMU_X_FMT_X86_64), .addr_width = 48,
	};

	assert_int_equal(t_attach(f->v, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	T_REJECT(f->v, t_req(f->v, &r, sizeof(r)), VIRTIO_IOMMU_S_NOMEM);
	assert_int_equal(t_detach(f->v, 1, EP1), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_req(f->v, &r, sizeof(r)), VIRTIO_IOMMU_S_OK);
	fixture_free(f);
}

struct host_snap {
	size_t n;
	struct sim_mapping m[16];
};

static int snap_one(const struct sim_mapping *m, void *opaque)
{
	struct host_snap *s = opaque;

	if (s->n == 16)
		return 1;
	s->m[s->n++] = *m;
	return 0;
}

static void snap_equal(const struct host_snap *a, const struct host_snap *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->m[i].iova, b->m[i].iova);
		assert_int_equal(a->m[i].len, b->m[i].len);
		assert_ptr_equal(a->m[i].hva, b->m[i].hva);
		assert_int_equal(a->m[i].prot, b->m[i].prot);
	}
}

/* Every host IOAS of the sim, mapping by mapping, plus its op count. */
static void host_state(struct fixture *f, struct sim_counts *c, struct host_snap *s,
		       uint64_t *ops)
{
	struct viommu_debug_dom d[T_MAX_OBJS];
	size_t i, nd;

	memset(s, 0, sizeof(*s));
	sim_iommu_counts(f->sim, c);
	*ops = sim_iommu_op_count(f->sim);
	nd = viommu_debug_domains(f->v, d, T_MAX_OBJS);
	assert_true(nd <= T_MAX_OBJS);
	for (i = 0; i < nd; i++)
		if (d[i].host_pt && !d[i].bypass && !d[i].nested)
			assert_int_equal(sim_iommu_foreach_mapping(f->sim, d[i].host_pt, snap_one,
								   s), 0);
}

#define HOST_UNCHANGED(f, expr, st) do {					\
		struct sim_counts c0_, c1_;					\
		struct host_snap s0_, s1_;					\
		uint64_t o0_, o1_;						\
		host_state(f, &c0_, &s0_, &o0_);				\
		T_REJECT((f)->v, expr, st);					\
		host_state(f, &c1_, &s1_, &o1_);				\
		assert_memory_equal(&c0_, &c1_, sizeof(c0_));			\
		snap_equal(&s0_, &s1_);						\
		assert_int_equal(o0_, o1_);	/* not even a failed host call */ \
	} while (0)

/* With the sim backend the refusals never reach the host: IOAS count,
 * mappings and the sim's op count are as before. */
static void test_limits_sim_host_unchanged(void **state)
{
	const struct viommu_limits lim = {
		.max_domain_mappings = 4, .max_mappings = 6, .max_domains = 2,
	};
	struct fixture *f = fixture_new(&lim, true);
	struct viommu *v = f->v;
	void *hva;

	assert_int_equal(t_attach(v, 1, EP_HOST, 0), VIRTIO_IOMMU_S_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(map_nth(v, 1, i), VIRTIO_IOMMU_S_OK);
	HOST_UNCHANGED(f, map_nth(v, 1, 4), VIRTIO_IOMMU_S_NOMEM);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, IOVA0 + 4 * T_PAGE, 4,
					     HIOPT_PROT_READ, &hva), -EFAULT);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, IOVA0 + 3 * T_PAGE, 4,
					     HIOPT_PROT_READ, &hva), 0);
	/* Per VM: domain 2 (emulated) takes the last 2. */
	assert_int_equal(t_attach(v, 2, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(map_nth(v, 2, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(map_nth(v, 2, 1), VIRTIO_IOMMU_S_OK);
	HOST_UNCHANGED(f, map_nth(v, 2, 2), VIRTIO_IOMMU_S_NOMEM);
	/* Domains: a third one, for the host endpoint or an emulated one. */
	HOST_UNCHANGED(f, t_attach(v, 3, EP2, 0), VIRTIO_IOMMU_S_NOMEM);
	assert_int_equal(t_attach(v, 1, EP2, 0), VIRTIO_IOMMU_S_OK);	/* 1 outlives EP_HOST */
	HOST_UNCHANGED(f, t_attach(v, 3, EP_HOST, 0), VIRTIO_IOMMU_S_NOMEM);
	assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev) != 0, 1);	/* still on domain 1 */
	/* The host endpoint joins domain 2: its IOAS replays 2 mappings. */
	assert_int_equal(t_attach(v, 2, EP_HOST, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(sim_iommu_translate(f->sim, f->dev, IOVA0 + T_PAGE, 4,
					     HIOPT_PROT_READ, &hva), 0);
	fixture_free(f);
}

/* Pending fault events are bounded: with no eventq to take them, at most
 * max_pending_faults wait; the rest are dropped and counted, never queued. */
static void test_pending_faults_limit(void **state)
{
	struct viommu_limits l = { .max_pending_faults = 3 };
	struct fixture *f = fixture_new(&l, false);
	struct viommu_stats st;

	for (int i = 0; i < 10; i++)
		assert_false(translates(f->v, EP1, IOVA0 + i * T_PAGE));	/* not attached */
	viommu_poll_faults(f->v);	/* no transport: nothing can take them */
	viommu_stats(f->v, &st);
	assert_int_equal(st.faults_dropped, 7);
	assert_int_equal(st.faults, 0);
	assert_int_equal(viommu_debug_pending_faults(f->v), 3);
	viommu_device_reset(f->v);	/* a reset forgets them */
	assert_int_equal(viommu_debug_pending_faults(f->v), 0);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_pending_faults_limit),
		cmocka_unit_test(test_domain_mappings_limit),
		cmocka_unit_test(test_vm_mappings_limit),
		cmocka_unit_test(test_domains_limit),
		cmocka_unit_test(test_domains_limit_nested),
		cmocka_unit_test(test_limits_sim_host_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
