// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the AML encoder and the ACPI table builder: encodings,
 * checksums, the RSDP -> XSDT -> table pointer chain, MADT/MCFG/VIOT contents,
 * buffer overrun protection, config validation, and (when iasl is installed)
 * a disassemble + recompile round trip of the generated tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/acpi.h"
#include "vmm/aml.h"
#include "vmm/layout.h"

#define BUF_SIZE	LAYOUT_ACPI_SIZE
#define GPA		LAYOUT_ACPI_BASE

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void default_config(struct acpi_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = 4;
	cfg->ecam_base = LAYOUT_ECAM_BASE;
	cfg->bus_start = 0;
	cfg->bus_end = LAYOUT_ECAM_BUSES - 1;
	cfg->mmio32_base = LAYOUT_MMIO32_BASE;
	cfg->mmio32_size = LAYOUT_MMIO32_SIZE;
	cfg->mmio64_base = LAYOUT_MMIO64_BASE;
	cfg->mmio64_size = LAYOUT_MMIO64_SIZE;
	cfg->ioapic_base = LAYOUT_IOAPIC_BASE;
	cfg->has_viommu = true;
	cfg->viommu_bdf = 0x08;
	cfg->nr_viot_ranges = 2;
	cfg->viot_ranges[0] = (struct acpi_viot_range){ 0x10, 0x17 };
	cfg->viot_ranges[1] = (struct acpi_viot_range){ 0x20, 0x2f };
}

struct built {
	uint8_t *buf;
	long used;
};

/* Resolve a GPA to a table header inside the buffer, checking its bounds,
 * alignment and checksum. */
static const uint8_t *table_at(const struct built *b, uint64_t gpa)
{
	const uint8_t *t;
	uint32_t len;

	assert_true(gpa >= GPA && gpa - GPA + 36 <= (uint64_t)b->used);
	assert_int_equal((gpa - GPA) % 8, 0);
	t = b->buf + (gpa - GPA);
	len = (uint32_t)get_le(t + 4, 4);
	assert_true(len >= 36 && gpa - GPA + len <= (uint64_t)b->used);
	assert_int_equal(sum(t, len), 0);
	return t;
}

static const uint8_t *xsdt_find(const struct built *b, const char *sig)
{
	const uint8_t *x = table_at(b, get_le(b->buf + 24, 8));
	uint32_t n = ((uint32_t)get_le(x + 4, 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = table_at(b, get_le(x + 36 + 8 * i, 8));

		if (!memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

static void build(const struct acpi_config *cfg, struct built *b)
{
	b->buf = calloc(1, BUF_SIZE);
	assert_non_null(b->buf);
	b->used = acpi_build(cfg, b->buf, BUF_SIZE, GPA);
	assert_true(b->used > 0 && (uint64_t)b->used <= BUF_SIZE);
}

/* ---- AML encoder ---- */

static void test_aml_ints(void **state)
{
	static const struct { uint64_t v; size_t n; uint8_t enc[9]; } cases[] = {
		{ 0, 1, { 0x00 } }, { 1, 1, { 0x01 } }, { 2, 2, { 0x0a, 2 } },
		{ 0xff, 2, { 0x0a, 0xff } }, { 0x100, 3, { 0x0b, 0x00, 0x01 } },
		{ 0x10000, 5, { 0x0c, 0, 0, 1, 0 } },
		{ 0x100000000ULL, 9, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 } },
		{ UINT64_MAX, 1, { 0xff } },
	};
	uint8_t buf[16];
	struct aml a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_int(&a, cases[i].v);
		assert_int_equal(aml_error(&a), 0);
		assert_int_equal(a.len, cases[i].n);
		assert_memory_equal(buf, cases[i].enc, cases[i].n);
	}
}

static void test_aml_names(void **state)
{
	static const uint8_t dual[] = { '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0' };
	static const uint8_t multi[] = { 0x2f, 3, 'A', '_', '_', '_', 'B', 'C', '_', '_',
					 'D', '1', '2', '3' };
	static const char *const bad[] = { "abc", "TOOLONG", "A..B", "A.", "1ABC", "A-B" };
	uint8_t buf[32];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_name(&a, "\\_SB.PCI0");
	assert_int_equal(a.len, sizeof(dual));
	assert_memory_equal(buf, dual, sizeof(dual));

	aml_init(&a, buf, sizeof(buf));
	aml_name(&a, "A.BC.D123");
	assert_int_equal(a.len, sizeof(multi));
	assert_memory_equal(buf, multi, sizeof(multi));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_name(&a, bad[i]);
		assert_int_equal(aml_error(&a), -EINVAL);
	}
}

static void test_aml_eisaid(void **state)
{
	static const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	uint8_t buf[8];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "PNP0A03");
	assert_memory_equal(buf, pnp0a03, sizeof(pnp0a03));
	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "pnp0a03");
	assert_int_equal(aml_error(&a), -EINVAL);
}

/* Decode a PkgLength at p; returns its value and the bytes it took. */
static size_t pkglen_decode(const uint8_t *p, unsigned *nbytes)
{
	unsigned follow = p[0] >> 6;
	size_t v;

	*nbytes = 1 + follow;
	if (!follow)
		return p[0] & 0x3f;
	v = p[0] & 0x0f;
	for (unsigned i = 0; i < follow; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	return v;
}

/* A Scope whose body is body bytes long must encode exactly the bytes after
 * the opcode, across the 1/2/3-byte PkgLength boundaries. */
static void test_aml_pkglen(void **state)
{
	static const size_t bodies[] = { 0, 57, 58, 59, 60, 200, 4085, 4086, 4100, 70000 };
	size_t cap = 80000;
	uint8_t *buf = malloc(cap);
	struct aml a;

	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		aml_pkg p;
		unsigned nb;
		size_t v;

		aml_init(&a, buf, cap);
		p = aml_scope_open(&a, "FOO");
		for (size_t j = 0; j < bodies[i]; j++)
			aml_byte(&a, (uint8_t)j);
		aml_pkg_close(&a, p);
		assert_int_equal(aml_error(&a), 0);
		assert_int_equal(buf[0], 0x10);
		v = pkglen_decode(buf + 1, &nb);
		assert_int_equal(v, a.len - 1);
		assert_memory_equal(buf + 1 + nb, "FOO_", 4);
		if (bodies[i])
			assert_int_equal(buf[a.len - 1], (uint8_t)(bodies[i] - 1));
		if (v < 64)
			assert_int_equal(nb, 1);
		else
			assert_true(nb >= 2);
	}
	free(buf);
}

static void test_aml_restemplate(void **state)
{
	uint8_t buf[64];
	struct aml a;
	aml_pkg p;
	unsigned nb;
	size_t len;

	aml_init(&a, buf, sizeof(buf));
	p = aml_restemplate_open(&a);
	aml_res_io(&a, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq(&a, 1u << 4);
	aml_restemplate_close(&a, p);
	assert_int_equal(aml_error(&a), 0);
	assert_int_equal(buf[0], 0x11);
	len = pkglen_decode(buf + 1, &nb);
	assert_int_equal(len, a.len - 1);
	/* BufferSize: ByteConst 8 + 3 + 2 = 13 */
	assert_int_equal(buf[1 + nb], 0x0a);
	assert_int_equal(buf[2 + nb], 13);
	assert_int_equal(buf[a.len - 2], 0x79);
	assert_int_equal(sum(buf + 3 + nb, 13), 0);
}

static void test_aml_overflow(void **state)
{
	uint8_t buf[40];
	struct aml a;
	aml_pkg p;

	memset(buf, 0xa5, sizeof(buf));
	aml_init(&a, buf, 16);
	p = aml_device_open(&a, "DEV0");
	aml_name_decl(&a, "_HID");
	aml_eisaid(&a, "PNP0A08");
	aml_name_decl(&a, "_UID");
	aml_int(&a, 0x12345678);
	aml_pkg_close(&a, p);
	assert_int_equal(aml_error(&a), -ENOSPC);
	assert_true(a.len <= 16);
	for (size_t i = 16; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
}

/* ---- ACPI tables ---- */

static void test_rsdp_xsdt_chain(void **state)
{
	struct acpi_config cfg;
	struct built b;
	const uint8_t *x, *fadt, *dsdt;

	default_config(&cfg);
	build(&cfg, &b);
	assert_memory_equal(b.buf, "RSD PTR ", 8);
	assert_int_equal(sum(b.buf, 20), 0);
	assert_int_equal(sum(b.buf, 36), 0);
	assert_int_equal(b.buf[15], 2);
	assert_int_equal(get_le(b.buf + 20, 4), 36);

	x = table_at(&b, get_le(b.buf + 24, 8));
	assert_memory_equal(x, "XSDT", 4);
	assert_int_equal(get_le(x + 4, 4), 36 + 4 * 8);
	assert_non_null(xsdt_find(&b, "APIC"));
	assert_non_null(xsdt_find(&b, "MCFG"));
	assert_non_null(xsdt_find(&b, "VIOT"));
	assert_null(xsdt_find(&b, "DSDT"));

	fadt = xsdt_find(&b, "FACP");
	assert_non_null(fadt);
	assert_int_equal(get_le(fadt + 4, 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_true(get_le(fadt + 112, 4) & (1u << 20));	/* HW_REDUCED_ACPI */
	assert_int_equal(get_le(fadt + 109, 2) & 0xe, 0x4);	/* VGA absent, 8042 and MSI ok */
	dsdt = table_at(&b, get_le(fadt + 140, 8));
	assert_memory_equal(dsdt, "DSDT", 4);
	free(b.buf);
}

static void test_no_viommu(void **state)
{
	struct acpi_config cfg;
	struct built b;

	default_config(&cfg);
	cfg.has_viommu = false;
	build(&cfg, &b);
	assert_int_equal(get_le(table_at(&b, get_le(b.buf + 24, 8)) + 4, 4), 36 + 3 * 8);
	assert_null(xsdt_find(&b, "VIOT"));
	free(b.buf);
}

struct madt_counts {
	unsigned lapic, ioapic, iso, nmi, other;
};

static void madt_walk(const uint8_t *m, const struct acpi_config *cfg, struct madt_counts *c)
{
	uint32_t len = (uint32_t)get_le(m + 4, 4), off = 44;

	memset(c, 0, sizeof(*c));
	while (off < len) {
		const uint8_t *e = m + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		if (e[0] == 0) {
			assert_int_equal(e[2], c->lapic);
			assert_int_equal(e[3], c->lapic);
			assert_int_equal(get_le(e + 4, 4) & 1, 1);
			c->lapic++;
		} else if (e[0] == 1) {
			assert_int_equal(get_le(e + 4, 4), cfg->ioapic_base);
			assert_int_equal(get_le(e + 8, 4), 0);
			c->ioapic++;
		} else if (e[0] == 2) {
			assert_int_equal(e[3], 0);
			assert_int_equal(get_le(e + 4, 4), 2);
			c->iso++;
		} else if (e[0] == 4) {
			assert_int_equal(e[5], 1);
			c->nmi++;
		} else {
			c->other++;
		}
		off += e[1];
	}
	assert_int_equal(off, len);
}

static void test_madt(void **state)
{
	static const unsigned cpus[] = { 1, 4, 255 };
	struct acpi_config cfg;
	struct madt_counts c;
	struct built b;

	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		const uint8_t *m;

		default_config(&cfg);
		cfg.nr_cpus = cpus[i];
		build(&cfg, &b);
		m = xsdt_find(&b, "APIC");
		assert_non_null(m);
		assert_int_equal(get_le(m + 36, 4), 0xfee00000);
		assert_int_equal(get_le(m + 40, 4) & 1, 1);
		madt_walk(m, &cfg, &c);
		assert_int_equal(c.lapic, cpus[i]);
		assert_int_equal(c.ioapic, 1);
		assert_int_equal(c.iso, 1);
		assert_int_equal(c.nmi, 1);
		assert_int_equal(c.other, 0);
		free(b.buf);
	}
}

static void test_mcfg(void **state)
{
	struct acpi_config cfg;
	struct built b;
	const uint8_t *m;

	default_config(&cfg);
	cfg.bus_start = 0;
	cfg.bus_end = 7;
	build(&cfg, &b);
	m = xsdt_find(&b, "MCFG");
	assert_non_null(m);
	assert_int_equal(get_le(m + 4, 4), 60);
	assert_int_equal(get_le(m + 44, 8), LAYOUT_ECAM_BASE);
	assert_int_equal(get_le(m + 52, 2), 0);
	assert_int_equal(m[54], 0);
	assert_int_equal(m[55], 7);
	free(b.buf);
}

static void test_viot(void **state)
{
	struct acpi_config cfg;
	struct built b;
	const uint8_t *v;
	uint32_t len, off;
	unsigned count, iommu_off = 0, ranges = 0;

	default_config(&cfg);
	build(&cfg, &b);
	v = xsdt_find(&b, "VIOT");
	assert_non_null(v);
	len = (uint32_t)get_le(v + 4, 4);
	count = (unsigned)get_le(v + 36, 2);
	off = (uint32_t)get_le(v + 38, 2);
	assert_int_equal(count, 1 + cfg.nr_viot_ranges);
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *n = v + off;
		uint16_t nlen = (uint16_t)get_le(n + 2, 2);

		assert_true(nlen >= 4 && off + nlen <= len);
		if (n[0] == 3) {
			assert_int_equal(nlen, 16);
			assert_int_equal(get_le(n + 6, 2), cfg.viommu_bdf);
			iommu_off = off;
		} else {
			assert_int_equal(n[0], 1);
			assert_int_equal(nlen, 24);
			assert_int_equal(get_le(n + 4, 4), get_le(n + 12, 2));	/* endpoint = BDF */
			assert_int_equal(get_le(n + 12, 2), cfg.viot_ranges[ranges].bdf_start);
			assert_int_equal(get_le(n + 14, 2), cfg.viot_ranges[ranges].bdf_end);
			ranges++;
		}
		off += nlen;
	}
	assert_int_equal(off, len);
	assert_int_equal(ranges, cfg.nr_viot_ranges);
	assert_int_not_equal(iommu_off, 0);
	/* every range points at the virtio-iommu node */
	for (off = (uint32_t)get_le(v + 38, 2); off < len; off += (uint32_t)get_le(v + off + 2, 2))
		if (v[off] == 1)
			assert_int_equal(get_le(v + off + 16, 2), iommu_off);
	free(b.buf);
}

static bool contains(const uint8_t *p, size_t n, const void *needle, size_t m)
{
	return memmem(p, n, needle, m) != NULL;
}

static void test_dsdt_content(void **state)
{
	static const uint8_t pnp0a08[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const uint8_t cf8[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	struct acpi_config cfg;
	struct built b;
	const uint8_t *d;
	uint32_t len;

	default_config(&cfg);
	build(&cfg, &b);
	d = table_at(&b, get_le(xsdt_find(&b, "FACP") + 140, 8));
	len = (uint32_t)get_le(d + 4, 4);
	assert_true(contains(d, len, "PCI0", 4));
	assert_true(contains(d, len, "COM1", 4));
	assert_true(contains(d, len, "_CRS", 4));
	assert_true(contains(d, len, pnp0a08, sizeof(pnp0a08)));
	assert_true(contains(d, len, pnp0501, sizeof(pnp0501)));
	assert_true(contains(d, len, cf8, sizeof(cf8)));
	/* the top-level Scope's PkgLength covers the rest of the table */
	{
		unsigned nb;

		assert_int_equal(d[36], 0x10);
		assert_int_equal(pkglen_decode(d + 37, &nb), len - 37);
	}
	free(b.buf);
}

/* Every too-small buffer gives -ENOSPC and nothing is written past its end. */
static void test_enospc_never_overruns(void **state)
{
	struct acpi_config cfg;
	struct built b;
	uint8_t *buf;

	default_config(&cfg);
	build(&cfg, &b);
	buf = malloc((size_t)b.used + 64);
	assert_non_null(buf);
	for (size_t size = 0; size < (size_t)b.used; size++) {
		memset(buf, 0xa5, (size_t)b.used + 64);
		assert_int_equal(acpi_build(&cfg, buf, size, GPA), -ENOSPC);
		for (size_t i = size; i < (size_t)b.used + 64; i++)
			assert_int_equal(buf[i], 0xa5);
	}
	assert_int_equal(acpi_build(&cfg, buf, (size_t)b.used, GPA), b.used);
	assert_memory_equal(buf, b.buf, (size_t)b.used);
	free(buf);
	free(b.buf);
}

static void test_einval(void **state)
{
	struct acpi_config cfg;
	uint8_t *buf = calloc(1, BUF_SIZE);

	assert_non_null(buf);
	default_config(&cfg);
	cfg.nr_cpus = 0;
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA), -EINVAL);
	cfg.nr_cpus = 256;
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA), -EINVAL);
	default_config(&cfg);
	cfg.nr_viot_ranges = ACPI_VIOT_MAX_RANGES + 1;
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA), -EINVAL);
	default_config(&cfg);
	cfg.viot_ranges[1].bdf_end = 0x1f;	/* end < start */
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA), -EINVAL);
	default_config(&cfg);
	cfg.bus_start = 2;
	cfg.bus_end = 1;
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA), -EINVAL);
	default_config(&cfg);
	cfg.mmio32_base = 0xf0000000;
	cfg.mmio32_size = 0x20000000;		/* crosses 4 GiB */
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA), -EINVAL);
	default_config(&cfg);
	assert_int_equal(acpi_build(&cfg, buf, BUF_SIZE, GPA + 8), -EINVAL);
	cfg.nr_viot_ranges = ACPI_VIOT_MAX_RANGES;
	for (unsigned i = 0; i < ACPI_VIOT_MAX_RANGES; i++)
		cfg.viot_ranges[i] = (struct acpi_viot_range){ (uint16_t)(i * 8), (uint16_t)(i * 8 + 7) };
	assert_true(acpi_build(&cfg, buf, BUF_SIZE, GPA) > 0);
	free(buf);
}

/* ---- iasl round trip ---- */

static bool have_iasl(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Disassemble one table; for the DSDT also recompile the result, which fails
 * on any AML the disassembler could only half understand. */
static void iasl_check(const char *dir, const char *sig, const uint8_t *t, bool recompile)
{
	char path[256], cmd[768];

	snprintf(path, sizeof(path), "%s/%s.dat", dir, sig);
	write_file(path, t, (size_t)get_le(t + 4, 4));
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat > %s.log 2>&1", dir, sig, sig);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/%s.log", dir, sig);
		if (system(cmd) != 0)
			print_message("no log\n");
		fail_msg("iasl -d failed for %s", sig);
	}
	/* iasl before 20210604 does not know VIOT; the C checks above cover it. */
	snprintf(cmd, sizeof(cmd), "grep -q 'Unknown ACPI table signature' %s/%s.dsl", dir, sig);
	if (system(cmd) == 0) {
		print_message("note: this iasl cannot decode %s, only its header was checked\n", sig);
		return;
	}
	snprintf(cmd, sizeof(cmd), "grep -qiE 'error|unknown|invalid' %s/%s.dsl", dir, sig);
	assert_int_not_equal(system(cmd), 0);
	if (!recompile)
		return;
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -p %s-re %s.dsl > %s-re.log 2>&1",
		 dir, sig, sig, sig);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/%s-re.log", dir, sig);
		if (system(cmd) != 0)
			print_message("no log\n");
		fail_msg("recompiling the disassembled %s failed", sig);
	}
}

static void test_iasl(void **state)
{
	char dir[] = "/tmp/ioshade-acpi-XXXXXX", cmd[128];
	struct acpi_config cfg;
	struct built b;

	if (!have_iasl()) {
		printf("SKIP: iasl not installed (Debian package acpica-tools)\n");
		skip();
	}
	default_config(&cfg);
	build(&cfg, &b);
	assert_non_null(mkdtemp(dir));
	iasl_check(dir, "DSDT", table_at(&b, get_le(xsdt_find(&b, "FACP") + 140, 8)), true);
	iasl_check(dir, "FACP", xsdt_find(&b, "FACP"), false);
	iasl_check(dir, "APIC", xsdt_find(&b, "APIC"), false);
	iasl_check(dir, "MCFG", xsdt_find(&b, "MCFG"), false);
	iasl_check(dir, "VIOT", xsdt_find(&b, "VIOT"), false);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", dir);
	free(b.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aml_ints),
		cmocka_unit_test(test_aml_names),
		cmocka_unit_test(test_aml_eisaid),
		cmocka_unit_test(test_aml_pkglen),
		cmocka_unit_test(test_aml_restemplate),
		cmocka_unit_test(test_aml_overflow),
		cmocka_unit_test(test_rsdp_xsdt_chain),
		cmocka_unit_test(test_no_viommu),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_viot),
		cmocka_unit_test(test_dsdt_content),
		cmocka_unit_test(test_enospc_never_overruns),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_iasl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
