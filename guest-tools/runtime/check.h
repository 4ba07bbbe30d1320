/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test reporting that the integration scripts parse: one line per check,
 * "PASS <name>", "FAIL <name>", "SKIP <name> (<why>)" or, for a documented
 * deviation of a reference device that the command line told us to expect,
 * "XFAIL <name> (<why>)"; then a final line "<N> passed, <M> failed".
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdbool.h>

bool check(const char *name, bool ok);
bool checkf(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like check, but a failure is an XFAIL (not counted) when deviation_ok. */
bool check_dev(const char *name, bool ok, bool deviation_ok, const char *why);
void check_skip(const char *name, const char *why);
unsigned check_failed_count(void);
/* Prints the summary lines; returns GUEST_EXIT_PASS iff nothing failed. */
int check_summary(void);

#define CHECK(name, cond)	check((name), (cond))

#endif
