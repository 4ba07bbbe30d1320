// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shadow-mode cost: guest MAP/UNMAP requests per second through
 * viommu_handle_request with a host endpoint on the sim backend (each request
 * is also a host map/unmap), for 4 KiB and 2 MiB mappings, batches of 1 and
 * 64; heap bytes per live mapping (viommu tree, sim) from mallinfo2 deltas;
 * and, for comparison, nested-mode INVALIDATE requests per second.
 */
#include <endian.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "passthrough/sim/sim_iommu.h"
#include "vmm/memmap.h"
#include "viommu/nested.h"
#include "viommu/viommu.h"
#include "bench/bench_util.h"

#define RAM		0x400000ULL	/* 2 MiB aligned */
#define RAM_SIZE	0x800000ULL
#define IOVA0		(1ULL << 32)	/* clear of the MSI window */
#define EP_HOST		0x18
#define EP_EMU		0x10
#define MEM_N		100000ULL	/* live mappings for the memory rows */

struct bench {
	struct memmap *mem;
	uint8_t *ram;
	struct sim_iommu *sim;
	struct hiopt_dev *dev;
	struct viommu *v;
};

static void die(const char *what)
{
	bench_die("bench_shadow", what);
}

static void req(struct viommu *v, const void *r, size_t len)
{
	bench_req("bench_shadow", v, r, len);
}

static void map(struct viommu *v, uint64_t iova, uint64_t size, uint64_t gpa)
{
	struct virtio_iommu_req_map r = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(1),
		.virt_start = htole64(iova), .virt_end = htole64(iova + size - 1),
		.phys_start = htole64(gpa),
		.flags = htole32(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE),
	};

	req(v, &r, sizeof(r));
}

static void unmap(struct viommu *v, uint64_t iova, uint64_t len)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = htole32(1),
		.virt_start = htole64(iova), .virt_end = htole64(iova + len - 1),
	};

	req(v, &r, sizeof(r));
}

static void attach(struct viommu *v, uint32_t ep)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(1), .endpoint = htole32(ep),
	};

	req(v, &r, sizeof(r));
}

/* A VM with guest RAM, and a viommu with one endpoint (host or emulated)
 * attached to domain 1. The RAM is never touched: it costs no heap. */
static void bench_up(struct bench *b, bool host)
{
	struct viommu_config cfg = { 0 };

	memset(b, 0, sizeof(*b));
	b->ram = aligned_alloc(RAM_SIZE, RAM_SIZE);
	b->mem = memmap_create();
	b->sim = sim_iommu_create(NULL);
	if (!b->ram || !b->mem || !b->sim ||
	    memmap_add(b->mem, RAM, RAM_SIZE, MEMMAP_RAM, 0, b->ram, "ram"))
		die("setup");
	b->dev = sim_iommu_dev_create(b->sim);
	cfg.mem = b->mem;
	cfg.hiopt = sim_iommu_hiopt(b->sim);
	b->v = viommu_create(&cfg);
	if (!b->dev || !b->v)
		die("viommu_create");
	if (host && viommu_add_host_endpoint(b->v, EP_HOST, NULL, b->dev))
		die("add_host_endpoint");
	if (!host && viommu_add_endpoint(b->v, EP_EMU))
		die("add_endpoint");
	attach(b->v, host ? EP_HOST : EP_EMU);
}

static void bench_down(struct bench *b)
{
	viommu_destroy(b->v);
	sim_iommu_dev_destroy(b->sim, b->dev);
	sim_iommu_destroy(b->sim);
	memmap_destroy(b->mem);
	free(b->ram);
}

/* rounds x (batch MAPs, then one UNMAP of the batch; batch 1: MAP + UNMAP). */
static void row_map_unmap(uint64_t size, unsigned batch, uint64_t requests)
{
	uint64_t rounds = requests / (batch + 1), r, i, done = 0;
	struct bench b;
	double t;

	bench_up(&b, true);
	t = bench_now_s();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < batch; i++)
			map(b.v, IOVA0 + i * size, size, RAM + (i * size) % RAM_SIZE);
		unmap(b.v, IOVA0, batch * size);
		done += batch + 1;
	}
	t = bench_now_s() - t;
	printf("| shadow MAP+UNMAP %-6s batch %-3u  | %12.0f | %12.0f | %8.2f |\n",
	       size == 0x1000 ? "4 KiB" : "2 MiB", batch, done / t, rounds * batch / t,
	       t * 1e9 / done);
	bench_down(&b);
}

/* Heap bytes per live mapping: tree only (emulated endpoint), tree + sim. */
static double heap_per_mapping(bool host, uint64_t size)
{
	struct bench b;
	size_t before;
	uint64_t i;
	double per;

	bench_up(&b, host);
	before = mallinfo2().uordblks;
	for (i = 0; i < MEM_N; i++)
		map(b.v, IOVA0 + i * size, size, RAM + (i * size) % RAM_SIZE);
	per = (double)(mallinfo2().uordblks - before) / MEM_N;
	bench_down(&b);
	return per;
}

static void row_memory(uint64_t size)
{
	double tree = heap_per_mapping(false, size), both = heap_per_mapping(true, size);

	printf("| heap per live mapping, %-6s      | %12.1f | %12.1f | %8.1f |\n",
	       size == 0x1000 ? "4 KiB" : "2 MiB", tree, both - tree, both);
}

static void put_pte(uint8_t *ram, uint64_t gpa, uint64_t val)
{
	uint64_t le = htole64(val);

	memcpy(ram + (gpa - RAM), &le, 8);
}

/* Nested: one 4 KiB leaf in a guest table; INVALIDATE of that page. */
static void row_invalidate(uint64_t requests)
{
	const uint64_t e = VIRTIO_IOMMU_X_PTE_P | VIRTIO_IOMMU_X_PTE_RW | VIRTIO_IOMMU_X_PTE_US;
	struct virtio_iommu_req_x_attach_table at = {
		.head.type = VIRTIO_IOMMU_T_X_ATTACH_TABLE, .domain = htole32(2),
		.endpoint = htole32(EP_HOST), .root = htole64(RAM),
		.format = htole16(VIRTIO_IOMMU_X_FMT_X86_64), .addr_width = 48,
	};
	struct virtio_iommu_req_x_invalidate inv = {
		.head.type = VIRTIO_IOMMU_T_X_INVALIDATE, .domain = htole32(2), .granule = 12,
		.virt_start = htole64(0x1000), .virt_end = htole64(0x1fff),
	};
	struct viommu_nested_stats ns;
	struct bench b;
	uint64_t i;
	double t;

	bench_up(&b, true);
	put_pte(b.ram, RAM, (RAM + 0x1000) | e);
	put_pte(b.ram, RAM + 0x1000, (RAM + 0x2000) | e);
	put_pte(b.ram, RAM + 0x2000, (RAM + 0x3000) | e);
	put_pte(b.ram, RAM + 0x3000 + 8, (RAM + 0x100000) | e);
	req(b.v, &at, sizeof(at));
	t = bench_now_s();
	for (i = 0; i < requests; i++)
		req(b.v, &inv, sizeof(inv));
	t = bench_now_s() - t;
	viommu_nested_stats(b.v, &ns);
	if (ns.host_invalidates != requests)
		die("host invalidation count");
	printf("| nested INVALIDATE 4 KiB (host)     | %12.0f | %12s | %8.2f |\n",
	       requests / t, "-", t * 1e9 / requests);
	bench_down(&b);
}

int main(int argc, char **argv)
{
	uint64_t requests = 1000000;
	int i;

	if (argc > 2 && !strcmp(argv[1], "-n"))
		requests = strtoull(argv[2], NULL, 0);
	if (!requests) {
		fprintf(stderr, "usage: bench_shadow [-n requests]\n");
		return 2;
	}
	printf("command:");
	for (i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\nbench_shadow: %llu requests per row, sim backend (4 KiB pages), one host "
	       "endpoint\n\n", (unsigned long long)requests);
	printf("| %-34s | %12s | %12s | %8s |\n", "row", "requests/s", "mappings/s", "ns/req");
	printf("|------------------------------------|--------------|--------------|----------|\n");
	row_map_unmap(0x1000, 1, requests);
	row_map_unmap(0x1000, 64, requests);
	row_map_unmap(0x200000, 1, requests);
	row_map_unmap(0x200000, 64, requests);
	row_invalidate(requests);
	printf("\n| %-34s | %12s | %12s | %8s |\n", "memory (mallinfo2, 100000 live)",
	       "tree B", "sim B", "total B");
	printf("|------------------------------------|--------------|--------------|----------|\n");
	row_memory(0x1000);
	row_memory(0x200000);
	return 0;
}
