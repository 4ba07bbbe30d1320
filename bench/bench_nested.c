// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shadow vs nested for a guest that maps and unmaps N 4 KiB pages, through
 * viommu_handle_request with one host endpoint on the sim backend: requests
 * sent, host (hiopt) calls made, counted by a shim around the sim's ops, and
 * time. A round is ATTACH, the work, DETACH; one warm-up round is not counted.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "passthrough/sim/sim_iommu.h"
#include "vmm/memmap.h"
#include "viommu/viommu.h"
#include "bench/bench_util.h"

#define RAM		0x400000ULL
#define RAM_SIZE	0x2000000ULL	/* 32 MiB */
#define DATA		(RAM + 0x100000)	/* shadow MAP targets; tables below */
#define IOVA0		0x40000000ULL	/* PML4[0] -> PDPT[1] -> PD[..] -> PT[..] */
#define EP		0x18
#define DOM		1
#define MAX_PAGES	(512ULL * 64)	/* PTs fit in [RAM + 0x3000, DATA) */
#define PTE_TABLE	(VIRTIO_IOMMU_X_PTE_P | VIRTIO_IOMMU_X_PTE_RW | VIRTIO_IOMMU_X_PTE_US)

enum { OP_MAP, OP_UNMAP, OP_ATTACH, OP_DETACH, OP_HWPT, OP_INVAL, OP_OTHER, OP_N };
static const char *const op_names[OP_N] = {
	"map", "unmap", "attach", "detach", "hwpt", "inval", "other",
};

/* The counting shim: be of the outer hiopt; forwards to the sim. */
struct shim {
	struct hiopt outer;
	const struct hiopt *inner;
	uint64_t calls[OP_N];
};

#define IN(be)		(((struct shim *)(be))->inner)
#define COUNT(be, op)	(((struct shim *)(be))->calls[op]++)

static int s_ioas_alloc(void *be, uint32_t *id)
{
	COUNT(be, OP_OTHER);
	return IN(be)->ops->ioas_alloc(IN(be)->be, id);
}

static void s_ioas_destroy(void *be, uint32_t id)
{
	COUNT(be, OP_OTHER);
	IN(be)->ops->ioas_destroy(IN(be)->be, id);
}

static int s_map(void *be, uint32_t ioas, uint64_t iova, void *hva, uint64_t len, unsigned prot)
{
	COUNT(be, OP_MAP);
	return IN(be)->ops->map(IN(be)->be, ioas, iova, hva, len, prot);
}

static int s_unmap(void *be, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	COUNT(be, OP_UNMAP);
	return IN(be)->ops->unmap(IN(be)->be, ioas, iova, len, unmapped);
}

static int s_iova_ranges(void *be, uint32_t ioas, struct hiopt_iova_range *r, size_t max,
			 size_t *n)
{
	COUNT(be, OP_OTHER);
	return IN(be)->ops->iova_ranges(IN(be)->be, ioas, r, max, n);
}

static int s_attach(void *be, struct hiopt_dev *dev, uint32_t pt)
{
	COUNT(be, OP_ATTACH);
	return IN(be)->ops->device_attach(IN(be)->be, dev, pt);
}

static int s_detach(void *be, struct hiopt_dev *dev)
{
	COUNT(be, OP_DETACH);
	return IN(be)->ops->device_detach(IN(be)->be, dev);
}

static int s_hw_info(void *be, struct hiopt_dev *dev, struct hiopt_hw_info *info)
{
	COUNT(be, OP_OTHER);
	return IN(be)->ops->hw_info(IN(be)->be, dev, info);
}

static int s_parent(void *be, struct hiopt_dev *dev, uint32_t ioas, uint32_t *id)
{
	COUNT(be, OP_HWPT);
	return IN(be)->ops->hwpt_alloc_nest_parent(IN(be)->be, dev, ioas, id);
}

static int s_nested(void *be, struct hiopt_dev *dev, uint32_t parent, uint32_t type,
		    const void *data, size_t len, uint32_t *id)
{
	COUNT(be, OP_HWPT);
	return IN(be)->ops->hwpt_alloc_nested(IN(be)->be, dev, parent, type, data, len, id);
}

static void s_hwpt_destroy(void *be, uint32_t id)
{
	COUNT(be, OP_HWPT);
	IN(be)->ops->hwpt_destroy(IN(be)->be, id);
}

static int s_inval(void *be, uint32_t id, uint32_t type, const void *e, uint32_t len,
		   uint32_t *n)
{
	COUNT(be, OP_INVAL);
	return IN(be)->ops->hwpt_invalidate(IN(be)->be, id, type, e, len, n);
}

/* Not counted: fault reporting is not part of mapping. */
static int s_fault_read(void *be, struct hiopt_fault *f, size_t max)
{
	return IN(be)->ops->fault_read(IN(be)->be, f, max);
}

static int s_fault_fd(void *be)
{
	return IN(be)->ops->fault_fd(IN(be)->be);
}

static const struct hiopt_ops shim_ops = {
	.name = "counting-shim",
	.ioas_alloc = s_ioas_alloc, .ioas_destroy = s_ioas_destroy,
	.map = s_map, .unmap = s_unmap, .iova_ranges = s_iova_ranges,
	.device_attach = s_attach, .device_detach = s_detach, .hw_info = s_hw_info,
	.hwpt_alloc_nest_parent = s_parent, .hwpt_alloc_nested = s_nested,
	.hwpt_destroy = s_hwpt_destroy, .hwpt_invalidate = s_inval,
	.fault_read = s_fault_read, .fault_fd = s_fault_fd,
};

struct bench {
	struct memmap *mem;
	uint8_t *ram;
	struct sim_iommu *sim;
	struct hiopt_dev *dev;
	struct shim shim;
	struct viommu *v;
	uint64_t requests;
};

static void die(const char *what)
{
	bench_die("bench_nested", what);
}

static void req(struct bench *b, const void *r, size_t len)
{
	bench_req("bench_nested", b->v, r, len);
	b->requests++;
}

static void bench_up(struct bench *b)
{
	struct viommu_config cfg = { 0 };

	memset(b, 0, sizeof(*b));
	b->ram = aligned_alloc(0x200000, RAM_SIZE);
	b->mem = memmap_create();
	b->sim = sim_iommu_create(NULL);
	if (!b->ram || !b->mem || !b->sim ||
	    memmap_add(b->mem, RAM, RAM_SIZE, MEMMAP_RAM, 0, b->ram, "ram"))
		die("setup");
	memset(b->ram, 0, DATA - RAM);		/* the table pages */
	b->dev = sim_iommu_dev_create(b->sim);
	b->shim.inner = sim_iommu_hiopt(b->sim);
	b->shim.outer = (struct hiopt){ .ops = &shim_ops, .be = &b->shim };
	cfg.mem = b->mem;
	cfg.hiopt = &b->shim.outer;
	b->v = viommu_create(&cfg);
	if (!b->dev || !b->v || viommu_add_host_endpoint(b->v, EP, NULL, b->dev))
		die("viommu_create");
}

static void bench_down(struct bench *b)
{
	viommu_destroy(b->v);
	sim_iommu_dev_destroy(b->sim, b->dev);
	sim_iommu_destroy(b->sim);
	memmap_destroy(b->mem);
	free(b->ram);
}

static void attach(struct bench *b)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(DOM), .endpoint = htole32(EP),
	};

	req(b, &r, sizeof(r));
}

static void detach(struct bench *b)
{
	struct virtio_iommu_req_detach r = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = htole32(DOM), .endpoint = htole32(EP),
	};

	req(b, &r, sizeof(r));
}

static uint64_t data_gpa(uint64_t i)
{
	return DATA + (i * 0x1000) % (RAM + RAM_SIZE - DATA);
}

/* Shadow: ATTACH, N MAP, N UNMAP, DETACH. */
static void round_shadow(struct bench *b, uint64_t n, int mode)
{
	uint64_t i, iova;

	(void)mode;
	attach(b);
	for (i = 0; i < n; i++) {
		struct virtio_iommu_req_map r = {
			.head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(DOM),
			.virt_start = htole64(IOVA0 + i * 0x1000),
			.virt_end = htole64(IOVA0 + i * 0x1000 + 0xfff),
			.phys_start = htole64(data_gpa(i)),
			.flags = htole32(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE),
		};

		req(b, &r, sizeof(r));
	}
	for (i = 0; i < n; i++) {
		struct virtio_iommu_req_unmap r = {
			.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = htole32(DOM),
		};

		iova = IOVA0 + i * 0x1000;
		r.virt_start = htole64(iova);
		r.virt_end = htole64(iova + 0xfff);
		req(b, &r, sizeof(r));
	}
	detach(b);
}

static void put_pte(struct bench *b, uint64_t gpa, uint64_t val)
{
	uint64_t le = htole64(val);

	memcpy(b->ram + (gpa - RAM), &le, 8);
}

/* Table: PML4 at RAM, PDPT +0x1000, PD +0x2000, PT k at +0x3000 + k pages. */
static uint64_t pte_gpa(uint64_t i)
{
	return RAM + 0x3000 + (i / 512) * 0x1000 + (i % 512) * 8;
}

static void build_upper(struct bench *b, uint64_t n)
{
	uint64_t k;

	put_pte(b, RAM, (RAM + 0x1000) | PTE_TABLE);
	put_pte(b, RAM + 0x1000 + 8 * (IOVA0 >> 30), (RAM + 0x2000) | PTE_TABLE);
	for (k = 0; k < (n + 511) / 512; k++)
		put_pte(b, RAM + 0x2000 + 8 * k, (RAM + 0x3000 + k * 0x1000) | PTE_TABLE);
}

static void invalidate(struct bench *b, uint64_t first, uint64_t pages)
{
	struct virtio_iommu_req_x_invalidate r = {
		.head.type = VIRTIO_IOMMU_T_X_INVALIDATE, .domain = htole32(DOM),
		.flags = htole32(VIRTIO_IOMMU_X_INV_F_LEAF), .granule = 12,
		.virt_start = htole64(IOVA0 + first * 0x1000),
		.virt_end = htole64(IOVA0 + (first + pages) * 0x1000 - 1),
	};

	req(b, &r, sizeof(r));
}

/* Nested: ATTACH_TABLE, N PTE writes, N PTE clears, INVALIDATE per page
 * (mode 0) or one range (mode 1), DETACH. */
static void round_nested(struct bench *b, uint64_t n, int mode)
{
	const uint64_t leaf = PTE_TABLE;
	struct virtio_iommu_req_x_attach_table at = {
		.head.type = VIRTIO_IOMMU_T_X_ATTACH_TABLE, .domain = htole32(DOM),
		.endpoint = htole32(EP), .root = htole64(RAM),
		.format = htole16(VIRTIO_IOMMU_X_FMT_X86_64), .addr_width = 48,
	};
	uint64_t i;

	build_upper(b, n);
	req(b, &at, sizeof(at));
	for (i = 0; i < n; i++)		/* new entries: no invalidation needed */
		put_pte(b, pte_gpa(i), data_gpa(i) | leaf);
	for (i = 0; i < n; i++) {
		put_pte(b, pte_gpa(i), 0);
		if (mode == 0)
			invalidate(b, i, 1);
	}
	if (mode == 1)
		invalidate(b, 0, n);
	detach(b);
}

static void row(const char *name, void (*round)(struct bench *, uint64_t, int), int mode,
		uint64_t n, unsigned rounds)
{
	uint64_t calls = 0;
	char ops[96] = "";
	struct bench b;
	unsigned r, k;
	double t;
	int len = 0;

	bench_up(&b);
	round(&b, n, mode);			/* warm-up: stage-2 IOAS, allocations */
	memset(b.shim.calls, 0, sizeof(b.shim.calls));
	b.requests = 0;
	t = bench_now_s();
	for (r = 0; r < rounds; r++)
		round(&b, n, mode);
	t = (bench_now_s() - t) / rounds;
	for (k = 0; k < OP_N; k++) {
		calls += b.shim.calls[k];
		if (b.shim.calls[k] && len < (int)sizeof(ops))
			len += snprintf(ops + len, sizeof(ops) - len, "%s%s %llu", len ? ", " : "",
					op_names[k], (unsigned long long)(b.shim.calls[k] / rounds));
	}
	printf("| %6llu | %-22s | %8llu | %10llu | %10.1f | %8.1f | %s\n",
	       (unsigned long long)n, name, (unsigned long long)(b.requests / rounds),
	       (unsigned long long)(calls / rounds), t * 1e6, t * 1e9 / n, ops);
	bench_down(&b);
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 1, 64, 512, 4096 };
	uint64_t only = 0;
	unsigned rounds = 20, i;
	bool bad = false;
	int a;

	for (a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "-n"))
			only = strtoull(argv[a + 1], NULL, 0);
		else if (!strcmp(argv[a], "-r"))
			rounds = (unsigned)strtoul(argv[a + 1], NULL, 0);
		else
			bad = true;
	}
	if (bad || only > MAX_PAGES || !rounds || a != argc) {
		fprintf(stderr, "usage: bench_nested [-n pages (<= %llu)] [-r rounds]\n",
			(unsigned long long)MAX_PAGES);
		return 2;
	}
	printf("command:");
	for (a = 0; a < argc; a++)
		printf(" %s", argv[a]);
	printf("\nbench_nested: map + unmap N 4 KiB pages, sim backend, one host endpoint; "
	       "per round (ATTACH..DETACH), mean of %u after one warm-up\n\n", rounds);
	printf("| %6s | %-22s | %8s | %10s | %10s | %8s | %s\n", "N", "mode", "requests",
	       "host calls", "time us", "ns/page", "host calls by op");
	printf("|--------|------------------------|----------|------------|------------|"
	       "----------|-----------------\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = only ? only : sizes[i];

		row("shadow MAP/UNMAP", round_shadow, 0, n, rounds);
		row("nested, INV per page", round_nested, 0, n, rounds);
		row("nested, INV one range", round_nested, 1, n, rounds);
		if (only)
			break;
	}
	return 0;
}
