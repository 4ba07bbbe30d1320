/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PIO and MMIO dispatch: devices register [base, base+len) with a pair of
 * handlers that receive the offset into their range. Lookup is a binary search
 * over a sorted array under a rwlock; handlers run without the lock held, so a
 * handler may itself register or unregister ranges (a BAR move from ECAM).
 */
#ifndef IOSHADE_VMM_BUS_H
#define IOSHADE_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const void *data, uint32_t len);
};

struct bus;

struct bus *bus_create(const char *name);
void bus_destroy(struct bus *bus);

/* -EINVAL on len 0/overflow, -EEXIST on overlap, -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque);
/* Remove the range starting at base owned by opaque. -ENOENT if none. */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);

/*
 * Dispatch one access. Returns 0 if a device handled it, -ENOENT when nothing
 * is there (reads then return all ones), -EINVAL when the access straddles the
 * end of a device range (reads again return all ones; writes are dropped).
 */
int bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len, bool is_write);

#endif
