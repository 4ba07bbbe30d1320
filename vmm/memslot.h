/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mapping host memory straight into guest physical space (a KVM memory slot),
 * used for mmap'ed BARs of assigned devices. The VM implements it; device
 * code only sees this ops table.
 */
#ifndef IOSHADE_VMM_MEMSLOT_H
#define IOSHADE_VMM_MEMSLOT_H

#include <stdint.h>

struct memslot_ops {
	/* Map [gpa, gpa+size) to hva. size and gpa page aligned. 0 or -errno. */
	int (*map)(void *opaque, uint64_t gpa, uint64_t size, void *hva);
	int (*unmap)(void *opaque, uint64_t gpa, uint64_t size);
};

struct memslot_sink {
	const struct memslot_ops *ops;
	void *opaque;
};

#endif
