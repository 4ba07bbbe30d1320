// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command line and vm_config tests: good arguments fill the config, every bad
 * argument is rejected with a message naming the option and the value, and
 * the file check names the path and the errno string. No KVM needed.
 */
#include <errno.h>
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

#define MAX_ARGS 48

struct parsed {
	struct vm_config cfg;
	char err[512];
	int ret;
};

/* Parse a NULL-terminated list of arguments after "ioshade". */
static struct parsed *parse(const char *first, ...)
{
	static struct parsed p;		/* test-local scratch, single-threaded */
	char *argv[MAX_ARGS] = { "ioshade" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < MAX_ARGS - 1; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	memset(&p, 0, sizeof(p));
	p.ret = cli_parse(argc, argv, &p.cfg, p.err, sizeof(p.err));
	return &p;
}

/* Expect a rejection whose message contains both needles. */
static void expect_bad(struct parsed *p, const char *needle1, const char *needle2)
{
	assert_int_equal(p->ret, -EINVAL);
	if (!strstr(p->err, needle1) || (needle2 && !strstr(p->err, needle2)))
		fail_msg("error '%s' lacks '%s' / '%s'", p->err, needle1, needle2 ? needle2 : "");
}

static void test_minimal_defaults(void **state)
{
	struct parsed *p = parse("run", "--kernel", "guest.elf", NULL);

	assert_int_equal(p->ret, CLI_RUN);
	assert_string_equal(p->cfg.kernel, "guest.elf");
	assert_int_equal(p->cfg.memory, CONFIG_MEM_DEFAULT);
	assert_int_equal(p->cfg.cpus, 1);
	assert_int_equal(p->cfg.serial, CONFIG_SERIAL_STDOUT);
	assert_int_equal(p->cfg.viommu, CONFIG_AUTO);
	assert_int_equal(p->cfg.iommu_backend, CONFIG_BACKEND_AUTO);
	assert_int_equal(p->cfg.nr_devices, 0);
	assert_string_equal(p->cfg.initrd, "");
	assert_string_equal(p->cfg.cmdline, "");
}

static void test_all_options(void **state)
{
	struct parsed *p = parse("run", "--kernel", "k", "--memory", "2G", "--cpus", "8",
				 "--cmdline", "console=ttyS0 quiet", "--initrd", "rd.img",
				 "--device", "edu,iommu=on", "--device", "edu-sim",
				 "--device", "vfio=01:00.0,iommu=off", "--viommu",
				 "--iommu-backend", "sim", "--log-level", "debug",
				 "--serial", "/tmp/console.log", NULL);

	assert_int_equal(p->ret, CLI_RUN);
	assert_int_equal(p->cfg.memory, 2ULL << 30);
	assert_int_equal(p->cfg.cpus, 8);
	assert_string_equal(p->cfg.cmdline, "console=ttyS0 quiet");
	assert_string_equal(p->cfg.initrd, "rd.img");
	assert_int_equal(p->cfg.nr_devices, 3);
	assert_int_equal(p->cfg.devices[0].kind, CONFIG_DEV_EDU);
	assert_int_equal(p->cfg.devices[0].iommu, CONFIG_ON);
	assert_int_equal(p->cfg.devices[1].kind, CONFIG_DEV_EDU_SIM);
	assert_int_equal(p->cfg.devices[1].iommu, CONFIG_AUTO);
	assert_int_equal(p->cfg.devices[2].kind, CONFIG_DEV_VFIO);
	assert_int_equal(p->cfg.devices[2].iommu, CONFIG_OFF);
	assert_string_equal(p->cfg.devices[2].host_bdf, "0000:01:00.0");
	assert_string_equal(p->cfg.devices[2].spec, "vfio=01:00.0,iommu=off");
	assert_int_equal(p->cfg.viommu, CONFIG_ON);
	assert_int_equal(p->cfg.iommu_backend, CONFIG_BACKEND_SIM);
	assert_int_equal(p->cfg.log_level, CONFIG_LOG_DEBUG);
	assert_int_equal(p->cfg.serial, CONFIG_SERIAL_FILE);
	assert_string_equal(p->cfg.serial_path, "/tmp/console.log");
}

static void test_equals_form_and_last_wins(void **state)
{
	struct parsed *p = parse("run", "--kernel=a.elf", "--memory=64M", "--cpus=2",
				 "--no-viommu", "--serial=none", "--iommu-backend=iommufd",
				 "--cpus", "3", NULL);

	assert_int_equal(p->ret, CLI_RUN);
	assert_string_equal(p->cfg.kernel, "a.elf");
	assert_int_equal(p->cfg.memory, 64ULL << 20);
	assert_int_equal(p->cfg.cpus, 3);
	assert_int_equal(p->cfg.viommu, CONFIG_OFF);
	assert_int_equal(p->cfg.serial, CONFIG_SERIAL_NONE);
	assert_int_equal(p->cfg.iommu_backend, CONFIG_BACKEND_IOMMUFD);
	p = parse("run", "--kernel", "a.elf", "--serial", "pty", NULL);
	assert_int_equal(p->ret, CLI_RUN);
	assert_int_equal(p->cfg.serial, CONFIG_SERIAL_PTY);
}

static void test_memory_sizes(void **state)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "16M", 16ULL << 20 }, { "16777216", 16ULL << 20 }, { "65536K", 64ULL << 20 },
		{ "64MiB", 64ULL << 20 }, { "1g", 1ULL << 30 }, { "1T", 1ULL << 40 },
		{ "3G", 3ULL << 30 }, { "5GB", 5ULL << 30 },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct parsed *p = parse("run", "--kernel", "k", "--memory", good[i].s, NULL);

		assert_int_equal(p->ret, CLI_RUN);
		assert_int_equal(p->cfg.memory, good[i].v);
	}
}

static void test_memory_bad(void **state)
{
	static const char *const bad[] = {
		"15M", "2T", "1025G", "16777217", "abc", "12X", "", "-16M", "16MX", "M",
		"99999999999999999999", "20000000T", "0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(parse("run", "--kernel", "k", "--memory", bad[i], NULL), "--memory",
			   bad[i][0] ? bad[i] : NULL);
}

static void test_config_parse_size(void **state)
{
	uint64_t v = 0;

	assert_int_equal(config_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(config_parse_size("17179869184T", &v), -ERANGE);
	assert_int_equal(config_parse_size("1Q", &v), -EINVAL);
	assert_int_equal(config_parse_size(" 1M", &v), -EINVAL);
	assert_int_equal(config_parse_size("1Mx", &v), -EINVAL);
}

static void test_cpus(void **state)
{
	static const char *const bad[] = { "0", "9", "two", "1x", "-1", "", "99999999999999999999" };

	assert_int_equal(parse("run", "--kernel", "k", "--cpus", "8", NULL)->ret, CLI_RUN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(parse("run", "--kernel", "k", "--cpus", bad[i], NULL), "--cpus",
			   bad[i][0] ? bad[i] : NULL);
}

static void test_bad_options(void **state)
{
	expect_bad(parse("run", "--kernel", "k", "--bogus", NULL), "--bogus", NULL);
	expect_bad(parse("run", "--kernel", NULL), "--kernel", "missing value");
	expect_bad(parse("run", "--cpus", "2", NULL), "--kernel", NULL);
	expect_bad(parse("run", "--kernel", "k", "--viommu=yes", NULL), "--viommu", "yes");
	expect_bad(parse("run", "--kernel", "", NULL), "--kernel", "empty");
	expect_bad(parse("run", "--kernel", "k", "--iommu-backend", "vfio", NULL),
		   "--iommu-backend", "vfio");
	expect_bad(parse("run", "--kernel", "k", "--log-level", "loud", NULL), "--log-level",
		   "loud");
	expect_bad(parse("frobnicate", NULL), "frobnicate", NULL);
	expect_bad(parse(NULL), "missing command", NULL);
}

static void test_long_values(void **state)
{
	char *big = malloc(CONFIG_PATH_MAX + 16);

	assert_non_null(big);
	memset(big, 'a', CONFIG_PATH_MAX + 15);
	big[CONFIG_PATH_MAX + 15] = '\0';
	expect_bad(parse("run", "--kernel", big, NULL), "--kernel", "longer");
	big[CONFIG_CMDLINE_MAX] = '\0';
	expect_bad(parse("run", "--kernel", "k", "--cmdline", big, NULL), "--cmdline", "longer");
	big[CONFIG_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(parse("run", "--kernel", "k", "--cmdline", big, NULL)->ret, CLI_RUN);
	free(big);
}

static void test_devices_bad(void **state)
{
	static const struct { const char *arg, *n1, *n2; } bad[] = {
		{ "foo", "'foo'", "edu, edu-sim, vfio" },
		{ "foo,iommu=on", "'foo'", "edu-sim" },
		{ "", "empty", "edu" },
		{ "edu,iommu=maybe", "iommu", "maybe" },
		{ "edu,bogus=1", "bogus=1", "iommu=on|off" },
		{ "edu=3", "edu", "3" },
		{ "vfio", "vfio", "bb:dd.f" },
		{ "vfio=zz:00.0", "vfio", "zz:00.0" },
		{ "vfio=00:20.0", "vfio", "00:20.0" },
		{ "vfio=00:1f.8", "vfio", "00:1f.8" },
		{ "vfio=0000:00:01.0x", "vfio", "0000:00:01.0x" },
		{ "vfio=/sys/bus/pci/devices/00:03.0", "vfio", "/sys/bus/pci/devices/00:03.0" },
		{ "vfio=/dev/vfio/devices/vfio0", "vfio", "/sys/bus/pci/devices/dddd" },
		{ "vfio=/sys/bus/pci/devices/", "vfio", "/sys/bus/pci/devices/dddd" },
		{ "virtio-blk", "virtio-blk", "file=PATH" },
		{ "virtio-blk,iommu=on", "virtio-blk,iommu=on", "file=PATH" },
		{ "virtio-blk,file=", "file=", "path" },
		{ "virtio-blk,file=d.img,readonly=yes", "readonly", "yes" },
		{ "virtio-blk,file=d.img,cache=none", "cache=none", "readonly=on|off" },
		{ "virtio-blk=d.img", "virtio-blk", "d.img" },
		{ "virtio-rng,file=x", "file=x", "iommu=on|off" },
		{ "virtio-rng,readonly=on", "readonly=on", "virtio-rng" },
		{ "edu,file=x", "file=x", "edu" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(parse("run", "--kernel", "k", "--device", bad[i].arg, NULL), bad[i].n1,
			   bad[i].n2);
}

static void test_devices_limit_and_conflict(void **state)
{
	char *argv[MAX_ARGS] = { "ioshade", "run", "--kernel", "k" };
	struct vm_config cfg;
	char err[256];
	int argc = 4;

	for (int i = 0; i <= CONFIG_MAX_DEVICES; i++) {
		argv[argc++] = "--device";
		argv[argc++] = "edu";
	}
	assert_int_equal(cli_parse(argc - 2, argv, &cfg, err, sizeof(err)), CLI_RUN);
	assert_int_equal(cfg.nr_devices, CONFIG_MAX_DEVICES);
	assert_int_equal(cli_parse(argc, argv, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too many devices"));
	expect_bad(parse("run", "--kernel", "k", "--device", "edu,iommu=on", "--no-viommu", NULL),
		   "edu,iommu=on", "--no-viommu");
}

static void test_bdf_forms(void **state)
{
	struct config_device dev;
	char err[128];

	assert_int_equal(config_parse_device("vfio=0001:3a:1f.7", &dev, err, sizeof(err)), 0);
	assert_string_equal(dev.host_bdf, "0001:3a:1f.7");
	assert_int_equal(config_parse_device("vfio=00:02.1,iommu=on", &dev, err, sizeof(err)), 0);
	assert_string_equal(dev.host_bdf, "0000:00:02.1");
	assert_int_equal(dev.iommu, CONFIG_ON);
	/* The sysfs directory of the device, with or without a trailing slash. */
	assert_int_equal(config_parse_device("vfio=/sys/bus/pci/devices/0000:00:03.0", &dev,
					     err, sizeof(err)), 0);
	assert_string_equal(dev.host_bdf, "0000:00:03.0");
	assert_int_equal(config_parse_device("vfio=/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.1/,iommu=on",
					     &dev, err, sizeof(err)), 0);
	assert_string_equal(dev.host_bdf, "0000:02:00.1");
	assert_string_equal(config_device_kind_name(CONFIG_DEV_EDU_SIM), "edu-sim");
}

static void test_virtio_devices(void **state)
{
	struct parsed *p = parse("run", "--kernel", "k", "--device", "virtio-rng",
				 "--device", "virtio-blk,file=/tmp/d.img,readonly=on,iommu=on",
				 "--device", "virtio-rng,iommu=off",
				 "--device", "virtio-blk,readonly=off,file=e.img", NULL);

	assert_int_equal(p->ret, CLI_RUN);
	assert_int_equal(p->cfg.nr_devices, 4);
	assert_int_equal(p->cfg.devices[0].kind, CONFIG_DEV_VIRTIO_RNG);
	assert_int_equal(p->cfg.devices[0].iommu, CONFIG_AUTO);
	assert_int_equal(p->cfg.devices[1].kind, CONFIG_DEV_VIRTIO_BLK);
	assert_string_equal(p->cfg.devices[1].path, "/tmp/d.img");
	assert_true(p->cfg.devices[1].read_only);
	assert_int_equal(p->cfg.devices[1].iommu, CONFIG_ON);
	assert_int_equal(p->cfg.devices[2].iommu, CONFIG_OFF);
	assert_string_equal(p->cfg.devices[3].path, "e.img");
	assert_false(p->cfg.devices[3].read_only);
	assert_string_equal(config_device_kind_name(CONFIG_DEV_VIRTIO_BLK), "virtio-blk");
	assert_non_null(strstr(config_device_kinds(), "virtio-rng"));
}

static void test_check_disk_files(void **state)
{
	char path[] = "/tmp/ioshade-test-cli-disk-XXXXXX";
	char err[512], dev[128];
	struct vm_config cfg;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	config_init(&cfg);
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s", path);
	snprintf(dev, sizeof(dev), "virtio-blk,file=%s.missing,readonly=on", path);
	assert_int_equal(config_parse_device(dev, &cfg.devices[0], err, sizeof(err)), 0);
	cfg.nr_devices = 1;
	assert_int_equal(config_check_files(&cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, ".missing"));
	snprintf(dev, sizeof(dev), "virtio-blk,file=%s", path);
	assert_int_equal(config_parse_device(dev, &cfg.devices[0], err, sizeof(err)), 0);
	assert_int_equal(config_check_files(&cfg, err, sizeof(err)), 0);
	unlink(path);
}

static void test_viommu_limits(void **state)
{
	struct parsed *p = parse("run", "--kernel", "k", NULL);

	assert_int_equal(p->ret, CLI_RUN);
	assert_int_equal(p->cfg.viommu_limits.mappings, 0);		/* 0: default */
	assert_int_equal(p->cfg.viommu_limits.faults, 0);
	p = parse("run", "--kernel", "k", "--viommu-limits",
		  "mappings=1000,domain-mappings=100,domains=4,faults=16", NULL);
	assert_int_equal(p->ret, CLI_RUN);
	assert_int_equal(p->cfg.viommu_limits.mappings, 1000);
	assert_int_equal(p->cfg.viommu_limits.domain_mappings, 100);
	assert_int_equal(p->cfg.viommu_limits.domains, 4);
	assert_int_equal(p->cfg.viommu_limits.faults, 16);
	/* Repeated: each sets its keys, later wins; the = form too. */
	p = parse("run", "--kernel", "k", "--viommu-limits=domains=4,faults=9",
		  "--viommu-limits", "domains=5", NULL);
	assert_int_equal(p->ret, CLI_RUN);
	assert_int_equal(p->cfg.viommu_limits.domains, 5);
	assert_int_equal(p->cfg.viommu_limits.faults, 9);
	assert_int_equal(p->cfg.viommu_limits.mappings, 0);
	p = parse("run", "--kernel", "k", "--viommu-limits", "mappings=4294967295", NULL);
	assert_int_equal(p->cfg.viommu_limits.mappings, UINT32_MAX);
}

/* ioshade run --help names the option and every default. */
static void test_viommu_limits_help(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	cli_print_help(f, CLI_HELP_RUN);
	fclose(f);
	assert_non_null(strstr(text, "--viommu-limits KEY=N"));
	assert_non_null(strstr(text, "(default 524288)"));
	assert_non_null(strstr(text, "(default 262144)"));
	assert_non_null(strstr(text, "(default 1024)"));
	assert_non_null(strstr(text, "(default 256)"));
	free(text);
}

static void test_viommu_limits_bad(void **state)
{
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", "pages=3", NULL),
		   "--viommu-limits", "unknown limit 'pages'");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", "domains=0", NULL),
		   "--viommu-limits", "domains must be a number in 1..4294967295, got '0'");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", "mappings=4294967296", NULL),
		   "--viommu-limits", "'4294967296'");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", "mappings=-1", NULL),
		   "--viommu-limits", "'-1'");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", "faults=12k", NULL),
		   "--viommu-limits", "'12k'");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", "faults", NULL),
		   "--viommu-limits", "faults must be");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", ",", NULL),
		   "--viommu-limits", "empty");
	expect_bad(parse("run", "--kernel", "k", "--viommu-limits", NULL),
		   "--viommu-limits", "missing value");
}

static void test_viommu_limits_all_or_nothing(void **state)
{
	struct config_viommu_limits l = { .domains = 3 };
	char err[256];

	assert_int_equal(config_parse_viommu_limits("domains=7,bogus=1", &l, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(l.domains, 3);
	assert_int_equal(config_parse_viommu_limits("domains=7", &l, err, sizeof(err)), 0);
	assert_int_equal(l.domains, 7);
}

static void test_help_version(void **state)
{
	assert_int_equal(parse("--help", NULL)->ret, CLI_HELP);
	assert_int_equal(parse("--version", NULL)->ret, CLI_VERSION);
	assert_int_equal(parse("run", "--help", NULL)->ret, CLI_HELP_RUN);
	assert_int_equal(parse("run", "--memory", "bad", "--help", NULL)->ret, CLI_HELP_RUN);
	assert_non_null(strstr(cli_version(), "ioshade"));
}

static void test_check_files(void **state)
{
	char path[] = "/tmp/ioshade-test-cli-XXXXXX";
	struct vm_config cfg;
	char err[512];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	config_init(&cfg);
	assert_int_equal(config_check_files(&cfg, err, sizeof(err)), -EINVAL);
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s", path);
	assert_int_equal(config_check_files(&cfg, err, sizeof(err)), 0);
	snprintf(cfg.initrd, sizeof(cfg.initrd), "%s.missing", path);
	assert_int_equal(config_check_files(&cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "--initrd"));
	assert_non_null(strstr(err, ".missing"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	unlink(path);
	assert_int_equal(config_check_files(&cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "--kernel"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_equals_form_and_last_wins),
		cmocka_unit_test(test_memory_sizes),
		cmocka_unit_test(test_memory_bad),
		cmocka_unit_test(test_config_parse_size),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_devices_bad),
		cmocka_unit_test(test_devices_limit_and_conflict),
		cmocka_unit_test(test_bdf_forms),
		cmocka_unit_test(test_virtio_devices),
		cmocka_unit_test(test_check_disk_files),
		cmocka_unit_test(test_viommu_limits),
		cmocka_unit_test(test_viommu_limits_bad),
		cmocka_unit_test(test_viommu_limits_help),
		cmocka_unit_test(test_viommu_limits_all_or_nothing),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_check_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
