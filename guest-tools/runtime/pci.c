// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI configuration space access and bus-0 enumeration. ECAM is used when the
 * MCFG covers segment 0 bus 0, otherwise the legacy 0xCF8/0xCFC mechanism
 * (QEMU's pc machine has no MCFG; q35 and ioshade have one).
 */
#include "pci.h"

#include "acpi.h"
#include "errno.h"
#include "io.h"
#include "paging.h"

#define CF8_ADDR	0xcf8
#define CF8_DATA	0xcfc
#define ECAM_BUS_SIZE	0x100000ull

static uint64_t ecam_base;	/* 0: legacy ports */

void pci_init(void)
{
	struct acpi_mcfg_entry e;

	if (!acpi_mcfg_lookup(0, 0, &e) && !paging_map_identity(e.base, ECAM_BUS_SIZE))
		ecam_base = e.base;
}

bool pci_uses_ecam(void)
{
	return ecam_base != 0;
}

uint64_t pci_ecam_base(void)
{
	return ecam_base;
}

static uint64_t ecam_addr(uint16_t bdf, uint16_t off)
{
	return ecam_base + ((uint64_t)bdf << 12) + (off & 0xfff);
}

static void cf8_select(uint16_t bdf, uint16_t off)
{
	outl(CF8_ADDR, 0x80000000u | (uint32_t)bdf << 8 | (off & 0xfc));
}

uint32_t pci_cfg_read32(uint16_t bdf, uint16_t off)
{
	if (ecam_base)
		return mmio_read32(ecam_addr(bdf, off));
	if (off >= 256)
		return 0xffffffffu;
	cf8_select(bdf, off);
	return inl(CF8_DATA);
}

uint16_t pci_cfg_read16(uint16_t bdf, uint16_t off)
{
	if (ecam_base)
		return mmio_read16(ecam_addr(bdf, off));
	if (off >= 256)
		return 0xffff;
	cf8_select(bdf, off);
	return inw(CF8_DATA + (off & 2));
}

uint8_t pci_cfg_read8(uint16_t bdf, uint16_t off)
{
	if (ecam_base)
		return mmio_read8(ecam_addr(bdf, off));
	if (off >= 256)
		return 0xff;
	cf8_select(bdf, off);
	return inb(CF8_DATA + (off & 3));
}

void pci_cfg_write32(uint16_t bdf, uint16_t off, uint32_t v)
{
	if (ecam_base) {
		mmio_write32(ecam_addr(bdf, off), v);
	} else if (off < 256) {
		cf8_select(bdf, off);
		outl(CF8_DATA, v);
	}
}

void pci_cfg_write16(uint16_t bdf, uint16_t off, uint16_t v)
{
	if (ecam_base) {
		mmio_write16(ecam_addr(bdf, off), v);
	} else if (off < 256) {
		cf8_select(bdf, off);
		outw(CF8_DATA + (off & 2), v);
	}
}

void pci_cfg_write8(uint16_t bdf, uint16_t off, uint8_t v)
{
	if (ecam_base) {
		mmio_write8(ecam_addr(bdf, off), v);
	} else if (off < 256) {
		cf8_select(bdf, off);
		outb(CF8_DATA + (off & 3), v);
	}
}

/* Writes all-ones to a BAR register and returns what sticks, then restores. */
static uint32_t bar_probe(uint16_t bdf, uint16_t reg, uint32_t orig)
{
	uint32_t mask;

	pci_cfg_write32(bdf, reg, 0xffffffffu);
	mask = pci_cfg_read32(bdf, reg);
	pci_cfg_write32(bdf, reg, orig);
	return mask;
}

/* Decodes BAR i; returns how many slots it used (1 or 2). */
static int read_bar(struct pci_func *f, int i)
{
	uint16_t reg = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_cfg_read32(f->bdf, reg), hi = 0, mlo, mhi = 0xffffffffu;
	struct pci_bar_info *b = &f->bar[i];

	mlo = bar_probe(f->bdf, reg, lo);
	b->is_io = lo & 1;
	b->is_64 = !b->is_io && ((lo >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS;
	b->prefetch = !b->is_io && (lo & 8);
	if (b->is_64) {
		hi = pci_cfg_read32(f->bdf, reg + 4);
		mhi = bar_probe(f->bdf, reg + 4, hi);
	}
	mlo &= b->is_io ? ~3u : ~15u;
	if (b->is_io && mlo)
		mlo |= 0xffff0000u;	/* 16-bit I/O decoders read 0 up there */
	if (mlo || (b->is_64 && mhi))
		b->size = ~(((uint64_t)mhi << 32) | mlo) + 1;
	if (b->is_io)
		b->size &= 0xffffffffull;
	b->addr = ((uint64_t)hi << 32) | (lo & (b->is_io ? ~3u : ~15u));
	return b->is_64 ? 2 : 1;
}

void pci_read_bars(struct pci_func *f)
{
	uint16_t cmd = pci_cfg_read16(f->bdf, PCI_COMMAND);
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++)
		f->bar[i] = (struct pci_bar_info){ 0 };
	if ((f->header_type & 0x7f) != 0)
		return;		/* only type-0 headers have six BARs */
	pci_cfg_write16(f->bdf, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (i = 0; i < PCI_NUM_BARS; i += read_bar(f, i))
		;
	pci_cfg_write16(f->bdf, PCI_COMMAND, cmd);
}

static bool read_func(uint16_t bdf, struct pci_func *f)
{
	uint32_t id = pci_cfg_read32(bdf, PCI_VENDOR_ID);
	uint32_t cls = pci_cfg_read32(bdf, PCI_REVISION);

	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return false;
	f->bdf = bdf;
	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	f->revision = (uint8_t)cls;
	f->prog_if = (uint8_t)(cls >> 8);
	f->sub_class = (uint8_t)(cls >> 16);
	f->base_class = (uint8_t)(cls >> 24);
	f->header_type = pci_cfg_read8(bdf, PCI_HEADER_TYPE);
	pci_read_bars(f);
	return true;
}

unsigned pci_scan(struct pci_func *out, unsigned max)
{
	unsigned dev, fn, n = 0, nfn;

	for (dev = 0; dev < 32; dev++) {
		nfn = 1;
		for (fn = 0; fn < nfn && n < max; fn++) {
			if (!read_func(pci_bdf(0, dev, fn), &out[n]))
				continue;
			if (fn == 0 && (out[n].header_type & 0x80))
				nfn = 8;
			n++;
		}
	}
	return n;
}

int pci_find(uint16_t vendor, uint16_t device, unsigned index, struct pci_func *out)
{
	static struct pci_func funcs[PCI_MAX_FUNCS];
	unsigned i, n = pci_scan(funcs, PCI_MAX_FUNCS);

	for (i = 0; i < n; i++) {
		if (funcs[i].vendor == vendor && funcs[i].device == device && index-- == 0) {
			*out = funcs[i];
			return 0;
		}
	}
	return -ENOENT;
}

uint8_t pci_find_cap(uint16_t bdf, uint8_t id, uint8_t after)
{
	uint8_t off;
	unsigned guard;

	if (!(pci_cfg_read16(bdf, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	off = after ? pci_cfg_read8(bdf, after + 1) : pci_cfg_read8(bdf, PCI_CAP_PTR);
	for (guard = 0; guard < 48 && off >= 0x40; guard++) {
		off &= 0xfc;
		if (pci_cfg_read8(bdf, off) == id)
			return off;
		off = pci_cfg_read8(bdf, off + 1);
	}
	return 0;
}

void pci_enable(uint16_t bdf, uint16_t cmd_bits)
{
	pci_cfg_write16(bdf, PCI_COMMAND, pci_cfg_read16(bdf, PCI_COMMAND) | cmd_bits);
}

int pci_map_bar(const struct pci_func *f, int bar)
{
	const struct pci_bar_info *b = &f->bar[bar];

	if (!b->size || b->is_io)
		return -EINVAL;
	if (!b->addr)
		return -ENODEV;
	return paging_map_identity(b->addr, b->size);
}
