// SPDX-License-Identifier: GPL-2.0-only
/*
 * PVH ELF loader. The file is untrusted: every header, program header and
 * note is bounds-checked against the file, every segment against the guest's
 * RAM regions, and all checks run before the first byte is written. Then the
 * segments, hvm_start_info, the E820 table and the command line are written
 * through the memory map's host pointers.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/memmap.h"

#define BOOT_MAX_PHDRS		64
#define BOOT_MAX_REGIONS	128

/* A program header, independent of the ELF class. */
struct elf_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_image {
	const uint8_t *data;
	size_t size;
	unsigned nsegs;
	struct elf_seg seg[BOOT_MAX_PHDRS];
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

/* [off, off+len) inside the file? */
static bool in_file(const struct elf_image *img, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= img->size;
}

static void read_phdr32(const uint8_t *p, struct elf_seg *s)
{
	Elf32_Phdr ph;

	memcpy(&ph, p, sizeof(ph));
	*s = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
}

static void read_phdr64(const uint8_t *p, struct elf_seg *s)
{
	Elf64_Phdr ph;

	memcpy(&ph, p, sizeof(ph));
	*s = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
}

/* e_type, e_machine, e_phoff, e_phentsize, e_phnum for either class. */
struct elf_hdr_fields {
	uint16_t type, machine, phentsize, phnum;
	uint64_t phoff;
};

static int read_ehdr(const struct elf_image *img, bool is64, struct elf_hdr_fields *h,
		     char *err, size_t errlen)
{
	if (is64) {
		Elf64_Ehdr e;

		if (img->size < sizeof(e))
			return fail(err, errlen, -EINVAL, "truncated ELF64 header");
		memcpy(&e, img->data, sizeof(e));
		*h = (struct elf_hdr_fields){ e.e_type, e.e_machine, e.e_phentsize, e.e_phnum,
					      e.e_phoff };
		if (h->phentsize != sizeof(Elf64_Phdr))
			return fail(err, errlen, -EINVAL, "bad e_phentsize %u", h->phentsize);
	} else {
		Elf32_Ehdr e;

		if (img->size < sizeof(e))
			return fail(err, errlen, -EINVAL, "truncated ELF32 header");
		memcpy(&e, img->data, sizeof(e));
		*h = (struct elf_hdr_fields){ e.e_type, e.e_machine, e.e_phentsize, e.e_phnum,
					      e.e_phoff };
		if (h->phentsize != sizeof(Elf32_Phdr))
			return fail(err, errlen, -EINVAL, "bad e_phentsize %u", h->phentsize);
	}
	return 0;
}

static int parse_elf(struct elf_image *img, char *err, size_t errlen)
{
	const uint8_t *id = img->data;
	struct elf_hdr_fields h = { 0 };
	bool is64;
	int ret;

	if (img->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG))
		return fail(err, errlen, -ENOEXEC, "not an ELF file");
	if ((id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) ||
	    id[EI_DATA] != ELFDATA2LSB || id[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen, -ENOEXEC, "unsupported ELF class/encoding/version");
	is64 = id[EI_CLASS] == ELFCLASS64;
	ret = read_ehdr(img, is64, &h, err, errlen);
	if (ret)
		return ret;
	if (h.type != ET_EXEC || (h.machine != EM_X86_64 && h.machine != EM_386))
		return fail(err, errlen, -ENOEXEC, "not an x86 ELF executable (type %u machine %u)",
			    h.type, h.machine);
	if (!h.phnum || h.phnum > BOOT_MAX_PHDRS)
		return fail(err, errlen, -EINVAL, "bad program header count %u", h.phnum);
	if (!in_file(img, h.phoff, (uint64_t)h.phnum * h.phentsize))
		return fail(err, errlen, -EINVAL, "program headers at 0x%llx run past the file",
			    (unsigned long long)h.phoff);
	img->nsegs = h.phnum;
	for (unsigned i = 0; i < h.phnum; i++) {
		const uint8_t *p = img->data + h.phoff + (uint64_t)i * h.phentsize;

		if (is64)
			read_phdr64(p, &img->seg[i]);
		else
			read_phdr32(p, &img->seg[i]);
	}
	return 0;
}

/* The entry point from a PT_NOTE segment's notes; 1 when none is there. */
static int scan_notes(const struct elf_image *img, const struct elf_seg *s, uint32_t *entry,
		      char *err, size_t errlen)
{
	const uint8_t *p = img->data + s->offset;
	uint64_t pos = 0;

	while (pos + 12 <= s->filesz) {
		uint32_t w[3];
		uint64_t name, desc, next;

		memcpy(w, p + pos, sizeof(w));
		name = pos + 12;
		desc = name + ((w[0] + 3ull) & ~3ull);
		next = desc + ((w[1] + 3ull) & ~3ull);
		if (next > s->filesz || desc + w[1] > s->filesz)
			return fail(err, errlen, -EINVAL, "ELF note runs past its segment");
		if (w[2] == XEN_ELFNOTE_PHYS32_ENTRY && w[0] == 4 && !memcmp(p + name, "Xen", 4)) {
			uint64_t v = 0;

			if (w[1] != 4 && w[1] != 8)
				return fail(err, errlen, -EINVAL, "PHYS32_ENTRY note of %u bytes", w[1]);
			memcpy(&v, p + desc, w[1]);
			if (v > UINT32_MAX)
				return fail(err, errlen, -EINVAL, "PHYS32_ENTRY 0x%llx above 4 GiB",
					    (unsigned long long)v);
			*entry = (uint32_t)v;
			return 0;
		}
		pos = next;
	}
	return 1;
}

/* [gpa, gpa+len) must lie in one host-backed RAM region. */
static int check_ram(const struct memmap *mem, uint64_t gpa, uint64_t len, const char *what,
		     char *err, size_t errlen)
{
	struct memmap_region r;
	int ret = memmap_query(mem, gpa, len, &r);

	if (ret == -EINVAL)
		return fail(err, errlen, -EFAULT, "%s at 0x%llx+0x%llx wraps around", what,
			    (unsigned long long)gpa, (unsigned long long)len);
	if (ret == -ENOENT)
		return fail(err, errlen, -EFAULT, "%s at 0x%llx is outside guest memory", what,
			    (unsigned long long)gpa);
	if (ret || r.kind != MEMMAP_RAM || !r.hva)
		return fail(err, errlen, -EFAULT,
			    "%s [0x%llx, 0x%llx) is not inside guest RAM (hits %s region '%s')", what,
			    (unsigned long long)gpa, (unsigned long long)(gpa + len),
			    memmap_kind_name(r.kind), r.name);
	return 0;
}

static int check_load_seg(const struct elf_image *img, const struct memmap *mem, unsigned i,
			  char *err, size_t errlen)
{
	const struct elf_seg *s = &img->seg[i];
	char what[32];

	if (s->filesz > s->memsz)
		return fail(err, errlen, -EINVAL, "segment %u: p_filesz > p_memsz", i);
	if (!in_file(img, s->offset, s->filesz))
		return fail(err, errlen, -EINVAL, "segment %u: file data at 0x%llx+0x%llx runs past "
			    "the file", i, (unsigned long long)s->offset,
			    (unsigned long long)s->filesz);
	snprintf(what, sizeof(what), "segment %u", i);
	return s->memsz ? check_ram(mem, s->paddr, s->memsz, what, err, errlen) : 0;
}

/* Check every program header; find the entry and the loaded extent. */
static int check_segments(const struct elf_image *img, const struct memmap *mem,
			  struct boot_pvh_info *info, char *err, size_t errlen)
{
	bool have_entry = false, have_load = false;
	int ret;

	info->image_start = UINT64_MAX;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->seg[i];

		if (s->type == PT_LOAD) {
			ret = check_load_seg(img, mem, i, err, errlen);
			if (ret)
				return ret;
			have_load |= s->memsz != 0;
			if (s->memsz && s->paddr < info->image_start)
				info->image_start = s->paddr;
			if (s->memsz && s->paddr + s->memsz > info->image_end)
				info->image_end = s->paddr + s->memsz;
		} else if (s->type == PT_NOTE && !have_entry) {
			if (!in_file(img, s->offset, s->filesz))
				return fail(err, errlen, -EINVAL, "note segment %u runs past the file", i);
			ret = scan_notes(img, s, &info->entry, err, errlen);
			if (ret < 0)
				return ret;
			have_entry = ret == 0;
		}
	}
	if (!have_load)
		return fail(err, errlen, -ENOEXEC, "no loadable segment");
	if (!have_entry)
		return fail(err, errlen, -ENOEXEC,
			    "no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel");
	return check_ram(mem, info->entry, 1, "entry point", err, errlen);
}

static void load_segments(const struct elf_image *img, struct memmap *mem)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->seg[i];
		uint8_t *dst;

		if (s->type != PT_LOAD || !s->memsz)
			continue;
		dst = memmap_hva(mem, s->paddr, s->memsz, true);	/* checked above */
		memcpy(dst, img->data + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
}

/* Host pointer for VMM-written boot data: RAM, ROM or reserved, host-backed. */
static void *boot_hva(struct memmap *mem, uint64_t gpa, uint64_t len)
{
	struct memmap_region r;

	if (memmap_query(mem, gpa, len, &r) || !r.hva || r.kind == MEMMAP_MMIO)
		return NULL;
	return (uint8_t *)r.hva + (gpa - r.start);
}

uint32_t boot_e820_type(const struct memmap_region *r)
{
	switch (r->kind) {
	case MEMMAP_RAM:
		return E820_RAM;
	case MEMMAP_ROM:
		return E820_ACPI;
	case MEMMAP_RESERVED:
		return E820_RESERVED;
	default:
		return r->flags & MEMMAP_F_BAR ? 0 : E820_RESERVED;
	}
}

/* Build the E820 table from the memory map; returns the entry count. */
static unsigned build_e820(const struct memmap *mem, struct hvm_memmap_table_entry *e)
{
	struct memmap_region r[BOOT_MAX_REGIONS];
	size_t n = memmap_snapshot(mem, r, BOOT_MAX_REGIONS);
	unsigned k = 0;

	for (size_t i = 0; i < n && i < BOOT_MAX_REGIONS && k < BOOT_E820_MAX; i++) {
		uint32_t type = boot_e820_type(&r[i]);

		if (type)
			e[k++] = (struct hvm_memmap_table_entry){
				.addr = r[i].start, .size = r[i].last - r[i].start + 1, .type = type };
	}
	return k;
}

/* Highest page-aligned place for the initrd in the RAM region above the kernel. */
static int place_initrd(struct memmap *mem, const struct boot_pvh_args *args,
			struct boot_pvh_info *info, char *err, size_t errlen)
{
	struct memmap_region r;
	uint64_t top, gpa;

	if (!args->initrd)
		return 0;
	if (memmap_query(mem, LAYOUT_HIGH_RAM_BASE, 1, &r) || r.kind != MEMMAP_RAM)
		return fail(err, errlen, -ENOSPC, "no RAM at 1 MiB for the initrd");
	top = r.last + 1;
	if (args->initrd_size > top)
		return fail(err, errlen, -ENOSPC, "initrd of %zu bytes does not fit", args->initrd_size);
	gpa = (top - args->initrd_size) & ~0xfffull;
	if (!args->initrd_size || gpa < info->image_end || gpa < r.start)
		return fail(err, errlen, -ENOSPC, "initrd of %zu bytes does not fit above the kernel",
			    args->initrd_size);
	info->initrd_gpa = gpa;
	return 0;
}

static int write_boot_data(struct memmap *mem, const struct boot_pvh_args *args,
			   struct boot_pvh_info *info, char *err, size_t errlen)
{
	const char *cmdline = args->cmdline ? args->cmdline : "";
	size_t clen = strlen(cmdline) + 1;
	struct hvm_start_info *si = boot_hva(mem, LAYOUT_START_INFO, sizeof(*si));
	struct hvm_memmap_table_entry *e820 =
		boot_hva(mem, LAYOUT_E820_TABLE, BOOT_E820_MAX * sizeof(*e820));
	struct hvm_modlist_entry *mod = boot_hva(mem, BOOT_PVH_MODLIST, sizeof(*mod));
	char *cl = boot_hva(mem, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);

	if (!si || !e820 || !mod || !cl)
		return fail(err, errlen, -EFAULT, "boot area [0, 0x%llx) is not host-backed",
			    (unsigned long long)LAYOUT_BOOT_SIZE);
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC, .version = HVM_START_VERSION,
		.cmdline_paddr = LAYOUT_CMDLINE, .rsdp_paddr = args->rsdp,
		.memmap_paddr = LAYOUT_E820_TABLE, .memmap_entries = build_e820(mem, e820),
	};
	memcpy(cl, cmdline, clen);
	if (args->initrd) {
		memcpy(memmap_hva(mem, info->initrd_gpa, args->initrd_size, true), args->initrd,
		       args->initrd_size);
		*mod = (struct hvm_modlist_entry){ .paddr = info->initrd_gpa,
						   .size = args->initrd_size };
		si->nr_modules = 1;
		si->modlist_paddr = BOOT_PVH_MODLIST;
	}
	info->start_info = LAYOUT_START_INFO;
	return 0;
}

int boot_pvh_load(struct memmap *mem, const struct boot_pvh_args *args,
		  struct boot_pvh_info *info, char *err, size_t errlen)
{
	struct elf_image *img;
	int ret;

	memset(info, 0, sizeof(*info));
	if (args->cmdline && strlen(args->cmdline) >= LAYOUT_CMDLINE_MAX)
		return fail(err, errlen, -E2BIG, "command line longer than %llu bytes",
			    (unsigned long long)LAYOUT_CMDLINE_MAX - 1);
	img = calloc(1, sizeof(*img));
	if (!img)
		return fail(err, errlen, -ENOMEM, "out of memory");
	img->data = args->image;
	img->size = args->image_size;
	ret = parse_elf(img, err, errlen);
	if (!ret)
		ret = check_segments(img, mem, info, err, errlen);
	if (!ret)
		ret = place_initrd(mem, args, info, err, errlen);
	if (!ret && !boot_hva(mem, LAYOUT_BOOT_BASE, LAYOUT_BOOT_SIZE))
		ret = fail(err, errlen, -EFAULT, "boot area is not host-backed");
	if (!ret) {
		load_segments(img, mem);
		ret = write_boot_data(mem, args, info, err, errlen);
	}
	free(img);
	return ret;
}

static struct kvm_segment flat_seg(uint16_t sel, uint8_t type)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffffu, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

int boot_pvh_set_regs(int vcpu_fd, const struct boot_pvh_info *info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 0x2, .rip = info->entry, .rbx = info->start_info };

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.cs = flat_seg(0x10, 0xb);		/* code: execute/read, accessed */
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_seg(0x18, 0x3);
	sregs.tr = (struct kvm_segment){ .limit = 0x67, .selector = 0x20, .type = 0xb,
					 .present = 1 };
	sregs.ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .unusable = 1 };
	sregs.cr0 = 0x11;			/* PE | ET, paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int boot_read_file(const char *path, size_t max, void **buf, size_t *size,
		   char *err, size_t errlen)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t got = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto err_errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto err_errno;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p)
		goto err_errno;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);

		if (n <= 0) {
			errno = n ? errno : EIO;
			goto err_errno;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = p;
	*size = got;
	return 0;
err_errno:
	e = errno;
	free(p);
	if (fd >= 0)
		close(fd);
	return fail(err, errlen, -e, "'%s': %s", path, strerror(e));
}

int boot_is_bzimage(const void *image, size_t size)
{
	const uint8_t *p = image;

	return size >= 0x206 && p[0x1fe] == 0x55 && p[0x1ff] == 0xaa &&
	       !memcmp(p + 0x202, "HdrS", 4);
}
