/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The viommu backend suite, fixtures x variants: one table of request
 * sequences (vs_scripts), each step with its expected status, run against
 * every host backend variant (a fake, the sim at 4 KiB and at 2 KiB pages,
 * iommufd in the lab). After every step the host state is checked against
 * the guest's: each domain's host page table holds exactly its mappings
 * (with READ or WRITE), each device is attached where the guest says.
 * Variants that can fail their Nth op also run every script as a sweep:
 * each op, alone and in a run of three (a retry that fails too), fails
 * once; rejected requests must change nothing and nothing may leak.
 * Include after <cmocka.h>, unit/viommu_helpers.h and unit/lab_helpers.h.
 */
#ifndef IOSHADE_TESTS_VIOMMU_SUITE_H
#define IOSHADE_TESTS_VIOMMU_SUITE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "viommu/viommu_debug.h"

#define VS_EMU		0x99		/* an emulated endpoint */
#define VS_H0		0x10		/* host device 0 */
#define VS_H1		0x18		/* host device 1 */
#define VS_PG		0x1000ULL
#define VS_WIN		0x100000ULL	/* every IOVA a script maps lies in */
#define VS_WIN_PAGES	96		/* [VS_WIN, VS_WIN + VS_WIN_PAGES pages) */
#define VS_G(x)		(LAYOUT_HIGH_RAM_BASE + (x))	/* a GPA in guest RAM */
#define VS_R		VIRTIO_IOMMU_MAP_F_READ
#define VS_RW		(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define VS_MAX_STEPS	24

/* ---- a variant: one host backend ---- */

struct vs_fx;

struct vs_host_map {
	uint64_t iova, len;
	const void *hva;
	unsigned prot;			/* HIOPT_PROT_* */
};

struct vs_variant {
	const char *name;
	unsigned nr_devs;		/* host devices it offers (1 or 2) */
	/* Make the backend and its devices over fx->ram; undo it (asserting
	 * that the viommu left no object and no attached device behind). */
	void (*setup)(struct vs_fx *fx);
	void (*teardown)(struct vs_fx *fx);
	/* What device i is attached to on the host, 0: blocked. */
	uint32_t (*dev_pt)(struct vs_fx *fx, unsigned i);
	/* dev_pt names an HWPT the kernel allocated for the IOAS (iommufd):
	 * only "attached or blocked" compares, the IOAS id is checked by
	 * probing what the device's domain maps. */
	bool dev_pt_not_ioas;
	/* Every mapping of IOAS ioas (fn's non-zero return stops), -ENOENT
	 * when ioas is not an IOAS. NULL: the variant can only probe. */
	int (*foreach_map)(struct vs_fx *fx, uint32_t ioas,
			   int (*fn)(const struct vs_host_map *m, void *opaque), void *opaque);
	/* Is the page at iova mapped in ioas? (variants without foreach_map) */
	bool (*page_mapped)(struct vs_fx *fx, uint32_t ioas, uint64_t iova);
	/* Fail ops n .. n + count - 1 from now; NULL: no sweep. */
	void (*fail_run)(struct vs_fx *fx, unsigned n, unsigned count, int err);
	uint64_t (*op_count)(struct vs_fx *fx);
	bool (*fail_pending)(struct vs_fx *fx);
};

struct vs_fx {
	const struct vs_variant *var;
	struct lab_ram ram;		/* guest RAM, GPA x at ram.base + x */
	const struct hiopt *hw;		/* set by setup */
	struct hiopt_dev *dev[2];	/* set by setup */
	void *ctx;			/* the caller's, for setup (the lab's devices) */
	void *be;			/* the variant's own state */
	struct viommu *v;
	bool sweeping;			/* a failure was injected: see vs_check_ep */
};

/* ---- the table ---- */

enum vs_op { VS_END, VS_ATTACH, VS_DETACH, VS_MAP, VS_UNMAP, VS_BYPASS, VS_RESET, VS_SYSRESET };

struct vs_step {
	enum vs_op op;
	uint32_t dom, ep;		/* ep for ATTACH/DETACH; dom = 0/1 for BYPASS */
	uint64_t start, last, gpa;	/* MAP/UNMAP */
	uint32_t flags;			/* ATTACH or MAP flags */
	uint8_t st;			/* the status expected without failures */
};

struct vs_script {
	const char *name;
	bool bypass;			/* the viommu's default bypass */
	unsigned nr_devs;		/* host devices it needs */
	struct vs_step steps[VS_MAX_STEPS];
};

#define A(d, e, fl, s)		{ VS_ATTACH, d, e, 0, 0, 0, fl, s }
#define D(d, e, s)		{ VS_DETACH, d, e, 0, 0, 0, 0, s }
#define M(d, o, n, g, fl, s)	{ VS_MAP, d, 0, VS_WIN + (o), VS_WIN + (o) + (n) - 1, g, fl, s }
#define U(d, o, n, s)		{ VS_UNMAP, d, 0, VS_WIN + (o), VS_WIN + (o) + (n) - 1, 0, 0, s }
#define B(on)			{ VS_BYPASS, on, 0, 0, 0, 0, 0, 0 }
#define RESET			{ VS_RESET, 0, 0, 0, 0, 0, 0, 0 }
#define SYSRESET		{ VS_SYSRESET, 0, 0, 0, 0, 0, 0, 0 }
#define UALL(d)			{ VS_UNMAP, d, 0, 0, UINT64_MAX, 0, 0, 0 }
#define OK			VIRTIO_IOMMU_S_OK
#define BYP			VIRTIO_IOMMU_ATTACH_F_BYPASS

static const struct vs_script vs_scripts[] = {
	{ "two host devices share a domain's IOAS, replayed; bypass domain; resets",
	  false, 2, {
		A(1, VS_EMU, 0, OK), M(1, 0x10000, 0x10000, VS_G(0), VS_RW, OK),
		A(1, VS_H0, 0, OK), M(1, 0x20000, 0x10000, VS_G(0x10000), VS_R, OK),
		A(1, VS_H1, 0, OK), M(1, 0x30000, VS_PG, LAYOUT_LOW_RAM_BASE, VS_RW, OK),
		U(1, 0x10000, 0x20000, OK), A(2, VS_H0, 0, OK), M(2, 0x10000, VS_PG, VS_G(0), VS_RW, OK),
		A(3, VS_H1, BYP, OK), D(2, VS_H0, OK), B(1),
		UALL(1), RESET, SYSRESET,
	} },
	{ "one host device: map, unmap, to a bypass domain and back, detach",
	  false, 1, {
		A(1, VS_H0, 0, OK), M(1, 0x10000, 0x10000, VS_G(0), VS_RW, OK),
		M(1, 0x20000, VS_PG, VS_G(0x20000), VS_R, OK), U(1, 0x10000, 0x10000, OK),
		A(2, VS_H0, BYP, OK), A(1, VS_H0, 0, OK), M(1, 0x40000, VS_PG, VS_G(0x1000), VS_RW, OK),
		D(1, VS_H0, OK), RESET,
	} },
	{ "overlap and split refused, whole mappings unmapped, replay on re-attach",
	  false, 1, {
		A(1, VS_H0, 0, OK), M(1, 0, 0x10000, VS_G(0x100000), VS_RW, OK),
		M(1, 0x20000, VS_PG, VS_G(0x300000), VS_R, OK),
		M(1, 0x8000, 0x11000, VS_G(0x200000), VS_RW, VIRTIO_IOMMU_S_INVAL),
		U(1, 0x4000, 0x4000, VIRTIO_IOMMU_S_RANGE),
		M(1, 0x30000, VS_PG, VS_G(0x200000), VS_RW, OK),
		M(1, 0x31000, VS_PG, VS_G(0x201000), VS_RW, OK),
		M(1, 0x32000, VS_PG, VS_G(0x202000), VS_RW, OK),
		U(1, 0x30000, 0x2000, OK), U(1, 0, 0x10000, OK),
		A(1, VS_EMU, 0, OK), A(2, VS_H0, BYP, OK), A(1, VS_H0, 0, OK), D(1, VS_H0, OK),
		RESET,
	} },
	{ "a MAP without READ or WRITE never reaches the host",
	  false, 1, {
		A(1, VS_H0, 0, OK), M(1, 0x10000, VS_PG, VS_G(0), 0, OK), U(1, 0x10000, VS_PG, OK),
		M(1, 0x10000, VS_PG, VS_G(0), 0, OK), M(1, 0x20000, VS_PG, VS_G(0), VS_RW, OK),
		M(1, 0x30000, VS_PG, VS_G(0), 0, OK), U(1, 0x10000, 0x21000, OK),
		M(1, 0x40000, VS_PG, VS_G(0), 0, OK), A(1, VS_EMU, 0, OK), D(1, VS_H0, OK),
		A(1, VS_H0, 0, OK), UALL(1),
	} },
	{ "reset with devices in a domain (a host that will not let go of one)",
	  false, 2, {
		A(1, VS_H0, 0, OK), M(1, 0x10000, 0x10000, VS_G(0), VS_RW, OK), A(1, VS_H1, 0, OK),
		A(2, VS_EMU, 0, OK), RESET, A(1, VS_H0, 0, OK),
		M(1, 0x10000, VS_PG, VS_G(0x1000), VS_RW, OK), A(3, VS_H1, 0, OK), B(1), SYSRESET,
	} },
	{ "bypass: identity IOAS for unattached and bypass-domain devices, off blocks",
	  true, 1, {
		A(1, VS_H0, 0, OK), A(2, VS_H0, BYP, OK), D(2, VS_H0, OK), B(0),
		A(2, VS_H0, BYP, OK), SYSRESET,
	} },
};

#undef A
#undef D
#undef M
#undef U
#undef OK
#undef B
#undef RESET
#undef SYSRESET
#undef UALL
#undef BYP

#define VS_NR_SCRIPTS	(sizeof(vs_scripts) / sizeof(vs_scripts[0]))

/* ---- fixture ---- */

static inline uint32_t vs_host_ep(unsigned i)
{
	return i ? VS_H1 : VS_H0;
}

static inline void vs_fx_init(struct vs_fx *fx, const struct vs_variant *var, void *ctx,
			      bool bypass)
{
	struct viommu_config cfg = { .bypass = bypass, .input_end = (1ULL << 48) - 1 };

	memset(fx, 0, sizeof(*fx));
	fx->var = var;
	fx->ctx = ctx;
	fx->ram.fd = -1;
	assert_int_equal(lab_ram_create(&fx->ram, LAB_RAM_SIZE), 0);
	var->setup(fx);
	cfg.mem = fx->ram.mem;
	cfg.hiopt = fx->hw;
	fx->v = viommu_create(&cfg);
	assert_non_null(fx->v);
	assert_int_equal(viommu_add_endpoint(fx->v, VS_EMU), 0);
}

static inline void vs_fx_fini(struct vs_fx *fx)
{
	viommu_destroy(fx->v);
	fx->var->teardown(fx);
	lab_ram_destroy(&fx->ram);
}

/* ---- the host-state check ---- */

struct vs_cmp {
	struct vs_fx *fx;
	uint32_t dom;
	size_t n;
	bool bad;
};

/* One host mapping == one guest mapping: range, host address, permissions. */
static inline int vs_cmp_one(const struct vs_host_map *h, void *opaque)
{
	struct vs_cmp *c = opaque;
	struct iova_map g;
	unsigned prot;

	c->n++;
	if (viommu_debug_find_map(c->fx->v, c->dom, h->iova, &g) || g.start != h->iova ||
	    g.last - g.start + 1 != h->len) {
		c->bad = true;
		return 1;
	}
	prot = (g.flags & VIRTIO_IOMMU_MAP_F_READ ? HIOPT_PROT_READ : 0) |
	       (g.flags & VIRTIO_IOMMU_MAP_F_WRITE ? HIOPT_PROT_WRITE : 0);
	c->bad = h->hva != c->fx->ram.base + g.gpa || h->prot != prot;
	return c->bad;
}

static inline int vs_count_accessible(const struct iova_map *m, void *opaque)
{
	*(size_t *)opaque += (m->flags & VS_RW) != 0;
	return 0;
}

/* Probing variants: every page of the window, mapped on the host iff a
 * guest mapping with access holds it. */
static inline void vs_probe_window(struct vs_fx *fx, uint32_t dom, uint32_t ioas)
{
	for (uint64_t p = 0; p < VS_WIN_PAGES; p++) {
		uint64_t iova = VS_WIN + p * VS_PG;
		struct iova_map g;
		bool want = !viommu_debug_find_map(fx->v, dom, iova, &g) && (g.flags & VS_RW);

		if (fx->var->page_mapped(fx, ioas, iova) != want)
			fail_msg("%s: IOAS %u page 0x%llx: host %s, guest %s", fx->var->name, ioas,
				 (unsigned long long)iova, want ? "free" : "mapped",
				 want ? "mapped" : "free");
	}
}

/* A paging domain's IOAS holds exactly its mappings with READ or WRITE. */
static inline void vs_check_domain(struct vs_fx *fx, const struct viommu_debug_dom *d)
{
	struct vs_cmp c = { .fx = fx, .dom = d->id };
	size_t accessible = 0;

	assert_true((d->host_pt != 0) == (!d->bypass && d->nr_host > 0));
	if (!d->host_pt)
		return;
	if (!fx->var->foreach_map) {
		vs_probe_window(fx, d->id, d->host_pt);
		return;
	}
	viommu_debug_foreach_map(fx->v, d->id, vs_count_accessible, &accessible);
	assert_int_equal(fx->var->foreach_map(fx, d->host_pt, vs_cmp_one, &c), 0);
	assert_false(c.bad);
	assert_int_equal(c.n, accessible);
}

/* Does the IOAS map nothing (or is pt no IOAS)? */
static inline int vs_any_map(const struct vs_host_map *h, void *opaque)
{
	return 1;
}

static inline bool vs_reaches_nothing(struct vs_fx *fx, uint32_t pt)
{
	if (fx->var->foreach_map)
		return fx->var->foreach_map(fx, pt, vs_any_map, NULL) <= 0;
	for (uint64_t p = 0; p < VS_WIN_PAGES; p++)
		if (fx->var->page_mapped(fx, pt, VS_WIN + p * VS_PG))
			return false;
	return true;
}

/* A host device is where the guest says: its domain's IOAS, the identity
 * IOAS (bypass), or blocked. Two exceptions once failures are injected,
 * both fail-closed: an unattached device in bypass mode may be blocked (a
 * failure with no status to report it: config write, reset); and after a
 * detach the host refused, a device may stay on an emptied IOAS of a
 * domain that is gone. */
static inline void vs_check_ep(struct vs_fx *fx, const struct viommu_debug_ep *e, unsigned i)
{
	uint32_t s2 = viommu_debug_s2_ioas(fx->v), want = 0;
	struct viommu_debug_dom d;

	if (fx->var->dev_pt_not_ioas)
		assert_int_equal(fx->var->dev_pt(fx, i) != 0, e->host_pt != 0);
	else
		assert_int_equal(fx->var->dev_pt(fx, i), e->host_pt);
	if (e->attached) {
		assert_int_equal(viommu_debug_domain(fx->v, e->dom, &d), 0);
		want = d.bypass ? s2 : d.host_pt;
		assert_int_not_equal(want, 0);
	} else if (viommu_debug_bypass(fx->v)) {
		want = e->host_pt || !fx->sweeping ? s2 : 0;
	}
	if (e->host_pt == want)
		return;
	assert_true(fx->sweeping);
	/* A device the host will neither switch, detach nor park on an empty
	 * IOAS (three failures in a row) stays on the shared identity IOAS;
	 * that, and only that, is counted as a stuck device. */
	if (!e->attached && e->host_pt == s2) {
		struct viommu_stats st;

		viommu_stats(fx->v, &st);
		assert_true(st.stuck_devices > 0);
		return;
	}
	if (!vs_reaches_nothing(fx, e->host_pt))
		fail_msg("%s: endpoint 0x%x stays on host object %u, which maps something",
			 fx->var->name, e->id, e->host_pt);
}

static inline void vs_check(struct vs_fx *fx)
{
	struct viommu_debug_dom d[T_MAX_OBJS];
	struct viommu_debug_ep e[T_MAX_OBJS];
	size_t i, nd = viommu_debug_domains(fx->v, d, T_MAX_OBJS);
	size_t ne = viommu_debug_endpoints(fx->v, e, T_MAX_OBJS);

	assert_true(nd <= T_MAX_OBJS && ne <= T_MAX_OBJS);
	for (i = 0; i < nd; i++)
		vs_check_domain(fx, &d[i]);
	for (i = 0; i < ne; i++)
		for (unsigned k = 0; k < fx->var->nr_devs; k++)
			if (e[i].dev && e[i].dev == fx->dev[k])
				vs_check_ep(fx, &e[i], k);
}

/* ---- running a script ---- */

static inline int vs_step_run(struct vs_fx *fx, const struct vs_step *s)
{
	struct viommu *v = fx->v;

	switch (s->op) {
	case VS_ATTACH:
		return t_attach(v, s->dom, s->ep, s->flags);
	case VS_DETACH:
		return t_detach(v, s->dom, s->ep);
	case VS_MAP:
		return t_map(v, s->dom, s->start, s->last, s->gpa, s->flags);
	case VS_UNMAP:
		return t_unmap(v, s->dom, s->start, s->last);
	case VS_BYPASS:
		viommu_config_write(v, VIRTIO_IOMMU_CFG_BYPASS_OFF, s->dom ? "\1" : "\0", 1);
		return VIRTIO_IOMMU_S_OK;
	case VS_RESET:
		viommu_device_reset(v);
		return VIRTIO_IOMMU_S_OK;
	case VS_SYSRESET:
		viommu_system_reset(v);
		return VIRTIO_IOMMU_S_OK;
	default:
		return -1;
	}
}

/* A failure to inject: ops n .. n + run - 1 fail (n = 0: none), counted
 * from the start, or (after_reg) from once the host endpoints are in: a
 * probe at registration the host will not let go of is left to it (a leak
 * on the host, not a hole), which the teardown checks would count. */
struct vs_fail {
	unsigned n, run;
	int err;
	bool after_reg;
};

/* Run sc on a fresh viommu; statuses are checked unless a failure is
 * injected, when only "a rejection changed nothing" holds. */
static inline void vs_run_script(struct vs_fx *fx, const struct vs_script *sc,
				 const struct vs_fail *fail)
{
	const struct vs_step *s;

	fx->sweeping = fail->n != 0;
	if (fail->n && !fail->after_reg)
		fx->var->fail_run(fx, fail->n, fail->run, fail->err);
	for (unsigned k = 0; k < sc->nr_devs; k++)
		if (viommu_add_host_endpoint(fx->v, vs_host_ep(k), fx->hw, fx->dev[k]))
			return;		/* registration failed cleanly: nothing to shadow */
	if (fail->n && fail->after_reg)
		fx->var->fail_run(fx, fail->n, fail->run, fail->err);
	vs_check(fx);
	for (s = sc->steps; s->op != VS_END; s++) {
		uint64_t before = t_digest(fx->v);
		int st = vs_step_run(fx, s);

		if (!fx->sweeping && st != s->st)
			fail_msg("%s: \"%s\" step %d: status %d, want %d", fx->var->name, sc->name,
				 (int)(s - sc->steps), st, s->st);
		if (st != VIRTIO_IOMMU_S_OK)
			assert_true(t_digest(fx->v) == before);
		vs_check(fx);
	}
}

static inline void vs_run_variant(const struct vs_variant *var, void *ctx)
{
	const struct vs_fail none = { 0 };
	struct vs_fx fx;

	for (size_t i = 0; i < VS_NR_SCRIPTS; i++) {
		if (vs_scripts[i].nr_devs > var->nr_devs)
			continue;
		vs_fx_init(&fx, var, ctx, vs_scripts[i].bypass);
		vs_run_script(&fx, &vs_scripts[i], &none);
		vs_fx_fini(&fx);
	}
}

/* Ops the script makes: all of them, or those after registration. */
static inline uint64_t vs_count_ops(const struct vs_variant *var, const struct vs_script *sc,
				    bool after_reg)
{
	const struct vs_fail none = { 0 };
	struct vs_fx fx;
	uint64_t total, reg;

	vs_fx_init(&fx, var, NULL, sc->bypass);
	for (unsigned k = 0; k < sc->nr_devs; k++)
		assert_int_equal(viommu_add_host_endpoint(fx.v, vs_host_ep(k), fx.hw, fx.dev[k]), 0);
	reg = var->op_count(&fx);
	vs_fx_fini(&fx);
	vs_fx_init(&fx, var, NULL, sc->bypass);
	vs_run_script(&fx, sc, &none);
	total = var->op_count(&fx);
	vs_fx_fini(&fx);
	return after_reg ? total - reg : total;
}

/* One script, one kind of failure, at every op it makes. */
static inline void vs_sweep_script(const struct vs_variant *var, const struct vs_script *sc,
				   unsigned run)
{
	struct vs_fail fail = { .run = run, .after_reg = run > 1 };
	uint64_t total = vs_count_ops(var, sc, fail.after_reg);
	struct vs_fx fx;

	assert_true(total > 2);
	for (fail.n = 1; fail.n <= total; fail.n++) {
		fail.err = fail.n % 3 ? EIO : ENOMEM;
		vs_fx_init(&fx, var, NULL, sc->bypass);
		vs_run_script(&fx, sc, &fail);
		assert_true(run > 1 || !var->fail_pending(&fx));	/* it did fail */
		var->fail_run(&fx, 0, 0, 0);	/* a teardown that works */
		vs_fx_fini(&fx);		/* and nothing leaked */
	}
}

/* Every op of every script fails once, alone and in a run of three (the
 * retry of a detach fails too: a device the host will not let go). */
static inline void vs_sweep_variant(const struct vs_variant *var)
{
	for (size_t i = 0; i < VS_NR_SCRIPTS; i++) {
		if (vs_scripts[i].nr_devs > var->nr_devs)
			continue;
		vs_sweep_script(var, &vs_scripts[i], 1);
		vs_sweep_script(var, &vs_scripts[i], 3);
	}
}

#endif
