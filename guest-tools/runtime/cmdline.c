// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command-line lookup for guest options such as "quirks=qemu" or
 * "ownership=lax". The text is copied into a bounded buffer at boot, so later
 * lookups never read loader memory.
 */
#include "cmdline.h"

#include "lib.h"

static char cmdline[CMDLINE_MAX];

void cmdline_init(const char *src)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(cmdline) && src[i]; i++)
		cmdline[i] = src[i];
	cmdline[i] = '\0';
}

const char *cmdline_get(void)
{
	return cmdline;
}

/* Finds word (followed by end, space or '='); returns the char after it. */
static const char *find_word(const char *word)
{
	size_t n = strlen(word);
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, word, n) && (p[n] == '\0' || p[n] == ' ' || p[n] == '='))
			return p + n;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

bool cmdline_has(const char *word)
{
	return find_word(word) != NULL;
}

bool cmdline_value(const char *key, char *out, size_t size)
{
	const char *p = find_word(key);
	size_t i = 0;

	if (!p || *p != '=' || !size)
		return false;
	for (p++; *p && *p != ' ' && i + 1 < size; p++)
		out[i++] = *p;
	out[i] = '\0';
	return true;
}

bool cmdline_is(const char *key, const char *value)
{
	char buf[64];

	return cmdline_value(key, buf, sizeof(buf)) && !strncmp(buf, value, sizeof(buf));
}
