// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small printf engine writing through a sink: the console or a bounded
 * buffer (snprintf). Supports what the guests print: integers in base 10/16
 * with width, zero padding and left alignment, strings, chars and pointers.
 */
#include "console.h"

#include <stdbool.h>
#include <stdint.h>

struct sink {
	bool console;		/* else write into buf */
	char *buf;
	size_t size;
	size_t len;		/* characters produced so far */
};

struct spec {
	bool left;
	bool zero;
	unsigned width;
	int lmod;		/* 0 int, 1 long, 2 long long, 3 size_t */
};

static void sink_put(struct sink *s, char c)
{
	if (s->console)
		console_putc(c);
	else if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void sink_pad(struct sink *s, char c, unsigned n)
{
	while (n--)
		sink_put(s, c);
}

static void put_field(struct sink *s, const struct spec *sp, const char *str,
		      unsigned n, bool neg)
{
	unsigned len = n + (neg ? 1 : 0);
	unsigned pad = sp->width > len ? sp->width - len : 0;

	if (!sp->left && !sp->zero)
		sink_pad(s, ' ', pad);
	if (neg)
		sink_put(s, '-');
	if (!sp->left && sp->zero)
		sink_pad(s, '0', pad);
	while (n--)
		sink_put(s, *str++);
	if (sp->left)
		sink_pad(s, ' ', pad);
}

static void put_number(struct sink *s, const struct spec *sp, uint64_t v,
		       unsigned base, bool upper, bool neg)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v);
	put_field(s, sp, tmp + i, sizeof(tmp) - i, neg);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	if (*f == '*') {
		int w = va_arg(*ap, int);

		sp->width = w < 0 ? 0 : (unsigned)w;
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (unsigned)(*f++ - '0');
	for (; *f == 'l' || *f == 'z' || *f == 'h'; f++) {
		if (*f == 'l')
			sp->lmod++;
		else if (*f == 'z')
			sp->lmod = 3;
	}
	return f;
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->lmod) {
	case 0: return va_arg(*ap, unsigned int);
	case 1: return va_arg(*ap, unsigned long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned long long);
	}
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->lmod) {
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	case 3: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, long long);
	}
}

static void put_signed(struct sink *s, const struct spec *sp, int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	put_number(s, sp, mag, 10, false, v < 0);
}

static void put_string(struct sink *s, const struct spec *sp, const char *str)
{
	unsigned n = 0;

	if (!str)
		str = "(null)";
	while (str[n])
		n++;
	put_field(s, sp, str, n, false);
}

static void convert(struct sink *s, struct spec *sp, char conv, va_list *ap)
{
	char c;

	switch (conv) {
	case 'd': case 'i': put_signed(s, sp, arg_signed(sp, ap)); break;
	case 'u': put_number(s, sp, arg_unsigned(sp, ap), 10, false, false); break;
	case 'x': put_number(s, sp, arg_unsigned(sp, ap), 16, false, false); break;
	case 'X': put_number(s, sp, arg_unsigned(sp, ap), 16, true, false); break;
	case 'p':
		sink_put(s, '0');
		sink_put(s, 'x');
		put_number(s, sp, (uintptr_t)va_arg(*ap, void *), 16, false, false);
		break;
	case 's': put_string(s, sp, va_arg(*ap, const char *)); break;
	case 'c':
		c = (char)va_arg(*ap, int);
		put_field(s, sp, &c, 1, false);
		break;
	default:
		sink_put(s, '%');
		if (conv)
			sink_put(s, conv);
	}
}

static int vformat(struct sink *s, const char *fmt, va_list ap)
{
	va_list aq;
	struct spec sp;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			sink_put(s, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &aq);
		convert(s, &sp, *fmt, &aq);
		if (*fmt)
			fmt++;
	}
	va_end(aq);
	if (s->buf && s->size)
		s->buf[s->len < s->size ? s->len : s->size - 1] = '\0';
	return (int)s->len;
}

int vprintf(const char *fmt, va_list ap)
{
	struct sink s = { .console = true };
	int n;

	console_lock();
	n = vformat(&s, fmt, ap);
	console_unlock();
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size };

	return vformat(&s, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
