/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the in-process benchmarks: a monotonic clock, a fatal
 * error (a benchmark has no error path worth keeping), and one request
 * through the viommu that must succeed with S_OK.
 */
#ifndef IOSHADE_BENCH_UTIL_H
#define IOSHADE_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "viommu/viommu.h"
#include "viommu/virtio_iommu.h"

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void bench_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s failed\n", prog, what);
	exit(1);
}

static inline void bench_req(const char *prog, struct viommu *v, const void *r, size_t len)
{
	uint8_t resp[4];
	size_t written;

	viommu_handle_request(v, r, len, resp, sizeof(resp), &written);
	if (written != 4 || resp[0] != VIRTIO_IOMMU_S_OK)
		bench_die(prog, "request");
}

#endif
