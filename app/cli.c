// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command line parsing for `ioshade run`. A const table maps each long option
 * to a small setter; every setter names its option and the bad value in the
 * error message. No getopt: the parser keeps no state between calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/domxml.h"

#define IOSHADE_VERSION "0.1.0"
#define STR(x)	#x
#define XSTR(x)	STR(x)

struct cli_opt {
	const char *name;
	bool has_arg;
	int (*set)(struct vm_config *cfg, const char *val, char *err, size_t errlen);
};

static int copy_str(char *dst, size_t dstlen, const char *opt, const char *val,
		    char *err, size_t errlen)
{
	if (strlen(val) >= dstlen) {
		snprintf(err, errlen, "%s: value longer than %zu bytes", opt, dstlen - 1);
		return -EINVAL;
	}
	if (!val[0]) {
		snprintf(err, errlen, "%s: empty value", opt);
		return -EINVAL;
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

static int set_kernel(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	cfg->origin.kernel[0] = '\0';	/* no longer the --domain XML's */
	return copy_str(cfg->kernel, sizeof(cfg->kernel), "--kernel", val, err, errlen);
}

static int set_initrd(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	cfg->origin.initrd[0] = '\0';
	return copy_str(cfg->initrd, sizeof(cfg->initrd), "--initrd", val, err, errlen);
}

static int set_cmdline(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	if (strlen(val) >= sizeof(cfg->cmdline)) {
		snprintf(err, errlen, "--cmdline: longer than %zu bytes", sizeof(cfg->cmdline) - 1);
		return -EINVAL;
	}
	memcpy(cfg->cmdline, val, strlen(val) + 1);
	return 0;
}

static int set_memory(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	uint64_t bytes;

	if (config_parse_size(val, &bytes)) {
		snprintf(err, errlen, "--memory: cannot parse '%s' (use bytes or a K/M/G/T suffix)", val);
		return -EINVAL;
	}
	if (bytes < CONFIG_MEM_MIN || bytes > CONFIG_MEM_MAX) {
		snprintf(err, errlen, "--memory: '%s' is out of range (16M..1T)", val);
		return -EINVAL;
	}
	if (bytes & 0xfff) {
		snprintf(err, errlen, "--memory: '%s' is not a multiple of 4 KiB", val);
		return -EINVAL;
	}
	cfg->memory = bytes;
	return 0;
}

static int set_cpus(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(val, &end, 10);
	if (errno || end == val || *end || n < 1 || n > CONFIG_CPUS_MAX) {
		snprintf(err, errlen, "--cpus: '%s' is not a number in 1..%d", val, CONFIG_CPUS_MAX);
		return -EINVAL;
	}
	cfg->cpus = (unsigned)n;
	return 0;
}

static int set_device(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	if (cfg->nr_devices == CONFIG_MAX_DEVICES) {
		snprintf(err, errlen, "--device %s: too many devices (at most %d)", val,
			 CONFIG_MAX_DEVICES);
		return -EINVAL;
	}
	if (config_parse_device(val, &cfg->devices[cfg->nr_devices], err, errlen))
		return -EINVAL;
	cfg->nr_devices++;
	return 0;
}

static int set_viommu(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	cfg->viommu = CONFIG_ON;
	return 0;
}

static int set_no_viommu(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	cfg->viommu = CONFIG_OFF;
	return 0;
}

/* Find val in names[0..n); -1 when absent. */
static int lookup(const char *const names[], int n, const char *val)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], val))
			return i;
	return -1;
}

static int set_backend(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	static const char *const names[] = {
		[CONFIG_BACKEND_AUTO] = "auto", [CONFIG_BACKEND_IOMMUFD] = "iommufd",
		[CONFIG_BACKEND_SIM] = "sim",
	};
	int i = lookup(names, 3, val);

	if (i < 0) {
		snprintf(err, errlen, "--iommu-backend: unknown backend '%s' (known: iommufd, sim, auto)",
			 val);
		return -EINVAL;
	}
	cfg->iommu_backend = (enum config_iommu_backend)i;
	return 0;
}

static int set_log_level(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	static const char *const names[] = {
		[CONFIG_LOG_ERROR] = "error", [CONFIG_LOG_WARN] = "warn",
		[CONFIG_LOG_INFO] = "info", [CONFIG_LOG_DEBUG] = "debug",
	};
	int i = lookup(names, 4, val);

	if (i < 0) {
		snprintf(err, errlen, "--log-level: unknown level '%s' (known: error, warn, info, debug)",
			 val);
		return -EINVAL;
	}
	cfg->log_level = (enum config_log_level)i;
	return 0;
}

static int set_serial(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	if (!strcmp(val, "stdout")) {
		cfg->serial = CONFIG_SERIAL_STDOUT;
		return 0;
	}
	if (!strcmp(val, "none")) {
		cfg->serial = CONFIG_SERIAL_NONE;
		return 0;
	}
	if (!strcmp(val, "pty")) {
		cfg->serial = CONFIG_SERIAL_PTY;
		return 0;
	}
	cfg->serial = CONFIG_SERIAL_FILE;
	return copy_str(cfg->serial_path, sizeof(cfg->serial_path), "--serial", val, err, errlen);
}

static int set_viommu_limits(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	return config_parse_viommu_limits(val, &cfg->viommu_limits, err, errlen);
}

/* --domain is applied before every other option (see load_domain). */
static int set_domain_done(struct vm_config *cfg, const char *val, char *err, size_t errlen)
{
	return 0;
}

static const struct cli_opt run_opts[] = {
	{ "--domain", true, set_domain_done },
	{ "--kernel", true, set_kernel },
	{ "--initrd", true, set_initrd },
	{ "--cmdline", true, set_cmdline },
	{ "--memory", true, set_memory },
	{ "--cpus", true, set_cpus },
	{ "--device", true, set_device },
	{ "--viommu", false, set_viommu },
	{ "--no-viommu", false, set_no_viommu },
	{ "--iommu-backend", true, set_backend },
	{ "--viommu-limits", true, set_viommu_limits },
	{ "--serial", true, set_serial },
	{ "--log-level", true, set_log_level },
};

/* Match "--name" or "--name=value"; *inline_val is set for the latter. */
static const struct cli_opt *find_opt(const char *arg, const char **inline_val)
{
	for (size_t i = 0; i < sizeof(run_opts) / sizeof(run_opts[0]); i++) {
		size_t n = strlen(run_opts[i].name);

		if (strncmp(arg, run_opts[i].name, n))
			continue;
		if (arg[n] == '\0') {
			*inline_val = NULL;
			return &run_opts[i];
		}
		if (arg[n] == '=') {
			*inline_val = arg + n + 1;
			return &run_opts[i];
		}
	}
	return NULL;
}

static int check_config(const struct vm_config *cfg, char *err, size_t errlen)
{
	if (!cfg->kernel[0]) {
		snprintf(err, errlen, "run: --kernel PATH is required (or <os><kernel> in the "
			 "--domain XML)");
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		if (cfg->devices[i].iommu == CONFIG_ON && cfg->viommu == CONFIG_OFF) {
			snprintf(err, errlen, "--device %s: iommu=on conflicts with --no-viommu",
				 cfg->devices[i].spec);
			return -EINVAL;
		}
	}
	return 0;
}

/* Parse one option at argv[*i]; advances *i past its value. */
static int parse_one(int argc, char *const argv[], int *i, struct vm_config *cfg,
		     char *err, size_t errlen)
{
	const char *arg = argv[*i], *val;
	const struct cli_opt *opt = find_opt(arg, &val);

	if (!opt) {
		snprintf(err, errlen, "run: unknown option '%s' (see ioshade run --help)", arg);
		return -EINVAL;
	}
	if (!opt->has_arg && val) {
		snprintf(err, errlen, "%s: takes no value, got '%s'", opt->name, val);
		return -EINVAL;
	}
	if (opt->has_arg && !val) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "%s: missing value", opt->name);
			return -EINVAL;
		}
		val = argv[++*i];
	}
	return opt->set(cfg, val, err, errlen);
}

/*
 * Precedence: the --domain XML fills the config first, wherever --domain
 * stands; every other option then overrides it in command-line order
 * (--device adds to the XML's <hostdev> list).
 */
static int load_domain(int argc, char *const argv[], struct vm_config *cfg, char *err,
		       size_t errlen)
{
	const char *path = NULL, *val;
	int ret;

	for (int i = 2; i < argc; i++) {
		const struct cli_opt *opt = find_opt(argv[i], &val);

		if (!opt || opt->set != set_domain_done) {
			i += opt && opt->has_arg && !val;	/* skip the option's value */
			continue;
		}
		if (!val && i + 1 < argc)
			val = argv[++i];
		if (!val)
			return 0;	/* "missing value", reported by parse_one */
		if (path) {
			snprintf(err, errlen, "--domain: given twice ('%s', '%s')", path, val);
			return -EINVAL;
		}
		path = val;
	}
	if (!path)
		return 0;
	ret = domxml_parse_file(path, NULL, cfg, err, errlen);
	return ret ? -EINVAL : 0;
}

static int parse_run(int argc, char *const argv[], struct vm_config *cfg, char *err, size_t errlen)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return CLI_HELP_RUN;
	}
	if (load_domain(argc, argv, cfg, err, errlen))
		return -EINVAL;
	for (int i = 2; i < argc; i++) {
		if (parse_one(argc, argv, &i, cfg, err, errlen))
			return -EINVAL;
	}
	return check_config(cfg, err, errlen) ? -EINVAL : CLI_RUN;
}

/* ioshade domxml --from-args run [run options]: the config to print as XML. */
static int parse_domxml(int argc, char *const argv[], struct vm_config *cfg, char *err,
			size_t errlen)
{
	unsigned version = 0;
	int ret, skip = 0;

	if (argc >= 4 && !strcmp(argv[2], "--schema-version")) {
		if (domxml_parse_version(argv[3], &version)) {
			snprintf(err, errlen, "domxml: --schema-version '%s': not a libvirt release "
				 "from 9.0 on (e.g. 9.0, 11.3, 12.2)", argv[3]);
			return -EINVAL;
		}
		skip = 2;
	}
	if (argc < 4 + skip || strcmp(argv[2 + skip], "--from-args") ||
	    strcmp(argv[3 + skip], "run")) {
		snprintf(err, errlen, "domxml: usage: ioshade domxml [--schema-version X.Y] "
			 "--from-args run [options]");
		return -EINVAL;
	}
	ret = parse_run(argc - 2 - skip, argv + 2 + skip, cfg, err, errlen);
	cfg->libvirt_version = version;
	return ret == CLI_RUN ? CLI_DOMXML : ret;
}

int cli_parse(int argc, char *const argv[], struct vm_config *cfg, char *err, size_t errlen)
{
	const char *cmd;

	config_init(cfg);
	if (err && errlen)
		err[0] = '\0';
	if (argc < 2) {
		snprintf(err, errlen, "missing command (try: ioshade run --kernel FILE)");
		return -EINVAL;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
		return CLI_HELP;
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version"))
		return CLI_VERSION;
	if (!strcmp(cmd, "run"))
		return parse_run(argc, argv, cfg, err, errlen);
	if (!strcmp(cmd, "domxml"))
		return parse_domxml(argc, argv, cfg, err, errlen);
	snprintf(err, errlen, "unknown command '%s' (known: run, domxml; see ioshade --help)", cmd);
	return -EINVAL;
}

const char *cli_version(void)
{
	return "ioshade " IOSHADE_VERSION;
}

static const char help_main[] =
	"usage: ioshade run --kernel FILE [options]\n"
	"       ioshade run --domain VM.XML [options]\n"
	"       ioshade domxml [--schema-version X.Y] --from-args run [options]\n"
	"       ioshade --help | --version\n"
	"\n"
	"ioshade is a small KVM VMM with a virtio-iommu for safe device assignment.\n"
	"\n"
	"commands:\n"
	"  run        boot a VM (see ioshade run --help)\n"
	"  domxml     print the libvirt domain XML for a run command line, for the\n"
	"             installed libvirt's schema or release X.Y's\n";

static const char help_run[] =
	"usage: ioshade run --kernel FILE [options]\n"
	"\n"
	"  --domain FILE           libvirt domain XML to start (docs/libvirt.md); read\n"
	"                          first, wherever it stands: the other options\n"
	"                          override it, --device adds to its <hostdev>s\n"
	"  --kernel FILE           kernel to boot (required): a PVH ELF or a Linux\n"
	"                          bzImage (boot protocol 2.12+, 64-bit entry)\n"
	"  --initrd FILE           initial ramdisk (PVH module / bzImage initrd)\n"
	"  --cmdline STRING        kernel command line (bzImage default:\n"
	"                          \"console=ttyS0 earlyprintk=serial panic=-1\")\n"
	"  --memory SIZE           guest RAM, bytes or K/M/G/T suffix, 16M..1T (default 256M)\n"
	"  --cpus N                vCPUs, 1..8 (default 1)\n"
	"  --device SPEC           add a device (repeatable):\n"
	"                            edu[,iommu=on|off]      emulated edu DMA device\n"
	"                            edu-sim[,iommu=on|off]  simulated assigned edu device\n"
	"                            vfio=BDF[,iommu=on|off] assign host PCI device BDF\n"
	"                                                    ([dddd:]bb:dd.f, or its sysfs\n"
	"                                                    directory /sys/bus/pci/devices/BDF)\n"
	"                            virtio-rng[,iommu=on|off]\n"
	"                                                    emulated virtio entropy source\n"
	"                            virtio-blk,file=PATH[,readonly=on][,iommu=on|off]\n"
	"                                                    emulated virtio disk on PATH\n"
	"  --viommu, --no-viommu   force the virtio-iommu on or off (default: auto)\n"
	"  --iommu-backend B       iommufd, sim or auto (default auto)\n"
	"  --viommu-limits KEY=N[,KEY=N]...\n"
	"                          what the guest may make the virtio-iommu hold;\n"
	"                          past a limit a request gets S_NOMEM:\n"
	"                            mappings=N         live mappings, whole VM\n"
	"                                               (default " XSTR(CONFIG_VIOMMU_MAPPINGS_DEFAULT) ")\n"
	"                            domain-mappings=N  live mappings per domain\n"
	"                                               (default " XSTR(CONFIG_VIOMMU_DOMAIN_MAPPINGS_DEFAULT) ")\n"
	"                            domains=N          live domains\n"
	"                                               (default " XSTR(CONFIG_VIOMMU_DOMAINS_DEFAULT) ")\n"
	"                            faults=N           pending fault events\n"
	"                                               (default " XSTR(CONFIG_VIOMMU_FAULTS_DEFAULT) ")\n"
	"  --serial OUT            stdout, none, pty (a new pseudo-terminal, its path\n"
	"                          printed on stderr) or a file path (default stdout)\n"
	"  --log-level L           error, warn, info or debug (default warn)\n"
	"\n"
	"exit status: the guest's debug-exit value v as (v << 1) | 1, 0 when the guest\n"
	"shuts down or halts, 2 on bad arguments, 1 on setup errors, 4 on VM errors,\n"
	"128+N when stopped by signal N (SIGINT, SIGTERM: devices are released first).\n";

void cli_print_help(FILE *out, enum cli_action which)
{
	fputs(which == CLI_HELP_RUN ? help_run : help_main, out);
}
