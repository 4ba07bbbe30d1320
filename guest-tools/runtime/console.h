/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Console on the 16550 UART at I/O port 0x3f8 (polled, no interrupts) and a
 * small printf: %d %i %u %x %X %p %s %c %%, flags '-' '0', width (or '*'),
 * length modifiers l, ll, z, h.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

#define CONSOLE_PORT	0x3f8

void console_init(void);
void console_putc(char c);
void console_puts(const char *s);	/* no newline added */
/* Serialises output between CPUs; recursive on one CPU. printf takes it. */
void console_lock(void);
void console_unlock(void);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
