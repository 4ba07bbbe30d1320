// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest physical address map: a sorted array of non-overlapping regions
 * under a rwlock. Lookups are binary searches; changes (BAR moves) are rare.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "vmm/memmap.h"

struct memmap {
	pthread_rwlock_t lock;		/* protects r[], n, cap */
	struct memmap_region *r;	/* sorted by start, disjoint */
	size_t n, cap;
};

struct memmap *memmap_create(void)
{
	struct memmap *map = calloc(1, sizeof(*map));

	if (map)
		pthread_rwlock_init(&map->lock, NULL);
	return map;
}

void memmap_destroy(struct memmap *map)
{
	if (!map)
		return;
	pthread_rwlock_destroy(&map->lock);
	free(map->r);
	free(map);
}

static bool range_last(uint64_t start, uint64_t len, uint64_t *last)
{
	return len && !__builtin_add_overflow(start, len - 1, last);
}

/* Index of the first region whose last >= gpa (n if none). */
static size_t lower_bound_locked(const struct memmap *map, uint64_t gpa)
{
	size_t lo = 0, hi = map->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (map->r[mid].last < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int grow_locked(struct memmap *map)
{
	size_t cap = map->cap ? map->cap * 2 : 16;
	struct memmap_region *r;

	if (map->n < map->cap)
		return 0;
	r = realloc(map->r, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	map->r = r;
	map->cap = cap;
	return 0;
}

int memmap_add(struct memmap *map, uint64_t start, uint64_t len,
	       enum memmap_kind kind, uint32_t flags, void *hva, const char *name)
{
	struct memmap_region reg = { .start = start, .kind = kind, .flags = flags, .hva = hva };
	size_t i;
	int ret;

	if (!range_last(start, len, &reg.last))
		return -EINVAL;
	snprintf(reg.name, sizeof(reg.name), "%s", name ? name : "");
	pthread_rwlock_wrlock(&map->lock);
	i = lower_bound_locked(map, start);
	if (i < map->n && map->r[i].start <= reg.last) {
		ret = -EEXIST;
		goto out;
	}
	ret = grow_locked(map);
	if (ret)
		goto out;
	memmove(&map->r[i + 1], &map->r[i], (map->n - i) * sizeof(reg));
	map->r[i] = reg;
	map->n++;
out:
	pthread_rwlock_unlock(&map->lock);
	return ret;
}

int memmap_remove(struct memmap *map, uint64_t start)
{
	size_t i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&map->lock);
	i = lower_bound_locked(map, start);
	if (i < map->n && map->r[i].start == start) {
		memmove(&map->r[i], &map->r[i + 1], (map->n - i - 1) * sizeof(map->r[0]));
		map->n--;
		ret = 0;
	}
	pthread_rwlock_unlock(&map->lock);
	return ret;
}

int memmap_query(const struct memmap *map, uint64_t gpa, uint64_t len,
		 struct memmap_region *out)
{
	struct memmap *m = (struct memmap *)map;
	uint64_t last;
	size_t i;
	int ret = 0;

	if (!range_last(gpa, len, &last))
		return -EINVAL;
	pthread_rwlock_rdlock(&m->lock);
	i = lower_bound_locked(m, gpa);
	if (i == m->n || m->r[i].start > gpa)
		ret = -ENOENT;
	else if (last > m->r[i].last)
		ret = -E2BIG;
	if (i < m->n && m->r[i].start <= gpa && out)
		*out = m->r[i];
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

bool memmap_overlaps(const struct memmap *map, uint64_t start, uint64_t last,
		     uint32_t kind_mask, uint32_t flag_mask)
{
	struct memmap *m = (struct memmap *)map;
	bool hit = false;
	size_t i;

	if (last < start)
		return false;
	pthread_rwlock_rdlock(&m->lock);
	for (i = lower_bound_locked(m, start); i < m->n && m->r[i].start <= last; i++) {
		if ((kind_mask & (1u << m->r[i].kind)) || (m->r[i].flags & flag_mask)) {
			hit = true;
			break;
		}
	}
	pthread_rwlock_unlock(&m->lock);
	return hit;
}

void *memmap_hva(const struct memmap *map, uint64_t gpa, uint64_t len, bool write)
{
	struct memmap_region reg;

	if (memmap_query(map, gpa, len, &reg))
		return NULL;
	if (!reg.hva)
		return NULL;
	if (reg.kind != MEMMAP_RAM && (write || reg.kind != MEMMAP_ROM))
		return NULL;
	return (uint8_t *)reg.hva + (gpa - reg.start);
}

size_t memmap_snapshot(const struct memmap *map, struct memmap_region *out, size_t max)
{
	struct memmap *m = (struct memmap *)map;
	size_t n;

	pthread_rwlock_rdlock(&m->lock);
	n = m->n;
	if (out)
		memcpy(out, m->r, (n < max ? n : max) * sizeof(*out));
	pthread_rwlock_unlock(&m->lock);
	return n;
}

const char *memmap_kind_name(enum memmap_kind kind)
{
	static const char *const names[] = {
		[MEMMAP_RAM] = "ram", [MEMMAP_ROM] = "rom",
		[MEMMAP_RESERVED] = "reserved", [MEMMAP_MMIO] = "mmio",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}
