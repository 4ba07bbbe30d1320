// SPDX-License-Identifier: GPL-2.0-only
/*
 * PVH loader tests against ELF images built here, with a malloc'd buffer as
 * guest RAM behind the real ioshade memory map. Valid images must land where
 * their headers say with a correct start_info/E820; hostile ones must be
 * refused with the documented -errno and leave guest memory untouched.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/boot.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/vm.h"

#define RAM_SIZE	(16ULL << 20)
#define IMG_MAX		0x4000
#define DATA_OFF	0x1000		/* segment data starts here in the file */
#define POISON		0xcc
#define ENTRY		0x100000u

struct fixture {
	struct memmap *map;
	uint8_t *ram;
	uint8_t img[IMG_MAX];
	size_t size;
	char err[256];
};

struct seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = malloc(RAM_SIZE);
	f->map = memmap_create();
	if (!f->ram || !f->map || vm_memmap_fill(f->map, f->ram, RAM_SIZE))
		return -1;
	memset(f->ram, POISON, RAM_SIZE);
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

/* Write a Xen PHYS32_ENTRY note at off; returns its size. */
static size_t put_note(uint8_t *p, uint64_t entry, uint32_t descsz, uint32_t type)
{
	uint32_t hdr[3] = { 4, descsz, type };

	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 12, "Xen", 4);
	memcpy(p + 16, &entry, descsz <= 8 ? descsz : 8);
	return 16 + ((descsz + 3) & ~3u);
}

static void build64(struct fixture *f, const struct seg *s, unsigned n)
{
	Elf64_Ehdr e = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = ENTRY, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)n,
	};

	memcpy(f->img, &e, sizeof(e));
	for (unsigned i = 0; i < n; i++) {
		Elf64_Phdr ph = { .p_type = s[i].type, .p_offset = s[i].offset,
				  .p_vaddr = s[i].paddr, .p_paddr = s[i].paddr,
				  .p_filesz = s[i].filesz, .p_memsz = s[i].memsz };

		memcpy(f->img + sizeof(e) + i * sizeof(ph), &ph, sizeof(ph));
	}
}

static void build32(struct fixture *f, const struct seg *s, unsigned n)
{
	Elf32_Ehdr e = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = ENTRY, .e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = (uint16_t)n,
	};

	memcpy(f->img, &e, sizeof(e));
	for (unsigned i = 0; i < n; i++) {
		Elf32_Phdr ph = { .p_type = s[i].type, .p_offset = (uint32_t)s[i].offset,
				  .p_vaddr = (uint32_t)s[i].paddr, .p_paddr = (uint32_t)s[i].paddr,
				  .p_filesz = (uint32_t)s[i].filesz, .p_memsz = (uint32_t)s[i].memsz };

		memcpy(f->img + sizeof(e) + i * sizeof(ph), &ph, sizeof(ph));
	}
}

/*
 * The standard image: 0x100 bytes of code (0x00..0xff) at 1 MiB with 0x1000
 * bytes of bss after it, and a note segment holding the entry note.
 */
static void standard_segs(struct seg s[2], uint32_t descsz)
{
	s[0] = (struct seg){ PT_LOAD, DATA_OFF, ENTRY, 0x100, 0x1100 };
	s[1] = (struct seg){ PT_NOTE, DATA_OFF + 0x100, 0, 16 + ((descsz + 3) & ~3u), 0 };
}

static void make_image(struct fixture *f, bool is64, uint64_t entry, uint32_t descsz)
{
	struct seg s[2];

	memset(f->img, 0, sizeof(f->img));
	standard_segs(s, descsz);
	for (int i = 0; i < 0x100; i++)
		f->img[DATA_OFF + i] = (uint8_t)i;
	put_note(f->img + DATA_OFF + 0x100, entry, descsz, XEN_ELFNOTE_PHYS32_ENTRY);
	if (is64)
		build64(f, s, 2);
	else
		build32(f, s, 2);
	f->size = DATA_OFF + 0x100 + s[1].filesz;
}

static int load(struct fixture *f, const char *cmdline, struct boot_pvh_info *info)
{
	struct boot_pvh_args a = { .image = f->img, .image_size = f->size, .cmdline = cmdline,
				   .rsdp = LAYOUT_ACPI_BASE };

	f->err[0] = '\0';
	return boot_pvh_load(f->map, &a, info, f->err, sizeof(f->err));
}

/* Every byte of guest RAM still holds the poison. */
static void assert_ram_untouched(const struct fixture *f)
{
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		if (f->ram[i] != POISON)
			fail_msg("guest RAM written at 0x%llx after a rejected load",
				 (unsigned long long)i);
}

static void expect_reject(struct fixture *f, int err)
{
	struct boot_pvh_info info;

	assert_int_equal(load(f, "x", &info), err);
	assert_true(f->err[0] != '\0');
	assert_ram_untouched(f);
}

static void check_start_info(struct fixture *f, const char *cmdline)
{
	struct hvm_start_info si;
	struct hvm_memmap_table_entry e[16];
	static const struct { uint64_t addr, size; uint32_t type; } want[] = {
		{ 0, 0x20000, E820_RESERVED }, { 0x20000, 0x80000, E820_RAM },
		{ 0xa0000, 0x40000, E820_RESERVED }, { 0xe0000, 0x20000, E820_ACPI },
		{ 0x100000, RAM_SIZE - 0x100000, E820_RAM },
		{ LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, E820_RESERVED },
		{ LAYOUT_IOAPIC_BASE, LAYOUT_IOAPIC_SIZE, E820_RESERVED },
		{ LAYOUT_MSI_BASE, 0x100000, E820_RESERVED },
	};

	memcpy(&si, f->ram + LAYOUT_START_INFO, sizeof(si));
	assert_int_equal(si.magic, HVM_START_MAGIC);
	assert_int_equal(si.version, 1);
	assert_int_equal(si.nr_modules, 0);
	assert_int_equal(si.cmdline_paddr, LAYOUT_CMDLINE);
	assert_int_equal(si.rsdp_paddr, LAYOUT_ACPI_BASE);
	assert_int_equal(si.memmap_paddr, LAYOUT_E820_TABLE);
	assert_int_equal(si.reserved, 0);
	assert_string_equal((char *)f->ram + LAYOUT_CMDLINE, cmdline);
	assert_int_equal(si.memmap_entries, sizeof(want) / sizeof(want[0]));
	memcpy(e, f->ram + LAYOUT_E820_TABLE, sizeof(e));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(e[i].addr, want[i].addr);
		assert_int_equal(e[i].size, want[i].size);
		assert_int_equal(e[i].type, want[i].type);
	}
}

static void check_loaded(struct fixture *f, const struct boot_pvh_info *info)
{
	assert_int_equal(info->entry, ENTRY);
	assert_int_equal(info->start_info, LAYOUT_START_INFO);
	assert_int_equal(info->image_start, ENTRY);
	assert_int_equal(info->image_end, ENTRY + 0x1100);
	for (int i = 0; i < 0x100; i++)
		assert_int_equal(f->ram[ENTRY + i], i);
	for (int i = 0x100; i < 0x1100; i++)
		assert_int_equal(f->ram[ENTRY + i], 0);		/* bss zeroed */
	assert_int_equal(f->ram[ENTRY + 0x1100], POISON);	/* nothing past memsz */
	assert_int_equal(f->ram[ENTRY - 1], POISON);
}

static void test_elf64_valid(void **state)
{
	struct fixture *f = *state;
	struct boot_pvh_info info;

	make_image(f, true, ENTRY, 4);
	assert_int_equal(load(f, "console=ttyS0", &info), 0);
	check_loaded(f, &info);
	check_start_info(f, "console=ttyS0");
}

static void test_elf64_note_desc8(void **state)
{
	struct fixture *f = *state;
	struct boot_pvh_info info;

	make_image(f, true, ENTRY + 0x10, 8);
	assert_int_equal(load(f, NULL, &info), 0);
	assert_int_equal(info.entry, ENTRY + 0x10);
	check_start_info(f, "");
}

static void test_elf32_valid(void **state)
{
	struct fixture *f = *state;
	struct boot_pvh_info info;

	make_image(f, false, ENTRY, 4);
	assert_int_equal(load(f, "a b c", &info), 0);
	check_loaded(f, &info);
	check_start_info(f, "a b c");
}

static void test_missing_note(void **state)
{
	struct fixture *f = *state;

	make_image(f, true, ENTRY, 4);
	f->img[DATA_OFF + 0x100 + 8] = 17;		/* note type: not PHYS32_ENTRY */
	expect_reject(f, -ENOEXEC);
	make_image(f, true, ENTRY, 4);
	memcpy(f->img + DATA_OFF + 0x100 + 12, "Xem", 4);	/* wrong owner */
	expect_reject(f, -ENOEXEC);
}

static void test_not_elf(void **state)
{
	struct fixture *f = *state;

	make_image(f, true, ENTRY, 4);
	f->img[0] = 0x7e;
	expect_reject(f, -ENOEXEC);
	make_image(f, true, ENTRY, 4);
	f->img[offsetof(Elf64_Ehdr, e_machine)] = EM_ARM;
	expect_reject(f, -ENOEXEC);
	make_image(f, true, ENTRY, 4);
	f->img[EI_DATA] = ELFDATA2MSB;
	expect_reject(f, -ENOEXEC);
	f->size = 8;
	expect_reject(f, -ENOEXEC);
}

static void test_truncated_headers(void **state)
{
	struct fixture *f = *state;

	make_image(f, true, ENTRY, 4);
	f->size = sizeof(Elf64_Ehdr) - 1;
	expect_reject(f, -EINVAL);
	f->size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);	/* second phdr cut off */
	expect_reject(f, -EINVAL);
	make_image(f, false, ENTRY, 4);
	f->size = sizeof(Elf32_Ehdr) - 4;
	expect_reject(f, -EINVAL);
}

static void test_phdr_offset_overflow(void **state)
{
	struct fixture *f = *state;
	uint64_t off = UINT64_MAX - 8;
	uint16_t bad_entsize = 40, many = 0xffff;

	make_image(f, true, ENTRY, 4);
	memcpy(f->img + offsetof(Elf64_Ehdr, e_phoff), &off, sizeof(off));
	expect_reject(f, -EINVAL);
	make_image(f, true, ENTRY, 4);
	off = f->size - 8;
	memcpy(f->img + offsetof(Elf64_Ehdr, e_phoff), &off, sizeof(off));
	expect_reject(f, -EINVAL);
	make_image(f, true, ENTRY, 4);
	memcpy(f->img + offsetof(Elf64_Ehdr, e_phentsize), &bad_entsize, 2);
	expect_reject(f, -EINVAL);
	make_image(f, true, ENTRY, 4);
	memcpy(f->img + offsetof(Elf64_Ehdr, e_phnum), &many, 2);
	expect_reject(f, -EINVAL);
}

/* Replace segment 0 of the standard ELF64 image. */
static void with_seg0(struct fixture *f, struct seg s0)
{
	struct seg s[2];

	make_image(f, true, ENTRY, 4);
	standard_segs(s, 4);
	s[0] = s0;
	build64(f, s, 2);
}

static void test_segment_file_bounds(void **state)
{
	struct fixture *f = *state;

	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, ENTRY, IMG_MAX, IMG_MAX });
	expect_reject(f, -EINVAL);				/* data past the file */
	with_seg0(f, (struct seg){ PT_LOAD, UINT64_MAX - 0x10, ENTRY, 0x100, 0x100 });
	expect_reject(f, -EINVAL);				/* offset + filesz wraps */
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, ENTRY, 0x200, 0x100 });
	expect_reject(f, -EINVAL);				/* filesz > memsz */
}

static void test_segment_outside_ram(void **state)
{
	struct fixture *f = *state;

	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, 0x40000000, 0x100, 0x100 });
	expect_reject(f, -EFAULT);				/* past the end of RAM */
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, RAM_SIZE - 0x80, 0x100, 0x100 });
	expect_reject(f, -EFAULT);				/* straddles the end */
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, UINT64_MAX - 0x10, 0x100, 0x100 });
	expect_reject(f, -EFAULT);				/* wraps around */
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, 0xff000, 0x100, 0x2000 });
	expect_reject(f, -EFAULT);				/* starts in ACPI ROM */
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, LAYOUT_START_INFO, 0x100, 0x100 });
	expect_reject(f, -EFAULT);				/* over the boot data */
}

static void test_segment_in_mmio_hole(void **state)
{
	struct fixture *f = *state;

	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, LAYOUT_ECAM_BASE, 0x100, 0x100 });
	expect_reject(f, -EFAULT);
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, LAYOUT_MSI_BASE, 0x100, 0x100 });
	expect_reject(f, -EFAULT);
	with_seg0(f, (struct seg){ PT_LOAD, DATA_OFF, LAYOUT_IOAPIC_BASE, 0x100, 0x100 });
	expect_reject(f, -EFAULT);
}

static void test_entry_outside_ram(void **state)
{
	struct fixture *f = *state;

	make_image(f, true, LAYOUT_MSI_BASE, 4);
	expect_reject(f, -EFAULT);
	make_image(f, true, 0x1ffffffffULL, 8);		/* above 4 GiB */
	expect_reject(f, -EINVAL);
}

static void test_bad_notes(void **state)
{
	struct fixture *f = *state;
	uint32_t huge = 0xfffffff0u, six = 6;

	make_image(f, true, ENTRY, 4);
	memcpy(f->img + DATA_OFF + 0x100 + 4, &huge, 4);	/* descsz past segment */
	expect_reject(f, -EINVAL);
	make_image(f, true, ENTRY, 4);
	memcpy(f->img + DATA_OFF + 0x100, &huge, 4);		/* namesz past segment */
	expect_reject(f, -EINVAL);
	make_image(f, true, ENTRY, 8);
	memcpy(f->img + DATA_OFF + 0x100 + 4, &six, 4);		/* odd entry size */
	expect_reject(f, -EINVAL);
}

static void test_cmdline_too_long(void **state)
{
	struct fixture *f = *state;
	struct boot_pvh_info info;
	char *cl = malloc(LAYOUT_CMDLINE_MAX + 1);

	assert_non_null(cl);
	make_image(f, true, ENTRY, 4);
	memset(cl, 'x', LAYOUT_CMDLINE_MAX);
	cl[LAYOUT_CMDLINE_MAX] = '\0';
	assert_int_equal(load(f, cl, &info), -E2BIG);
	assert_ram_untouched(f);
	cl[LAYOUT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(load(f, cl, &info), 0);
	assert_int_equal(strlen((char *)f->ram + LAYOUT_CMDLINE), LAYOUT_CMDLINE_MAX - 1);
	free(cl);
}

static void test_initrd_module(void **state)
{
	struct fixture *f = *state;
	static const char rd[] = "initrd-bytes";
	struct boot_pvh_args a = { .image = f->img, .initrd = rd, .initrd_size = sizeof(rd) };
	struct boot_pvh_info info;
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;

	make_image(f, true, ENTRY, 4);
	a.image_size = f->size;
	assert_int_equal(boot_pvh_load(f->map, &a, &info, f->err, sizeof(f->err)), 0);
	memcpy(&si, f->ram + LAYOUT_START_INFO, sizeof(si));
	assert_int_equal(si.nr_modules, 1);
	assert_int_equal(si.rsdp_paddr, 0);
	memcpy(&mod, f->ram + si.modlist_paddr, sizeof(mod));
	assert_int_equal(mod.paddr, info.initrd_gpa);
	assert_int_equal(mod.paddr & 0xfff, 0);
	assert_true(mod.paddr >= info.image_end && mod.paddr + mod.size <= RAM_SIZE);
	assert_int_equal(mod.size, sizeof(rd));
	assert_memory_equal(f->ram + mod.paddr, rd, sizeof(rd));
}

/* Every prefix of a valid image and every single-byte header corruption must
 * be handled without a crash (run under ASan in the sanitizer build). */
static void test_truncation_and_corruption_sweep(void **state)
{
	struct fixture *f = *state;
	struct boot_pvh_info info;
	size_t full;

	make_image(f, true, ENTRY, 4);
	full = f->size;
	for (size_t n = 0; n < full; n++) {
		f->size = n;
		assert_true(load(f, "", &info) < 0);
	}
	for (size_t i = 0; i < sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr); i++) {
		make_image(f, true, ENTRY, 4);
		f->img[i] ^= 0xa5;
		(void)load(f, "", &info);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_elf64_valid), T(test_elf64_note_desc8), T(test_elf32_valid),
		T(test_missing_note), T(test_not_elf), T(test_truncated_headers),
		T(test_phdr_offset_overflow), T(test_segment_file_bounds),
		T(test_segment_outside_ram), T(test_segment_in_mmio_hole),
		T(test_entry_outside_ram), T(test_bad_notes), T(test_cmdline_too_long),
		T(test_initrd_module), T(test_truncation_and_corruption_sweep),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
