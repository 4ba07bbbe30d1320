// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cost of the largest state the default limits allow: a guest floods
 * domains with MAPs of one page at distinct IOVAs (the attack of issue 11)
 * up to the per-domain and per-VM limits, then asks for UNMAP of the whole
 * space or resets the device. Times those two requests, emulated endpoints
 * only and with a host endpoint on the sim backend. All on one thread, as
 * on the event loop: the time is how long the loop stalls.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough/sim/sim_iommu.h"
#include "vmm/memmap.h"
#include "viommu/viommu.h"
#include "bench/bench_util.h"

#define PROG		"bench_limits"
#define RAM		0x400000ULL
#define RAM_SIZE	0x200000ULL
#define IOVA0		(1ULL << 32)	/* clear of the MSI window */
#define PAGE		0x1000ULL
#define EP_EMU1		0x08
#define EP_EMU2		0x10
#define EP_HOST		0x18
#define RUNS		3

struct bench {
	struct memmap *mem;
	uint8_t *ram;
	struct sim_iommu *sim;		/* NULL: emulated endpoints only */
	struct hiopt_dev *dev;
	struct viommu *v;
};

static void bench_up(struct bench *b, bool host)
{
	struct viommu_config cfg = { .input_end = (1ULL << 48) - 1 };

	memset(b, 0, sizeof(*b));
	b->mem = memmap_create();
	b->ram = aligned_alloc(PAGE, RAM_SIZE);
	if (!b->mem || !b->ram || memmap_add(b->mem, RAM, RAM_SIZE, MEMMAP_RAM, 0, b->ram, "ram"))
		bench_die(PROG, "memmap");
	cfg.mem = b->mem;		/* default limits */
	if (host) {
		b->sim = sim_iommu_create(NULL);
		b->dev = b->sim ? sim_iommu_dev_create(b->sim) : NULL;
		if (!b->dev)
			bench_die(PROG, "sim");
		cfg.hiopt = sim_iommu_hiopt(b->sim);
	}
	b->v = viommu_create(&cfg);
	if (!b->v || viommu_add_endpoint(b->v, EP_EMU1) || viommu_add_endpoint(b->v, EP_EMU2))
		bench_die(PROG, "viommu");
	if (host && viommu_add_host_endpoint(b->v, EP_HOST, NULL, b->dev))
		bench_die(PROG, "host endpoint");
}

static void bench_down(struct bench *b)
{
	viommu_destroy(b->v);
	if (b->sim) {
		sim_iommu_dev_destroy(b->sim, b->dev);
		sim_iommu_destroy(b->sim);
	}
	memmap_destroy(b->mem);
	free(b->ram);
}

static void attach(struct viommu *v, uint32_t dom, uint32_t ep)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(dom), .endpoint = htole32(ep),
	};

	bench_req(PROG, v, &r, sizeof(r));
}

static void unmap(struct viommu *v, uint32_t dom, uint64_t start, uint64_t last)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = htole32(dom),
		.virt_start = htole64(start), .virt_end = htole64(last),
	};

	bench_req(PROG, v, &r, sizeof(r));
}

/* MAP the same guest page at n distinct IOVAs; the next MAP must be S_NOMEM
 * when n is the limit that applies (check_full). */
static void flood(struct viommu *v, uint32_t dom, uint64_t n, bool check_full)
{
	struct virtio_iommu_req_map r = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(dom), .phys_start = htole64(RAM),
		.flags = htole32(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE),
	};
	uint8_t resp[4];
	size_t written;

	for (uint64_t i = 0; i <= n; i++) {
		r.virt_start = htole64(IOVA0 + i * PAGE);
		r.virt_end = htole64(IOVA0 + i * PAGE + PAGE - 1);
		if (i < n) {
			bench_req(PROG, v, &r, sizeof(r));
			continue;
		}
		viommu_handle_request(v, &r, sizeof(r), resp, sizeof(resp), &written);
		if (check_full && (written != 4 || resp[0] != VIRTIO_IOMMU_S_NOMEM))
			bench_die(PROG, "S_NOMEM at the limit");
	}
}

enum action { UNMAP_ALL, UNMAP_HALF, RESET };

struct scenario {
	const char *name;
	bool host;			/* domain 1 has the sim endpoint */
	unsigned domains;		/* 1, or 2 for the VM limit */
	enum action act;
};

static double run_once(const struct scenario *s)
{
	const uint64_t per_dom = VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS;
	struct bench b;
	double t0, dt;

	bench_up(&b, s->host);
	attach(b.v, 1, s->host ? EP_HOST : EP_EMU1);
	flood(b.v, 1, per_dom, true);
	if (s->domains == 2) {
		attach(b.v, 2, EP_EMU2);
		flood(b.v, 2, VIOMMU_DEFAULT_MAX_MAPPINGS - per_dom, true);
	}
	t0 = bench_now_s();
	if (s->act == RESET)
		viommu_device_reset(b.v);
	else if (s->act == UNMAP_ALL)
		unmap(b.v, 1, 0, UINT64_MAX);
	else
		unmap(b.v, 1, 0, IOVA0 + per_dom / 2 * PAGE - 1);
	dt = bench_now_s() - t0;
	bench_down(&b);
	return dt;
}

int main(void)
{
	static const struct scenario sc[] = {
		{ "UNMAP [0, 2^64-1], emulated", false, 1, UNMAP_ALL },
		{ "UNMAP [0, 2^64-1], sim host", true, 1, UNMAP_ALL },
		{ "UNMAP lower half, emulated", false, 1, UNMAP_HALF },
		{ "UNMAP lower half, sim host", true, 1, UNMAP_HALF },
		{ "device reset, 1 domain, emulated", false, 1, RESET },
		{ "device reset, 1 domain, sim host", true, 1, RESET },
		{ "device reset, 2 domains, emulated", false, 2, RESET },
		{ "device reset, 2 domains, 1 sim host", true, 2, RESET },
	};

	printf("%s: default limits, %u mappings per domain, %u per VM; %d runs\n\n", PROG,
	       VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS, VIOMMU_DEFAULT_MAX_MAPPINGS, RUNS);
	printf("| %-38s | %9s | %8s | %8s |\n", "request", "mappings", "min ms", "max ms");
	printf("|----------------------------------------|-----------|----------|----------|\n");
	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		double lo = 1e9, hi = 0;
		unsigned n = sc[i].domains == 2 ? VIOMMU_DEFAULT_MAX_MAPPINGS :
			     VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS / (sc[i].act == UNMAP_HALF ? 2 : 1);

		for (int r = 0; r < RUNS; r++) {
			double t = run_once(&sc[i]);

			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
		printf("| %-38s | %9u | %8.1f | %8.1f |\n", sc[i].name, n, lo * 1e3, hi * 1e3);
	}
	return 0;
}
