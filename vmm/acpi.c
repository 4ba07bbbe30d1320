// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI tables for an ioshade guest (ACPI 6.5): RSDP, XSDT, a hardware-reduced
 * FADT, MADT, MCFG, the DSDT (PCI root bridge, COM1, ECAM reservation) and,
 * with a virtio-iommu, VIOT. Tables are laid out in one buffer, RSDP first,
 * every table 8-byte aligned, every write bounds-checked against the buffer.
 */
#include <errno.h>
#include <string.h>

#include "vmm/acpi.h"
#include "vmm/aml.h"
#include "vmm/layout.h"

#define ACPI_HDR_LEN		36
#define ACPI_OEM_ID		"IOSHDE"
#define ACPI_OEM_TABLE_ID	"IOSHADE "
#define ACPI_CREATOR_ID		"ISHD"

#define RSDP_LEN		36
#define FADT_LEN		276
#define MCFG_LEN		(ACPI_HDR_LEN + 8 + 16)
#define VIOT_HDR_LEN		(ACPI_HDR_LEN + 12)
#define VIOT_IOMMU_PCI_LEN	16
#define VIOT_PCI_RANGE_LEN	24
#define MADT_LAPIC_LEN		8
#define MADT_IOAPIC_LEN		12
#define MADT_ISO_LEN		10
#define MADT_NMI_LEN		6
#define XSDT_MAX_ENTRIES	4	/* FADT, MADT, MCFG, VIOT */

/* FADT fields (ACPI 6.5 table 5.9). */
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_MINOR_VERSION	131
#define FADT_X_DSDT		140
#define FADT_HYPERVISOR_ID	268
#define FADT_BOOT_VGA_ABSENT	(1u << 2)	/* bit 1 (8042) and bit 3 (no MSI) stay 0 */
#define FADT_F_HW_REDUCED	(1u << 20)

#define MADT_LAPIC_ADDR		0xfee00000u
#define MADT_PCAT_COMPAT	(1u << 0)
#define MADT_LAPIC_ENABLED	(1u << 0)
#define MADT_ISO_FLAGS_CONFORM	0x0000	/* ISA: edge, active high */

#define VIOT_NODE_PCI_RANGE	1
#define VIOT_NODE_VIRTIO_PCI	3

#define COM1_IRQ		4
#define ECAM_BUS_SIZE		0x100000ULL

/* The buffer being filled; pos only grows and never passes size. */
struct acpi_buf {
	uint8_t *base;
	size_t size;
	size_t pos;
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* Reserve len zeroed bytes at the next 8-byte boundary. */
static uint8_t *buf_alloc(struct acpi_buf *b, size_t len, size_t *off)
{
	size_t start = (b->pos + 7) & ~(size_t)7;

	if (start < b->pos || start > b->size || len > b->size - start)
		return NULL;
	memset(b->base + b->pos, 0, start - b->pos + len);
	b->pos = start + len;
	*off = start;
	return b->base + start;
}

static void header_fill(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put_le(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put_le(t + 24, 1, 4);			/* OEM revision */
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put_le(t + 32, 1, 4);			/* creator revision */
}

static void header_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

static long build_fadt(struct acpi_buf *b, uint64_t dsdt_gpa, size_t *off)
{
	uint8_t *t = buf_alloc(b, FADT_LEN, off);

	if (!t)
		return -ENOSPC;
	header_fill(t, "FACP", FADT_LEN, 6);
	/* Hardware-reduced: no PM1/GPE blocks, no PM timer, no SCI, no FACS.
	 * RTC is left "present" (bit 5 clear) for whoever emulates CMOS. */
	put_le(t + FADT_IAPC_BOOT_ARCH, FADT_BOOT_VGA_ABSENT, 2);
	put_le(t + FADT_FLAGS, FADT_F_HW_REDUCED, 4);
	t[FADT_MINOR_VERSION] = 5;
	put_le(t + FADT_X_DSDT, dsdt_gpa, 8);
	memcpy(t + FADT_HYPERVISOR_ID, "IOSHADE ", 8);
	header_finish(t, FADT_LEN);
	return 0;
}

static void madt_lapics(uint8_t *e, unsigned nr_cpus)
{
	for (unsigned i = 0; i < nr_cpus; i++, e += MADT_LAPIC_LEN) {
		e[0] = 0;				/* Processor Local APIC */
		e[1] = MADT_LAPIC_LEN;
		e[2] = (uint8_t)i;			/* ACPI processor UID */
		e[3] = (uint8_t)i;			/* APIC ID */
		put_le(e + 4, MADT_LAPIC_ENABLED, 4);
	}
}

static long build_madt(struct acpi_buf *b, const struct acpi_config *cfg, size_t *off)
{
	size_t len = ACPI_HDR_LEN + 8 + (size_t)cfg->nr_cpus * MADT_LAPIC_LEN +
		     MADT_IOAPIC_LEN + MADT_ISO_LEN + MADT_NMI_LEN;
	uint8_t *t = buf_alloc(b, len, off), *e;

	if (!t)
		return -ENOSPC;
	header_fill(t, "APIC", (uint32_t)len, 5);
	put_le(t + 36, MADT_LAPIC_ADDR, 4);		/* local APIC address */
	put_le(t + 40, MADT_PCAT_COMPAT, 4);
	madt_lapics(t + 44, cfg->nr_cpus);
	e = t + 44 + (size_t)cfg->nr_cpus * MADT_LAPIC_LEN;

	e[0] = 1;					/* I/O APIC */
	e[1] = MADT_IOAPIC_LEN;
	e[2] = 0;					/* I/O APIC ID */
	put_le(e + 4, cfg->ioapic_base, 4);
	put_le(e + 8, 0, 4);				/* GSI base */
	e += MADT_IOAPIC_LEN;

	e[0] = 2;					/* Interrupt Source Override */
	e[1] = MADT_ISO_LEN;
	e[2] = 0;					/* bus: ISA */
	e[3] = 0;					/* source: IRQ0 (PIT) */
	put_le(e + 4, 2, 4);				/* -> GSI 2 */
	put_le(e + 8, MADT_ISO_FLAGS_CONFORM, 2);
	e += MADT_ISO_LEN;

	e[0] = 4;					/* Local APIC NMI */
	e[1] = MADT_NMI_LEN;
	e[2] = 0xff;					/* all processors */
	put_le(e + 3, 0, 2);				/* flags: conforming */
	e[5] = 1;					/* LINT1 */
	header_finish(t, (uint32_t)len);
	return 0;
}

static long build_mcfg(struct acpi_buf *b, const struct acpi_config *cfg, size_t *off)
{
	uint8_t *t = buf_alloc(b, MCFG_LEN, off);

	if (!t)
		return -ENOSPC;
	header_fill(t, "MCFG", MCFG_LEN, 1);
	put_le(t + 44, cfg->ecam_base, 8);
	put_le(t + 52, 0, 2);				/* segment */
	t[54] = cfg->bus_start;
	t[55] = cfg->bus_end;
	header_finish(t, MCFG_LEN);
	return 0;
}

static long build_viot(struct acpi_buf *b, const struct acpi_config *cfg, size_t *off)
{
	size_t len = VIOT_HDR_LEN + VIOT_IOMMU_PCI_LEN +
		     (size_t)cfg->nr_viot_ranges * VIOT_PCI_RANGE_LEN;
	uint8_t *t = buf_alloc(b, len, off), *e;

	if (!t)
		return -ENOSPC;
	header_fill(t, "VIOT", (uint32_t)len, 0);
	put_le(t + 36, 1 + cfg->nr_viot_ranges, 2);	/* node count */
	put_le(t + 38, VIOT_HDR_LEN, 2);		/* node offset */

	e = t + VIOT_HDR_LEN;
	e[0] = VIOT_NODE_VIRTIO_PCI;
	put_le(e + 2, VIOT_IOMMU_PCI_LEN, 2);
	put_le(e + 4, 0, 2);				/* segment */
	put_le(e + 6, cfg->viommu_bdf, 2);
	e += VIOT_IOMMU_PCI_LEN;

	for (unsigned i = 0; i < cfg->nr_viot_ranges; i++, e += VIOT_PCI_RANGE_LEN) {
		const struct acpi_viot_range *r = &cfg->viot_ranges[i];

		e[0] = VIOT_NODE_PCI_RANGE;
		put_le(e + 2, VIOT_PCI_RANGE_LEN, 2);
		put_le(e + 4, r->bdf_start, 4);		/* endpoint start = BDF */
		put_le(e + 8, 0, 2);			/* segment start */
		put_le(e + 10, 0, 2);			/* segment end */
		put_le(e + 12, r->bdf_start, 2);
		put_le(e + 14, r->bdf_end, 2);
		put_le(e + 16, VIOT_HDR_LEN, 2);	/* output node: the virtio-iommu */
	}
	header_finish(t, (uint32_t)len);
	return 0;
}

/*
 * \_SB.PCI0: the PCIe root bridge. No _OSC: Linux then keeps native PCIe
 * services (hotplug, AER, PME, LTR) under firmware control, i.e. disabled,
 * which is fine for a VM without those features; ECAM still works via MCFG.
 */
static void dsdt_pci0(struct aml *a, const struct acpi_config *cfg)
{
	aml_pkg dev = aml_device_open(a, "PCI0"), crs;

	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name_decl(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name_decl(a, "_SEG");
	aml_int(a, 0);
	aml_name_decl(a, "_BBN");
	aml_int(a, cfg->bus_start);
	aml_name_decl(a, "_UID");
	aml_int(a, 0);

	aml_name_decl(a, "_CRS");
	crs = aml_restemplate_open(a);
	aml_res_word_bus(a, cfg->bus_start, cfg->bus_end);
	aml_res_io(a, LAYOUT_PORT_PCI_ADDR, LAYOUT_PORT_PCI_ADDR, 1, 8);
	aml_res_word_io(a, 0x0000, LAYOUT_PORT_PCI_ADDR - 1);
	aml_res_word_io(a, LAYOUT_PORT_PCI_ADDR + 8, 0xffff);
	if (cfg->mmio32_size)
		aml_res_dword_mem(a, (uint32_t)cfg->mmio32_base,
				  (uint32_t)(cfg->mmio32_base + cfg->mmio32_size - 1));
	if (cfg->mmio64_size)
		aml_res_qword_mem(a, cfg->mmio64_base,
				  cfg->mmio64_base + cfg->mmio64_size - 1, 0);
	aml_restemplate_close(a, crs);
	aml_pkg_close(a, dev);
}

/* Motherboard resources (PNP0C02) claiming ECAM, which Linux wants to see
 * reserved before it trusts MCFG. */
static void dsdt_ecam_res(struct aml *a, const struct acpi_config *cfg)
{
	uint64_t size = ((uint64_t)cfg->bus_end - cfg->bus_start + 1) * ECAM_BUS_SIZE;
	uint64_t base = cfg->ecam_base + cfg->bus_start * ECAM_BUS_SIZE;
	aml_pkg dev = aml_device_open(a, "MRES"), crs;

	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name_decl(a, "_UID");
	aml_int(a, 1);
	aml_name_decl(a, "_CRS");
	crs = aml_restemplate_open(a);
	if (base + size - 1 <= UINT32_MAX)
		aml_res_mem32_fixed(a, (uint32_t)base, (uint32_t)size);
	else
		aml_res_qword_mem(a, base, base + size - 1, 1);
	aml_restemplate_close(a, crs);
	aml_pkg_close(a, dev);
}

static void dsdt_com1(struct aml *a)
{
	aml_pkg dev = aml_device_open(a, "COM1"), crs;

	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name_decl(a, "_UID");
	aml_int(a, 1);
	aml_name_decl(a, "_CRS");
	crs = aml_restemplate_open(a);
	aml_res_io(a, LAYOUT_PORT_SERIAL, LAYOUT_PORT_SERIAL, 1, 8);
	aml_res_irq(a, 1u << COM1_IRQ);
	aml_restemplate_close(a, crs);
	aml_pkg_close(a, dev);
}

static long build_dsdt(struct acpi_buf *b, const struct acpi_config *cfg, size_t *off)
{
	uint8_t *t = buf_alloc(b, ACPI_HDR_LEN, off);
	struct aml a;
	aml_pkg sb;

	if (!t)
		return -ENOSPC;
	aml_init(&a, t + ACPI_HDR_LEN, b->size - b->pos);
	sb = aml_scope_open(&a, "\\_SB");
	dsdt_pci0(&a, cfg);
	dsdt_ecam_res(&a, cfg);
	dsdt_com1(&a);
	aml_pkg_close(&a, sb);
	if (aml_error(&a))
		return aml_error(&a);
	b->pos += a.len;
	header_fill(t, "DSDT", (uint32_t)(ACPI_HDR_LEN + a.len), 2);
	header_finish(t, (uint32_t)(ACPI_HDR_LEN + a.len));
	return 0;
}

static void build_rsdp(uint8_t *r, uint64_t xsdt_gpa)
{
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, ACPI_OEM_ID, 6);
	r[15] = 2;					/* revision: ACPI 2.0+ */
	put_le(r + 16, 0, 4);				/* no RSDT */
	put_le(r + 20, RSDP_LEN, 4);
	put_le(r + 24, xsdt_gpa, 8);
	r[8] = checksum(r, 20);				/* first 20 bytes */
	r[32] = checksum(r, RSDP_LEN);			/* whole structure */
}

static bool window_ok(uint64_t base, uint64_t size, uint64_t limit)
{
	uint64_t last;

	if (!size)
		return true;
	return !__builtin_add_overflow(base, size - 1, &last) && last <= limit;
}

static int config_check(const struct acpi_config *cfg, uint64_t gpa, size_t size)
{
	if (!cfg->nr_cpus || cfg->nr_cpus > 255 || cfg->bus_start > cfg->bus_end)
		return -EINVAL;
	if (cfg->nr_viot_ranges > ACPI_VIOT_MAX_RANGES || (gpa & 15) ||
	    !window_ok(gpa, size, UINT64_MAX))
		return -EINVAL;
	if (cfg->ioapic_base > UINT32_MAX - 0xfff)
		return -EINVAL;
	if (!window_ok(cfg->mmio32_base, cfg->mmio32_size, UINT32_MAX) ||
	    !window_ok(cfg->mmio64_base, cfg->mmio64_size, UINT64_MAX) ||
	    !window_ok(cfg->ecam_base, (cfg->bus_end + 1) * ECAM_BUS_SIZE, UINT64_MAX))
		return -EINVAL;
	for (unsigned i = 0; cfg->has_viommu && i < cfg->nr_viot_ranges; i++)
		if (cfg->viot_ranges[i].bdf_start > cfg->viot_ranges[i].bdf_end)
			return -EINVAL;
	return 0;
}

long acpi_build(const struct acpi_config *cfg, void *buf, size_t size, uint64_t gpa)
{
	struct acpi_buf b = { .base = buf, .size = size };
	size_t rsdp_off, xsdt_off, dsdt_off, off[XSDT_MAX_ENTRIES];
	unsigned n = cfg->has_viommu ? 4 : 3;
	uint32_t xsdt_len = ACPI_HDR_LEN + 8 * n;
	uint8_t *rsdp, *xsdt;
	long ret;

	ret = config_check(cfg, gpa, size);
	if (ret)
		return ret;
	if (!(rsdp = buf_alloc(&b, RSDP_LEN, &rsdp_off)) ||
	    !(xsdt = buf_alloc(&b, xsdt_len, &xsdt_off)))
		return -ENOSPC;
	if ((ret = build_dsdt(&b, cfg, &dsdt_off)) ||
	    (ret = build_fadt(&b, gpa + dsdt_off, &off[0])) ||
	    (ret = build_madt(&b, cfg, &off[1])) ||
	    (ret = build_mcfg(&b, cfg, &off[2])) ||
	    (cfg->has_viommu && (ret = build_viot(&b, cfg, &off[3]))))
		return ret;

	header_fill(xsdt, "XSDT", xsdt_len, 1);
	for (unsigned i = 0; i < n; i++)
		put_le(xsdt + ACPI_HDR_LEN + 8 * i, gpa + off[i], 8);
	header_finish(xsdt, xsdt_len);
	build_rsdp(rsdp, gpa + xsdt_off);
	return (long)b.pos;
}
