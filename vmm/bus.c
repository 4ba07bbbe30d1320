// SPDX-License-Identifier: GPL-2.0-only
/*
 * PIO/MMIO dispatch: a sorted array of device ranges under a rwlock. The
 * handler is looked up under the read lock and called after it is dropped,
 * so handlers may change the bus (BAR relocation from a config write).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"

struct bus_range {
	uint64_t base, last;		/* inclusive */
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	pthread_rwlock_t lock;		/* protects r[], n, cap */
	struct bus_range *r;		/* sorted by base, disjoint */
	size_t n, cap;
	char name[16];
};

struct bus *bus_create(const char *name)
{
	struct bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	pthread_rwlock_init(&bus->lock, NULL);
	snprintf(bus->name, sizeof(bus->name), "%s", name ? name : "bus");
	return bus;
}

void bus_destroy(struct bus *bus)
{
	if (!bus)
		return;
	pthread_rwlock_destroy(&bus->lock);
	free(bus->r);
	free(bus);
}

/* First range whose last >= addr. */
static size_t lower_bound_locked(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->r[mid].last < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque)
{
	struct bus_range nr = { .base = base, .ops = ops, .opaque = opaque };
	size_t i;
	int ret = 0;

	if (!len || __builtin_add_overflow(base, len - 1, &nr.last))
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound_locked(bus, base);
	if (i < bus->n && bus->r[i].base <= nr.last) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->r, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->r = r;
		bus->cap = cap;
	}
	memmove(&bus->r[i + 1], &bus->r[i], (bus->n - i) * sizeof(nr));
	bus->r[i] = nr;
	bus->n++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	size_t i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound_locked(bus, base);
	if (i < bus->n && bus->r[i].base == base && bus->r[i].opaque == opaque) {
		memmove(&bus->r[i], &bus->r[i + 1], (bus->n - i - 1) * sizeof(bus->r[0]));
		bus->n--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len, bool is_write)
{
	struct bus_range hit;
	uint64_t last;
	size_t i;
	int ret = 0;

	if (!len || __builtin_add_overflow(addr, (uint64_t)len - 1, &last))
		ret = -EINVAL;
	pthread_rwlock_rdlock(&bus->lock);
	i = lower_bound_locked(bus, addr);
	if (!ret && (i == bus->n || bus->r[i].base > addr))
		ret = -ENOENT;
	else if (!ret && last > bus->r[i].last)
		ret = -EINVAL;
	if (!ret)
		hit = bus->r[i];
	pthread_rwlock_unlock(&bus->lock);

	if (ret) {
		if (!is_write)
			memset(data, 0xff, len);
		return ret;
	}
	if (is_write) {
		if (hit.ops->write)
			hit.ops->write(hit.opaque, addr - hit.base, data, len);
	} else if (hit.ops->read) {
		hit.ops->read(hit.opaque, addr - hit.base, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return 0;
}
