/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the domain XML tests (test_domxml, test_domxml_versions): the
 * fixtures, parsing into a result with its warnings, the schema this run is
 * for (IOSHADE_LIBVIRT_SCHEMA, IOSHADE_TEST_LIBVIRT, set by CTest), and the
 * main that skips (77) when that schema was not fetched.
 */
#ifndef IOSHADE_TESTS_DOMXML_HELPERS_H
#define IOSHADE_TESTS_DOMXML_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/cli.h"
#include "app/config.h"
#include "app/domxml.h"

#define SKIP_SCHEMA ""

struct result {
	struct vm_config cfg;
	char err[1024];
	char warnings[8192];
	unsigned nr_warnings;
	int ret;
};

static inline void collect(void *opaque, const char *msg)
{
	struct result *r = opaque;
	size_t used = strlen(r->warnings);

	r->nr_warnings++;
	snprintf(r->warnings + used, sizeof(r->warnings) - used, "%s\n", msg);
}

static inline const char *fixture(const char *name)
{
	static char path[1024];
	const char *file = __FILE__;
	const char *slash = strrchr(file, '/');
	int dir = slash ? (int)(slash - file) : 1;

	snprintf(path, sizeof(path), "%.*s/../domxml/%s", dir, slash ? file : ".", name);
	return path;
}

/* The schema this run is for: $IOSHADE_LIBVIRT_SCHEMA, set by CTest. */
static inline bool have_schema(void)
{
	const char *dir = getenv(DOMXML_SCHEMA_ENV);

	return dir && dir[0];
}

/* Its release, 0 without a schema: from the Debian package version that
 * scripts/libvirt-schemas writes beside it ("12.9.0-1~bpo13+1"), else
 * IOSHADE_TEST_LIBVIRT (CTest's label: "9.0", "11.3", "12"). */
static inline unsigned schema_version(void)
{
	const char *v = getenv("IOSHADE_TEST_LIBVIRT");
	char path[1024], deb[64] = "";
	unsigned version = 0;
	FILE *f;

	if (!have_schema())
		return 0;
	snprintf(path, sizeof(path), "%s/../VERSION", getenv(DOMXML_SCHEMA_ENV));
	f = fopen(path, "r");
	if (f && fgets(deb, sizeof(deb), f)) {
		char *dot = strchr(deb, '.');

		if (dot)
			deb[strspn(deb, "0123456789") + 1 + strspn(dot + 1, "0123456789")] = '\0';
		v = deb;
	}
	if (f)
		fclose(f);
	if (!v || domxml_parse_version(v, &version))
		fail_msg("libvirt release '%s' (%s or IOSHADE_TEST_LIBVIRT) is not one", v ? v : "",
			 path);
	return version;
}

/* The file next to tests/ (docs/libvirt.md, ...). */
static inline const char *source_file(const char *rel)
{
	static char path[1024];
	const char *file = __FILE__;
	const char *slash = strrchr(file, '/');
	int dir = slash ? (int)(slash - file) : 1;

	snprintf(path, sizeof(path), "%.*s/../../%s", dir, slash ? file : ".", rel);
	return path;
}

static inline struct result *parse_with(const char *name, const char *schema)
{
	static struct result r;		/* single-threaded test scratch */
	struct domxml_opts o = { .schema = schema, .warn = collect, .opaque = &r };

	memset(&r, 0, sizeof(r));
	r.ret = domxml_parse_file(fixture(name), &o, &r.cfg, r.err, sizeof(r.err));
	return &r;
}

static inline struct result *parse_buf(const char *xml)
{
	static struct result r;
	struct domxml_opts o = { .schema = SKIP_SCHEMA, .warn = collect, .opaque = &r };

	memset(&r, 0, sizeof(r));
	r.ret = domxml_parse_buffer(xml, strlen(xml), "buf.xml", &o, &r.cfg, r.err, sizeof(r.err));
	return &r;
}

static inline void ignore(void *opaque, const char *msg)
{
}

static inline void expect_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' lacks '%s'", hay, needle);
}

#define SRC "<source file='/d.img'/>"
#define TGT "<target dev='vda' bus='virtio'/>"

static inline int cli(struct vm_config *cfg, char *err, size_t len, const char *first, ...)
{
	char *argv[32] = { "ioshade" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return cli_parse(argc, argv, cfg, err, len);
}

/* Run tests under this run's schema, or skip when it was not fetched. */
static inline int domxml_test_main(const struct CMUnitTest *tests, size_t n)
{
	const char *dir = getenv(DOMXML_SCHEMA_ENV);
	char rng[1024];

	if (dir && dir[0]) {
		snprintf(rng, sizeof(rng), "%s/domain.rng", dir);
		if (access(rng, R_OK)) {
			printf("SKIP: %s missing: libvirt %s's schema was not fetched (run "
			       "scripts/libvirt-schemas BUILD_DIR)\n", rng,
			       getenv("IOSHADE_TEST_LIBVIRT") ? getenv("IOSHADE_TEST_LIBVIRT") : "?");
			return 77;
		}
		printf("note: domain XML checked against %s\n", rng);
	} else {
		printf("note: no schema (IOSHADE_LIBVIRT_SCHEMA empty): schema tests skipped\n");
	}
	return _cmocka_run_group_tests("domxml", tests, n, NULL, NULL);
}

#endif
