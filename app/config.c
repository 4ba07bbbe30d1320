// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_config helpers shared by the command line and (later) domain XML front
 * ends: defaults, memory size parsing, --device syntax and file checks. All
 * pure except config_check_files, which only looks at the file system.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = CONFIG_MEM_DEFAULT;
	cfg->cpus = 1;
	cfg->serial = CONFIG_SERIAL_STDOUT;
	cfg->viommu = CONFIG_AUTO;
	cfg->iommu_backend = CONFIG_BACKEND_AUTO;
	cfg->log_level = CONFIG_LOG_WARN;
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const char units[] = "KMGT";
	const char *u;

	if (!*suffix) {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)suffix[0]));
	if (!u)
		return -EINVAL;
	*shift = 10 * (unsigned)(u - units + 1);
	suffix++;
	if (!strcasecmp(suffix, "") || !strcasecmp(suffix, "b") || !strcasecmp(suffix, "ib"))
		return 0;
	return -EINVAL;
}

int config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (size_shift(end, &shift))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static const char *const device_kind_names[] = {
	[CONFIG_DEV_EDU] = "edu",
	[CONFIG_DEV_EDU_SIM] = "edu-sim",
	[CONFIG_DEV_VFIO] = "vfio",
	[CONFIG_DEV_VIRTIO_RNG] = "virtio-rng",
	[CONFIG_DEV_VIRTIO_BLK] = "virtio-blk",
};

const char *config_device_kind_name(enum config_device_kind kind)
{
	return (unsigned)kind < sizeof(device_kind_names) / sizeof(device_kind_names[0]) ?
	       device_kind_names[kind] : "?";
}

const char *config_device_kinds(void)
{
	return "edu, edu-sim, vfio=BDF, virtio-rng, virtio-blk,file=PATH";
}

/* "[dddd:]bb:dd.f" in hex -> normalised "dddd:bb:dd.f". */
static int parse_bdf(const char *s, char *out, size_t outlen)
{
	unsigned dom = 0, bus, dev, fn;
	int n = 0;

	if (sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &dev, &fn, &n) == 4 && !s[n])
		goto check;
	dom = 0;
	n = 0;
	if (sscanf(s, "%2x:%2x.%1u%n", &bus, &dev, &fn, &n) != 3 || s[n])
		return -EINVAL;
check:
	if (dev > 0x1f || fn > 7 || !isxdigit((unsigned char)s[0]))
		return -EINVAL;
	snprintf(out, outlen, "%04x:%02x:%02x.%u", dom, bus, dev, fn);
	return 0;
}

/*
 * vfio=: a BDF, or the device's sysfs directory (/sys/bus/pci/devices/BDF or
 * /sys/devices/pci.../BDF, as lspci -D and libvirt print them), whose last
 * component must then be a full dddd:bb:dd.f.
 */
static int parse_vfio_target(const char *s, char *out, size_t outlen)
{
	char path[256], *base;
	size_t n;

	if (s[0] != '/')
		return parse_bdf(s, out, outlen);
	if (strncmp(s, "/sys/", 5) || strlen(s) >= sizeof(path))
		return -EINVAL;
	strcpy(path, s);
	for (n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	base = strrchr(path, '/') + 1;
	if (strlen(base) != 12)		/* dddd:bb:dd.f */
		return -EINVAL;
	return parse_bdf(base, out, outlen);
}

static int parse_device_kind(char *head, struct config_device *dev, char *err, size_t errlen)
{
	char *val = strchr(head, '=');

	if (val)
		*val++ = '\0';
	for (unsigned k = 0; k < sizeof(device_kind_names) / sizeof(device_kind_names[0]); k++) {
		if (strcmp(head, device_kind_names[k]))
			continue;
		dev->kind = (enum config_device_kind)k;
		if ((k == CONFIG_DEV_VFIO) != (val != NULL))
			goto bad_value;
		if (val && parse_vfio_target(val, dev->host_bdf, sizeof(dev->host_bdf)))
			goto bad_value;
		return 0;
	}
	snprintf(err, errlen, "--device: unknown device kind '%s' (known: %s)",
		 head, config_device_kinds());
	return -EINVAL;
bad_value:
	if (dev->kind == CONFIG_DEV_VFIO)
		snprintf(err, errlen, "--device vfio: expected vfio=[dddd:]bb:dd.f or "
			 "vfio=/sys/bus/pci/devices/dddd:bb:dd.f, got '%s%s%s'",
			 head, val ? "=" : "", val ? val : "");
	else
		snprintf(err, errlen, "--device %s: takes no value, got '%s=%s'", head, head, val);
	return -EINVAL;
}

/* virtio-blk's own options: 0, -EINVAL, or 1 when opt is none of them. */
static int parse_blk_opt(const char *opt, struct config_device *dev, char *err, size_t errlen)
{
	if (!strncmp(opt, "file=", 5)) {
		if (!opt[5]) {
			snprintf(err, errlen, "--device virtio-blk: file= needs a path");
			return -EINVAL;
		}
		snprintf(dev->path, sizeof(dev->path), "%s", opt + 5);
		return 0;
	}
	if (!strcmp(opt, "readonly=on") || !strcmp(opt, "readonly=off")) {
		dev->read_only = !strcmp(opt + 9, "on");
		return 0;
	}
	if (!strncmp(opt, "readonly=", 9)) {
		snprintf(err, errlen, "--device virtio-blk: readonly must be on or off, got '%s'",
			 opt + 9);
		return -EINVAL;
	}
	return 1;
}

static int parse_device_opt(char *opt, struct config_device *dev, char *err, size_t errlen)
{
	bool blk = dev->kind == CONFIG_DEV_VIRTIO_BLK;
	int ret = blk ? parse_blk_opt(opt, dev, err, errlen) : 1;

	if (ret <= 0)
		return ret;
	if (!strcmp(opt, "iommu=on")) {
		dev->iommu = CONFIG_ON;
		return 0;
	}
	if (!strcmp(opt, "iommu=off")) {
		dev->iommu = CONFIG_OFF;
		return 0;
	}
	if (!strncmp(opt, "iommu=", 6))
		snprintf(err, errlen, "--device %s: iommu must be on or off, got '%s'",
			 config_device_kind_name(dev->kind), opt + 6);
	else
		snprintf(err, errlen, "--device %s: unknown option '%s' (known: %siommu=on|off)",
			 config_device_kind_name(dev->kind), opt,
			 blk ? "file=PATH, readonly=on|off, " : "");
	return -EINVAL;
}

int config_parse_device(const char *arg, struct config_device *dev, char *err, size_t errlen)
{
	char buf[CONFIG_DEVSPEC_MAX];
	char *save = NULL, *tok;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->iommu = CONFIG_AUTO;
	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "--device: argument longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(dev->spec, sizeof(dev->spec), "%s", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok) {
		snprintf(err, errlen, "--device: empty device (known: %s)", config_device_kinds());
		return -EINVAL;
	}
	ret = parse_device_kind(tok, dev, err, errlen);
	while (!ret && (tok = strtok_r(NULL, ",", &save)))
		ret = parse_device_opt(tok, dev, err, errlen);
	if (!ret && dev->kind == CONFIG_DEV_VIRTIO_BLK && !dev->path[0]) {
		snprintf(err, errlen, "--device %s: virtio-blk needs file=PATH", arg);
		return -EINVAL;
	}
	return ret;
}

struct limit_key {
	const char *name;
	size_t off;
};

static const struct limit_key limit_keys[] = {
	{ "mappings", offsetof(struct config_viommu_limits, mappings) },
	{ "domain-mappings", offsetof(struct config_viommu_limits, domain_mappings) },
	{ "domains", offsetof(struct config_viommu_limits, domains) },
	{ "faults", offsetof(struct config_viommu_limits, faults) },
};

#define LIMIT_KEYS	"mappings, domain-mappings, domains, faults"

/* One "KEY=N" of --viommu-limits. */
static int parse_limit(char *tok, struct config_viommu_limits *l, char *err, size_t errlen)
{
	char *val = strchr(tok, '='), *end;
	unsigned long long n;

	if (val)
		*val++ = '\0';
	for (size_t k = 0; k < sizeof(limit_keys) / sizeof(limit_keys[0]); k++) {
		if (strcmp(tok, limit_keys[k].name))
			continue;
		errno = 0;
		n = val && isdigit((unsigned char)val[0]) ? strtoull(val, &end, 10) : 0;
		if (!val || !isdigit((unsigned char)val[0]) || errno || *end || n < 1 ||
		    n > UINT32_MAX) {
			snprintf(err, errlen, "--viommu-limits: %s must be a number in 1..%u, got '%s'",
				 tok, UINT32_MAX, val ? val : "");
			return -EINVAL;
		}
		*(uint32_t *)((char *)l + limit_keys[k].off) = (uint32_t)n;
		return 0;
	}
	snprintf(err, errlen, "--viommu-limits: unknown limit '%s' (known: %s)", tok, LIMIT_KEYS);
	return -EINVAL;
}

int config_parse_viommu_limits(const char *arg, struct config_viommu_limits *l, char *err,
			       size_t errlen)
{
	struct config_viommu_limits tmp = *l;
	char buf[CONFIG_DEVSPEC_MAX], *save = NULL, *tok;
	int ret = 0;

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "--viommu-limits: argument longer than %zu bytes",
			 sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok) {
		snprintf(err, errlen, "--viommu-limits: empty (expected KEY=N,... with KEY one of %s)",
			 LIMIT_KEYS);
		return -EINVAL;
	}
	for (; tok && !ret; tok = strtok_r(NULL, ",", &save))
		ret = parse_limit(tok, &tmp, err, errlen);
	if (!ret)
		*l = tmp;	/* all or nothing */
	return ret;
}

static int check_readable(const char *what, const char *path, char *err, size_t errlen)
{
	int e;

	if (!access(path, R_OK))
		return 0;
	e = errno;
	snprintf(err, errlen, "%s '%s': %s", what, path, strerror(e));
	return -e;
}

/* A virtio-blk image must be readable, and writable unless readonly=on.
 * origin: the XML element it came from, or "". */
static int check_disk(const struct config_device *dev, const char *origin, char *err,
		      size_t errlen)
{
	int e;

	if (dev->kind != CONFIG_DEV_VIRTIO_BLK || !access(dev->path, dev->read_only ? R_OK :
							  R_OK | W_OK))
		return 0;
	e = errno;
	if (origin[0])
		snprintf(err, errlen, "%s: file='%s': %s", origin, dev->path, strerror(e));
	else
		snprintf(err, errlen, "--device %s: '%s': %s", dev->spec, dev->path, strerror(e));
	return -e;
}

int config_check_files(const struct vm_config *cfg, char *err, size_t errlen)
{
	int ret;

	if (!cfg->kernel[0]) {
		snprintf(err, errlen, "no kernel given (use --kernel PATH)");
		return -EINVAL;
	}
	ret = check_readable(cfg->origin.kernel[0] ? cfg->origin.kernel : "--kernel",
			     cfg->kernel, err, errlen);
	if (!ret && cfg->initrd[0])
		ret = check_readable(cfg->origin.initrd[0] ? cfg->origin.initrd : "--initrd",
				     cfg->initrd, err, errlen);
	for (unsigned i = 0; !ret && i < cfg->nr_devices; i++)
		ret = check_disk(&cfg->devices[i], cfg->origin.device[i], err, errlen);
	return ret;
}

bool config_viommu_enabled(const struct vm_config *cfg)
{
	if (cfg->viommu != CONFIG_AUTO)
		return cfg->viommu == CONFIG_ON;
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		if (cfg->devices[i].iommu != CONFIG_OFF)
			return true;
	return false;
}
