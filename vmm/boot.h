/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel loaders. The PVH loader (Xen PVH boot ABI, used by the test guests
 * and by Linux's CONFIG_PVH entry) only needs a memory map with host-backed
 * RAM, so it runs in unit tests without KVM; setting the entry registers is
 * the separate boot_pvh_set_regs.
 */
#ifndef IOSHADE_VMM_BOOT_H
#define IOSHADE_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/layout.h"

struct memmap;
struct memmap_region;

/* Wire structures of the PVH ABI (xen/include/public/arch-x86/hvm/start_info.h). */
#define HVM_START_MAGIC		0x336ec578u
#define HVM_START_VERSION	1
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define E820_RAM		1
#define E820_RESERVED		2
#define E820_ACPI		3

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* E820_* */
	uint32_t reserved;
};

/* Where the loader puts the module list (one entry: the initrd). */
#define BOOT_PVH_MODLIST	(LAYOUT_START_INFO + 0x100)
#define BOOT_E820_MAX		((LAYOUT_ZERO_PAGE - LAYOUT_E820_TABLE) / \
				 sizeof(struct hvm_memmap_table_entry))

struct boot_pvh_args {
	const void *image;		/* the ELF file */
	size_t image_size;
	const char *cmdline;		/* NULL: empty */
	const void *initrd;		/* NULL: no module */
	size_t initrd_size;
	uint64_t rsdp;			/* GPA of the ACPI RSDP, 0: none */
};

struct boot_pvh_info {
	uint32_t entry;			/* 32-bit PVH entry point (EIP) */
	uint64_t start_info;		/* GPA of hvm_start_info (EBX) */
	uint64_t image_start;		/* lowest loaded GPA */
	uint64_t image_end;		/* exclusive end of the highest segment */
	uint64_t initrd_gpa;		/* 0 when no initrd */
};

/*
 * Validate the whole ELF (32 or 64-bit) first, then load its PT_LOAD
 * segments into RAM regions of mem and write start_info, the E820 table and
 * the command line into the boot area. Nothing is written on failure.
 * Errors (with a message in err): -ENOEXEC not an x86 ELF executable or no
 * PHYS32_ENTRY note; -EINVAL a header, segment or note runs past the file or
 * is malformed; -EFAULT a segment or the entry is not in guest RAM; -E2BIG
 * command line too long, -ENOSPC the initrd does not fit.
 */
int boot_pvh_load(struct memmap *mem, const struct boot_pvh_args *args,
		  struct boot_pvh_info *info, char *err, size_t errlen);

/* vCPU registers for the PVH entry: flat 32-bit protected mode, paging off,
 * EIP = entry, EBX = start_info. 0 or -errno. */
int boot_pvh_set_regs(int vcpu_fd, const struct boot_pvh_info *info);

/* Read a whole file (at most max bytes) into a malloc'd buffer. */
int boot_read_file(const char *path, size_t max, void **buf, size_t *size,
		   char *err, size_t errlen);

/* True if image looks like a Linux bzImage (boot_flag 0xaa55 at 0x1fe and
 * "HdrS" at 0x202). The loader for those is in vmm/boot_linux.h. */
int boot_is_bzimage(const void *image, size_t size);

/* E820 type of a memory map region (RAM 1, ROM/ACPI 3, reserved 2, MMIO
 * other than BARs 2); 0 for BARs, which E820 does not list. */
uint32_t boot_e820_type(const struct memmap_region *r);

#endif
