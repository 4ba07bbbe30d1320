// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the virtio-iommu request core: the input is a script of requests (raw
 * bytes, or ATTACH/MAP/UNMAP built from a few fields), guest RAM writes (for
 * stage-1 tables), translations, bypass/feature/reset changes, sim DMA and
 * "fail the Nth host op" on a viommu with a layout.h memory map, two sim host
 * endpoints and two emulated ones. After every step the sim's view must equal
 * the guest's; at the end everything is destroyed and LSan looks for leaks.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough/sim/sim_iommu.h"
#include "viommu/viommu.h"
#include "viommu/viommu_debug.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/vm.h"

#define RAM_SIZE	(4ULL << 20)
#define BAR_EMU		LAYOUT_MMIO32_BASE
#define BAR_ASSIGNED	(LAYOUT_MMIO32_BASE + 0x100000)
#define BAR_SIZE	0x10000ULL
#define NR_EPS		4		/* 0, 1: host (sim) endpoints; 2, 3: emulated */
#define MAX_STEPS	256

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const uint32_t ep_ids[NR_EPS] = { 0x08, 0x10, 0x18, 0x20 };

struct input {
	const uint8_t *p;
	size_t n;
};

struct fx {
	uint8_t *ram, *bar;
	struct memmap *mem;
	struct sim_iommu *sim;
	struct hiopt_dev *dev[2];
	struct viommu *v;
	unsigned faults;
};

static uint64_t take(struct input *in, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static int sink(void *opaque, const struct virtio_iommu_fault *f)
{
	struct fx *x = opaque;

	CHECK(f->reason <= VIRTIO_IOMMU_FAULT_R_MAPPING);
	return x->faults++ % 3 == 2 ? -ENOSPC : 0;	/* sometimes no buffer */
}

/* ---- invariants ---- */

struct cmp {
	struct fx *x;
	uint32_t dom;
	size_t n;
};

/* One sim mapping == one guest mapping, same target and permissions. */
static int cmp_one(const struct sim_mapping *m, void *opaque)
{
	struct cmp *c = opaque;
	struct iova_map gm, *g = &gm;
	struct memmap_region reg;
	unsigned prot;

	CHECK(!viommu_debug_find_map(c->x->v, c->dom, m->iova, &gm));
	CHECK(g->start == m->iova && g->last - g->start + 1 == m->len);
	CHECK(!memmap_query(c->x->mem, g->gpa, m->len, &reg) && reg.hva);
	CHECK(m->hva == (uint8_t *)reg.hva + (g->gpa - reg.start));
	prot = (g->flags & VIRTIO_IOMMU_MAP_F_READ ? HIOPT_PROT_READ : 0) |
	       (g->flags & VIRTIO_IOMMU_MAP_F_WRITE ? HIOPT_PROT_WRITE : 0);
	CHECK(m->prot == prot);
	c->n++;
	return 0;
}

/* Every guest mapping targets memory the guest owns, never the MSI window. */
static int owned_one(const struct iova_map *m, void *opaque)
{
	struct fx *x = opaque;
	struct memmap_region reg;

	CHECK(!memmap_query(x->mem, m->gpa, m->last - m->start + 1, &reg));
	CHECK(reg.kind == MEMMAP_RAM ||
	      ((m->flags & VIRTIO_IOMMU_MAP_F_MMIO) && (reg.flags & MEMMAP_F_ASSIGNED)));
	CHECK(m->last < LAYOUT_MSI_BASE || m->start > LAYOUT_MSI_LAST);
	return 0;
}

static int count_accessible(const struct iova_map *m, void *opaque)
{
	*(size_t *)opaque += (m->flags & (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)) != 0;
	return 0;
}

#define MAX_OBJS	64

static void check_domain(struct fx *x, const struct viommu_debug_dom *d,
			 const struct viommu_debug_ep *e, size_t ne)
{
	unsigned eps = 0, host = 0;
	bool paging = !d->bypass && !d->nested;

	for (size_t i = 0; i < ne; i++) {
		eps += e[i].attached && e[i].dom == d->id;
		host += e[i].attached && e[i].dom == d->id && e[i].dev;
	}
	CHECK(d->nr_eps >= 1 && d->nr_eps == eps && d->nr_host == host);
	/* A host page table iff a host endpoint needs one; a nested HWPT
	 * always on its nest parent. */
	CHECK((d->host_pt != 0) == (!d->bypass && d->nr_host > 0));
	CHECK((d->host_parent != 0) == (d->nested && d->host_pt != 0));
	viommu_debug_foreach_map(x->v, d->id, owned_one, x);
	if (paging && d->host_pt) {
		struct cmp c = { .x = x, .dom = d->id };
		size_t accessible = 0;

		/* The host holds the mappings with READ or WRITE, no others. */
		viommu_debug_foreach_map(x->v, d->id, count_accessible, &accessible);
		CHECK(sim_iommu_foreach_mapping(x->sim, d->host_pt, cmp_one, &c) == 0);
		CHECK(c.n == accessible);
	}
}

static void check_views(struct fx *x)
{
	struct viommu_debug_dom d[MAX_OBJS];
	struct viommu_debug_ep e[MAX_OBJS];
	size_t nd = viommu_debug_domains(x->v, d, MAX_OBJS);
	size_t ne = viommu_debug_endpoints(x->v, e, MAX_OBJS);
	struct viommu_debug_dom ed;

	CHECK(nd <= MAX_OBJS && ne <= MAX_OBJS);
	for (size_t i = 0; i < nd; i++)
		check_domain(x, &d[i], e, ne);
	for (size_t i = 0; i < ne; i++) {
		if (!e[i].dev)
			continue;
		CHECK(sim_iommu_dev_pt(x->sim, e[i].dev) == e[i].host_pt);
		if (e[i].attached && !viommu_debug_domain(x->v, e[i].dom, &ed) && !ed.bypass)
			CHECK(e[i].host_pt && e[i].host_pt == ed.host_pt);
	}
}

/* ---- steps ---- */

static void request(struct fx *x, const void *req, size_t len, size_t cap)
{
	uint8_t resp[VIOMMU_PROBE_SIZE + 8];
	size_t written = 0;
	uint8_t *heap_resp = malloc(cap ? cap : 1);	/* exact size: ASan bounds it */

	CHECK(heap_resp);
	CHECK(viommu_handle_request(x->v, req, len, heap_resp, cap, &written) == 0);
	CHECK(written <= cap);
	if (written) {
		CHECK(written >= 4);
		CHECK(heap_resp[written - 4] < VIRTIO_IOMMU_S_COUNT);
		memcpy(resp, heap_resp, written < sizeof(resp) ? written : sizeof(resp));
	}
	free(heap_resp);
}

static void step_raw(struct fx *x, struct input *in)
{
	uint8_t req[80] = { 0 };
	size_t len = take(in, 1) % sizeof(req), cap = take(in, 2) % 600;

	len = len < in->n ? len : in->n;
	memcpy(req, in->p, len);
	in->p += len;
	in->n -= len;
	/* The request is copied to an exact-size buffer too. */
	uint8_t *r = malloc(len ? len : 1);

	CHECK(r);
	memcpy(r, req, len);
	request(x, r, len, cap);
	free(r);
}

static uint64_t pick_iova(struct input *in)
{
	static const uint64_t bases[] = { 0, 0x100000, LAYOUT_MSI_BASE - 0x10000,
					  1ULL << 32, 1ULL << 47, UINT64_MAX - 0xfffff };

	return bases[take(in, 1) % 6] + (take(in, 2) << 12);
}

static uint64_t pick_gpa(struct input *in)
{
	static const uint64_t bases[] = { LAYOUT_HIGH_RAM_BASE, LAYOUT_LOW_RAM_BASE, 0,
					  LAYOUT_ACPI_BASE, BAR_EMU, BAR_ASSIGNED,
					  LAYOUT_MSI_BASE, RAM_SIZE - 0x10000 };

	return bases[take(in, 1) % 8] + (take(in, 1) << 12);
}

static void step_attach(struct fx *x, struct input *in)
{
	uint8_t b = take(in, 1);
	struct virtio_iommu_req_attach r = {
		.head.type = b & 0x80 ? VIRTIO_IOMMU_T_DETACH : VIRTIO_IOMMU_T_ATTACH,
		.domain = htole32(1 + (b & 3)),
		.endpoint = htole32(ep_ids[(b >> 2) % NR_EPS]),
		.flags = htole32((b >> 4) & 1 ? VIRTIO_IOMMU_ATTACH_F_BYPASS : 0),
	};

	request(x, &r, sizeof(r), 4);
}

static void step_map(struct fx *x, struct input *in)
{
	uint8_t b = take(in, 1);
	uint64_t iova = pick_iova(in), pages = 1 + take(in, 1) % 16;
	struct virtio_iommu_req_map r = {
		.head.type = b & 0x80 ? VIRTIO_IOMMU_T_UNMAP : VIRTIO_IOMMU_T_MAP,
		.domain = htole32(1 + (b & 3)),
		.virt_start = htole64(iova),
		.virt_end = htole64(iova + (pages << 12) - 1),
		.phys_start = htole64(pick_gpa(in)),
		.flags = htole32((b >> 2) & 7),
	};

	if (b & 0x80)	/* UNMAP: same head/domain/virt fields, reserved = 0 */
		r.phys_start = r.flags = 0;
	request(x, &r, b & 0x80 ? sizeof(struct virtio_iommu_req_unmap) : sizeof(r), 4);
}

static void step_ram(struct fx *x, struct input *in)
{
	uint64_t off = (LAYOUT_HIGH_RAM_BASE + (take(in, 2) << 6)) % RAM_SIZE;
	size_t len = take(in, 1);

	len = len < in->n ? len : in->n;
	if (off + len > RAM_SIZE)
		len = RAM_SIZE - off;
	memcpy(x->ram + off, in->p, len);
	in->p += len;
	in->n -= len;
}

static void step_translate(struct fx *x, struct input *in)
{
	uint32_t ep = ep_ids[take(in, 1) % NR_EPS];
	uint64_t iova = pick_iova(in) + take(in, 2), len = 1 + take(in, 2), gpa, contig;
	unsigned access = 1 + take(in, 1) % 3;
	struct memmap_region reg;
	bool bypass;

	if (viommu_translate(x->v, ep, iova, len, access, &gpa, &contig))
		return;
	CHECK(contig >= 1 && contig <= len);
	{
		struct viommu_debug_ep e[MAX_OBJS];
		struct viommu_debug_dom d;
		size_t i, ne = viommu_debug_endpoints(x->v, e, MAX_OBJS);

		for (i = 0; i < ne && e[i].id != ep; i++)
			;
		bypass = i == ne || (!e[i].attached && viommu_debug_bypass(x->v)) ||
			 (e[i].attached && !viommu_debug_domain(x->v, e[i].dom, &d) && d.bypass);
	}
	if (bypass)
		return;
	/* A translated range is guest RAM (or an assigned BAR), never MSI. */
	CHECK(!memmap_query(x->mem, gpa, 1, &reg));
	CHECK(reg.kind == MEMMAP_RAM || (reg.flags & MEMMAP_F_ASSIGNED) ||
	      (reg.kind == MEMMAP_ROM && !(access & DMA_ACCESS_WRITE)));
}

static void step_dma(struct fx *x, struct input *in)
{
	uint8_t b = take(in, 1), buf[256] = { 0 };
	uint64_t iova = pick_iova(in) + take(in, 2);
	size_t len = 1 + take(in, 1);
	struct hiopt_dev *dev = x->dev[b & 1];
	void *hva;

	if (!dev)
		return;
	if (sim_iommu_translate(x->sim, dev, iova, len, b & 2 ? HIOPT_PROT_WRITE : HIOPT_PROT_READ,
				&hva) == 0) {
		uint8_t *h = hva;

		CHECK((h >= x->ram && h + len <= x->ram + RAM_SIZE) ||
		      (h >= x->bar && h + len <= x->bar + BAR_SIZE));
	}
	if (b & 2)
		sim_iommu_dma_write(x->sim, dev, iova, buf, len);
	else
		sim_iommu_dma_read(x->sim, dev, iova, buf, len);
}

static void step_control(struct fx *x, struct input *in)
{
	uint8_t b = take(in, 1), val = take(in, 1), cfg[64], wr[4];

	switch (b % 6) {
	case 0:
		/* A config write of 1-4 bytes, all of them val. */
		memset(wr, val, sizeof(wr));
		viommu_config_write(x->v, take(in, 1) % 48, wr, 1 + b / 64);
		break;
	case 1:
		viommu_config_read(x->v, take(in, 1) % 48, cfg, 1 + val % 16);
		break;
	case 2:
		viommu_device_reset(x->v);
		break;
	case 3:
		viommu_system_reset(x->v);
		break;
	case 4:
		viommu_set_driver_features(x->v, viommu_device_features(x->v) & ~take(in, 8));
		break;
	default:
		viommu_poll_host_faults(x->v);
		break;
	}
}

static void step_fail(struct fx *x, struct input *in)
{
	uint8_t b = take(in, 1);

	sim_iommu_fail_nth(x->sim, b % 4, b & 0x80 ? ENOMEM : EIO);
}

/* ---- setup / teardown ---- */

static bool setup(struct fx *x, uint8_t how)
{
	struct sim_iommu_config sc;
	struct viommu_config vc = { .bypass = how & 1 };
	static const struct viommu_range resv[] = { { 0x8000000, 0x80fffff } };

	x->ram = calloc(1, RAM_SIZE);
	x->bar = calloc(1, BAR_SIZE);
	x->mem = memmap_create();
	CHECK(x->ram && x->bar && x->mem && !vm_memmap_fill(x->mem, x->ram, RAM_SIZE));
	CHECK(!memmap_add(x->mem, BAR_EMU, 0x1000, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar"));
	CHECK(!memmap_add(x->mem, BAR_ASSIGNED, BAR_SIZE, MEMMAP_MMIO,
			  MEMMAP_F_BAR | MEMMAP_F_ASSIGNED, x->bar, "bar-vfio"));
	sim_iommu_config_default(&sc);
	sc.nesting = !(how & 2);
	if (how & 4)
		sc.page_size = 0x800;	/* like the kernel's mock IOMMU */
	x->sim = sim_iommu_create(&sc);
	CHECK(x->sim);
	if (how & 8)
		vc.page_size_mask = 0x10000 | (1ULL << 21);
	if (how & 16)
		vc.domain_start = 1, vc.domain_end = 3;
	if (how & 32)
		vc.input_end = (1ULL << 48) - 1;
	if (how & 64)
		vc.resv = resv, vc.nr_resv = 1;
	vc.mem = x->mem;
	vc.hiopt = sim_iommu_hiopt(x->sim);
	x->v = viommu_create(&vc);
	if (!x->v)
		return false;
	viommu_set_fault_sink(x->v, sink, x);
	for (int i = 0; i < 2; i++) {
		x->dev[i] = sim_iommu_dev_create(x->sim);
		CHECK(x->dev[i]);
		viommu_add_host_endpoint(x->v, ep_ids[i], NULL, x->dev[i]);
	}
	CHECK(!viommu_add_endpoint(x->v, ep_ids[2]) && !viommu_add_endpoint(x->v, ep_ids[3]));
	return true;
}

static void teardown(struct fx *x)
{
	struct sim_counts c;

	if (x->v) {
		sim_iommu_fail_nth(x->sim, 0, 0);
		viommu_destroy(x->v);
		sim_iommu_counts(x->sim, &c);
		/* The viommu owned every IOAS/HWPT and left no device attached. */
		CHECK(c.ioas == 0 && c.hwpt_parent == 0 && c.hwpt_nested == 0 && c.mappings == 0);
		for (int i = 0; i < 2; i++)
			CHECK(!x->dev[i] || sim_iommu_dev_pt(x->sim, x->dev[i]) == 0);
	}
	for (int i = 0; i < 2; i++)
		if (x->dev[i])
			sim_iommu_dev_destroy(x->sim, x->dev[i]);
	sim_iommu_destroy(x->sim);
	memmap_destroy(x->mem);
	free(x->bar);
	free(x->ram);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const steps[])(struct fx *, struct input *) = {
		step_raw, step_raw, step_attach, step_map, step_map, step_ram,
		step_translate, step_control, step_dma, step_fail,
	};
	struct input in = { data, size };
	struct fx x = { 0 };

	if (setup(&x, take(&in, 1))) {
		check_views(&x);
		for (int i = 0; i < MAX_STEPS && in.n; i++) {
			steps[take(&in, 1) % (sizeof(steps) / sizeof(steps[0]))](&x, &in);
			check_views(&x);
		}
	}
	teardown(&x);
	return 0;
}
