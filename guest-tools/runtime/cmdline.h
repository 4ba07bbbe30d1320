/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The boot command line (start_info.cmdline_paddr), copied once at boot and
 * split into space-separated words of the form "flag" or "key=value".
 */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX	1024

void cmdline_init(const char *src);
const char *cmdline_get(void);			/* "" when none */
bool cmdline_has(const char *word);		/* word or word=... present */
/* Copies the value of key=value into out (NUL-terminated); false if absent. */
bool cmdline_value(const char *key, char *out, size_t size);
/* true if key=value is present with exactly this value */
bool cmdline_is(const char *key, const char *value);

#endif
