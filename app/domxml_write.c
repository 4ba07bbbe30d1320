// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_config -> libvirt domain XML (`ioshade domxml --from-args run ...`).
 * Builds the tree with libxml2 so text and attributes are escaped, writes
 * the normalized config (absolute paths, each virtio device's iommu= said
 * outright), and refuses configurations that libvirt's format cannot carry.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "app/domxml_internal.h"

/* <target dev='vda'>..: one letter per disk. */
_Static_assert(CONFIG_MAX_DEVICES <= 26, "disk names vda..vdz");

/*
 * libvirt's schema wants absolute paths; ioshade run opens a relative one
 * from the current directory, so that is what it stands for. 0, or
 * -ENAMETOOLONG (more than cap - 1 bytes) or getcwd's -errno.
 */
static int absolute_path(const char *path, char *out, size_t cap)
{
	char cwd[CONFIG_PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, cap, "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		while (!strncmp(path, "./", 2))
			path += 2;
		n = snprintf(out, cap, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
	}
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* In place, the whole buffer rewritten (configs compare with memcmp); a path
 * that cannot be made absolute stays (expressible() refuses it). */
static void make_absolute(char *path, size_t cap)
{
	char abs[CONFIG_PATH_MAX];

	if (!path[0] || path[0] == '/' || cap > sizeof(abs) || absolute_path(path, abs, cap))
		return;
	memset(path, 0, cap);
	memcpy(path, abs, strlen(abs) + 1);
}

/* As the XML says it: an assigned device follows the global switch; a virtio
 * device carries its own iommu='on|off'. */
static void normalize_device(struct config_device *d, bool viommu_on)
{
	if (d->kind == CONFIG_DEV_VFIO) {
		if (d->iommu == CONFIG_ON)
			d->iommu = CONFIG_AUTO;
	} else {
		d->iommu = viommu_on && d->iommu != CONFIG_OFF ? CONFIG_ON : CONFIG_OFF;
	}
	if (d->kind == CONFIG_DEV_VIRTIO_BLK)
		make_absolute(d->path, sizeof(d->path));
	dx_device_spec(d);
}

void domxml_normalize(struct vm_config *cfg)
{
	bool on = config_viommu_enabled(cfg);

	cfg->viommu = on ? CONFIG_ON : CONFIG_AUTO;
	cfg->log_level = CONFIG_LOG_WARN;
	cfg->libvirt_version = 0;
	memset(&cfg->origin, 0, sizeof(cfg->origin));
	make_absolute(cfg->kernel, sizeof(cfg->kernel));
	make_absolute(cfg->initrd, sizeof(cfg->initrd));
	if (cfg->serial == CONFIG_SERIAL_FILE)
		make_absolute(cfg->serial_path, sizeof(cfg->serial_path));
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		normalize_device(&cfg->devices[i], on);
}

/* what: the option as it precedes the path, e.g. "--kernel ". */
static int check_path(const char *what, const char *path, size_t cap, char *err,
		      size_t errlen)
{
	char abs[CONFIG_PATH_MAX];
	int ret = path[0] ? absolute_path(path, abs, cap < sizeof(abs) ? cap : sizeof(abs)) : 0;

	if (ret == -ENAMETOOLONG)
		snprintf(err, errlen, "domxml: %s'%s': libvirt needs an absolute path, and it "
			 "would be longer than %zu bytes", what, path, cap - 1);
	else if (ret)
		snprintf(err, errlen, "domxml: %s'%s': libvirt needs an absolute path, and the "
			 "current directory is unknown: %s", what, path, strerror(-ret));
	return ret ? -EINVAL : 0;
}

static int check_device(const struct config_device *d, bool viommu_on, char *err,
			size_t errlen)
{
	if (d->kind == CONFIG_DEV_EDU || d->kind == CONFIG_DEV_EDU_SIM) {
		snprintf(err, errlen, "domxml: --device %s has no libvirt XML equivalent "
			 "(only vfio=BDF becomes a <hostdev>)", d->spec);
		return -EINVAL;
	}
	if (d->kind == CONFIG_DEV_VFIO && (d->iommu == CONFIG_OFF || !viommu_on)) {
		snprintf(err, errlen, "domxml: --device %s: a device outside the "
			 "virtio-iommu has no libvirt XML equivalent", d->spec);
		return -EINVAL;
	}
	if (d->kind == CONFIG_DEV_VIRTIO_BLK)
		return check_path("--device virtio-blk,file=", d->path, sizeof(d->path), err,
				  errlen);
	return 0;
}

static int expressible(const struct vm_config *cfg, char *err, size_t errlen)
{
	bool on = config_viommu_enabled(cfg);
	int ret = 0;

	if (cfg->iommu_backend == CONFIG_BACKEND_SIM) {
		snprintf(err, errlen, "domxml: --iommu-backend sim has no libvirt XML equivalent");
		return -EINVAL;
	}
	for (unsigned i = 0; !ret && i < cfg->nr_devices; i++)
		ret = check_device(&cfg->devices[i], on, err, errlen);
	if (!ret)
		ret = check_path("--kernel ", cfg->kernel, sizeof(cfg->kernel), err, errlen);
	if (!ret)
		ret = check_path("--initrd ", cfg->initrd, sizeof(cfg->initrd), err, errlen);
	if (!ret && cfg->serial == CONFIG_SERIAL_FILE)
		ret = check_path("--serial ", cfg->serial_path, sizeof(cfg->serial_path), err,
				 errlen);
	return ret;
}

static xmlNode *child(xmlNode *parent, const char *name, const char *content)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST content);
}

static void prop(xmlNode *n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void prop(xmlNode *n, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

static void write_os(xmlNode *root, const struct vm_config *cfg)
{
	xmlNode *os = child(root, "os", NULL);

	prop(child(os, "type", "hvm"), "arch", "x86_64");
	/* A domain may leave the kernel to the command line (run --kernel). */
	if (cfg->kernel[0])
		child(os, "kernel", cfg->kernel);
	if (cfg->initrd[0])
		child(os, "initrd", cfg->initrd);
	if (cfg->cmdline[0])
		child(os, "cmdline", cfg->cmdline);
}

static void write_serial(xmlNode *devs, const struct vm_config *cfg)
{
	static const char *const types[] = {
		[CONFIG_SERIAL_STDOUT] = "stdio", [CONFIG_SERIAL_NONE] = "null",
		[CONFIG_SERIAL_FILE] = "file", [CONFIG_SERIAL_PTY] = "pty",
	};
	xmlNode *s = child(devs, "serial", NULL);

	prop(s, "type", "%s", types[cfg->serial]);
	if (cfg->serial == CONFIG_SERIAL_FILE)
		xmlNewProp(child(s, "source", NULL), BAD_CAST "path", BAD_CAST cfg->serial_path);
	prop(child(s, "target", NULL), "port", "0");
}

/* iommufd: the backend said per device, libvirt 12.1's way before 12.2's <iommufd>. */
static void write_hostdev(xmlNode *devs, const struct config_device *d, bool iommufd)
{
	unsigned dom, bus, slot, fn;
	xmlNode *h = child(devs, "hostdev", NULL), *a;

	sscanf(d->host_bdf, "%x:%x:%x.%u", &dom, &bus, &slot, &fn);
	prop(h, "mode", "subsystem");
	prop(h, "type", "pci");
	prop(h, "managed", "%s", d->managed ? "yes" : "no");
	if (iommufd)
		prop(child(h, "driver", NULL), "iommufd", "yes");
	a = child(child(h, "source", NULL), "address", NULL);
	prop(a, "domain", "0x%04x", dom);
	prop(a, "bus", "0x%02x", bus);
	prop(a, "slot", "0x%02x", slot);
	prop(a, "function", "0x%x", fn);
}

/* Normalized: iommu is on (behind the virtio-iommu) or off (bypassing it). */
static void write_virtio_driver(xmlNode *drv, const struct config_device *d)
{
	prop(drv, "iommu", "%s", d->iommu == CONFIG_ON ? "on" : "off");
}

static void write_rng(xmlNode *devs, const struct config_device *d)
{
	xmlNode *r = child(devs, "rng", NULL);

	prop(r, "model", "virtio");
	prop(child(r, "backend", "/dev/urandom"), "model", "random");
	write_virtio_driver(child(r, "driver", NULL), d);
}

static void write_disk(xmlNode *devs, const struct config_device *d, unsigned index)
{
	xmlNode *k = child(devs, "disk", NULL), *drv, *t;

	prop(k, "type", "file");
	prop(k, "device", "disk");
	drv = child(k, "driver", NULL);
	prop(drv, "name", "qemu");
	prop(drv, "type", "raw");
	write_virtio_driver(drv, d);
	xmlNewProp(child(k, "source", NULL), BAD_CAST "file", BAD_CAST d->path);
	t = child(k, "target", NULL);
	prop(t, "dev", "vd%c", 'a' + index);
	prop(t, "bus", "virtio");
	if (d->read_only)
		child(k, "readonly", NULL);
}

/* Where the iommufd backend goes for a release: <iommufd> (12.2), each
 * <hostdev><driver iommufd> (12.1), or nowhere (older: a note says so). */
static bool iommufd_in_hostdev(const struct vm_config *cfg, unsigned known)
{
	return cfg->iommu_backend == CONFIG_BACKEND_IOMMUFD && !DX_KNOWS(known, DX_C_IOMMUFD) &&
	       DX_KNOWS(known, DX_C_HOSTDEV_IOMMUFD);
}

/* In cfg order, which is the order they parse back in. */
static void write_devices(xmlNode *devs, const struct vm_config *cfg, unsigned known)
{
	unsigned disks = 0;

	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		const struct config_device *d = &cfg->devices[i];

		if (d->kind == CONFIG_DEV_VFIO)
			write_hostdev(devs, d, iommufd_in_hostdev(cfg, known));
		else if (d->kind == CONFIG_DEV_VIRTIO_RNG)
			write_rng(devs, d);
		else
			write_disk(devs, d, disks++);
	}
}

static void write_iommu(xmlNode *devs, const struct vm_config *cfg, unsigned known)
{
	bool granule = cfg->viommu_granule && DX_KNOWS(known, DX_C_GRANULE);
	xmlNode *iommu = child(devs, "iommu", NULL), *drv;

	prop(iommu, "model", "virtio");
	if (!cfg->viommu_aw_bits && !granule)
		return;
	drv = child(iommu, "driver", NULL);
	if (cfg->viommu_aw_bits)
		prop(drv, "aw_bits", "%u", cfg->viommu_aw_bits);
	if (granule) {
		xmlNode *g = child(drv, "granule", NULL);

		prop(g, "size", "%" PRIu64, cfg->viommu_granule >> 10);
		prop(g, "unit", "KiB");
	}
}

static xmlDoc *build(const struct vm_config *cfg, unsigned known)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *root = xmlNewNode(NULL, BAD_CAST "domain"), *devs;
	char num[32];

	xmlDocSetRootElement(doc, root);
	prop(root, "type", "kvm");
	child(root, "name", cfg->name[0] ? cfg->name : "ioshade");
	if (cfg->uuid[0])
		child(root, "uuid", cfg->uuid);
	snprintf(num, sizeof(num), "%" PRIu64, cfg->memory >> 10);
	prop(child(root, "memory", num), "unit", "KiB");
	snprintf(num, sizeof(num), "%u", cfg->cpus);
	child(root, "vcpu", num);
	write_os(root, cfg);
	if (cfg->iommu_backend == CONFIG_BACKEND_IOMMUFD && DX_KNOWS(known, DX_C_IOMMUFD))
		prop(child(root, "iommufd", NULL), "enabled", "yes");
	devs = child(root, "devices", NULL);
	write_serial(devs, cfg);
	write_devices(devs, cfg, known);
	if (config_viommu_enabled(cfg))
		write_iommu(devs, cfg, known);
	return doc;
}

static bool has_vfio(const struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		if (cfg->devices[i].kind == CONFIG_DEV_VFIO)
			return true;
	return false;
}

/* One line for each construct the VM needs and the target release lacks. */
static void note_missing(const struct domxml_opts *opts, const struct vm_config *cfg,
			 unsigned known, const char *target)
{
	char v[16];

	if (cfg->iommu_backend == CONFIG_BACKEND_IOMMUFD && !DX_KNOWS(known, DX_C_IOMMUFD) &&
	    !(iommufd_in_hostdev(cfg, known) && has_vfio(cfg)))
		dx_note(opts, "domxml: %s predates <iommufd enabled='yes'/> (libvirt %s): left "
			"out; ioshade assigns vfio devices through iommufd anyway", target,
			dx_version_str(dx_constructs[DX_C_IOMMUFD].since, v, sizeof(v)));
	if (cfg->viommu_granule && config_viommu_enabled(cfg) && !DX_KNOWS(known, DX_C_GRANULE))
		dx_note(opts, "domxml: %s predates <iommu><driver><granule> (libvirt %s): left "
			"out, so the virtio-iommu's page size is its default, not %llu KiB", target,
			dx_version_str(dx_constructs[DX_C_GRANULE].since, v, sizeof(v)),
			(unsigned long long)(cfg->viommu_granule >> 10));
}

/* The constructs the target release has, and its name for the notes. */
static unsigned target_known(const struct domxml_opts *opts, const struct vm_config *cfg,
			     const struct dx_schema *s, char *name, size_t len)
{
	unsigned version = opts && opts->libvirt_version ? opts->libvirt_version :
			   cfg->libvirt_version;
	char v[16];

	if (version) {
		snprintf(name, len, "libvirt %s", dx_version_str(version, v, sizeof(v)));
		return dx_compat_known_by(version);
	}
	if (!s->rng)
		return dx_compat_all();
	snprintf(name, len, "the installed libvirt (schema %s, older than %s)", s->path,
		 dx_version_str(dx_compat_older_than(s->known), v, sizeof(v)));
	return s->known;
}

/* The written document must pass the schema it was written for. */
static int self_check(const struct dx_schema *s, xmlDoc *doc, char *err, size_t errlen)
{
	struct dx_ctx *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		snprintf(err, errlen, "domxml: out of memory");
		return -ENOMEM;
	}
	c->file = "domxml output";
	c->err = err;
	c->errlen = errlen;
	ret = dx_schema_check(c, s, doc);
	free(c);
	return ret;
}

static int write_doc(FILE *out, const struct vm_config *norm, const struct domxml_opts *opts,
		     const struct dx_schema *s, char *err, size_t errlen)
{
	char target[CONFIG_PATH_MAX + 64] = "";
	unsigned known = target_known(opts, norm, s, target, sizeof(target));
	xmlDoc *doc = build(norm, known);
	int ret = s->rng ? self_check(s, doc, err, errlen) : 0;

	if (!ret)
		note_missing(opts, norm, known, target);
	if (!ret && xmlDocFormatDump(out, doc, 1) < 0) {
		snprintf(err, errlen, "domxml: cannot write the XML: %s", strerror(errno));
		ret = -EIO;
	}
	xmlFreeDoc(doc);
	return ret;
}

int domxml_write_opts(FILE *out, const struct vm_config *cfg, const struct domxml_opts *opts,
		      char *err, size_t errlen)
{
	struct vm_config *norm;
	struct dx_schema s;
	int ret = expressible(cfg, err, errlen);

	if (ret)
		return ret;
	norm = malloc(sizeof(*norm));
	if (!norm) {
		snprintf(err, errlen, "domxml: out of memory");
		return -ENOMEM;
	}
	*norm = *cfg;
	/* What the XML will say, so build() writes what parses back. */
	domxml_normalize(norm);
	norm->libvirt_version = cfg->libvirt_version;
	ret = dx_schema_open(opts, &s, false);
	if (!ret)
		ret = write_doc(out, norm, opts, &s, err, errlen);
	dx_schema_close(&s);
	free(norm);
	return ret;
}

int domxml_write(FILE *out, const struct vm_config *cfg, char *err, size_t errlen)
{
	return domxml_write_opts(out, cfg, NULL, err, errlen);
}

int domxml_parse_version(const char *s, unsigned *version)
{
	unsigned long major, minor = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	major = strtoul(s, &end, 10);
	if (*end == '.') {
		if (!isdigit((unsigned char)end[1]))
			return -EINVAL;
		minor = strtoul(end + 1, &end, 10);
	}
	/* 9.0 is the oldest release whose schema ioshade's XML is checked with. */
	if (*end || major < 9 || major > 999 || minor > 999)
		return -EINVAL;
	*version = DOMXML_VERSION((unsigned)major, (unsigned)minor);
	return 0;
}
