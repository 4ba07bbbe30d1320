// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the libvirt domain XML reader and writer (app/domxml*.c, without the
 * RelaxNG schema): any input either fails with a message, or parses into a
 * config within the documented limits that domxml_write expresses (or refuses
 * with -EINVAL), whose XML parses back to the same normalized config and
 * writes out as the same text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/domxml.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void quiet(void *opaque, const char *msg)
{
	CHECK(msg && !strchr(msg, '\n'));
}

static const struct domxml_opts opts = { .schema = "", .warn = quiet };

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_config(const struct vm_config *c)
{
	CHECK(c->memory >= CONFIG_MEM_MIN && c->memory <= CONFIG_MEM_MAX && !(c->memory & 0xfff));
	CHECK(c->cpus >= 1 && c->cpus <= CONFIG_CPUS_MAX);
	CHECK(c->nr_devices <= CONFIG_MAX_DEVICES);
	CHECK(terminated(c->name, sizeof(c->name)) && terminated(c->uuid, sizeof(c->uuid)));
	CHECK(terminated(c->kernel, sizeof(c->kernel)) && terminated(c->initrd, sizeof(c->initrd)));
	CHECK(terminated(c->cmdline, sizeof(c->cmdline)));
	CHECK(terminated(c->serial_path, sizeof(c->serial_path)));
	for (unsigned i = 0; i < c->nr_devices; i++) {
		const struct config_device *d = &c->devices[i];

		CHECK(terminated(d->host_bdf, sizeof(d->host_bdf)));
		CHECK(terminated(d->path, sizeof(d->path)) && terminated(d->spec, sizeof(d->spec)));
	}
}

/* domxml_write into a malloc'd string; returns its errno. */
static int write_xml(const struct vm_config *c, char **buf, size_t *len)
{
	char err[512] = "";
	FILE *f = open_memstream(buf, len);
	int ret;

	CHECK(f);
	ret = domxml_write_opts(f, c, &opts, err, sizeof(err));
	CHECK(!fclose(f));
	CHECK(!ret || (ret == -EINVAL && err[0]));
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_config first, back, again;
	char err[512] = "", *xml = NULL, *xml2 = NULL;
	size_t len = 0, len2 = 0;
	int ret;

	ret = domxml_parse_buffer((const char *)data, size, "fuzz.xml", &opts, &first,
				  err, sizeof(err));
	CHECK(terminated(err, sizeof(err)));
	if (ret) {
		CHECK(err[0]);	/* every refusal says why */
		return 0;
	}
	check_config(&first);
	if (write_xml(&first, &xml, &len))
		goto out;
	ret = domxml_parse_buffer(xml, len, "written.xml", &opts, &back, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "re-parse failed: %s\n%s\n", err, xml);
		__builtin_trap();
	}
	domxml_normalize(&first);
	/* where each path came from names the file it was read from */
	memset(&back.origin, 0, sizeof(back.origin));
	if (!first.name[0])
		snprintf(first.name, sizeof(first.name), "ioshade");
	CHECK(!memcmp(&first, &back, sizeof(first)));
	/* Writing the re-parsed config gives the same document. */
	again = back;
	CHECK(!write_xml(&again, &xml2, &len2));
	CHECK(len2 == len && !memcmp(xml, xml2, len));
out:
	free(xml2);
	free(xml);
	return 0;
}
