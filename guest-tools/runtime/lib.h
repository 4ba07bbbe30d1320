/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few libc string/memory functions the guests need. The compiler may emit
 * calls to memset/memcpy on its own, so these keep the standard names.
 */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* Index of the first byte in buf[0..n) that differs from c, or n. */
size_t mem_find_not(const void *buf, int c, size_t n);

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

#endif
