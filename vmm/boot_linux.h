/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit entry.
 * boot_linux_load validates a bzImage against its file size and the memory
 * map, then writes the kernel, boot_params ("zero page"), command line,
 * initrd, identity page tables and GDT through the map's host pointers: it
 * needs no KVM, so unit tests drive it with a malloc'd RAM buffer. The entry
 * register state is built by boot_linux_fill_regs (pure) and loaded into a
 * vCPU by boot_linux_set_regs.
 */
#ifndef IOSHADE_VMM_BOOT_LINUX_H
#define IOSHADE_VMM_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot.h"
#include "vmm/layout.h"

struct kvm_regs;
struct kvm_sregs;
struct memmap;

/* Used when the user gives no --cmdline for a bzImage. */
#define BOOT_LINUX_DEFAULT_CMDLINE	"console=ttyS0 earlyprintk=serial panic=-1"

/* Oldest protocol with xloadflags (XLF_KERNEL_64): 2.12. */
#define BOOT_LINUX_MIN_VERSION	0x020c

#define BOOT_HDR_MAGIC		0x53726448u	/* "HdrS" at 0x202 */
#define BOOT_FLAG_MAGIC		0xaa55		/* boot_flag at 0x1fe */

/* setup_header.loadflags */
#define BOOT_LOADED_HIGH	(1u << 0)
#define BOOT_CAN_USE_HEAP	(1u << 7)
/* setup_header.xloadflags */
#define BOOT_XLF_KERNEL_64	(1u << 0)
#define BOOT_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

#define BOOT_LINUX_E820_MAX	128	/* E820_MAX_ENTRIES_ZEROPAGE */
#define BOOT_LINUX_LOADER_TYPE	0xff	/* "undefined" boot loader */
#define BOOT_LINUX_ENTRY64_OFF	0x200	/* 64-bit entry: load address + 0x200 */

/* Flat boot GDT selectors (boot.rst: __BOOT_CS, __BOOT_DS) and our TSS. */
#define BOOT_LINUX_CS		0x10
#define BOOT_LINUX_DS		0x18
#define BOOT_LINUX_TSS		0x20
#define BOOT_LINUX_GDT_ENTRIES	6	/* null, null, code, data, 16-byte TSS */

/* Identity map of [0, 4 GiB) with 2 MiB pages: PML4, PDPT, then 4 PDs. */
#define BOOT_LINUX_PML4		LAYOUT_BOOT_PGTABLE
#define BOOT_LINUX_PDPT		(LAYOUT_BOOT_PGTABLE + 0x1000)
#define BOOT_LINUX_PD		(LAYOUT_BOOT_PGTABLE + 0x2000)	/* 4 pages */
#define BOOT_LINUX_PGTABLE_SIZE	0x6000

/* The setup header as it sits at offset 0x1f1 of the image and of boot_params. */
struct boot_setup_header {
	uint8_t setup_sects;		/* 0x1f1; 0 means 4 */
	uint16_t root_flags;
	uint32_t syssize;		/* 0x1f4: protected-mode code, 16-byte units */
	uint16_t ram_size;
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;
	uint16_t boot_flag;		/* 0x1fe: 0xaa55 */
	uint16_t jump;			/* 0x200: header end = 0x202 + (jump >> 8) */
	uint32_t header;		/* 0x202: "HdrS" */
	uint16_t version;		/* 0x206 */
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c: highest address of the initrd's last byte */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238: max length without the NUL */
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260: bytes needed from the load address */
	uint32_t handover_offset;
	uint32_t kernel_info_offset;	/* 0x268 */
} __attribute__((packed));

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* E820_* */
} __attribute__((packed));

/* struct boot_params: only the fields a 64-bit boot loader fills are named. */
struct boot_params {
	uint8_t screen_info[0x40];
	uint8_t apm_bios_info[0x14];
	uint8_t pad2[4];
	uint64_t tboot_addr;		/* 0x058 */
	uint8_t ist_info[0x10];
	uint64_t acpi_rsdp_addr;	/* 0x070 (protocol 2.14) */
	uint8_t pad3[8];
	uint8_t hd_info[0x20];
	uint8_t sys_desc_table[0x10];
	uint8_t olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image;	/* 0x0c0 */
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad4[0x1e8 - 0xcc];
	uint8_t e820_entries;		/* 0x1e8 */
	uint8_t eddbuf_entries;
	uint8_t edd_mbr_sig_buf_entries;
	uint8_t kbd_status;
	uint8_t secure_boot;
	uint8_t pad5[2];
	uint8_t sentinel;		/* 0x1ef: must stay 0 */
	uint8_t pad6;
	struct boot_setup_header hdr;	/* 0x1f1 */
	uint8_t pad7[0x2d0 - 0x1f1 - sizeof(struct boot_setup_header)];
	struct boot_e820_entry e820_table[BOOT_LINUX_E820_MAX];	/* 0x2d0 */
	uint8_t pad8[0x1000 - 0xcd0];
} __attribute__((packed));

struct boot_linux_info {
	uint64_t entry;			/* RIP: load_addr + 0x200 */
	uint64_t zero_page;		/* RSI: GPA of boot_params */
	uint64_t load_addr;		/* GPA of the protected-mode kernel */
	uint64_t kernel_size;		/* bytes copied from the image */
	uint64_t footprint_end;		/* exclusive end of the init_size footprint */
	uint64_t initrd_gpa;		/* 0 when no initrd */
	uint64_t initrd_size;
	uint16_t version;		/* boot protocol version */
};

/*
 * Validate everything first, then write the image and boot data; nothing is
 * written on failure. args->rsdp becomes boot_params.acpi_rsdp_addr; a NULL
 * cmdline is empty (the caller applies BOOT_LINUX_DEFAULT_CMDLINE). Errors,
 * with a message in err: -ENOEXEC not a bzImage, protocol older than 2.12, no
 * 64-bit entry; -EINVAL truncated or malformed header (setup_sects, syssize,
 * alignment); -ENOSPC the kernel's init_size footprint or the initrd does not
 * fit in RAM; -E2BIG command line longer than cmdline_size; -EFAULT the boot
 * area is not host-backed.
 */
int boot_linux_load(struct memmap *mem, const struct boot_pvh_args *args,
		    struct boot_linux_info *info, char *err, size_t errlen);

/* Register state of the 64-bit entry (long mode, paging on, interrupts off,
 * flat __BOOT_CS/__BOOT_DS, RSI = zero page). sregs is modified in place so
 * fields KVM owns (APIC base, interrupt bitmap) are kept. */
void boot_linux_fill_regs(const struct boot_linux_info *info, struct kvm_regs *regs,
			  struct kvm_sregs *sregs);

/* KVM_GET_SREGS, boot_linux_fill_regs, KVM_SET_SREGS/REGS. 0 or -errno. */
int boot_linux_set_regs(int vcpu_fd, const struct boot_linux_info *info);

#endif
