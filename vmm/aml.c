// SPDX-License-Identifier: GPL-2.0-only
/*
 * Minimal AML encoder (ACPI 6.5 chapter 20) used to build the DSDT. Packages
 * are written body-first and their PkgLength is inserted in front when they
 * close, so no size has to be known in advance. All writes are bounds-checked
 * against the caller's buffer; the first failure sticks in a->err.
 */
#include <errno.h>
#include <string.h>

#include "vmm/aml.h"

#define AML_OP_ZERO		0x00
#define AML_OP_ONE		0x01
#define AML_OP_NAME		0x08
#define AML_PREFIX_BYTE		0x0a
#define AML_PREFIX_WORD		0x0b
#define AML_PREFIX_DWORD	0x0c
#define AML_PREFIX_STRING	0x0d
#define AML_PREFIX_QWORD	0x0e
#define AML_OP_SCOPE		0x10
#define AML_OP_BUFFER		0x11
#define AML_OP_METHOD		0x14
#define AML_DUAL_NAME		0x2e
#define AML_MULTI_NAME		0x2f
#define AML_EXT_PREFIX		0x5b
#define AML_EXT_DEVICE		0x82
#define AML_OP_RETURN		0xa4
#define AML_OP_ONES		0xff

#define AML_NAMESEG_MAX		255
#define RES_END_TAG		0x79

void aml_init(struct aml *a, void *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->err = 0;
}

int aml_error(const struct aml *a)
{
	return a->err;
}

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static int aml_reserve(struct aml *a, size_t n)
{
	if (a->err)
		return a->err;
	if (n > a->cap - a->len) {
		aml_fail(a, -ENOSPC);
		return a->err;
	}
	return 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* Insert n bytes at pos (<= len), moving what follows. */
static void aml_insert(struct aml *a, size_t pos, const uint8_t *p, size_t n)
{
	if (aml_reserve(a, n))
		return;
	if (pos > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	memmove(a->buf + pos + n, a->buf + pos, a->len - pos);
	memcpy(a->buf + pos, p, n);
	a->len += n;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* PkgLength counts its own bytes: 1 byte up to 63, else a lead byte holding
 * the low nibble and the count of following bytes (ACPI 6.5 20.2.4). */
static unsigned pkglen_encode(size_t body, uint8_t out[4])
{
	static const size_t limit[4] = { 0x40, 0x1000, 0x100000, 0x10000000 };

	for (unsigned n = 1; n <= 4; n++) {
		size_t total = body + n;

		if (total >= limit[n - 1])
			continue;
		if (n == 1) {
			out[0] = (uint8_t)total;
			return 1;
		}
		out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		put_le(out + 1, total >> 4, n - 1);
		return n;
	}
	return 0;
}

void aml_pkg_close(struct aml *a, aml_pkg pkg)
{
	uint8_t enc[4];
	unsigned n;

	if (a->err)
		return;
	if (pkg > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	n = pkglen_encode(a->len - pkg, enc);
	if (!n) {
		aml_fail(a, -ENOSPC);
		return;
	}
	aml_insert(a, pkg, enc, n);
}

static unsigned int_encode(uint64_t v, uint8_t out[9])
{
	static const struct { uint64_t max; uint8_t prefix; unsigned n; } sizes[] = {
		{ 0xff, AML_PREFIX_BYTE, 1 },
		{ 0xffff, AML_PREFIX_WORD, 2 },
		{ 0xffffffff, AML_PREFIX_DWORD, 4 },
		{ UINT64_MAX, AML_PREFIX_QWORD, 8 },
	};

	if (v == 0 || v == 1 || v == UINT64_MAX) {
		out[0] = v == 0 ? AML_OP_ZERO : v == 1 ? AML_OP_ONE : AML_OP_ONES;
		return 1;
	}
	for (unsigned i = 0;; i++) {
		if (v <= sizes[i].max) {
			out[0] = sizes[i].prefix;
			put_le(out + 1, v, sizes[i].n);
			return 1 + sizes[i].n;
		}
	}
}

void aml_int(struct aml *a, uint64_t v)
{
	uint8_t enc[9];

	aml_bytes(a, enc, int_encode(v, enc));
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_PREFIX_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

static int is_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
	return is_lead_char(c) || (c >= '0' && c <= '9');
}

/* Parse one dot-separated segment of up to 4 chars into seg, padding with '_'. */
static const char *parse_seg(const char *p, uint8_t seg[4])
{
	unsigned n = 0;

	if (!is_lead_char(*p))
		return NULL;
	while (is_name_char(*p)) {
		if (n == 4)
			return NULL;
		seg[n++] = (uint8_t)*p++;
	}
	while (n < 4)
		seg[n++] = '_';
	return p;
}

void aml_name(struct aml *a, const char *path)
{
	uint8_t segs[AML_NAMESEG_MAX][4];
	unsigned n = 0;
	const char *p = path;

	while (*p == '\\' || *p == '^')
		aml_byte(a, (uint8_t)*p++);
	while (*p) {
		if (n == AML_NAMESEG_MAX || !(p = parse_seg(p, segs[n++])))
			goto err_name;
		if (*p == '.' && p[1])
			p++;
		else if (*p)
			goto err_name;
	}
	if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (n > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)n);
	} else if (n == 0)
		aml_byte(a, 0);	/* NullName */
	aml_bytes(a, segs, 4 * (size_t)n);
	return;
err_name:
	aml_fail(a, -EINVAL);
}

/* Compressed EISA ID: three 5-bit letters and four hex digits, stored so the
 * bytes in memory read vendor-high, vendor-low, product-high, product-low. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t vendor = 0, product = 0;
	uint8_t enc[5];

	if (strlen(id) != 7)
		goto err_id;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			goto err_id;
		vendor = (vendor << 5) | (uint32_t)(id[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d = (c >= '0' && c <= '9') ? (unsigned)(c - '0') :
			     (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10) : 16;

		if (d > 15)
			goto err_id;
		product = (product << 4) | d;
	}
	enc[0] = AML_PREFIX_DWORD;
	enc[1] = (uint8_t)(vendor >> 8);
	enc[2] = (uint8_t)vendor;
	enc[3] = (uint8_t)(product >> 8);
	enc[4] = (uint8_t)product;
	aml_bytes(a, enc, sizeof(enc));
	return;
err_id:
	aml_fail(a, -EINVAL);
}

void aml_name_decl(struct aml *a, const char *path)
{
	aml_byte(a, AML_OP_NAME);
	aml_name(a, path);
}

aml_pkg aml_scope_open(struct aml *a, const char *path)
{
	aml_pkg pkg;

	aml_byte(a, AML_OP_SCOPE);
	pkg = a->len;
	aml_name(a, path);
	return pkg;
}

aml_pkg aml_device_open(struct aml *a, const char *path)
{
	aml_pkg pkg;

	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_EXT_DEVICE);
	pkg = a->len;
	aml_name(a, path);
	return pkg;
}

aml_pkg aml_method_open(struct aml *a, const char *path, unsigned nargs, int serialized)
{
	aml_pkg pkg;

	if (nargs > 7)
		aml_fail(a, -EINVAL);
	aml_byte(a, AML_OP_METHOD);
	pkg = a->len;
	aml_name(a, path);
	aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
	return pkg;
}

void aml_return(struct aml *a)
{
	aml_byte(a, AML_OP_RETURN);
}

aml_pkg aml_restemplate_open(struct aml *a)
{
	aml_byte(a, AML_OP_BUFFER);
	return a->len;
}

/* Appends EndTag with a checksum making the template's bytes sum to zero,
 * then inserts BufferSize and the PkgLength in front of the bytes. */
void aml_restemplate_close(struct aml *a, aml_pkg pkg)
{
	uint8_t sum = RES_END_TAG, enc[9];

	if (a->err)
		return;
	if (pkg > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (size_t i = pkg; i < a->len; i++)
		sum = (uint8_t)(sum + a->buf[i]);
	aml_byte(a, RES_END_TAG);
	aml_byte(a, (uint8_t)-sum);
	if (a->err)
		return;
	aml_insert(a, pkg, enc, int_encode(a->len - pkg, enc));
	aml_pkg_close(a, pkg);
}

/* Address space descriptor (word/dword/qword): tag, length, type, general
 * flags (producer, positive decode, min and max fixed), type flags, then
 * granularity, min, max, translation, length, each of width bytes. */
static void res_addr(struct aml *a, uint8_t tag, unsigned width, uint8_t type,
		     uint8_t tflags, int consumer, uint64_t min, uint64_t max)
{
	uint8_t d[3 + 3 + 5 * 8];
	size_t body = 3 + 5 * (size_t)width;

	d[0] = tag;
	put_le(d + 1, body, 2);
	d[3] = type;
	d[4] = (uint8_t)(0x0c | (consumer ? 1 : 0));
	d[5] = tflags;
	put_le(d + 6, 0, width);
	put_le(d + 6 + width, min, width);
	put_le(d + 6 + 2 * width, max, width);
	put_le(d + 6 + 3 * width, 0, width);
	put_le(d + 6 + 4 * width, max - min + 1, width);
	aml_bytes(a, d, 3 + body);
}

#define RES_TAG_WORD	0x88
#define RES_TAG_DWORD	0x87
#define RES_TAG_QWORD	0x8a
#define RES_TAG_MEM32F	0x86
#define RES_TAG_IO	0x47
#define RES_TAG_IRQ2	0x22
#define RES_TYPE_MEM	0
#define RES_TYPE_IO	1
#define RES_TYPE_BUS	2
#define RES_MEM_RW	0x01	/* read-write, non-cacheable */
#define RES_IO_ENTIRE	0x03	/* ISA and non-ISA ranges */

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	res_addr(a, RES_TAG_WORD, 2, RES_TYPE_BUS, 0, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	res_addr(a, RES_TAG_WORD, 2, RES_TYPE_IO, RES_IO_ENTIRE, 0, min, max);
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	res_addr(a, RES_TAG_DWORD, 4, RES_TYPE_MEM, RES_MEM_RW, 0, min, max);
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max, int consumer)
{
	res_addr(a, RES_TAG_QWORD, 8, RES_TYPE_MEM, RES_MEM_RW, consumer, min, max);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	uint8_t d[8] = { RES_TAG_IO, 0x01 /* 16-bit decode */ };

	put_le(d + 2, min, 2);
	put_le(d + 4, max, 2);
	d[6] = align;
	d[7] = len;
	aml_bytes(a, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	uint8_t d[12] = { RES_TAG_MEM32F, 9, 0, RES_MEM_RW };

	put_le(d + 4, base, 4);
	put_le(d + 8, len, 4);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_irq(struct aml *a, uint16_t mask)
{
	uint8_t d[3] = { RES_TAG_IRQ2, (uint8_t)mask, (uint8_t)(mask >> 8) };

	aml_bytes(a, d, sizeof(d));
}
