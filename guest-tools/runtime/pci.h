/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI config access (ECAM from MCFG when present, else ports 0xCF8/0xCFC),
 * a bus-0 scan, BAR decoding and sizing, capability walk and command bits.
 * Functions are named by BDF = bus << 8 | dev << 3 | fn (segment 0).
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION		0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_CMD_IO		0x1
#define PCI_CMD_MEM		0x2
#define PCI_CMD_MASTER		0x4
#define PCI_STATUS_CAPS		0x10
#define PCI_CAP_ID_VNDR		0x09
#define PCI_NUM_BARS		6
#define PCI_MAX_FUNCS		64

struct pci_bar_info {
	uint64_t addr;		/* 0: unassigned */
	uint64_t size;		/* 0: not implemented */
	bool is_io;
	bool is_64;		/* occupies this slot and the next */
	bool prefetch;
};

struct pci_func {
	uint16_t bdf;
	uint16_t vendor;
	uint16_t device;
	uint8_t base_class;
	uint8_t sub_class;
	uint8_t prog_if;
	uint8_t revision;
	uint8_t header_type;
	struct pci_bar_info bar[PCI_NUM_BARS];
};

static inline uint16_t pci_bdf(unsigned bus, unsigned dev, unsigned fn)
{
	return (uint16_t)(bus << 8 | dev << 3 | fn);
}

/* Picks ECAM (MCFG, segment 0, bus 0) or the legacy ports. Needs acpi_init. */
void pci_init(void);
bool pci_uses_ecam(void);
uint64_t pci_ecam_base(void);

uint32_t pci_cfg_read32(uint16_t bdf, uint16_t off);
uint16_t pci_cfg_read16(uint16_t bdf, uint16_t off);
uint8_t pci_cfg_read8(uint16_t bdf, uint16_t off);
void pci_cfg_write32(uint16_t bdf, uint16_t off, uint32_t v);
void pci_cfg_write16(uint16_t bdf, uint16_t off, uint16_t v);
void pci_cfg_write8(uint16_t bdf, uint16_t off, uint8_t v);

/* Fills out[0..max) with the functions on bus 0 (BARs decoded); returns count. */
unsigned pci_scan(struct pci_func *out, unsigned max);
/* The index-th function with vendor:device on bus 0; 0 or -ENOENT. */
int pci_find(uint16_t vendor, uint16_t device, unsigned index, struct pci_func *out);
/* Reads and sizes the BARs of f (briefly disables decoding). */
void pci_read_bars(struct pci_func *f);
/* Offset of the first capability with id after offset `after` (0 = from start), or 0. */
uint8_t pci_find_cap(uint16_t bdf, uint8_t id, uint8_t after);
/* Sets the given PCI_CMD_* bits. */
void pci_enable(uint16_t bdf, uint16_t cmd_bits);
/* Maps a memory BAR into the identity map (needed above 4 GiB); 0 or -errno. */
int pci_map_bar(const struct pci_func *f, int bar);

#endif
