// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mapping store of one simulated IOAS: a sorted array of disjoint
 * inclusive ranges searched by binary search (no per-page state). Unmap
 * follows iopt_unmap_iova_range(): only whole mappings are removed, lowest
 * first, and a mapping that sticks out of the range stops the walk (-ENOENT).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough/sim/sim_internal.h"

/* Index of the first mapping with last >= iova (n if none). */
static size_t lower_bound(const struct sim_ioas *ioas, uint64_t iova)
{
	size_t lo = 0, hi = ioas->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ioas->maps[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct sim_map *sim_ioas_find(const struct sim_ioas *ioas, uint64_t iova)
{
	size_t i = lower_bound(ioas, iova);

	if (i < ioas->n && ioas->maps[i].iova <= iova)
		return &ioas->maps[i];
	return NULL;
}

bool sim_ioas_overlaps(const struct sim_ioas *ioas, uint64_t iova, uint64_t last)
{
	size_t i = lower_bound(ioas, iova);

	return i < ioas->n && ioas->maps[i].iova <= last;
}

static int grow(struct sim_ioas *ioas)
{
	size_t cap = ioas->cap ? ioas->cap * 2 : 16;
	struct sim_map *m;

	m = realloc(ioas->maps, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	ioas->maps = m;
	ioas->cap = cap;
	return 0;
}

/* The caller has checked that [iova, last] overlaps nothing. */
int sim_ioas_insert(struct sim_ioas *ioas, uint64_t iova, uint64_t last, void *hva,
		    unsigned prot)
{
	size_t i;
	int rc;

	if (ioas->n == ioas->cap) {
		rc = grow(ioas);
		if (rc)
			return rc;
	}
	i = lower_bound(ioas, iova);
	memmove(&ioas->maps[i + 1], &ioas->maps[i], (ioas->n - i) * sizeof(ioas->maps[0]));
	ioas->maps[i] = (struct sim_map){ .iova = iova, .last = last, .hva = hva, .prot = prot };
	ioas->n++;
	return 0;
}

/* Remove maps[from, to) with one move of the tail (an unmap of many
 * mappings stays linear). */
static void remove_run(struct sim_ioas *ioas, size_t from, size_t to)
{
	if (from == to)
		return;		/* maps may be NULL: memmove must not see it */
	memmove(&ioas->maps[from], &ioas->maps[to], (ioas->n - to) * sizeof(ioas->maps[0]));
	ioas->n -= to - from;
}

/*
 * Like the kernel: mappings intersecting [start, last] are removed from the
 * lowest; one that is not wholly inside stops the walk with -ENOENT (those
 * below it are gone all the same); nothing found is -ENOENT too.
 */
int sim_ioas_unmap_range(struct sim_ioas *ioas, uint64_t start, uint64_t last,
			 uint64_t *unmapped)
{
	size_t first = lower_bound(ioas, start), i;
	uint64_t bytes = 0;
	int rc = 0;

	for (i = first; i < ioas->n && ioas->maps[i].iova <= last; i++) {
		const struct sim_map *m = &ioas->maps[i];

		if (m->iova < start || m->last > last) {
			rc = -ENOENT;
			break;
		}
		bytes += m->last - m->iova + 1;
	}
	remove_run(ioas, first, i);
	*unmapped = bytes;
	return bytes ? rc : -ENOENT;
}

int sim_ioas_xlate(const struct sim_ioas *ioas, uint64_t addr, unsigned access,
		   uint8_t **hva, uint64_t *contig)
{
	const struct sim_map *m = sim_ioas_find(ioas, addr);

	if (!m)
		return -EFAULT;
	if ((m->prot & access) != access)
		return -EPERM;
	*hva = m->hva + (addr - m->iova);
	*contig = m->last - addr + 1;	/* 0 only for a full 2^64 map, impossible */
	return 0;
}
