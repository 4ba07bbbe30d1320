// SPDX-License-Identifier: GPL-2.0-only
/*
 * bzImage loader tests against images synthesized here (a setup header and a
 * patterned payload) with a malloc'd buffer as guest RAM behind the real
 * ioshade memory map: where the kernel and initrd land, what boot_params,
 * E820, page tables, GDT and entry registers say, and that every hostile
 * image is refused with its -errno without a single byte written.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/boot.h"
#include "vmm/boot_linux.h"
#include "app/config.h"
#include "vmm/layout.h"
#include "app/machine.h"
#include "vmm/memmap.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define RAM_SIZE	(64ULL << 20)
#define GUARD		4096		/* poisoned bytes after RAM: must stay so */
#define POISON		0xcc
#define SETUP_SECTS	4
#define KERNEL_OFF	((SETUP_SECTS + 1) * 512)
#define PAYLOAD		0x3000
#define IMG_SIZE	(KERNEL_OFF + PAYLOAD)
#define PREF		0x1000000ULL	/* 16 MiB */
#define INIT_SIZE	0x800000u	/* 8 MiB */
#define HDR_END		0x26c
#define BAR_GPA		0xc0000000ULL

struct fixture {
	struct memmap *map;
	uint8_t *ram;
	uint8_t img[IMG_SIZE];
	size_t size;
	uint8_t initrd[0x2345];
	struct boot_pvh_args args;
	struct boot_linux_info info;
	char err[256];
};

static struct boot_setup_header *hdr(struct fixture *f)
{
	return (struct boot_setup_header *)(f->img + 0x1f1);
}

/* A valid relocatable 2.15 bzImage: payload byte i is (i * 7) & 0xff. */
static void build_image(struct fixture *f)
{
	struct boot_setup_header h = {
		.setup_sects = SETUP_SECTS, .syssize = PAYLOAD / 16, .boot_flag = BOOT_FLAG_MAGIC,
		.jump = 0xeb | ((HDR_END - 0x202) << 8), .header = BOOT_HDR_MAGIC,
		.version = 0x020f, .loadflags = BOOT_LOADED_HIGH,
		.initrd_addr_max = 0x7fffffff, .kernel_alignment = 0x200000,
		.relocatable_kernel = 1, .xloadflags = BOOT_XLF_KERNEL_64 |
		BOOT_XLF_CAN_BE_LOADED_ABOVE_4G, .cmdline_size = 2047, .pref_address = PREF,
		.init_size = INIT_SIZE,
	};

	memset(f->img, 0, sizeof(f->img));
	memcpy(f->img + 0x1f1, &h, sizeof(h));
	for (size_t i = 0; i < PAYLOAD; i++)
		f->img[KERNEL_OFF + i] = (uint8_t)(i * 7);
	f->size = IMG_SIZE;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = malloc(RAM_SIZE + GUARD);
	f->map = memmap_create();
	if (!f->ram || !f->map || vm_memmap_fill(f->map, f->ram, RAM_SIZE))
		return -1;
	/* A BAR in the 32-bit window: E820 must not list it. */
	if (memmap_add(f->map, BAR_GPA, 0x1000, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar"))
		return -1;
	memset(f->ram, POISON, RAM_SIZE + GUARD);
	for (size_t i = 0; i < sizeof(f->initrd); i++)
		f->initrd[i] = (uint8_t)(i ^ 0x5a);
	build_image(f);
	f->args = (struct boot_pvh_args){ .image = f->img, .image_size = f->size,
					  .cmdline = "console=ttyS0 quiet", .rsdp = LAYOUT_ACPI_BASE };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	memmap_destroy(f->map);
	free(f->ram);
	free(f);
	return 0;
}

static int load(struct fixture *f)
{
	f->args.image_size = f->size;
	return boot_linux_load(f->map, &f->args, &f->info, f->err, sizeof(f->err));
}

static void load_ok(struct fixture *f)
{
	int ret = load(f);

	if (ret)
		fail_msg("boot_linux_load: %d (%s)", ret, f->err);
}

static bool untouched(const struct fixture *f, uint64_t start, uint64_t end)
{
	for (uint64_t i = start; i < end; i++)
		if (f->ram[i] != POISON)
			return false;
	return true;
}

static void expect_errno(struct fixture *f, int want)
{
	int ret = load(f);

	if (ret != want)
		fail_msg("expected %d, got %d (%s)", want, ret, f->err);
	assert_true(f->err[0] != '\0');
	assert_true(untouched(f, 0, RAM_SIZE + GUARD));
}

static const struct boot_params *zero_page(const struct fixture *f)
{
	return (const struct boot_params *)(f->ram + LAYOUT_ZERO_PAGE);
}

static void test_detects_bzimage(void **state)
{
	struct fixture *f = *state;

	assert_true(boot_is_bzimage(f->img, f->size));
	f->img[0x1fe] = 0;
	assert_false(boot_is_bzimage(f->img, f->size));
	f->img[0x1fe] = 0x55;
	assert_false(boot_is_bzimage(f->img, 0x205));
}

static void test_loads_at_pref_address(void **state)
{
	struct fixture *f = *state;

	load_ok(f);
	assert_int_equal(f->info.load_addr, PREF);
	assert_int_equal(f->info.entry, PREF + 0x200);
	assert_int_equal(f->info.zero_page, LAYOUT_ZERO_PAGE);
	assert_int_equal(f->info.kernel_size, PAYLOAD);
	assert_int_equal(f->info.footprint_end, PREF + INIT_SIZE);
	assert_memory_equal(f->ram + PREF, f->img + KERNEL_OFF, PAYLOAD);
	assert_true(untouched(f, PREF + PAYLOAD, PREF + PAYLOAD + 0x1000));
	assert_true(untouched(f, RAM_SIZE, RAM_SIZE + GUARD));
}

static void test_boot_params_fields(void **state)
{
	struct fixture *f = *state;
	const struct boot_params *bp = zero_page(f);

	load_ok(f);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_string_equal((const char *)f->ram + LAYOUT_CMDLINE, "console=ttyS0 quiet");
	assert_int_equal(bp->hdr.vid_mode, 0xffff);
	assert_int_equal(bp->hdr.code32_start, PREF);
	assert_int_equal(bp->hdr.header, BOOT_HDR_MAGIC);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.init_size, INIT_SIZE);
	assert_true(bp->hdr.loadflags & BOOT_LOADED_HIGH);
	assert_true(bp->hdr.loadflags & BOOT_CAN_USE_HEAP);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	assert_int_equal(bp->hdr.ramdisk_size, 0);
	assert_int_equal(bp->acpi_rsdp_addr, LAYOUT_ACPI_BASE);
	assert_int_equal(bp->sentinel, 0);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	/* Only the header is copied: the rest of the page is zero. */
	for (size_t i = 0; i < 0x1e8; i++)
		if (i < 0x70 || i >= 0x78)
			assert_int_equal(((const uint8_t *)bp)[i], 0);
}

/* Every non-BAR memmap region appears once, in order, with its E820 type. */
static void test_e820_matches_memmap(void **state)
{
	struct fixture *f = *state;
	const struct boot_params *bp = zero_page(f);
	struct memmap_region r[64];
	size_t n = memmap_snapshot(f->map, r, 64);
	unsigned k = 0;
	bool saw_ecam = false;

	load_ok(f);
	for (size_t i = 0; i < n; i++) {
		uint32_t want = r[i].kind == MEMMAP_RAM ? E820_RAM :
				r[i].kind == MEMMAP_ROM ? E820_ACPI : E820_RESERVED;

		if (r[i].flags & MEMMAP_F_BAR)
			continue;
		assert_true(k < bp->e820_entries);
		assert_int_equal(bp->e820_table[k].addr, r[i].start);
		assert_int_equal(bp->e820_table[k].size, r[i].last - r[i].start + 1);
		assert_int_equal(bp->e820_table[k].type, want);
		saw_ecam |= r[i].start == LAYOUT_ECAM_BASE && want == E820_RESERVED;
		k++;
	}
	assert_int_equal(bp->e820_entries, k);
	assert_true(saw_ecam);
	for (unsigned i = 0; i < bp->e820_entries; i++)
		assert_true(bp->e820_table[i].addr + bp->e820_table[i].size <= BAR_GPA ||
			    bp->e820_table[i].addr > BAR_GPA);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].type, E820_RESERVED);	/* boot data */
}

static void test_nonrelocatable_at_1mib(void **state)
{
	struct fixture *f = *state;

	hdr(f)->relocatable_kernel = 0;
	load_ok(f);
	assert_int_equal(f->info.load_addr, LAYOUT_HIGH_RAM_BASE);
	assert_int_equal(f->info.entry, LAYOUT_HIGH_RAM_BASE + 0x200);
	/* It decompresses at its fixed pref_address. */
	assert_int_equal(f->info.footprint_end, PREF + INIT_SIZE);
	assert_memory_equal(f->ram + LAYOUT_HIGH_RAM_BASE, f->img + KERNEL_OFF, PAYLOAD);
	assert_true(untouched(f, PREF, PREF + PAYLOAD));
}

static void test_pref_beyond_ram_falls_back(void **state)
{
	struct fixture *f = *state;

	hdr(f)->pref_address = RAM_SIZE - 0x200000;	/* aligned, but init_size won't fit */
	load_ok(f);
	assert_int_equal(f->info.load_addr, LAYOUT_HIGH_RAM_BASE);
	/* Relocated at run time to the next kernel_alignment boundary. */
	assert_int_equal(f->info.footprint_end, 0x200000 + INIT_SIZE);
}

static void test_syssize_rounding_tail(void **state)
{
	struct fixture *f = *state;

	f->size = IMG_SIZE - 9;		/* syssize still covers it, rounded up */
	load_ok(f);
	assert_int_equal(f->info.kernel_size, PAYLOAD - 9);
	assert_memory_equal(f->ram + PREF, f->img + KERNEL_OFF, PAYLOAD - 9);
	assert_true(untouched(f, PREF + PAYLOAD - 9, PREF + PAYLOAD));
}

static void check_initrd(struct fixture *f, uint64_t limit)
{
	const struct boot_params *bp = zero_page(f);
	uint64_t gpa = f->info.initrd_gpa;

	assert_int_equal(gpa & 0xfff, 0);
	assert_true(gpa + sizeof(f->initrd) <= limit);
	/* Highest spot: one page higher would not fit under the limit. */
	assert_true(gpa + 0x1000 + sizeof(f->initrd) > limit);
	assert_true(gpa + sizeof(f->initrd) <= f->info.load_addr ||
		    gpa >= f->info.footprint_end);
	assert_int_equal(bp->hdr.ramdisk_image, gpa);
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(f->initrd));
	assert_memory_equal(f->ram + gpa, f->initrd, sizeof(f->initrd));
}

static void test_initrd_at_top_of_ram(void **state)
{
	struct fixture *f = *state;

	f->args.initrd = f->initrd;
	f->args.initrd_size = sizeof(f->initrd);
	load_ok(f);
	assert_int_equal(f->info.initrd_size, sizeof(f->initrd));
	check_initrd(f, RAM_SIZE);
}

static void test_initrd_below_addr_max(void **state)
{
	struct fixture *f = *state;

	hdr(f)->initrd_addr_max = 0x2ffffff;		/* 48 MiB - 1 */
	f->args.initrd = f->initrd;
	f->args.initrd_size = sizeof(f->initrd);
	load_ok(f);
	check_initrd(f, 0x3000000);
}

static void test_initrd_goes_below_kernel(void **state)
{
	struct fixture *f = *state;

	/* The space under initrd_addr_max ends inside the kernel's footprint. */
	hdr(f)->initrd_addr_max = PREF + INIT_SIZE / 2 - 1;
	f->args.initrd = f->initrd;
	f->args.initrd_size = sizeof(f->initrd);
	load_ok(f);
	check_initrd(f, PREF);
}

static void test_initrd_too_large(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[1];

	hdr(f)->initrd_addr_max = 0x3ffffff;		/* 64 MiB - 1 */
	f->args.initrd = big;
	f->args.initrd_size = 48ULL << 20;	/* never read: rejected first */
	expect_errno(f, -ENOSPC);
}

/* Walk the boot page tables for gpa; returns the physical address it maps
 * to, or UINT64_MAX when a level is not present. */
static uint64_t walk(const struct fixture *f, uint64_t va)
{
	const uint64_t *pml4 = (const uint64_t *)(f->ram + BOOT_LINUX_PML4);
	uint64_t e = pml4[(va >> 39) & 511], *pdpt, *pd;

	if (!(e & 1) || (e & 0xff) != 3)
		return UINT64_MAX;
	pdpt = (uint64_t *)(f->ram + (e & ~0xfffULL));
	e = pdpt[(va >> 30) & 511];
	if (!(e & 1) || (e & 0x80))
		return UINT64_MAX;
	pd = (uint64_t *)(f->ram + (e & ~0xfffULL));
	e = pd[(va >> 21) & 511];
	if ((e & 0x83) != 0x83)
		return UINT64_MAX;
	return (e & ~0x1fffffULL) + (va & 0x1fffff);
}

static void test_page_tables_identity_4g(void **state)
{
	struct fixture *f = *state;
	const uint64_t *pml4 = (const uint64_t *)(f->ram + BOOT_LINUX_PML4);
	const uint64_t *pdpt = (const uint64_t *)(f->ram + BOOT_LINUX_PDPT);

	load_ok(f);
	for (uint64_t va = 0; va < (4ULL << 30); va += 0x200000 - 0x1001)
		assert_int_equal(walk(f, va), va);
	assert_int_equal(walk(f, 0xffffffffULL), 0xffffffffULL);
	assert_int_equal(walk(f, 4ULL << 30), UINT64_MAX);
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(pml4[i], 0);
	for (unsigned i = 4; i < 512; i++)
		assert_int_equal(pdpt[i], 0);
	assert_true(BOOT_LINUX_PML4 + BOOT_LINUX_PGTABLE_SIZE <= LAYOUT_BOOT_GDT);
}

struct desc {
	uint32_t base, limit;
	unsigned type, s, dpl, p, l, db, g;
};

static struct desc decode(uint64_t d)
{
	return (struct desc){
		.base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) << 24)),
		.limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16)),
		.type = (d >> 40) & 0xf, .s = (d >> 44) & 1, .dpl = (d >> 45) & 3,
		.p = (d >> 47) & 1, .l = (d >> 53) & 1, .db = (d >> 54) & 1, .g = (d >> 55) & 1,
	};
}

/* The hidden segment state KVM gets must match the GDT descriptor. */
static void check_seg(const struct kvm_segment *s, uint64_t raw, uint16_t sel)
{
	struct desc d = decode(raw);

	assert_int_equal(s->selector, sel);
	assert_int_equal(s->type, d.type);
	assert_int_equal(s->s, d.s);
	assert_int_equal(s->present, d.p);
	assert_int_equal(s->dpl, d.dpl);
	assert_int_equal(s->l, d.l);
	assert_int_equal(s->db, d.db);
	assert_int_equal(s->g, d.g);
	assert_int_equal(s->base, d.base);
	assert_int_equal(s->limit, d.g ? (d.limit << 12) | 0xfff : d.limit);
}

static void test_gdt_and_registers(void **state)
{
	struct fixture *f = *state;
	const uint64_t *gdt = (const uint64_t *)(f->ram + LAYOUT_BOOT_GDT);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct desc cs, ds;

	load_ok(f);
	cs = decode(gdt[BOOT_LINUX_CS / 8]);
	ds = decode(gdt[BOOT_LINUX_DS / 8]);
	assert_int_equal(gdt[0], 0);
	assert_true(cs.p && cs.s && cs.l && !cs.db && (cs.type & 0x8) && cs.dpl == 0);
	assert_true(ds.p && ds.s && !(ds.type & 0x8) && (ds.type & 0x2) && ds.dpl == 0);
	assert_int_equal(ds.base, 0);
	assert_int_equal(ds.limit, 0xfffff);
	memset(&sregs, 0xa5, sizeof(sregs));
	sregs.apic_base = 0xfee00900;
	boot_linux_fill_regs(&f->info, &regs, &sregs);
	check_seg(&sregs.cs, gdt[BOOT_LINUX_CS / 8], BOOT_LINUX_CS);
	check_seg(&sregs.ds, gdt[BOOT_LINUX_DS / 8], BOOT_LINUX_DS);
	check_seg(&sregs.ss, gdt[BOOT_LINUX_DS / 8], BOOT_LINUX_DS);
	check_seg(&sregs.es, gdt[BOOT_LINUX_DS / 8], BOOT_LINUX_DS);
	assert_int_equal(sregs.tr.selector, BOOT_LINUX_TSS);
	assert_int_equal(decode(gdt[BOOT_LINUX_TSS / 8]).type, sregs.tr.type);
	assert_int_equal(sregs.gdt.base, LAYOUT_BOOT_GDT);
	assert_int_equal(sregs.gdt.limit, BOOT_LINUX_GDT_ENTRIES * 8 - 1);
	assert_int_equal(sregs.cr3, BOOT_LINUX_PML4);
	assert_int_equal(sregs.cr0 & 0x80000031, 0x80000031);	/* PG NE ET PE */
	assert_true(sregs.cr4 & 0x20);				/* PAE */
	assert_int_equal(sregs.efer & 0x500, 0x500);		/* LMA LME */
	assert_int_equal(sregs.apic_base, 0xfee00900);		/* kept */
	assert_int_equal(regs.rip, PREF + 0x200);
	assert_int_equal(regs.rsi, LAYOUT_ZERO_PAGE);
	assert_int_equal(regs.rflags & (1u << 9), 0);		/* IF clear */
	assert_int_equal(regs.rflags & 2, 2);
}

/* After a load, only the kernel, zero page, command line, page tables, GDT
 * and initrd may have changed. */
static void test_writes_only_expected_areas(void **state)
{
	struct fixture *f = *state;
	uint64_t clend = LAYOUT_CMDLINE + strlen(f->args.cmdline) + 1;
	uint64_t rd, rd_end;

	f->args.initrd = f->initrd;
	f->args.initrd_size = sizeof(f->initrd);
	load_ok(f);
	rd = f->info.initrd_gpa;
	rd_end = rd + sizeof(f->initrd);
	assert_true(untouched(f, 0, LAYOUT_ZERO_PAGE));
	assert_true(untouched(f, clend, BOOT_LINUX_PML4));
	assert_true(untouched(f, LAYOUT_BOOT_GDT + BOOT_LINUX_GDT_ENTRIES * 8, PREF));
	assert_true(untouched(f, PREF + PAYLOAD, rd));
	assert_true(untouched(f, rd_end, RAM_SIZE + GUARD));
}

static void test_cmdline_limits(void **state)
{
	struct fixture *f = *state;

	hdr(f)->cmdline_size = 10;
	f->args.cmdline = "0123456789";		/* exactly cmdline_size */
	load_ok(f);
	assert_string_equal((const char *)f->ram + LAYOUT_CMDLINE, "0123456789");
	memset(f->ram, POISON, RAM_SIZE + GUARD);
	f->args.cmdline = "0123456789a";
	expect_errno(f, -E2BIG);
	f->args.cmdline = NULL;			/* empty */
	load_ok(f);
	assert_int_equal(f->ram[LAYOUT_CMDLINE], 0);
}

/* Hostile or unsupported images: one mutation each, with the errno. */
struct bad_case {
	const char *name;
	void (*mutate)(struct fixture *f);
	int err;
};

static void old_protocol(struct fixture *f) { hdr(f)->version = 0x020b; }
static void no_kernel64(struct fixture *f) { hdr(f)->xloadflags = BOOT_XLF_CAN_BE_LOADED_ABOVE_4G; }
static void not_loaded_high(struct fixture *f) { hdr(f)->loadflags = 0; }
static void bad_magic(struct fixture *f) { hdr(f)->header = 0x53726447; }
static void bad_boot_flag(struct fixture *f) { hdr(f)->boot_flag = 0; }
static void truncated(struct fixture *f) { f->size = 0x1f8; }
static void truncated_header(struct fixture *f) { f->size = 0x230; }
static void short_header(struct fixture *f) { f->img[0x201] = 0x3a; }	/* ends at 0x23c */
static void setup_absurd(struct fixture *f) { hdr(f)->setup_sects = 200; }
static void setup_past_file(struct fixture *f) { hdr(f)->setup_sects = 40; }
static void syssize_beyond(struct fixture *f) { hdr(f)->syssize = PAYLOAD / 16 + 2; }
static void syssize_huge(struct fixture *f) { hdr(f)->syssize = 0xffffffffu; }
static void syssize_zero(struct fixture *f) { hdr(f)->syssize = 0; }
static void cut_payload(struct fixture *f) { f->size = KERNEL_OFF + PAYLOAD / 2; }
static void init_too_big(struct fixture *f) { hdr(f)->init_size = 0x7ff00000; }
static void align_bad(struct fixture *f) { hdr(f)->kernel_alignment = 0x300000; }
static void pref_wraps(struct fixture *f)
{
	hdr(f)->relocatable_kernel = 0;
	hdr(f)->pref_address = 0xfffffffffff00000ULL;
}
static void cmdline_size0(struct fixture *f) { hdr(f)->cmdline_size = 0; }

static const struct bad_case bad_cases[] = {
	{ "protocol 2.11", old_protocol, -ENOEXEC },
	{ "no XLF_KERNEL_64", no_kernel64, -ENOEXEC },
	{ "zImage", not_loaded_high, -ENOEXEC },
	{ "bad HdrS", bad_magic, -ENOEXEC },
	{ "bad boot_flag", bad_boot_flag, -ENOEXEC },
	{ "truncated before version", truncated, -EINVAL },
	{ "truncated inside header", truncated_header, -EINVAL },
	{ "header ends before init_size", short_header, -EINVAL },
	{ "setup_sects 200", setup_absurd, -EINVAL },
	{ "setup code past the file", setup_past_file, -EINVAL },
	{ "syssize beyond file", syssize_beyond, -EINVAL },
	{ "syssize 0xffffffff", syssize_huge, -EINVAL },
	{ "syssize 0", syssize_zero, -EINVAL },
	{ "payload cut in half", cut_payload, -EINVAL },
	{ "init_size beyond RAM", init_too_big, -ENOSPC },
	{ "kernel_alignment 3 MiB", align_bad, -EINVAL },
	{ "pref_address wraps", pref_wraps, -ENOSPC },
	{ "cmdline_size 0", cmdline_size0, -E2BIG },
};

static void test_rejects_bad_images(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		build_image(f);
		f->err[0] = '\0';
		bad_cases[i].mutate(f);
		print_message("  %s\n", bad_cases[i].name);
		expect_errno(f, bad_cases[i].err);
	}
}

static void test_rejects_small_ram(void **state)
{
	struct fixture *f = *state;
	struct memmap *small = memmap_create();

	/* 8 MiB of RAM: neither 16 MiB nor 1 MiB + init_size fit. */
	assert_non_null(small);
	assert_int_equal(vm_memmap_fill(small, f->ram, 8ULL << 20), 0);
	f->args.image_size = f->size;
	assert_int_equal(boot_linux_load(small, &f->args, &f->info, f->err, sizeof(f->err)),
			 -ENOSPC);
	memmap_destroy(small);
	assert_true(untouched(f, 0, RAM_SIZE + GUARD));
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
				     uint32_t idx)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	fail_msg("leaf 0x%x.%u missing", fn, idx);
	return NULL;
}

static void test_cpuid_fixup(void **state)
{
	struct kvm_cpuid_entry2 e[] = {
		{ .function = 1, .ebx = 0xff0a0800, .edx = 1u << 28 },
		{ .function = 4, .eax = 0xfc000121 },
		{ .function = 0xb, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100 },
		{ .function = 0xb, .index = 1, .eax = 7, .ebx = 64, .ecx = 0x201 },
		{ .function = 0xb, .index = 2, .eax = 9, .ebx = 9, .ecx = 0x302 },
		{ .function = 0x1f, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100 },
		{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
		{ .function = 0x80000008, .ecx = 0x7007 },
		{ .function = 0x8000001e, .eax = 9, .ebx = 0x109 },
	};
	unsigned n = sizeof(e) / sizeof(e[0]);

	(void)state;
	vcpu_cpuid_fixup(e, n, 5, 6);
	assert_int_equal(find(e, n, 1, 0)->ebx >> 24, 5);
	assert_int_equal((find(e, n, 1, 0)->ebx >> 16) & 0xff, 6);
	assert_true(find(e, n, 1, 0)->ecx & (1u << 31));
	assert_int_equal(find(e, n, 4, 0)->eax, 0x1c000121);	/* 8 - 1 cores, rest kept */
	assert_int_equal(find(e, n, 0xb, 0)->edx, 5);
	assert_int_equal(find(e, n, 0xb, 0)->ebx, 1);
	assert_int_equal(find(e, n, 0xb, 1)->eax, 3);		/* 6 ids need 3 bits */
	assert_int_equal(find(e, n, 0xb, 1)->ebx, 6);
	assert_int_equal(find(e, n, 0xb, 1)->ecx, 0x201);
	assert_int_equal(find(e, n, 0xb, 2)->ecx, 2);		/* level type 0: end */
	assert_int_equal(find(e, n, 0xb, 2)->edx, 5);
	assert_int_equal(find(e, n, 0x1f, 0)->edx, 5);
	assert_int_equal(find(e, n, 0x40000000, 0)->ebx, 0x4b4d564b);	/* untouched */
	assert_int_equal(find(e, n, 0x80000008, 0)->ecx, 0x3005);
	assert_int_equal(find(e, n, 0x8000001e, 0)->eax, 5);
	vcpu_cpuid_fixup(e, n, 0, 1);
	assert_int_equal(find(e, n, 1, 0)->edx & (1u << 28), 0);	/* no HTT alone */
	assert_int_equal(find(e, n, 0xb, 1)->eax, 0);
}

/* A real kernel, when one is around: the loader must accept it. */
static void test_real_bzimage(void **state)
{
	struct fixture *f = *state;
	const char *path = getenv("IOSHADE_TEST_BZIMAGE");
	void *img;
	size_t size;
	uint8_t *ram;
	struct memmap *map;

	if (!path || !path[0]) {
		print_message("IOSHADE_TEST_BZIMAGE not set: skipping the real-kernel check\n");
		skip();
	}
	assert_int_equal(boot_read_file(path, 256u << 20, &img, &size, f->err, sizeof(f->err)), 0);
	ram = calloc(1, 512ULL << 20);
	map = memmap_create();
	assert_true(ram && map && !vm_memmap_fill(map, ram, 512ULL << 20));
	f->args.image = img;
	f->args.image_size = size;
	if (boot_linux_load(map, &f->args, &f->info, f->err, sizeof(f->err)))
		fail_msg("%s: %s", path, f->err);
	print_message("  %s: protocol %x, loaded at 0x%llx, footprint to 0x%llx\n", path,
		      f->info.version, (unsigned long long)f->info.load_addr,
		      (unsigned long long)f->info.footprint_end);
	assert_int_equal(walk(&(struct fixture){ .ram = ram }, f->info.entry), f->info.entry);
	memmap_destroy(map);
	free(ram);
	free(img);
}

/*
 * 64-bit code for the entry at +0x200: checks "HdrS" at RSI+0x202, DS 0x18,
 * CS 0x10, EFER.LMA, a store/load at 1279 MiB (second PDPT entry), then
 * prints "OK\n" on COM1 and writes 0x21 to the debug-exit port; 0x7e on any
 * failed check.
 */
static const uint8_t entry64[] = {
	0x81, 0xbe, 0x02, 0x02, 0x00, 0x00, 0x48, 0x64, 0x72, 0x53,	/* cmpl $HdrS,0x202(%rsi) */
	0x75, 0x48,					/* jne fail */
	0x8c, 0xd8, 0x66, 0x83, 0xf8, 0x18, 0x75, 0x40,	/* mov %ds,%eax; cmp $0x18,%ax; jne */
	0x8c, 0xc8, 0x66, 0x83, 0xf8, 0x10, 0x75, 0x38,	/* mov %cs,%eax; cmp $0x10,%ax; jne */
	0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32,	/* mov $EFER,%ecx; rdmsr */
	0xa9, 0x00, 0x04, 0x00, 0x00, 0x74, 0x2a,	/* test $LMA,%eax; je fail */
	0xbb, 0x00, 0x00, 0xf0, 0x4f,			/* mov $0x4ff00000,%ebx */
	0xc7, 0x03, 0xa5, 0xa5, 0xa5, 0xa5,		/* movl $0xa5a5a5a5,(%rbx) */
	0x81, 0x3b, 0xa5, 0xa5, 0xa5, 0xa5, 0x75, 0x17,	/* cmpl ...,(%rbx); jne fail */
	0x66, 0xba, 0xf8, 0x03,				/* mov $0x3f8,%dx */
	0xb0, 'O', 0xee, 0xb0, 'K', 0xee, 0xb0, '\n', 0xee,
	0x66, 0xba, 0xf4, 0x00, 0xb0, 0x21, 0xee,	/* debug exit 0x21 */
	0xf4, 0xeb, 0xfd,				/* hlt; jmp .-1 */
	0x66, 0xba, 0xf4, 0x00, 0xb0, 0x7e, 0xee,	/* fail: debug exit 0x7e */
	0xf4, 0xeb, 0xfd,
};

static int write_temp(char *path, const void *data, size_t len)
{
	int fd = mkstemp(path);
	bool ok;

	if (fd < 0)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

/* The whole path under KVM: machine_create dispatches on the format, the
 * vCPU enters the kernel in long mode with the documented state. */
static void test_kvm_entry_state(void **state)
{
	struct fixture *f = *state;
	char kpath[] = "/tmp/ioshade-bz-XXXXXX", spath[] = "/tmp/ioshade-bz-serial-XXXXXX";
	struct vm_config cfg;
	struct machine *m;
	char out[16] = "";
	int fd, ret, status;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		print_message("/dev/kvm unavailable: skipping the KVM entry test\n");
		skip();
	}
	close(fd);
	memcpy(f->img + KERNEL_OFF + 0x200, entry64, sizeof(entry64));
	hdr(f)->init_size = 0x100000;
	assert_int_equal(write_temp(kpath, f->img, f->size), 0);
	assert_int_equal(write_temp(spath, "", 0), 0);
	config_init(&cfg);
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s", kpath);
	snprintf(cfg.serial_path, sizeof(cfg.serial_path), "%s", spath);
	cfg.serial = CONFIG_SERIAL_FILE;
	cfg.memory = 1280ULL << 20;
	ret = machine_create(&cfg, &m, f->err, sizeof(f->err));
	unlink(kpath);
	if (ret)
		fail_msg("machine_create: %d (%s)", ret, f->err);
	status = machine_run(m);
	machine_destroy(m);
	fd = open(spath, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && read(fd, out, sizeof(out) - 1) >= 0);
	close(fd);
	unlink(spath);
	assert_int_equal(status, (0x21 << 1) | 1);
	assert_string_equal(out, "OK\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detects_bzimage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loads_at_pref_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_params_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e820_matches_memmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonrelocatable_at_1mib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pref_beyond_ram_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syssize_rounding_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_at_top_of_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_below_addr_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_goes_below_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_tables_identity_4g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gdt_and_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_only_expected_areas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_small_ram, setup, teardown),
		cmocka_unit_test(test_cpuid_fixup),
		cmocka_unit_test_setup_teardown(test_real_bzimage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_entry_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
