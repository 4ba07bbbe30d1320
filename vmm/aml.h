/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny AML (ACPI Machine Language) encoder for the DSDT: names, devices,
 * scopes, methods, integers, buffers and resource templates, written into a
 * caller-provided byte buffer. Errors are sticky: once the buffer is full,
 * every later call is a no-op and aml_error() reports -ENOSPC.
 */
#ifndef IOSHADE_VMM_AML_H
#define IOSHADE_VMM_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;		/* 0, -ENOSPC (full) or -EINVAL (bad name / nesting) */
};

/* A package (Scope/Device/Method/Buffer) under construction: where its body
 * starts. Close packages in reverse order of opening. */
typedef size_t aml_pkg;

void aml_init(struct aml *a, void *buf, size_t cap);
int aml_error(const struct aml *a);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);
/* NameString: "\\_SB.PCI0", "_HID", "^FOO"; segments shorter than 4 chars
 * are padded with '_'. */
void aml_name(struct aml *a, const char *path);
/* Integer with the shortest encoding (Zero/One/Ones/Byte/Word/DWord/QWord). */
void aml_int(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISAID("PNP0A08") as a DWordConst. */
void aml_eisaid(struct aml *a, const char *id);

/* Name(path, <next object>): emit the object right after this call. */
void aml_name_decl(struct aml *a, const char *path);
aml_pkg aml_scope_open(struct aml *a, const char *path);
aml_pkg aml_device_open(struct aml *a, const char *path);
aml_pkg aml_method_open(struct aml *a, const char *path, unsigned nargs, int serialized);
void aml_return(struct aml *a);		/* Return(<next object>) */
/* Closes Scope/Device/Method: encodes the PkgLength in front of the body. */
void aml_pkg_close(struct aml *a, aml_pkg pkg);

/* Resource template: a Buffer whose bytes are resource descriptors. */
aml_pkg aml_restemplate_open(struct aml *a);
void aml_restemplate_close(struct aml *a, aml_pkg pkg);	/* adds the EndTag */

/* Resource descriptors (ACPI 6.5 section 6.4). Producer ranges, fixed min/max. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max, int consumer);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_res_irq(struct aml *a, uint16_t mask);	/* IRQNoFlags: edge, active-high */

#endif
