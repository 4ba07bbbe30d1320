/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest physical address layout of an ioshade x86-64 VM. Every module that
 * places something in guest physical space takes its address from here, so the
 * memory map, ACPI, the boot loaders and the ownership rules agree.
 */
#ifndef IOSHADE_VMM_LAYOUT_H
#define IOSHADE_VMM_LAYOUT_H

/* [0, 0x20000): boot data the VMM writes (start_info, E820, cmdline, zero page,
 * boot page tables). Backed by guest RAM but reserved: never DMA-mappable. */
#define LAYOUT_BOOT_BASE	0x00000000ULL
#define LAYOUT_BOOT_SIZE	0x00020000ULL
#define LAYOUT_START_INFO	0x00006000ULL	/* PVH hvm_start_info */
#define LAYOUT_E820_TABLE	0x00006800ULL	/* hvm_memmap_table_entry[] */
#define LAYOUT_ZERO_PAGE	0x00007000ULL	/* Linux boot_params */
#define LAYOUT_CMDLINE		0x00008000ULL	/* up to LAYOUT_CMDLINE_MAX bytes */
#define LAYOUT_CMDLINE_MAX	0x00002000ULL
#define LAYOUT_BOOT_PGTABLE	0x0000a000ULL	/* PML4/PDPT/PD for 64-bit Linux entry */
#define LAYOUT_BOOT_GDT		0x00010000ULL

/* [0x20000, 0xa0000): conventional RAM, mappable. */
#define LAYOUT_LOW_RAM_BASE	0x00020000ULL
#define LAYOUT_LOW_RAM_END	0x000a0000ULL	/* exclusive */

/* [0xa0000, 0xe0000): legacy VGA/option ROM hole, reserved. */
#define LAYOUT_LEGACY_BASE	0x000a0000ULL
#define LAYOUT_LEGACY_SIZE	0x00040000ULL

/* [0xe0000, 0x100000): ACPI tables, read-only to DMA. The RSDP is at its start. */
#define LAYOUT_ACPI_BASE	0x000e0000ULL
#define LAYOUT_ACPI_SIZE	0x00020000ULL

/* [1 MiB, min(ram, 3 GiB)): main RAM below 4 GiB. */
#define LAYOUT_HIGH_RAM_BASE	0x00100000ULL
#define LAYOUT_RAM_32_END	0xc0000000ULL	/* exclusive: RAM below 4G stops here */

/* 32-bit PCI MMIO window for BARs. */
#define LAYOUT_MMIO32_BASE	0xc0000000ULL
#define LAYOUT_MMIO32_SIZE	0x20000000ULL

/* PCI ECAM: one segment, buses 0..LAYOUT_ECAM_BUSES-1, 1 MiB per bus. */
#define LAYOUT_ECAM_BASE	0xe0000000ULL
#define LAYOUT_ECAM_BUSES	1
#define LAYOUT_ECAM_SIZE	(0x100000ULL * LAYOUT_ECAM_BUSES)

#define LAYOUT_IOAPIC_BASE	0xfec00000ULL
#define LAYOUT_IOAPIC_SIZE	0x00001000ULL

/* The x86 MSI window (interrupt messages, LAPIC). Never mappable. */
#define LAYOUT_MSI_BASE		0xfee00000ULL
#define LAYOUT_MSI_LAST		0xfeefffffULL

/* KVM's private pages for the VMX real-mode TSS and identity map. */
#define LAYOUT_KVM_TSS		0xfffbd000ULL
#define LAYOUT_KVM_IDMAP	0xfffbc000ULL

/* RAM above 4 GiB, then the 64-bit PCI window. */
#define LAYOUT_RAM_64_BASE	0x100000000ULL
#define LAYOUT_MMIO64_BASE	0x8000000000ULL
#define LAYOUT_MMIO64_SIZE	0x8000000000ULL

/* Legacy I/O ports. */
#define LAYOUT_PORT_SERIAL	0x3f8
#define LAYOUT_PORT_DEBUG_EXIT	0xf4
#define LAYOUT_PORT_PCI_ADDR	0xcf8
#define LAYOUT_PORT_PCI_DATA	0xcfc

#endif
