// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping-store benchmark: insert, lookup and remove of 1,000,000 mappings
 * in the IOVA tree (sequential and shuffled keys), then MAP/translate/UNMAP
 * of the same count through the full request path (ownership checks included).
 * Prints ns per operation and heap bytes per mapping (mallinfo2).
 */
#include <endian.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "viommu/iova_tree.h"
#include "viommu/viommu.h"

#define N	1000000ULL
#define PAGE	0x1000ULL
#define IOVA0	(1ULL << 32)	/* clear of the MSI window (a RESV_MEM region) */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

static void row(const char *what, double ns_total, const char *extra)
{
	printf("| %-34s | %10.1f | %s\n", what, ns_total / N, extra);
}

static uint64_t *keys(int shuffled)
{
	uint64_t *k = malloc(N * sizeof(*k)), i, j, t;

	if (!k)
		exit(1);
	for (i = 0; i < N; i++)
		k[i] = i;
	srand(42);
	for (i = N - 1; shuffled && i > 0; i--) {
		j = ((uint64_t)rand() << 31 ^ (uint64_t)rand()) % (i + 1);
		t = k[i];
		k[i] = k[j];
		k[j] = t;
	}
	return k;
}

static void bench_tree(int shuffled)
{
	uint64_t *k = keys(shuffled), i, hits = 0;
	struct iova_tree *t = iova_tree_create();
	size_t before = heap_used();
	char extra[96];
	double t0;

	t0 = now_ns();
	for (i = 0; i < N; i++)
		iova_tree_insert(t, k[i] * 2 * PAGE, k[i] * 2 * PAGE + PAGE - 1, k[i] * PAGE, 3);
	snprintf(extra, sizeof(extra), "%.1f bytes/mapping (node %zu), height %d",
		 (double)(heap_used() - before) / N, iova_tree_node_size(), iova_tree_height(t));
	row(shuffled ? "tree insert (shuffled)" : "tree insert (sequential)", now_ns() - t0, extra);
	t0 = now_ns();
	for (i = 0; i < N; i++)
		hits += iova_tree_find(t, k[i] * 2 * PAGE + 0x10) != NULL;
	snprintf(extra, sizeof(extra), "%llu hits", (unsigned long long)hits);
	row(shuffled ? "tree lookup (shuffled)" : "tree lookup (sequential)", now_ns() - t0, extra);
	t0 = now_ns();
	for (i = 0; i < N; i++)
		iova_tree_remove(t, k[i] * 2 * PAGE);
	snprintf(extra, sizeof(extra), "%zu left", iova_tree_count(t));
	row(shuffled ? "tree remove (shuffled)" : "tree remove (sequential)", now_ns() - t0, extra);
	iova_tree_destroy(t);
	free(k);
}

static int request(struct viommu *v, const void *req, size_t len)
{
	uint8_t resp[4];
	size_t written;

	viommu_handle_request(v, req, len, resp, sizeof(resp), &written);
	return written ? resp[0] : -1;
}

static void bench_requests(void)
{
	struct memmap *mem = memmap_create();
	struct viommu_config cfg = {	/* limits raised: this measures the store at 1M */
		.mem = mem, .limits = { .max_mappings = N, .max_domain_mappings = N },
	};
	struct viommu *v;
	struct virtio_iommu_req_attach att = { .head.type = VIRTIO_IOMMU_T_ATTACH,
					       .domain = htole32(1), .endpoint = htole32(8) };
	struct virtio_iommu_req_map map = { .head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(1),
					    .flags = htole32(3) };
	struct virtio_iommu_req_unmap unmap = { .head.type = VIRTIO_IOMMU_T_UNMAP,
						.domain = htole32(1) };
	uint64_t *k = keys(1), i, gpa, contig, bad = 0;
	double t0;
	char extra[64];

	memmap_add(mem, LAYOUT_RAM_64_BASE, N * PAGE, MEMMAP_RAM, 0, NULL, "ram");
	v = viommu_create(&cfg);
	if (!v || viommu_add_endpoint(v, 8) || request(v, &att, sizeof(att)))
		exit(1);
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		map.virt_start = htole64(IOVA0 + k[i] * 2 * PAGE);
		map.virt_end = htole64(IOVA0 + k[i] * 2 * PAGE + PAGE - 1);
		map.phys_start = htole64(LAYOUT_RAM_64_BASE + k[i] * PAGE);
		bad += request(v, &map, sizeof(map)) != 0;
	}
	snprintf(extra, sizeof(extra), "%llu failed", (unsigned long long)bad);
	row("MAP request (shuffled)", now_ns() - t0, extra);
	t0 = now_ns();
	for (i = 0; i < N; i++)
		bad += viommu_translate(v, 8, IOVA0 + k[i] * 2 * PAGE, 8, DMA_ACCESS_READ, &gpa, &contig) != 0;
	snprintf(extra, sizeof(extra), "%llu failed", (unsigned long long)bad);
	row("viommu_translate", now_ns() - t0, extra);
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		unmap.virt_start = htole64(IOVA0 + k[i] * 2 * PAGE);
		unmap.virt_end = htole64(IOVA0 + k[i] * 2 * PAGE + PAGE - 1);
		bad += request(v, &unmap, sizeof(unmap)) != 0;
	}
	snprintf(extra, sizeof(extra), "%llu failed", (unsigned long long)bad);
	row("UNMAP request (shuffled)", now_ns() - t0, extra);
	viommu_destroy(v);
	memmap_destroy(mem);
	free(k);
}

int main(void)
{
	printf("bench_domain: %llu mappings of 4 KiB\n\n", N);
	printf("| %-34s | %10s | %s\n", "operation", "ns/op", "notes");
	printf("|------------------------------------|------------|------\n");
	bench_tree(0);
	bench_tree(1);
	bench_requests();
	return 0;
}
