// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux bzImage loader for the 64-bit boot protocol. The image is untrusted:
 * the setup header is copied out and checked against the file size, the load
 * address, init_size footprint, initrd and command line against the memory
 * map, all before the first byte is written. Then the kernel, boot_params,
 * E820 table, identity page tables and the flat boot GDT are written.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/boot_linux.h"
#include "vmm/memmap.h"

#define HDR_OFF			0x1f1
#define HDR_MIN_END		0x264	/* through init_size */
#define SETUP_MAX_SECTS		63	/* real-mode setup must fit in 32 KiB */
#define PAGE_SIZE		0x1000ULL
#define GIB			(1ULL << 30)
#define MIB2			(2ULL << 20)
#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)
#define HEAP_END		0xfe00	/* conventional; only the real-mode setup uses it */
#define MAX_REGIONS		256

_Static_assert(offsetof(struct boot_setup_header, syssize) == 0x1f4 - HDR_OFF, "syssize");
_Static_assert(offsetof(struct boot_setup_header, boot_flag) == 0x1fe - HDR_OFF, "boot_flag");
_Static_assert(offsetof(struct boot_setup_header, header) == 0x202 - HDR_OFF, "header");
_Static_assert(offsetof(struct boot_setup_header, version) == 0x206 - HDR_OFF, "version");
_Static_assert(offsetof(struct boot_setup_header, type_of_loader) == 0x210 - HDR_OFF, "tol");
_Static_assert(offsetof(struct boot_setup_header, loadflags) == 0x211 - HDR_OFF, "loadflags");
_Static_assert(offsetof(struct boot_setup_header, code32_start) == 0x214 - HDR_OFF, "code32");
_Static_assert(offsetof(struct boot_setup_header, ramdisk_image) == 0x218 - HDR_OFF, "rd");
_Static_assert(offsetof(struct boot_setup_header, heap_end_ptr) == 0x224 - HDR_OFF, "heap");
_Static_assert(offsetof(struct boot_setup_header, cmd_line_ptr) == 0x228 - HDR_OFF, "cmdline");
_Static_assert(offsetof(struct boot_setup_header, initrd_addr_max) == 0x22c - HDR_OFF, "rdmax");
_Static_assert(offsetof(struct boot_setup_header, kernel_alignment) == 0x230 - HDR_OFF, "align");
_Static_assert(offsetof(struct boot_setup_header, relocatable_kernel) == 0x234 - HDR_OFF, "rel");
_Static_assert(offsetof(struct boot_setup_header, xloadflags) == 0x236 - HDR_OFF, "xlf");
_Static_assert(offsetof(struct boot_setup_header, cmdline_size) == 0x238 - HDR_OFF, "clsize");
_Static_assert(offsetof(struct boot_setup_header, setup_data) == 0x250 - HDR_OFF, "setup_data");
_Static_assert(offsetof(struct boot_setup_header, pref_address) == 0x258 - HDR_OFF, "pref");
_Static_assert(offsetof(struct boot_setup_header, init_size) == 0x260 - HDR_OFF, "init_size");
_Static_assert(sizeof(struct boot_setup_header) == 0x26c - HDR_OFF, "setup_header size");
_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == HDR_OFF, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct boot_params) == 0x1000, "boot_params size");
_Static_assert(LAYOUT_ZERO_PAGE + sizeof(struct boot_params) <= LAYOUT_CMDLINE, "zero page");
_Static_assert(LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX <= LAYOUT_BOOT_PGTABLE, "cmdline area");
_Static_assert(BOOT_LINUX_PML4 + BOOT_LINUX_PGTABLE_SIZE <= LAYOUT_BOOT_GDT, "page tables");
_Static_assert(LAYOUT_BOOT_GDT + BOOT_LINUX_GDT_ENTRIES * 8 <= LAYOUT_BOOT_BASE + LAYOUT_BOOT_SIZE,
	       "boot GDT");

/* The image after header checks. */
struct bz_image {
	const uint8_t *data;
	size_t size;
	struct boot_setup_header hdr;	/* zero-extended to the full struct */
	size_t hdr_len;			/* header bytes present in the image */
	uint64_t kernel_off;		/* file offset of the protected-mode code */
	uint64_t kernel_size;
};

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Magic numbers, protocol version, then (once the header is known to be
 * complete) the capabilities the 64-bit entry needs. */
static int check_magic(const struct bz_image *img, char *err, size_t errlen)
{
	const struct boot_setup_header *h = &img->hdr;

	if (h->boot_flag != BOOT_FLAG_MAGIC || h->header != BOOT_HDR_MAGIC)
		return fail(err, errlen, -ENOEXEC, "not a bzImage (no 0xaa55/HdrS signature)");
	if (h->version < BOOT_LINUX_MIN_VERSION)
		return fail(err, errlen, -ENOEXEC, "boot protocol %u.%02u is too old (need 2.12+)",
			    h->version >> 8, h->version & 0xff);
	if (HDR_OFF + img->hdr_len < HDR_MIN_END)
		return fail(err, errlen, -EINVAL, "setup header ends at 0x%zx, before init_size",
			    HDR_OFF + img->hdr_len);
	if (!(h->loadflags & BOOT_LOADED_HIGH))
		return fail(err, errlen, -ENOEXEC, "zImage (not LOADED_HIGH) is not supported");
	if (!(h->xloadflags & BOOT_XLF_KERNEL_64))
		return fail(err, errlen, -ENOEXEC, "kernel has no 64-bit entry (XLF_KERNEL_64)");
	return 0;
}

/* Copy the header out and find the protected-mode kernel in the file. */
static int parse_image(struct bz_image *img, char *err, size_t errlen)
{
	size_t end, sects;
	uint64_t avail;
	int ret;

	if (img->size < 0x208)	/* through the version field */
		return fail(err, errlen, -EINVAL, "image of %zu bytes is truncated", img->size);
	end = 0x202 + (size_t)img->data[0x201];	/* the jump's displacement */
	if (end > img->size)
		end = img->size;
	img->hdr_len = end - HDR_OFF;
	if (img->hdr_len > sizeof(img->hdr))
		img->hdr_len = sizeof(img->hdr);
	memset(&img->hdr, 0, sizeof(img->hdr));
	memcpy(&img->hdr, img->data + HDR_OFF, img->hdr_len);
	ret = check_magic(img, err, errlen);
	if (ret)
		return ret;
	sects = img->hdr.setup_sects ? img->hdr.setup_sects : 4;
	if (sects > SETUP_MAX_SECTS)
		return fail(err, errlen, -EINVAL, "setup_sects %zu is absurd (max %d)", sects,
			    SETUP_MAX_SECTS);
	img->kernel_off = (sects + 1) * 512;
	if (img->kernel_off >= img->size)
		return fail(err, errlen, -EINVAL, "image of %zu bytes ends inside the setup code",
			    img->size);
	avail = img->size - img->kernel_off;
	img->kernel_size = (uint64_t)img->hdr.syssize * 16;
	/* syssize is rounded up to 16 bytes; the file may omit that tail. */
	if (!img->kernel_size || img->kernel_size > align_up(avail, 16))
		return fail(err, errlen, -EINVAL, "syssize 0x%x (%llu bytes) does not match the "
			    "%llu bytes after the setup code", img->hdr.syssize,
			    (unsigned long long)img->kernel_size, (unsigned long long)avail);
	if (img->kernel_size > avail)
		img->kernel_size = avail;
	return 0;
}

/* Host-backed RAM region holding all of [start, end)? */
static bool is_ram(const struct memmap *mem, uint64_t start, uint64_t end)
{
	struct memmap_region r;

	return end > start && !memmap_query(mem, start, end - start, &r) &&
	       r.kind == MEMMAP_RAM && r.hva;
}

/* Exclusive end of what the kernel needs from load: the file's code and the
 * init_size decompression area (after its realignment, or at pref_address
 * for a kernel that cannot move). 0 on overflow. */
static uint64_t footprint_end(const struct bz_image *img, uint64_t load)
{
	const struct boot_setup_header *h = &img->hdr;
	uint64_t base = load, end, code_end;

	if (h->relocatable_kernel)
		base = align_up(load, h->kernel_alignment);
	else if (h->pref_address > load)
		base = h->pref_address;
	if (__builtin_add_overflow(base, (uint64_t)h->init_size, &end) || base < load ||
	    __builtin_add_overflow(load, img->kernel_size, &code_end))
		return 0;
	return end > code_end ? end : code_end;
}

static int place_kernel(const struct memmap *mem, const struct bz_image *img,
			struct boot_linux_info *info, char *err, size_t errlen)
{
	const struct boot_setup_header *h = &img->hdr;
	uint64_t load = LAYOUT_HIGH_RAM_BASE, end;

	if (h->relocatable_kernel && (h->kernel_alignment < PAGE_SIZE ||
				      (h->kernel_alignment & (h->kernel_alignment - 1))))
		return fail(err, errlen, -EINVAL, "kernel_alignment 0x%x is not a power of two "
			    ">= 4 KiB", h->kernel_alignment);
	if (h->relocatable_kernel && h->pref_address >= LAYOUT_HIGH_RAM_BASE &&
	    !(h->pref_address & (h->kernel_alignment - 1))) {
		end = footprint_end(img, h->pref_address);
		if (end && end <= UINT32_MAX && is_ram(mem, h->pref_address, end))
			load = h->pref_address;
	}
	end = footprint_end(img, load);
	if (!end || !is_ram(mem, load, end))
		return fail(err, errlen, -ENOSPC, "kernel at 0x%llx needs RAM up to 0x%llx "
			    "(init_size 0x%x, pref_address 0x%llx): not enough guest memory",
			    (unsigned long long)load, (unsigned long long)end, h->init_size,
			    (unsigned long long)h->pref_address);
	info->load_addr = load;
	info->kernel_size = img->kernel_size;
	info->footprint_end = end;
	info->entry = load + BOOT_LINUX_ENTRY64_OFF;
	return 0;
}

/* Highest page-aligned spot for size bytes ending at or below top in
 * [r->start, top), avoiding the kernel footprint; 0 when none. */
static uint64_t initrd_spot(const struct memmap_region *r, uint64_t top, uint64_t size,
			    const struct boot_linux_info *info)
{
	uint64_t gpa;

	if (top - r->start < size)
		return 0;
	gpa = (top - size) & ~(PAGE_SIZE - 1);
	if (gpa < r->start)
		return 0;
	if (gpa < info->footprint_end && gpa + size > info->load_addr) {
		/* Collides with the kernel: try just below it. */
		if (info->load_addr <= r->start || info->load_addr - r->start < size)
			return 0;
		gpa = (info->load_addr - size) & ~(PAGE_SIZE - 1);
		if (gpa < r->start)
			return 0;
	}
	return gpa;
}

static int place_initrd(const struct memmap *mem, const struct bz_image *img,
			const struct boot_pvh_args *args, struct boot_linux_info *info,
			char *err, size_t errlen)
{
	struct memmap_region r[MAX_REGIONS];
	size_t n = memmap_snapshot(mem, r, MAX_REGIONS);
	uint64_t limit = (uint64_t)img->hdr.initrd_addr_max + 1, gpa = 0;

	if (!args->initrd || !args->initrd_size)
		return 0;
	if (limit > 1ULL << 32)
		limit = 1ULL << 32;
	for (size_t i = n < MAX_REGIONS ? n : MAX_REGIONS; i-- > 0 && !gpa;) {
		uint64_t top = r[i].last + 1 < limit ? r[i].last + 1 : limit;

		if (r[i].kind != MEMMAP_RAM || !r[i].hva || r[i].start < LAYOUT_HIGH_RAM_BASE ||
		    r[i].start >= top)
			continue;
		gpa = initrd_spot(&r[i], top, args->initrd_size, info);
	}
	if (!gpa)
		return fail(err, errlen, -ENOSPC, "initrd of %zu bytes does not fit in RAM below "
			    "0x%llx beside the kernel", args->initrd_size, (unsigned long long)limit);
	info->initrd_gpa = gpa;
	info->initrd_size = args->initrd_size;
	return 0;
}

/* Host pointer for VMM-written boot data (reserved or RAM, host-backed). */
static void *boot_area(struct memmap *mem, uint64_t gpa, uint64_t len)
{
	struct memmap_region r;

	if (memmap_query(mem, gpa, len, &r) || !r.hva ||
	    (r.kind != MEMMAP_RESERVED && r.kind != MEMMAP_RAM))
		return NULL;
	return (uint8_t *)r.hva + (gpa - r.start);
}

static uint8_t build_e820(const struct memmap *mem, struct boot_e820_entry *e)
{
	struct memmap_region r[MAX_REGIONS];
	size_t n = memmap_snapshot(mem, r, MAX_REGIONS);
	unsigned k = 0;

	for (size_t i = 0; i < n && i < MAX_REGIONS && k < BOOT_LINUX_E820_MAX; i++) {
		uint32_t type = boot_e820_type(&r[i]);

		if (type)
			e[k++] = (struct boot_e820_entry){
				.addr = r[i].start, .size = r[i].last - r[i].start + 1, .type = type };
	}
	return (uint8_t)k;
}

static void write_zero_page(struct memmap *mem, const struct bz_image *img,
			    const struct boot_pvh_args *args, const struct boot_linux_info *info,
			    struct boot_params *bp)
{
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &img->hdr, img->hdr_len);
	bp->hdr.type_of_loader = BOOT_LINUX_LOADER_TYPE;
	bp->hdr.vid_mode = 0xffff;
	bp->hdr.loadflags |= BOOT_CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = HEAP_END;
	bp->hdr.code32_start = (uint32_t)info->load_addr;
	bp->hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	bp->hdr.ramdisk_image = (uint32_t)info->initrd_gpa;
	bp->hdr.ramdisk_size = (uint32_t)info->initrd_size;
	bp->hdr.setup_data = 0;		/* no setup_data chain from the file */
	bp->acpi_rsdp_addr = args->rsdp;
	bp->e820_entries = build_e820(mem, bp->e820_table);
}

/* Identity map [0, 4 GiB) with 2 MiB pages. */
static void write_page_tables(uint64_t *pt)
{
	uint64_t *pml4 = pt, *pdpt = pt + 512, *pd = pt + 1024;

	memset(pt, 0, BOOT_LINUX_PGTABLE_SIZE);
	pml4[0] = BOOT_LINUX_PDPT | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (BOOT_LINUX_PD + i * PAGE_SIZE) | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = (uint64_t)i * MIB2 | PTE_P | PTE_RW | PTE_PS;
}

static void write_gdt(uint64_t *gdt)
{
	static const uint64_t entries[BOOT_LINUX_GDT_ENTRIES] = {
		[BOOT_LINUX_CS / 8] = 0x00af9b000000ffffULL,	/* 64-bit code, DPL 0 */
		[BOOT_LINUX_DS / 8] = 0x00cf93000000ffffULL,	/* flat 4 GiB data */
		[BOOT_LINUX_TSS / 8] = 0x00008b0000000067ULL,	/* busy TSS, base 0 */
	};

	memcpy(gdt, entries, sizeof(entries));
}

static int write_all(struct memmap *mem, const struct bz_image *img,
		     const struct boot_pvh_args *args, const struct boot_linux_info *info,
		     const char *cmdline, char *err, size_t errlen)
{
	struct boot_params *bp = boot_area(mem, LAYOUT_ZERO_PAGE, sizeof(*bp));
	char *cl = boot_area(mem, LAYOUT_CMDLINE, strlen(cmdline) + 1);
	void *pt = boot_area(mem, BOOT_LINUX_PML4, BOOT_LINUX_PGTABLE_SIZE);
	void *gdt = boot_area(mem, LAYOUT_BOOT_GDT, BOOT_LINUX_GDT_ENTRIES * 8);
	uint8_t *kernel = memmap_hva(mem, info->load_addr, info->kernel_size, true);
	uint8_t *initrd = NULL;

	if (info->initrd_size)
		initrd = memmap_hva(mem, info->initrd_gpa, info->initrd_size, true);
	if (!bp || !cl || !pt || !gdt || !kernel || (info->initrd_size && !initrd))
		return fail(err, errlen, -EFAULT, "boot area [0, 0x%llx) is not host-backed",
			    (unsigned long long)LAYOUT_BOOT_SIZE);
	memcpy(kernel, img->data + img->kernel_off, info->kernel_size);
	if (initrd)
		memcpy(initrd, args->initrd, info->initrd_size);
	write_zero_page(mem, img, args, info, bp);
	memcpy(cl, cmdline, strlen(cmdline) + 1);
	write_page_tables(pt);
	write_gdt(gdt);
	return 0;
}

int boot_linux_load(struct memmap *mem, const struct boot_pvh_args *args,
		    struct boot_linux_info *info, char *err, size_t errlen)
{
	struct bz_image img = { .data = args->image, .size = args->image_size };
	const char *cmdline = args->cmdline ? args->cmdline : "";
	size_t clen = strlen(cmdline);
	int ret;

	memset(info, 0, sizeof(*info));
	if (!img.data)
		return fail(err, errlen, -EINVAL, "no image");
	ret = parse_image(&img, err, errlen);
	if (ret)
		return ret;
	if (clen > img.hdr.cmdline_size || clen >= LAYOUT_CMDLINE_MAX)
		return fail(err, errlen, -E2BIG, "command line of %zu bytes is longer than the "
			    "kernel's cmdline_size %u", clen, img.hdr.cmdline_size);
	ret = place_kernel(mem, &img, info, err, errlen);
	if (!ret)
		ret = place_initrd(mem, &img, args, info, err, errlen);
	if (!ret)
		ret = write_all(mem, &img, args, info, cmdline, err, errlen);
	if (ret)
		return ret;
	info->zero_page = LAYOUT_ZERO_PAGE;
	info->version = img.hdr.version;
	return 0;
}

static struct kvm_segment boot_seg(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffffu, .selector = sel, .type = type, .present = 1,
		.dpl = 0, .db = !code64, .s = 1, .l = code64, .g = 1,
	};
}

void boot_linux_fill_regs(const struct boot_linux_info *info, struct kvm_regs *regs,
			  struct kvm_sregs *sregs)
{
	*regs = (struct kvm_regs){ .rflags = 0x2, .rip = info->entry, .rsi = info->zero_page };
	sregs->cs = boot_seg(BOOT_LINUX_CS, 0xb, true);		/* execute/read, accessed */
	sregs->ds = boot_seg(BOOT_LINUX_DS, 0x3, false);	/* read/write, accessed */
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->tr = (struct kvm_segment){ .limit = 0x67, .selector = BOOT_LINUX_TSS, .type = 0xb,
					  .present = 1 };
	sregs->ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .unusable = 1 };
	sregs->gdt.base = LAYOUT_BOOT_GDT;
	sregs->gdt.limit = BOOT_LINUX_GDT_ENTRIES * 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = 0x80000031;	/* PG | NE | ET | PE */
	sregs->cr3 = BOOT_LINUX_PML4;
	sregs->cr4 = 0x20;		/* PAE */
	sregs->efer = 0x500;		/* LMA | LME */
}

int boot_linux_set_regs(int vcpu_fd, const struct boot_linux_info *info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	boot_linux_fill_regs(info, &regs, &sregs);
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}
