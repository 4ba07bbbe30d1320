/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PVH boot ABI (Xen public arch-x86/hvm/start_info.h, version 1 layout):
 * the loader passes the GPA of struct hvm_start_info in %ebx. Written from the
 * published field list; only what the guests read.
 */
#ifndef GUEST_PVH_H
#define GUEST_PVH_H

#include <stdint.h>

#define HVM_START_MAGIC_VALUE	0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;		/* 1 adds memmap_paddr/memmap_entries */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;		/* NUL-terminated, 0 = none */
	uint64_t rsdp_paddr;		/* 0 = scan the BIOS area */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

#define HVM_MEMMAP_TYPE_RAM	1

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* E820 type */
	uint32_t reserved;
};

#endif
