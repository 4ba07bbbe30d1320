// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested mode of the viommu (docs/nested.md): ATTACH_TABLE / INVALIDATE
 * validation, the software stage-1 walk for emulated endpoints (4K/2M/1G
 * leaves, fail-closed faults), and host endpoints on the sim backend (nested
 * HWPT, stale IOTLB until INVALIDATE, teardown, fail-Nth sweep).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "passthrough/sim/sim_iommu.h"
#include "unit/viommu_helpers.h"
#include "viommu/nested.h"

#define EP		0x10		/* emulated endpoint */
#define HEP		0x18		/* host endpoint (sim) */
#define RAM		0x100000ULL
#define RAM_SIZE	0x800000ULL	/* [1 MiB, 9 MiB) */
#define TABLES		(RAM + 0x10000)	/* table pages are allocated from here */
#define HOLE		0x10000000ULL	/* nothing there */
#define BAR		0xc0000000ULL
#define P		VIRTIO_IOMMU_X_PTE_P
#define RW		VIRTIO_IOMMU_X_PTE_RW
#define US		VIRTIO_IOMMU_X_PTE_US
#define PS		VIRTIO_IOMMU_X_PTE_PS
#define NESTED_BIT	(1ULL << VIRTIO_IOMMU_F_X_NESTED)

struct fx {
	uint8_t *ram;
	struct memmap *mem;
	struct sim_iommu *sim;
	struct hiopt_dev *dev;
	struct viommu *v;
	uint64_t next_pg;
	struct virtio_iommu_fault faults[16];
	unsigned nfaults;
	unsigned fail_run_at;		/* run_script: fail 3 ops from this one on */
};

static int sink(void *opaque, const struct virtio_iommu_fault *fault)
{
	struct fx *f = opaque;

	if (f->nfaults == 16)
		return -ENOSPC;
	f->faults[f->nfaults++] = *fault;
	return 0;
}

/* hole: an extra reserved IOVA range of the sim host (last 0: none). */
static struct fx *fx_new_hole(bool sim, bool nesting, struct hiopt_iova_range hole)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct viommu_config cfg = { .domain_start = 1, .domain_end = 100 };
	struct sim_iommu_config sc;

	assert_non_null(f);
	f->ram = aligned_alloc(0x1000, RAM_SIZE);
	f->mem = memmap_create();
	assert_true(f->ram && f->mem);
	memset(f->ram, 0, RAM_SIZE);
	assert_int_equal(memmap_add(f->mem, 0, 0x20000, MEMMAP_RESERVED, 0, NULL, "boot"), 0);
	assert_int_equal(memmap_add(f->mem, RAM, RAM_SIZE, MEMMAP_RAM, 0, f->ram, "ram"), 0);
	assert_int_equal(memmap_add(f->mem, BAR, 0x1000, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar"), 0);
	cfg.mem = f->mem;
	if (sim) {
		sim_iommu_config_default(&sc);
		sc.nesting = nesting;
		if (hole.last)
			sc.holes[sc.nholes++] = hole;
		f->sim = sim_iommu_create(&sc);
		assert_non_null(f->sim);
		f->dev = sim_iommu_dev_create(f->sim);
		assert_non_null(f->dev);
		cfg.hiopt = sim_iommu_hiopt(f->sim);
	}
	f->v = viommu_create(&cfg);
	assert_non_null(f->v);
	assert_int_equal(viommu_add_endpoint(f->v, EP), 0);
	viommu_set_fault_sink(f->v, sink, f);
	f->next_pg = TABLES;
	return f;
}

static struct fx *fx_new(bool sim, bool nesting)
{
	return fx_new_hole(sim, nesting, (struct hiopt_iova_range){ 0, 0 });
}

static void fx_free(struct fx *f)
{
	struct sim_counts c;

	viommu_destroy(f->v);
	if (f->sim) {
		sim_iommu_counts(f->sim, &c);
		/* Teardown leaves no sim object behind. */
		assert_int_equal(c.ioas + c.hwpt_parent + c.hwpt_nested + c.mappings, 0);
		assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev), 0);
		sim_iommu_dev_destroy(f->sim, f->dev);
		sim_iommu_destroy(f->sim);
	}
	memmap_destroy(f->mem);
	free(f->ram);
	free(f);
}

/* ---- a guest building its stage-1 table in its RAM ---- */

static uint64_t *host_of(struct fx *f, uint64_t gpa)
{
	return (uint64_t *)(f->ram + (gpa - RAM));
}

static uint64_t new_table(struct fx *f)
{
	uint64_t gpa = f->next_pg;

	f->next_pg += 0x1000;
	assert_true(f->next_pg <= RAM + 0x100000);
	memset(host_of(f, gpa), 0, 0x1000);
	return gpa;
}

/* Set the entry for iova at leaf_level (1: PTE, 2: PDE, 3: PDPTE), making
 * the tables above it as needed. */
static void s1_set(struct fx *f, uint64_t root, uint64_t iova, int leaf_level, uint64_t pte)
{
	uint64_t table = root;

	for (int level = 4; level > leaf_level; level--) {
		uint64_t *e = host_of(f, table) + ((iova >> (12 + 9 * (level - 1))) & 511);

		if (!(le64toh(*e) & P))
			*e = htole64(new_table(f) | P | RW | US);
		table = le64toh(*e) & VIRTIO_IOMMU_X_PTE_ADDR;
	}
	host_of(f, table)[(iova >> (12 + 9 * (leaf_level - 1))) & 511] = htole64(pte);
}

/* ---- requests ---- */

static int attach_table_x(struct viommu *v, uint32_t dom, uint32_t ep, uint64_t root,
			  uint16_t format, uint8_t width, uint32_t flags)
{
	struct virtio_iommu_req_x_attach_table r = {
		.head.type = VIRTIO_IOMMU_T_X_ATTACH_TABLE, .domain = htole32(dom),
		.endpoint = htole32(ep), .flags = htole32(flags), .root = htole64(root),
		.format = htole16(format), .addr_width = width,
	};

	return t_req(v, &r, sizeof(r));
}

static int attach_table(struct viommu *v, uint32_t dom, uint32_t ep, uint64_t root)
{
	return attach_table_x(v, dom, ep, root, VIRTIO_IOMMU_X_FMT_X86_64, 48, 0);
}

static int invalidate(struct viommu *v, uint32_t dom, uint32_t flags, uint8_t granule,
		      uint64_t start, uint64_t end)
{
	struct virtio_iommu_req_x_invalidate r = {
		.head.type = VIRTIO_IOMMU_T_X_INVALIDATE, .domain = htole32(dom),
		.flags = htole32(flags), .granule = granule,
		.virt_start = htole64(start), .virt_end = htole64(end),
	};

	return t_req(v, &r, sizeof(r));
}

/* t_digest covers the nested part of every domain (table, host HWPT). */
static uint64_t digest(struct viommu *v)
{
	return t_digest(v);
}

#define REJECT(v, expr, st) do {				\
		uint64_t before_ = digest(v);			\
		assert_int_equal((expr), (st));			\
		assert_true(digest(v) == before_);		\
	} while (0)

static int xlate(struct fx *f, uint32_t ep, uint64_t iova, uint64_t len, unsigned access,
		 uint64_t *gpa, uint64_t *contig)
{
	uint64_t g = 0, c = 0;
	int ret = viommu_translate(f->v, ep, iova, len, access, &g, &c);

	if (gpa)
		*gpa = g;
	if (contig)
		*contig = c;
	return ret;
}

/* ---- feature and unknown-type rule ---- */

static void test_feature_negotiation(void **state)
{
	struct fx *f = fx_new(false, false);
	uint64_t root = new_table(f);
	struct viommu_stats s;

	assert_true(viommu_device_features(f->v) & NESTED_BIT);
	assert_true(viommu_nested_offered(f->v));
	/* Not negotiated: both types are unknown types (used length 0). */
	assert_true(viommu_set_driver_features(f->v, viommu_device_features(f->v) & ~NESTED_BIT));
	REJECT(f->v, attach_table(f->v, 1, EP, root), -1);
	REJECT(f->v, invalidate(f->v, 1, VIRTIO_IOMMU_X_INV_F_ALL, 0, 0, 0), -1);
	viommu_stats(f->v, &s);
	assert_int_equal(s.discarded, 2);
	assert_true(viommu_set_driver_features(f->v, viommu_device_features(f->v)));
	assert_int_equal(attach_table(f->v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	fx_free(f);

	/* A host backend that cannot nest withdraws the offer. */
	f = fx_new(true, false);
	assert_int_equal(viommu_add_host_endpoint(f->v, HEP, NULL, f->dev), 0);
	assert_false(viommu_device_features(f->v) & NESTED_BIT);
	assert_int_equal(attach_table(f->v, 1, EP, TABLES), -1);
	fx_free(f);

	f = fx_new(true, true);
	assert_int_equal(viommu_add_host_endpoint(f->v, HEP, NULL, f->dev), 0);
	assert_true(viommu_device_features(f->v) & NESTED_BIT);
	fx_free(f);
}

/* ---- ATTACH_TABLE validation ---- */

static void test_attach_table_validation(void **state)
{
	struct fx *f = fx_new(false, false);
	struct viommu *v = f->v;
	uint64_t root = new_table(f), root2 = new_table(f);
	struct virtio_iommu_req_x_attach_table r = {
		.head.type = VIRTIO_IOMMU_T_X_ATTACH_TABLE, .domain = htole32(1),
		.endpoint = htole32(EP), .root = htole64(root),
		.format = htole16(VIRTIO_IOMMU_X_FMT_X86_64), .addr_width = 48,
	};
	const uint32_t F = VIRTIO_IOMMU_X_FMT_X86_64;

	REJECT(v, attach_table(v, 1, EP, HOLE), VIRTIO_IOMMU_S_RANGE);		/* not RAM */
	REJECT(v, attach_table(v, 1, EP, BAR), VIRTIO_IOMMU_S_RANGE);		/* MMIO */
	REJECT(v, attach_table(v, 1, EP, 0x1000), VIRTIO_IOMMU_S_RANGE);	/* reserved */
	REJECT(v, attach_table(v, 1, EP, LAYOUT_MSI_BASE), VIRTIO_IOMMU_S_RANGE);
	REJECT(v, attach_table(v, 1, EP, RAM + RAM_SIZE), VIRTIO_IOMMU_S_RANGE); /* past RAM */
	REJECT(v, attach_table(v, 1, EP, root + 0x800), VIRTIO_IOMMU_S_RANGE);	/* misaligned */
	REJECT(v, attach_table_x(v, 1, EP, root, F, 57, 0), VIRTIO_IOMMU_S_UNSUPP);
	REJECT(v, attach_table_x(v, 1, EP, root, F, 39, 0), VIRTIO_IOMMU_S_UNSUPP);
	REJECT(v, attach_table_x(v, 1, EP, root, 2, 48, 0), VIRTIO_IOMMU_S_UNSUPP);
	REJECT(v, attach_table_x(v, 1, EP, root, 0, 48, 0), VIRTIO_IOMMU_S_UNSUPP);
	REJECT(v, attach_table_x(v, 1, EP, root, F, 48, 1), VIRTIO_IOMMU_S_INVAL);
	REJECT(v, attach_table_x(v, 1, EP, root, F, 48, 1u << 31), VIRTIO_IOMMU_S_INVAL);
	r.reserved[4] = 1;
	REJECT(v, t_req(v, &r, sizeof(r)), VIRTIO_IOMMU_S_INVAL);
	REJECT(v, t_req(v, &r, sizeof(r) - 1), VIRTIO_IOMMU_S_INVAL);		/* too short */
	REJECT(v, attach_table(v, 1, 0x99, root), VIRTIO_IOMMU_S_NOENT);
	REJECT(v, attach_table(v, 0, EP, root), VIRTIO_IOMMU_S_RANGE);
	REJECT(v, attach_table(v, 101, EP, root), VIRTIO_IOMMU_S_RANGE);
	/* A valid one, then the same table again is a no-op. */
	assert_int_equal(attach_table(v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	assert_int_equal(attach_table(v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	/* The domain keeps its table: another root is S_INVAL. */
	assert_int_equal(viommu_add_endpoint(v, EP + 1), 0);
	REJECT(v, attach_table(v, 1, EP + 1, root2), VIRTIO_IOMMU_S_INVAL);
	assert_int_equal(attach_table(v, 1, EP + 1, root), VIRTIO_IOMMU_S_OK);
	/* A MAP domain (or bypass domain) cannot take a table. */
	assert_int_equal(t_attach(v, 2, EP + 1, 0), VIRTIO_IOMMU_S_OK);
	REJECT(v, attach_table(v, 2, EP, root2), VIRTIO_IOMMU_S_INVAL);
	assert_int_equal(t_attach(v, 3, EP + 1, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	REJECT(v, attach_table(v, 3, EP, root2), VIRTIO_IOMMU_S_INVAL);
	fx_free(f);
}

static void test_map_unmap_on_table_domain(void **state)
{
	struct fx *f = fx_new(false, false);
	struct viommu *v = f->v;
	uint64_t root = new_table(f);

	assert_int_equal(attach_table(v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	REJECT(v, t_map(v, 1, 0x1000, 0x1fff, RAM + 0x400000, T_RW), VIRTIO_IOMMU_S_INVAL);
	REJECT(v, t_unmap(v, 1, 0, UINT64_MAX), VIRTIO_IOMMU_S_INVAL);
	/* Plain ATTACH joins the table domain; with BYPASS it does not. */
	assert_int_equal(viommu_add_endpoint(v, EP + 1), 0);
	REJECT(v, t_attach(v, 1, EP + 1, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
	assert_int_equal(t_attach(v, 1, EP + 1, 0), VIRTIO_IOMMU_S_OK);
	/* Once every endpoint left, the domain (and its table) is gone. */
	assert_int_equal(t_detach(v, 1, EP), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_detach(v, 1, EP + 1), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(v, 1, 0x1000, 0x1fff, RAM + 0x400000, T_RW), VIRTIO_IOMMU_S_NOENT);
	assert_int_equal(invalidate(v, 1, VIRTIO_IOMMU_X_INV_F_ALL, 0, 0, 0), VIRTIO_IOMMU_S_NOENT);
	fx_free(f);
}

/* ---- the software walk ---- */

static void assert_fault(struct fx *f, uint64_t iova, uint32_t access_flag)
{
	const struct virtio_iommu_fault *e;

	assert_true(f->nfaults > 0);
	e = &f->faults[f->nfaults - 1];
	assert_int_equal(e->reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
	assert_int_equal(le32toh(e->endpoint), EP);
	assert_int_equal(le64toh(e->address), iova);
	assert_int_equal(le32toh(e->flags), access_flag | VIRTIO_IOMMU_FAULT_F_ADDRESS);
	f->nfaults = 0;
}

static void test_walk_leaves(void **state)
{
	struct fx *f = fx_new(false, false);
	uint64_t root = new_table(f), gpa, contig;

	s1_set(f, root, 0x1000, 1, (RAM + 0x400000) | P | RW | US);		/* 4K */
	s1_set(f, root, 0x2000, 1, (RAM + 0x401000) | P | US);			/* 4K read-only */
	s1_set(f, root, 0x200000, 2, 0x200000 | P | RW | US | PS);		/* 2M */
	s1_set(f, root, 0x40000000, 3, 0 | P | RW | US | PS);			/* 1G at GPA 0 */
	assert_int_equal(attach_table(f->v, 1, EP, root), VIRTIO_IOMMU_S_OK);

	assert_int_equal(xlate(f, EP, 0x1010, 0x100, DMA_ACCESS_WRITE, &gpa, &contig), 0);
	assert_int_equal(gpa, RAM + 0x400010);
	assert_int_equal(contig, 0x100);
	assert_int_equal(xlate(f, EP, 0x1ff0, 0x100, DMA_ACCESS_READ, &gpa, &contig), 0);
	assert_int_equal(contig, 0x10);					/* leaf ends */
	assert_int_equal(xlate(f, EP, 0x2000, 4, DMA_ACCESS_READ, &gpa, NULL), 0);
	assert_int_equal(gpa, RAM + 0x401000);
	assert_int_equal(xlate(f, EP, 0x3fe000, 0x4000, DMA_ACCESS_WRITE, &gpa, &contig), 0);
	assert_int_equal(gpa, 0x3fe000);
	assert_int_equal(contig, 0x2000);
	assert_int_equal(xlate(f, EP, 0x40300000, 8, DMA_ACCESS_READ, &gpa, NULL), 0);
	assert_int_equal(gpa, 0x300000);
	assert_int_equal(f->nfaults, 0);

	/* Read-only leaf, and RW clear in an upper level, refuse writes. */
	assert_int_equal(xlate(f, EP, 0x2000, 4, DMA_ACCESS_WRITE, NULL, NULL), -EPERM);
	assert_fault(f, 0x2000, VIRTIO_IOMMU_FAULT_F_WRITE);
	host_of(f, root)[0] &= htole64(~RW);
	assert_int_equal(xlate(f, EP, 0x1000, 4, DMA_ACCESS_WRITE, NULL, NULL), -EPERM);
	assert_fault(f, 0x1000, VIRTIO_IOMMU_FAULT_F_WRITE);
	assert_int_equal(xlate(f, EP, 0x1000, 4, DMA_ACCESS_READ, NULL, NULL), 0);
	host_of(f, root)[0] |= htole64(RW);
	/* Not present (leaf, and a missing middle level). */
	assert_int_equal(xlate(f, EP, 0x5000, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 0x5000, VIRTIO_IOMMU_FAULT_F_READ);
	assert_int_equal(xlate(f, EP, 0x8000000000ULL, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 0x8000000000ULL, VIRTIO_IOMMU_FAULT_F_READ);
	/* Beyond the 48-bit input width. */
	assert_int_equal(xlate(f, EP, 1ULL << 48, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 1ULL << 48, VIRTIO_IOMMU_FAULT_F_READ);
	/* 1G leaf: only the RAM part of its output is reachable. */
	assert_int_equal(xlate(f, EP, 0x40001000, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 0x40001000, VIRTIO_IOMMU_FAULT_F_READ);
	fx_free(f);
}

static void test_walk_fails_closed(void **state)
{
	struct fx *f = fx_new(false, false);
	static const uint64_t bad[] = { BAR, HOLE, 0x1000, LAYOUT_MSI_BASE };
	uint64_t root = new_table(f), pd, *pdpte;
	struct viommu_nested_stats ns;

	s1_set(f, root, 0x1000, 1, (RAM + 0x400000) | P | RW | US);
	assert_int_equal(attach_table(f->v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	/* The guest repoints its PDPTE at a "table" in MMIO, in a hole, in the
	 * reserved boot area: the walk must not read it. */
	pdpte = host_of(f, le64toh(host_of(f, root)[0]) & VIRTIO_IOMMU_X_PTE_ADDR);
	pd = le64toh(pdpte[0]);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pdpte[0] = htole64(bad[i] | P | RW | US);
		assert_int_equal(xlate(f, EP, 0x1000, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
		assert_fault(f, 0x1000, VIRTIO_IOMMU_FAULT_F_READ);
	}
	/* No cache: restoring the entry works at once, without INVALIDATE. */
	pdpte[0] = htole64(pd);
	assert_int_equal(xlate(f, EP, 0x1000, 4, DMA_ACCESS_READ, NULL, NULL), 0);
	/* A leaf whose output is not guest RAM (a BAR), or is the MSI window. */
	s1_set(f, root, 0x3000, 1, BAR | P | RW | US);
	assert_int_equal(xlate(f, EP, 0x3000, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 0x3000, VIRTIO_IOMMU_FAULT_F_READ);
	/* PS in a PML4E is reserved. */
	host_of(f, root)[1] = htole64((RAM + 0x400000) | P | RW | US | PS);
	assert_int_equal(xlate(f, EP, 1ULL << 39, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 1ULL << 39, VIRTIO_IOMMU_FAULT_F_READ);
	/* An IOVA in the MSI window never translates, whatever the table says. */
	s1_set(f, root, LAYOUT_MSI_BASE, 1, (RAM + 0x400000) | P | RW | US);
	assert_int_equal(xlate(f, EP, LAYOUT_MSI_BASE, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, LAYOUT_MSI_BASE, VIRTIO_IOMMU_FAULT_F_READ);
	viommu_nested_stats(f->v, &ns);
	assert_int_equal(ns.walk_faults, 7);
	assert_int_equal(ns.attach_tables, 1);
	fx_free(f);
}

/* A translation stops where a RESV_MEM IOVA region begins, even inside one
 * leaf: a DMA may not run from mapped IOVAs into a reserved one. */
static void test_leaf_stops_at_reserved(void **state)
{
	struct fx *f = fx_new_hole(true, true, (struct hiopt_iova_range){ 0x401000, 0x401fff });
	uint64_t root = new_table(f), g = 0, c = 0;

	/* The host endpoint brings the hole in as RESV_MEM. */
	assert_int_equal(viommu_add_host_endpoint(f->v, EP + 8, NULL, f->dev), 0);
	s1_set(f, root, 0x400000, 2, 0x200000 | P | RW | US | PS);
	assert_int_equal(attach_table(f->v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	assert_int_equal(xlate(f, EP, 0x400000, 0x2000, DMA_ACCESS_READ, &g, &c), 0);
	assert_int_equal(g, 0x200000);
	assert_int_equal(c, 0x1000);
	assert_int_equal(xlate(f, EP, 0x401000, 4, DMA_ACCESS_READ, NULL, NULL), -EFAULT);
	assert_fault(f, 0x401000, VIRTIO_IOMMU_FAULT_F_READ);
	/* Past the hole the same leaf translates again. */
	assert_int_equal(xlate(f, EP, 0x402000, 0x1000, DMA_ACCESS_READ, &g, &c), 0);
	assert_int_equal(g, 0x202000);
	fx_free(f);
}

static void test_invalidate_validation(void **state)
{
	struct fx *f = fx_new(false, false);
	struct viommu *v = f->v;
	uint64_t root = new_table(f);
	const uint32_t ALL = VIRTIO_IOMMU_X_INV_F_ALL, LEAF = VIRTIO_IOMMU_X_INV_F_LEAF;
	struct virtio_iommu_req_x_invalidate r = {
		.head.type = VIRTIO_IOMMU_T_X_INVALIDATE, .domain = htole32(1),
		.flags = htole32(ALL),
	};

	assert_int_equal(attach_table(v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	assert_int_equal(viommu_add_endpoint(v, EP + 1), 0);
	assert_int_equal(t_attach(v, 2, EP + 1, 0), VIRTIO_IOMMU_S_OK);

	assert_int_equal(invalidate(v, 1, ALL, 0, 0, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(invalidate(v, 1, 0, 12, 0x1000, 0x1fff), VIRTIO_IOMMU_S_OK);
	assert_int_equal(invalidate(v, 1, LEAF, 21, 0x200000, 0x5fffff), VIRTIO_IOMMU_S_OK);
	assert_int_equal(invalidate(v, 1, 0, 30, 0, (1ULL << 31) - 1), VIRTIO_IOMMU_S_OK);
	REJECT(v, invalidate(v, 1, 0, 13, 0x2000, 0x3fff), VIRTIO_IOMMU_S_INVAL);	/* granule */
	REJECT(v, invalidate(v, 1, 0, 0, 0x2000, 0x3fff), VIRTIO_IOMMU_S_INVAL);
	REJECT(v, invalidate(v, 1, 0, 21, 0x1000, 0x200fff), VIRTIO_IOMMU_S_RANGE);	/* align */
	REJECT(v, invalidate(v, 1, 0, 12, 0x1000, 0x1ffe), VIRTIO_IOMMU_S_RANGE);
	REJECT(v, invalidate(v, 1, 0, 12, 0x2000, 0x1fff), VIRTIO_IOMMU_S_INVAL);	/* end < start */
	REJECT(v, invalidate(v, 1, 0, 12, 0, UINT64_MAX), VIRTIO_IOMMU_S_RANGE);	/* > 48 bits */
	REJECT(v, invalidate(v, 1, ALL, 12, 0, 0), VIRTIO_IOMMU_S_INVAL);		/* ALL + range */
	REJECT(v, invalidate(v, 1, ALL, 0, 0, 0xfff), VIRTIO_IOMMU_S_INVAL);
	REJECT(v, invalidate(v, 1, 4, 12, 0x1000, 0x1fff), VIRTIO_IOMMU_S_INVAL);	/* flags */
	REJECT(v, invalidate(v, 2, ALL, 0, 0, 0), VIRTIO_IOMMU_S_INVAL);		/* MAP domain */
	REJECT(v, invalidate(v, 3, ALL, 0, 0, 0), VIRTIO_IOMMU_S_NOENT);
	REJECT(v, invalidate(v, 0, ALL, 0, 0, 0), VIRTIO_IOMMU_S_RANGE);
	r.reserved[1] = 1;
	REJECT(v, t_req(v, &r, sizeof(r)), VIRTIO_IOMMU_S_INVAL);
	fx_free(f);
}

/* ---- host endpoints on the sim ---- */

static uint8_t *sim_hva(struct fx *f, uint64_t iova, unsigned access)
{
	void *hva = NULL;
	int ret = sim_iommu_translate(f->sim, f->dev, iova, 4, access, &hva);

	return ret ? NULL : hva;
}

static void test_sim_nested_invalidate(void **state)
{
	struct fx *f = fx_new(true, true);
	uint64_t root = new_table(f), gpa;
	uint32_t val = 0x5eed;
	struct sim_counts c;
	struct viommu_nested_stats ns;

	s1_set(f, root, 0x1000, 1, (RAM + 0x400000) | P | RW | US);
	s1_set(f, root, 0x600000, 2, 0x600000 | P | US | PS);			/* 2M read-only */
	assert_int_equal(viommu_add_host_endpoint(f->v, HEP, NULL, f->dev), 0);
	assert_int_equal(attach_table(f->v, 1, HEP, root), VIRTIO_IOMMU_S_OK);
	assert_int_equal(attach_table(f->v, 1, EP, root), VIRTIO_IOMMU_S_OK);
	sim_iommu_counts(f->sim, &c);
	assert_int_equal(c.hwpt_parent, 1);
	assert_int_equal(c.hwpt_nested, 1);
	assert_int_equal(c.ioas, 1);				/* the shared stage 2 */

	assert_int_equal(sim_iommu_dma_write(f->sim, f->dev, 0x1000, &val, 4), 0);
	assert_memory_equal(f->ram + 0x400000, &val, 4);
	assert_ptr_equal(sim_hva(f, 0x600010, HIOPT_PROT_READ), f->ram + 0x500010);
	assert_int_equal(sim_iommu_dma_write(f->sim, f->dev, 0x600000, &val, 4), -EPERM);
	assert_int_equal(sim_iommu_dma_write(f->sim, f->dev, 0x9000, &val, 4), -EFAULT);

	/* The guest repoints IOVA 0x1000: the sim's IOTLB is stale until the
	 * INVALIDATE, while the emulated endpoint (no cache) sees it at once. */
	s1_set(f, root, 0x1000, 1, (RAM + 0x401000) | P | RW | US);
	assert_ptr_equal(sim_hva(f, 0x1000, HIOPT_PROT_WRITE), f->ram + 0x400000);
	assert_int_equal(xlate(f, EP, 0x1000, 4, DMA_ACCESS_READ, &gpa, NULL), 0);
	assert_int_equal(gpa, RAM + 0x401000);
	assert_int_equal(invalidate(f->v, 1, 0, 12, 0x1000, 0x1fff), VIRTIO_IOMMU_S_OK);
	assert_ptr_equal(sim_hva(f, 0x1000, HIOPT_PROT_WRITE), f->ram + 0x401000);
	/* Unmap by clearing the entry: still reachable until INVALIDATE ALL. */
	host_of(f, root)[0] = 0;
	assert_non_null(sim_hva(f, 0x1000, HIOPT_PROT_WRITE));
	assert_int_equal(invalidate(f->v, 1, VIRTIO_IOMMU_X_INV_F_ALL, 0, 0, 0), VIRTIO_IOMMU_S_OK);
	assert_null(sim_hva(f, 0x1000, HIOPT_PROT_WRITE));
	assert_int_equal(sim_iommu_dma_write(f->sim, f->dev, 0x1000, &val, 4), -EFAULT);
	viommu_nested_stats(f->v, &ns);
	assert_int_equal(ns.host_invalidates, 2);

	/* DETACH of the host endpoint drops nested -> parent; the emulated
	 * endpoint keeps the domain alive. */
	assert_int_equal(t_detach(f->v, 1, HEP), VIRTIO_IOMMU_S_OK);
	sim_iommu_counts(f->sim, &c);
	assert_int_equal(c.hwpt_parent + c.hwpt_nested, 0);
	assert_int_equal(sim_iommu_dev_pt(f->sim, f->dev), 0);
	assert_int_equal(invalidate(f->v, 1, VIRTIO_IOMMU_X_INV_F_ALL, 0, 0, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(attach_table(f->v, 1, HEP, root), VIRTIO_IOMMU_S_OK);
	viommu_device_reset(f->v);
	sim_iommu_counts(f->sim, &c);
	assert_int_equal(c.hwpt_parent + c.hwpt_nested, 0);
	fx_free(f);
}

/* Host view == guest view: devices where the guest says, one HWPT pair per
 * nested domain with host endpoints, none elsewhere. */
static void check_views(struct fx *f)
{
	struct viommu_debug_dom d[T_MAX_OBJS], ed;
	struct viommu_debug_ep e[T_MAX_OBJS];
	size_t i, nr = 0, stuck = 0, nd = viommu_debug_domains(f->v, d, T_MAX_OBJS);
	size_t ne = viommu_debug_endpoints(f->v, e, T_MAX_OBJS);
	struct sim_counts c;

	for (i = 0; i < nd; i++) {
		bool hwpt = d[i].nested && d[i].host_pt;

		assert_true(hwpt == (d[i].nested && d[i].nr_host > 0));
		assert_true(hwpt == (d[i].host_parent != 0));
		nr += hwpt;
	}
	for (i = 0; i < ne; i++) {
		if (!e[i].dev)
			continue;
		assert_int_equal(sim_iommu_dev_pt(f->sim, e[i].dev), e[i].host_pt);
		if (e[i].attached && !viommu_debug_domain(f->v, e[i].dom, &ed) && ed.nested)
			assert_int_equal(e[i].host_pt, ed.host_pt);
		/* A device the host would not detach keeps the HWPT pair of a
		 * domain that is gone, until it leaves it (runs of failures). */
		stuck += !e[i].attached && e[i].host_pt;
	}
	assert_true(!stuck || f->fail_run_at);
	sim_iommu_counts(f->sim, &c);
	assert_true(c.hwpt_nested >= nr && c.hwpt_nested <= nr + stuck);
	assert_int_equal(c.hwpt_parent, c.hwpt_nested);
}

#define STEP(f, expr) do {						\
		uint64_t before_ = digest((f)->v);			\
		if ((expr) != VIRTIO_IOMMU_S_OK)			\
			assert_true(digest((f)->v) == before_);		\
		check_views(f);						\
	} while (0)

static void run_script(struct fx *f, uint64_t root, uint64_t root2)
{
	struct viommu *v = f->v;

	if (viommu_add_host_endpoint(v, HEP, NULL, f->dev))
		return;
	if (f->fail_run_at)
		sim_iommu_fail_run(f->sim, f->fail_run_at, 3, EIO);
	STEP(f, attach_table(v, 1, EP, root));
	STEP(f, attach_table(v, 1, HEP, root));
	STEP(f, invalidate(v, 1, VIRTIO_IOMMU_X_INV_F_ALL, 0, 0, 0));
	STEP(f, attach_table(v, 2, HEP, root2));
	STEP(f, t_attach(v, 3, HEP, 0));
	STEP(f, t_attach(v, 1, HEP, 0));
	STEP(f, t_detach(v, 1, HEP));
	STEP(f, attach_table(v, 2, HEP, root2));
	viommu_device_reset(v);
	check_views(f);
}

static void test_sim_fail_nth_sweep(void **state)
{
	struct fx *f = fx_new(true, true);
	uint64_t root = new_table(f), root2 = new_table(f), total;

	run_script(f, root, root2);
	total = sim_iommu_op_count(f->sim);
	fx_free(f);
	assert_true(total > 8);
	for (unsigned n = 1; n <= total; n++) {
		f = fx_new(true, true);
		root = new_table(f);
		root2 = new_table(f);
		sim_iommu_fail_nth(f->sim, n, n % 2 ? EIO : ENOMEM);
		run_script(f, root, root2);
		assert_false(sim_iommu_fail_pending(f->sim));	/* it did fail */
		fx_free(f);					/* and nothing leaked */
	}
}

/* Runs of three failing ops, from once the host endpoint is in: a retried
 * detach fails too, so a device the host will not let go keeps its nested
 * HWPT and parent until it leaves them, and teardown still leaves nothing. */
static void test_sim_fail_run_sweep(void **state)
{
	struct fx *f = fx_new(true, true);
	uint64_t root, root2, reg, total;

	assert_int_equal(viommu_add_host_endpoint(f->v, HEP, NULL, f->dev), 0);
	reg = sim_iommu_op_count(f->sim);
	fx_free(f);
	f = fx_new(true, true);
	root = new_table(f);
	root2 = new_table(f);
	run_script(f, root, root2);
	total = sim_iommu_op_count(f->sim) - reg;
	fx_free(f);
	for (unsigned n = 1; n <= total; n++) {
		f = fx_new(true, true);
		root = new_table(f);
		root2 = new_table(f);
		f->fail_run_at = n;
		run_script(f, root, root2);
		sim_iommu_fail_run(f->sim, 0, 0, 0);	/* a teardown that works */
		fx_free(f);				/* and nothing leaked */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feature_negotiation),
		cmocka_unit_test(test_attach_table_validation),
		cmocka_unit_test(test_map_unmap_on_table_domain),
		cmocka_unit_test(test_walk_leaves),
		cmocka_unit_test(test_walk_fails_closed),
		cmocka_unit_test(test_leaf_stops_at_reserved),
		cmocka_unit_test(test_invalidate_validation),
		cmocka_unit_test(test_sim_nested_invalidate),
		cmocka_unit_test(test_sim_fail_nth_sweep),
		cmocka_unit_test(test_sim_fail_run_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
