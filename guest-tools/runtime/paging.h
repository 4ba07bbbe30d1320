/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The identity map built at boot covers [0, 4 GiB) with 2 MiB pages.
 * paging_map_identity extends it (e.g. a 64-bit BAR above 4 GiB) using page
 * table pages from a small static pool; new mappings are uncached.
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include <stdint.h>

#define PAGING_BOOT_LIMIT	0x100000000ull	/* mapped at boot */
#define PAGING_MAX_PHYS		(1ull << 46)

/* 0, -ENOMEM (pool exhausted) or -EINVAL (range beyond PAGING_MAX_PHYS). */
int paging_map_identity(uint64_t pa, uint64_t size);

#endif
