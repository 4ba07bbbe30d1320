// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counters and line output for CHECK(). A guest passes only if at least one
 * check ran and none failed: a guest that checked nothing is a defect.
 * Counters are atomic: checks may run on several CPUs.
 */
#include "check.h"

#include "console.h"
#include "guest.h"
#include "smp.h"

static volatile uint32_t n_pass, n_fail, n_skip, n_xfail;

bool check(const char *name, bool ok)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	atomic_add32(ok ? &n_pass : &n_fail, 1);
	return ok;
}

bool checkf(bool ok, const char *fmt, ...)
{
	char name[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return check(name, ok);
}

bool check_dev(const char *name, bool ok, bool deviation_ok, const char *why)
{
	if (ok || !deviation_ok)
		return check(name, ok);
	printf("XFAIL %s (%s)\n", name, why);
	atomic_add32(&n_xfail, 1);
	return false;
}

void check_skip(const char *name, const char *why)
{
	printf("SKIP %s (%s)\n", name, why);
	atomic_add32(&n_skip, 1);
}

unsigned check_failed_count(void)
{
	return n_fail;
}

int check_summary(void)
{
	printf("%u skipped, %u expected failures\n", (unsigned)n_skip, (unsigned)n_xfail);
	printf("%u passed, %u failed\n", (unsigned)n_pass, (unsigned)n_fail);
	return (n_fail == 0 && n_pass > 0) ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
