// SPDX-License-Identifier: GPL-2.0-only
/*
 * hello: the smallest useful guest. Prints a fixed greeting, then what it
 * learned from the boot ABI (start_info, command line, E820), ACPI and the
 * PCI bus, and exits PASS. Fails only if start_info itself is unusable.
 */
#include "acpi.h"
#include "check.h"
#include "cmdline.h"
#include "console.h"
#include "guest.h"
#include "pci.h"

static const char *e820_name(uint32_t type)
{
	switch (type) {
	case 1: return "RAM";
	case 2: return "reserved";
	case 3: return "ACPI";
	case 4: return "NVS";
	default: return "other";
	}
}

static void print_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e;
	uint32_t i;

	if (si->version < 1 || !si->memmap_paddr) {
		printf("e820: none (start_info version %u)\n", si->version);
		return;
	}
	e = (const void *)(uintptr_t)si->memmap_paddr;
	printf("e820: %u entries\n", si->memmap_entries);
	for (i = 0; i < si->memmap_entries && i < 32; i++)
		printf("  [%016lx-%016lx] %s\n", e[i].addr, e[i].addr + e[i].size - 1,
		       e820_name(e[i].type));
}

static void print_acpi(const struct hvm_start_info *si)
{
	const struct acpi_info *a;

	if (acpi_init(si)) {
		printf("rsdp: not found\n");
		return;
	}
	a = acpi_get();
	printf("rsdp: found at 0x%lx (%s), revision %u, %s at 0x%lx, %u tables\n",
	       a->rsdp, a->rsdp_from_start_info ? "start_info" : "scan", a->revision,
	       a->root_is_xsdt ? "XSDT" : "RSDT", a->root, a->n_tables);
}

static void print_bars(const struct pci_func *f)
{
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar_info *b = &f->bar[i];

		if (b->size)
			printf("    BAR%d %s%s addr=0x%lx size=0x%lx\n", i,
			       b->is_io ? "io" : "mem", b->is_64 ? "64" : "",
			       b->addr, b->size);
	}
}

static void print_pci(void)
{
	static struct pci_func funcs[PCI_MAX_FUNCS];
	unsigned i, n;

	pci_init();
	n = pci_scan(funcs, PCI_MAX_FUNCS);
	printf("pci: %s, %u functions\n",
	       pci_uses_ecam() ? "ECAM" : "legacy 0xcf8", n);
	for (i = 0; i < n; i++) {
		const struct pci_func *f = &funcs[i];

		printf("  %02x:%02x.%x %04x:%04x class %02x%02x%02x\n", f->bdf >> 8,
		       (f->bdf >> 3) & 31, f->bdf & 7, f->vendor, f->device,
		       f->base_class, f->sub_class, f->prog_if);
		print_bars(f);
	}
}

int guest_main(const struct hvm_start_info *si)
{
	bool magic_ok = si && si->magic == HVM_START_MAGIC_VALUE;

	printf("Hello from ioshade guest\n");
	printf("start_info: %s (at %p, version %u)\n", magic_ok ? "magic OK" : "magic BAD",
	       (const void *)si, magic_ok ? si->version : 0);
	if (!magic_ok)
		return GUEST_EXIT_FAIL;
	printf("cmdline: \"%s\"\n", cmdline_get());
	print_memmap(si);
	print_acpi(si);
	print_pci();
	return GUEST_EXIT_PASS;
}
