// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvirt domain XML across libvirt releases, and what virt-install users
 * meet: schema errors located by line and element (with a hint for the
 * constructs newer than the installed schema), stripping those constructs
 * cleanly, the XML in docs/libvirt.md, collapsed warnings, --domain - (stdin),
 * missing files reported at their element, and the writer for each release.
 * Run like test_domxml: without a schema and under each libvirt schema.
 */
#include "unit/domxml_helpers.h"

static struct result *parse_schema_buf(const char *xml)
{
	static struct result r;
	struct domxml_opts o = { .schema = NULL, .warn = collect, .opaque = &r };

	memset(&r, 0, sizeof(r));
	r.ret = domxml_parse_buffer(xml, strlen(xml), "buf.xml", &o, &r.cfg, r.err, sizeof(r.err));
	return &r;
}

/*
 * The schema's objections name the element at fault and its line, also where
 * libxml2 names only the enclosing interleave; the code checks <clock> not at
 * all (ignored) and relative image paths not at all, so these are the
 * schema's. An element neither the code nor any schema knows stays rejected.
 */
static void test_schema_errors_located(void **state)
{
	static const char head[] = "<domain type='kvm'><name>t</name>\n<memory>65536</memory>\n"
				   "<os><type>hvm</type><kernel>/k</kernel></os>\n";
	char xml[1024];
	struct result *r;

	if (!have_schema())
		skip();
	snprintf(xml, sizeof(xml), "%s<clock offset='utc'>\n<bogus/>\n</clock>\n</domain>\n", head);
	r = parse_schema_buf(xml);
	assert_int_equal(r->ret, -EINVAL);
	expect_has(r->err, "buf.xml:5: <bogus>:");
	expect_has(r->err, "libvirt's domain schema");
	snprintf(xml, sizeof(xml), "%s<devices>\n<hostdev mode='subsystem' type='pci'><source>"
		 "<address domain='0' bus='1' slot='0' function='0'/></source></hostdev>\n"
		 "<disk><source file='rel.img'/>" TGT "</disk>\n</devices>\n</domain>\n", head);
	r = parse_schema_buf(xml);
	assert_int_equal(r->ret, -EINVAL);
	expect_has(r->err, "buf.xml:6: <source>: file='rel.img'");
	snprintf(xml, sizeof(xml), "%s<devices>\n<iommu model='virtio'><driver>\n<frob/>"
		 "</driver></iommu>\n</devices>\n</domain>\n", head);
	r = parse_schema_buf(xml);
	assert_int_equal(r->ret, -EINVAL);
	expect_has(r->err, "buf.xml:6: <frob>: unknown to ioshade");
}

/* Stripping <driver iommufd='yes'/> leaves no empty <driver/> (refused by
 * 9.0); one the user wrote is still judged, with a hint on the construct. */
static void test_schema_strip_driver(void **state)
{
	static const char fmt[] = "<domain type='kvm'><name>t</name>\n<memory>65536</memory>\n"
		"<os><type>hvm</type><kernel>/k</kernel></os>\n<devices>\n"
		"<hostdev mode='subsystem' type='pci'>\n%s\n<source><address domain='0' bus='1' "
		"slot='0' function='0'/></source></hostdev>\n</devices>\n</domain>\n";
	char xml[1024];
	struct result *r;

	if (!have_schema())
		skip();
	snprintf(xml, sizeof(xml), fmt, "<driver iommufd='yes'/>");
	r = parse_schema_buf(xml);
	if (r->ret)
		fail_msg("%s", r->err);
	assert_int_equal(r->cfg.iommu_backend, CONFIG_BACKEND_IOMMUFD);
	if (schema_version() >= DOMXML_VERSION(11, 0))
		return;		/* an empty hostdev <driver/> is valid there */
	snprintf(xml, sizeof(xml), fmt, "<driver/>");
	r = parse_schema_buf(xml);
	assert_int_equal(r->ret, -EINVAL);
	expect_has(r->err, "buf.xml:6: <driver>:");
	expect_has(r->err, "hint: <hostdev><driver iommufd> came with libvirt 12.1");
}

/* Every ```xml block of docs/libvirt.md parses, under every schema. */
static void test_docs_examples(void **state)
{
	FILE *f = fopen(source_file("docs/libvirt.md"), "r");
	char *md = NULL, *p, *end;
	size_t len = 0;
	unsigned blocks = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&md, &len, '\0', f) > 0, 1);
	fclose(f);
	for (p = md; (p = strstr(p, "```xml\n")); p = end + 3) {
		static struct result r;
		struct domxml_opts o = { .warn = collect, .opaque = &r };

		/* Run by hand without IOSHADE_LIBVIRT_SCHEMA: no schema, as CTest's
		 * no-schema run (not a "no schema installed" note). */
		if (!have_schema())
			o.schema = SKIP_SCHEMA;
		p += 7;
		end = strstr(p, "```");
		assert_non_null(end);
		memset(&r, 0, sizeof(r));
		r.ret = domxml_parse_buffer(p, (size_t)(end - p), "vm.xml", &o, &r.cfg, r.err,
					    sizeof(r.err));
		if (r.ret)
			fail_msg("docs/libvirt.md block %u: %s", blocks + 1, r.err);
		if (!blocks++) {	/* the worked example, and what the docs say it prints */
			assert_string_equal(r.cfg.name, "edu-guest");
			assert_int_equal(r.cfg.iommu_backend, CONFIG_BACKEND_IOMMUFD);
			assert_int_equal(r.nr_warnings, 1);
			expect_has(r.warnings, "vm.xml:11: <clock>: ignored: the guest clock is "
				   "KVM's kvmclock/TSC, UTC-based");
		}
	}
	free(md);
	assert_true(blocks >= 1);
}

/* virt-install's four <controller>s: one warning line. */
static void test_warnings_collapsed(void **state)
{
	struct result *r = parse_with("virt-install-kvm.xml", have_schema() ? NULL : SKIP_SCHEMA);
	const char *first = strstr(r->warnings, "<controller>");

	assert_int_equal(r->ret, 0);
	assert_non_null(first);
	assert_null(strstr(first + 1, "<controller>"));
	expect_has(r->warnings, ":29: <controller>: ignored: devices sit on ioshade's root bus");
	expect_has(r->warnings, "(4 times: lines 29, 30, 33, 36)");
}

/* --domain - reads stdin, named "stdin" in messages. */
static void test_stdin(void **state)
{
	static const char xml[] = "<domain type='kvm'>\n<name>piped</name>\n<memory>65536"
				  "</memory>\n<os><type>hvm</type><kernel>/k</kernel></os>\n"
				  "<devices><video/></devices>\n</domain>\n";
	char path[] = "/tmp/ioshade-test-stdin-XXXXXX", err[512];
	int fd = mkstemp(path), saved = dup(0);
	struct vm_config cfg;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(write(fd, xml, sizeof(xml) - 1), (ssize_t)sizeof(xml) - 1);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(dup2(fd, 0), 0);
	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain", "-", NULL), -EINVAL);
	expect_has(err, "stdin:5: <video>: not supported");
	assert_int_equal(dup2(saved, 0), 0);
	clearerr(stdin);
	close(fd);
	close(saved);
	unlink(path);
}

/* A missing kernel, initrd or image named by the XML is reported at its element. */
static void test_missing_files_located(void **state)
{
	struct vm_config cfg;
	char err[512], path[1024];

	snprintf(path, sizeof(path), "%s", fixture("minimal.xml"));
	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain", path, NULL), CLI_RUN);
	assert_true(config_check_files(&cfg, err, sizeof(err)) < 0);
	expect_has(err, "minimal.xml:7: <kernel> '/boot/guest.elf'");
	/* given again on the command line: the option is named */
	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain", path, "--kernel",
			     "/nonexistent/k", NULL), CLI_RUN);
	assert_true(config_check_files(&cfg, err, sizeof(err)) < 0);
	expect_has(err, "--kernel '/nonexistent/k'");
	snprintf(path, sizeof(path), "%s", fixture("emulated.xml"));
	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain", path, "--kernel",
			     "/dev/null", NULL), CLI_RUN);
	assert_true(config_check_files(&cfg, err, sizeof(err)) < 0);
	expect_has(err, "emulated.xml:27: <source>: file='/var/lib/ioshade/root.img'");
}

/* domxml for a vfio device with the iommufd backend and a 64 KiB granule, for
 * release v (0: the schema's), with its notes in r. */
static char *write_for(unsigned v, struct result *r)
{
	struct domxml_opts o = { .libvirt_version = v, .warn = collect, .opaque = r };
	struct result *p = parse_with("full.xml", SKIP_SCHEMA);
	struct vm_config cfg = p->cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(p->ret, 0);
	memset(r, 0, sizeof(*r));
	assert_non_null(f);
	if (domxml_write_opts(f, &cfg, &o, r->err, sizeof(r->err)))
		fail_msg("%s", r->err);
	fclose(f);
	return buf;
}

/* Each release gets what it has, a one-line note for what it lacks, and the
 * output validates against the schema under test. */
static void test_write_versions(void **state)
{
	static const struct { unsigned v; const char *has, *note; unsigned notes; } want[] = {
		{ DOMXML_VERSION(9, 0), "<driver aw_bits=\"48\"/>", "libvirt 9.0 predates <iommufd", 2 },
		{ DOMXML_VERSION(11, 3), "<iommu model", "libvirt 11.3 predates <iommu><driver><granule>", 2 },
		{ DOMXML_VERSION(12, 1), "<driver iommufd=\"yes\"/>", "", 0 },
		{ DOMXML_VERSION(12, 2), "<iommufd enabled=\"yes\"/>", "", 0 },
	};
	static struct result r, back;
	struct domxml_opts o = { .warn = collect, .opaque = &back };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *xml = write_for(want[i].v, &r);

		expect_has(xml, want[i].has);
		expect_has(r.warnings, want[i].note);
		assert_int_equal(r.nr_warnings, want[i].notes);
		if (want[i].v < DOMXML_VERSION(12, 1))
			assert_null(strstr(xml, "iommufd"));
		/* validated by the writer, and again by the reader */
		memset(&back, 0, sizeof(back));
		back.ret = domxml_parse_buffer(xml, strlen(xml), "written.xml", &o, &back.cfg,
					       back.err, sizeof(back.err));
		if (back.ret)
			fail_msg("%s\n%s", back.err, xml);
		free(xml);
	}
}

/* Without --schema-version, what the schema under test has is asked of it. */
static void test_write_installed(void **state)
{
	static struct result r;
	unsigned v = schema_version();
	char *xml;

	if (!have_schema())
		skip();
	xml = write_for(0, &r);
	if (v >= DOMXML_VERSION(12, 2)) {
		expect_has(xml, "<iommufd enabled=\"yes\"/>");
		expect_has(xml, "<granule size=\"64\" unit=\"KiB\"/>");
		assert_int_equal(r.nr_warnings, 0);
	} else {
		assert_null(strstr(xml, "<iommufd"));
		expect_has(r.warnings, "the installed libvirt (schema ");
		expect_has(r.warnings, "predates <iommufd enabled='yes'/> (libvirt 12.2)");
	}
	free(xml);
}

static void test_parse_version(void **state)
{
	static const struct { const char *s; int ret; unsigned v; } cases[] = {
		{ "9.0", 0, 9000 }, { "11.3", 0, 11003 }, { "12", 0, 12000 }, { "12.10", 0, 12010 },
		{ "8.3", -EINVAL, 0 }, { "12.", -EINVAL, 0 }, { "x", -EINVAL, 0 },
		{ "12.2.1", -EINVAL, 0 }, { "", -EINVAL, 0 },
	};
	struct vm_config cfg;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned v = 0;

		assert_int_equal(domxml_parse_version(cases[i].s, &v), cases[i].ret);
		if (!cases[i].ret)
			assert_int_equal(v, cases[i].v);
	}
	assert_int_equal(cli(&cfg, err, sizeof(err), "domxml", "--schema-version", "11.3",
			     "--from-args", "run", "--kernel", "/k", NULL), CLI_DOMXML);
	assert_int_equal(cfg.libvirt_version, DOMXML_VERSION(11, 3));
	assert_int_equal(cli(&cfg, err, sizeof(err), "domxml", "--schema-version", "7",
			     "--from-args", "run", NULL), -EINVAL);
	expect_has(err, "--schema-version '7'");
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_errors_located),
		cmocka_unit_test(test_schema_strip_driver),
		cmocka_unit_test(test_docs_examples),
		cmocka_unit_test(test_warnings_collapsed),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_missing_files_located),
		cmocka_unit_test(test_write_versions),
		cmocka_unit_test(test_write_installed),
		cmocka_unit_test(test_parse_version),
	};

	return domxml_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
