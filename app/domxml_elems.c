// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handlers for the domain XML elements ioshade honours: each reads its
 * element's attributes and text into the vm_config under construction and
 * names the element and line when a value is out of ioshade's range.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/domxml_internal.h"

/* Attribute or text as a C string; "" when absent. Caller frees with xmlFree. */
static char *attr(xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, BAD_CAST name);
}

static char *text(xmlNode *n)
{
	return (char *)xmlNodeGetContent(n);
}

/* Copy the trimmed text of n into dst. */
int dx_copy_text(struct dx_ctx *c, xmlNode *n, char *dst, size_t cap, bool trim)
{
	char *t = text(n), *s = t;
	size_t len;
	int ret = 0;

	if (!t)
		return dx_error(c, n, "out of memory");
	if (trim) {
		while (isspace((unsigned char)*s))
			s++;
		for (len = strlen(s); len && isspace((unsigned char)s[len - 1]); len--)
			s[len - 1] = '\0';
	}
	len = strlen(s);
	if (len >= cap)
		ret = dx_error(c, n, "value longer than %zu bytes", cap - 1);
	else
		memcpy(dst, s, len + 1);
	xmlFree(t);
	return ret;
}

static int parse_uint(const char *s, int base, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno || *end || *out > max)
		return -ERANGE;
	return 0;
}

int dx_domain(struct dx_ctx *c, xmlNode *n)
{
	char *type = attr(n, "type");
	int ret = 0;

	if (!type || strcmp(type, "kvm"))
		ret = dx_error(c, n, "type='%s' is not supported: ioshade runs guests under KVM "
			       "only (use type='kvm')", type ? type : "");
	xmlFree(type);
	return ret;
}

int dx_name(struct dx_ctx *c, xmlNode *n)
{
	int ret = dx_copy_text(c, n, c->cfg.name, sizeof(c->cfg.name), false);

	if (!ret && (!c->cfg.name[0] || strchr(c->cfg.name, '/')))
		ret = dx_error(c, n, "'%s' is not a valid name (empty, or contains '/')",
			       c->cfg.name);
	return ret;
}

/* libvirt accepts 32 hex digits with '-' between byte pairs; we normalise. */
int dx_uuid(struct dx_ctx *c, xmlNode *n)
{
	char buf[64], hex[32];
	unsigned digits = 0, pos = 0;
	int ret = dx_copy_text(c, n, buf, sizeof(buf), true);

	if (ret)
		return ret;
	for (const char *p = buf; *p; p++) {
		if (*p == '-' && digits && digits % 2 == 0 && p[1] && p[1] != '-')
			continue;
		if (!isxdigit((unsigned char)*p) || digits == 32)
			return dx_error(c, n, "'%s' is not a UUID (want e.g. "
					"3e3fce45-4f53-4fa7-bb32-11f34168b82b)", buf);
		hex[digits++] = (char)tolower((unsigned char)*p);
	}
	if (digits != 32)
		return dx_error(c, n, "'%s' is not a UUID: %u hex digits, want 32", buf, digits);
	for (unsigned i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			c->cfg.uuid[pos++] = '-';
		c->cfg.uuid[pos++] = hex[i];
	}
	c->cfg.uuid[pos] = '\0';
	return 0;
}

/* libvirt's units: "KB" = 1000, "k"/"KiB" = 1024, first letter case-insensitive. */
int dx_scale(const char *value, const char *unit, uint64_t def_scale, uint64_t *out)
{
	static const char prefixes[] = "kmgtpe";
	unsigned long long v;
	uint64_t scale = 1, base;
	const char *p;
	int ret = parse_uint(value, 10, ~0ULL, &v);

	if (ret)
		return ret;
	if (!unit || !*unit) {
		scale = def_scale;
	} else if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") || !strcasecmp(unit, "bytes")) {
		scale = 1;
	} else {
		p = strchr(prefixes, tolower((unsigned char)unit[0]));
		if (!p || !*p)
			return -EINVAL;
		if (!unit[1] || !strcasecmp(unit + 1, "iB"))
			base = 1024;
		else if (!strcasecmp(unit + 1, "B"))
			base = 1000;
		else
			return -EINVAL;
		for (long i = 0; i <= p - prefixes; i++)
			scale *= base;
	}
	if (__builtin_mul_overflow((uint64_t)v, scale, out))
		return -ERANGE;
	return 0;
}

static int memory_value(struct dx_ctx *c, xmlNode *n, uint64_t *bytes)
{
	char *unit = attr(n, "unit"), val[64];
	int ret = dx_copy_text(c, n, val, sizeof(val), true);

	if (!ret) {
		ret = dx_scale(val, unit, 1024, bytes);
		if (ret == -EINVAL)
			ret = dx_error(c, n, "cannot parse '%s' unit='%s' (units: b, bytes, KB, k, "
				       "KiB, MB, M, MiB, GB, G, GiB, TB, T, TiB)", val,
				       unit ? unit : "");
		else if (ret)
			ret = dx_error(c, n, "'%s' %s overflows 64 bits", val, unit ? unit : "KiB");
	}
	xmlFree(unit);
	return ret;
}

int dx_memory(struct dx_ctx *c, xmlNode *n)
{
	uint64_t bytes;
	int ret = memory_value(c, n, &bytes);

	if (ret)
		return ret;
	if (bytes < CONFIG_MEM_MIN || bytes > CONFIG_MEM_MAX)
		return dx_error(c, n, "%llu bytes is out of range (16 MiB..1 TiB)",
				(unsigned long long)bytes);
	if (bytes & 0xfff)
		return dx_error(c, n, "%llu bytes is not a multiple of 4 KiB",
				(unsigned long long)bytes);
	c->cfg.memory = bytes;
	c->has_memory = true;
	return 0;
}

int dx_current_memory(struct dx_ctx *c, xmlNode *n)
{
	c->current_line = xmlGetLineNo(n);
	return memory_value(c, n, &c->current_memory);
}

int dx_vcpu(struct dx_ctx *c, xmlNode *n)
{
	char *placement = attr(n, "placement"), *current = attr(n, "current"), val[32];
	char *cpuset = attr(n, "cpuset");
	unsigned long long v = 0, cur = 0;
	int ret = dx_copy_text(c, n, val, sizeof(val), true);

	if (!ret && parse_uint(val, 10, CONFIG_CPUS_MAX, &v))
		ret = dx_error(c, n, "'%s' is not a vCPU count in 1..%d", val, CONFIG_CPUS_MAX);
	else if (!ret && !v)
		ret = dx_error(c, n, "0 vCPUs");
	else if (!ret && cpuset)
		ret = dx_error(c, n, "cpuset='%s' is not supported: ioshade does not pin vCPUs "
			       "(run it under taskset instead)", cpuset);
	else if (!ret && placement && strcmp(placement, "static"))
		ret = dx_error(c, n, "placement='%s' is not supported (only 'static')", placement);
	else if (!ret && current && (parse_uint(current, 10, CONFIG_CPUS_MAX, &cur) || cur != v))
		ret = dx_error(c, n, "current='%s' is not supported: all %llu vCPUs are online "
			       "(no vCPU hotplug)", current, v);
	if (!ret)
		c->cfg.cpus = (unsigned)v;
	xmlFree(placement);
	xmlFree(current);
	xmlFree(cpuset);
	return ret;
}

int dx_os_type(struct dx_ctx *c, xmlNode *n)
{
	char *arch = attr(n, "arch"), *machine = attr(n, "machine"), val[16];
	int ret = dx_copy_text(c, n, val, sizeof(val), true);

	if (!ret && strcmp(val, "hvm"))
		ret = dx_error(c, n, "'%s' guests are not supported (only hvm)", val);
	else if (!ret && arch && strcmp(arch, "x86_64"))
		ret = dx_error(c, n, "arch='%s' is not supported (only x86_64)", arch);
	else if (!ret && machine && strncmp(machine, "q35", 3) && strncmp(machine, "pc-q35", 6))
		dx_warn(c, n, "machine='%s' ignored: ioshade has one machine type, closest to q35",
			machine);
	xmlFree(arch);
	xmlFree(machine);
	return ret;
}

void dx_origin(struct dx_ctx *c, xmlNode *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%ld: <%s>", c->file, xmlGetLineNo(n), (const char *)n->name);
}

int dx_kernel(struct dx_ctx *c, xmlNode *n)
{
	int ret = dx_copy_text(c, n, c->cfg.kernel, sizeof(c->cfg.kernel), true);

	if (!ret && !c->cfg.kernel[0])
		ret = dx_error(c, n, "empty kernel path");
	dx_origin(c, n, c->cfg.origin.kernel, sizeof(c->cfg.origin.kernel));
	return ret;
}

int dx_initrd(struct dx_ctx *c, xmlNode *n)
{
	dx_origin(c, n, c->cfg.origin.initrd, sizeof(c->cfg.origin.initrd));
	return dx_copy_text(c, n, c->cfg.initrd, sizeof(c->cfg.initrd), true);
}

int dx_cmdline(struct dx_ctx *c, xmlNode *n)
{
	return dx_copy_text(c, n, c->cfg.cmdline, sizeof(c->cfg.cmdline), false);
}

int dx_iommufd(struct dx_ctx *c, xmlNode *n)
{
	char *en = attr(n, "enabled"), *fdgroup = attr(n, "fdgroup");
	int ret = 0;

	if (fdgroup)
		ret = dx_error(c, n, "fdgroup='%s' is not supported: ioshade opens /dev/iommu "
			       "itself", fdgroup);
	else if (!en || strcmp(en, "yes"))
		ret = dx_error(c, n, "enabled='%s' is not supported: ioshade assigns devices "
			       "through iommufd only", en ? en : "");
	else
		c->cfg.iommu_backend = CONFIG_BACKEND_IOMMUFD;
	xmlFree(en);
	xmlFree(fdgroup);
	return ret;
}

int dx_iommu(struct dx_ctx *c, xmlNode *n)
{
	if (c->has_iommu)
		return dx_error(c, n, "a second <iommu>: ioshade has one virtio-iommu");
	c->has_iommu = true;
	c->cfg.viommu = CONFIG_ON;
	return 0;
}

int dx_iommu_driver(struct dx_ctx *c, xmlNode *n)
{
	char *aw = attr(n, "aw_bits");
	unsigned long long v;
	int ret = 0;

	if (aw && (parse_uint(aw, 10, 64, &v) || v < 32))
		ret = dx_error(c, n, "aw_bits='%s' is out of range (32..64)", aw);
	else if (aw)
		c->cfg.viommu_aw_bits = (unsigned)v;
	xmlFree(aw);
	return ret;
}

/* libvirt 12.x: <granule mode='host'/> or <granule size='64' unit='KiB'/>. */
int dx_iommu_granule(struct dx_ctx *c, xmlNode *n)
{
	char *mode = attr(n, "mode"), *size = attr(n, "size"), *unit = attr(n, "unit");
	uint64_t bytes = 0;
	int ret = 0;

	if (mode && (size || unit))
		ret = dx_error(c, n, "give either mode='host' or size/unit, not both");
	else if (mode && strcmp(mode, "host"))
		ret = dx_error(c, n, "mode='%s' is not supported (only 'host')", mode);
	else if (mode)
		bytes = (uint64_t)sysconf(_SC_PAGESIZE);
	else if (!size || dx_scale(size, unit, 1024, &bytes))
		ret = dx_error(c, n, "size='%s' unit='%s' is not a size", size ? size : "",
			       unit ? unit : "");
	if (!ret && bytes != 4096 && bytes != 8192 && bytes != 16384 && bytes != 65536)
		ret = dx_error(c, n, "granule of %llu bytes is not supported (4, 8, 16 or 64 KiB)",
			       (unsigned long long)bytes);
	if (!ret)
		c->cfg.viommu_granule = bytes;
	xmlFree(mode);
	xmlFree(size);
	xmlFree(unit);
	return ret;
}

int dx_hostdev_enter(struct dx_ctx *c, xmlNode *n)
{
	char *managed = attr(n, "managed");
	int ret = dx_device_begin(c, n, CONFIG_DEV_VFIO);

	if (!ret && managed && strcmp(managed, "yes") && strcmp(managed, "no"))
		ret = dx_error(c, n, "managed='%s' must be 'yes' or 'no'", managed);
	if (!ret) {
		/* Assigned devices always sit behind the viommu: the global switch. */
		c->dev->iommu = CONFIG_AUTO;
		c->dev->managed = managed && !strcmp(managed, "yes");
		if (!c->first_hostdev_line)
			c->first_hostdev_line = c->dev_line;
	}
	xmlFree(managed);
	return ret;
}

int dx_hostdev_address(struct dx_ctx *c, xmlNode *n)
{
	static const char *const names[] = { "domain", "bus", "slot", "function" };
	static const unsigned long long max[] = { 0xffff, 0xff, 0x1f, 7 };
	unsigned long long v[4];
	int ret = 0;

	for (int i = 0; i < 4 && !ret; i++) {
		char *s = attr(n, names[i]);

		/* base 0 as libvirt: "0x03" hex, "3" decimal */
		if (!s || parse_uint(s, 0, max[i], &v[i]))
			ret = dx_error(c, n, "%s='%s' is missing or out of range (0..%#llx)",
				       names[i], s ? s : "", max[i]);
		xmlFree(s);
	}
	if (ret)
		return ret;
	snprintf(c->dev->host_bdf, sizeof(c->dev->host_bdf), "%04llx:%02llx:%02llx.%llu",
		 v[0], v[1], v[2], v[3]);
	c->dev_has_source = true;
	return 0;
}

int dx_hostdev_driver(struct dx_ctx *c, xmlNode *n)
{
	char *name = attr(n, "name"), *ifd = attr(n, "iommufd");
	int ret = 0;

	if (name && strcmp(name, "vfio"))
		ret = dx_error(c, n, "name='%s' is not supported (only 'vfio')", name);
	else if (ifd && strcmp(ifd, "yes"))
		ret = dx_error(c, n, "iommufd='%s' is not supported: ioshade assigns devices "
			       "through iommufd only", ifd);
	else if (ifd)
		c->cfg.iommu_backend = CONFIG_BACKEND_IOMMUFD;
	xmlFree(name);
	xmlFree(ifd);
	return ret;
}

int dx_hostdev_leave(struct dx_ctx *c, xmlNode *n)
{
	struct config_device *d = c->dev;

	if (!c->dev_has_source)
		return dx_error(c, n, "no <source><address domain= bus= slot= function=/>");
	for (unsigned i = 0; i < c->cfg.nr_devices; i++)
		if (!strcmp(c->cfg.devices[i].host_bdf, d->host_bdf))
			return dx_error(c, n, "host device %s is assigned twice", d->host_bdf);
	dx_device_commit(c);
	return 0;
}

int dx_chr_enter(struct dx_ctx *c, xmlNode *n)
{
	char *type = attr(n, "type");
	int ret = 0;

	memset(&c->cur, 0, sizeof(c->cur));
	c->cur.elem = (const char *)n->name;
	c->cur.line = xmlGetLineNo(n);
	if (!type || !strcmp(type, "pty")) {
		c->cur.kind = CONFIG_SERIAL_PTY;	/* libvirt's default type */
	} else if (!strcmp(type, "stdio")) {
		c->cur.kind = CONFIG_SERIAL_STDOUT;
	} else if (!strcmp(type, "file")) {
		c->cur.kind = CONFIG_SERIAL_FILE;
	} else if (!strcmp(type, "null")) {
		c->cur.kind = CONFIG_SERIAL_NONE;
	} else {
		ret = dx_error(c, n, "type='%s' is not supported (pty, stdio, file, null)", type);
	}
	xmlFree(type);
	return ret;
}

int dx_chr_source(struct dx_ctx *c, xmlNode *n)
{
	char *path = attr(n, "path");
	int ret = 0;

	if (c->cur.kind != CONFIG_SERIAL_FILE)
		dx_warn(c, n, "ignored: only type='file' reads <source path=...>");
	else if (!path || !path[0] || strlen(path) >= sizeof(c->cur.path))
		ret = dx_error(c, n, "type='file' needs path='...' (shorter than %zu bytes)",
			       sizeof(c->cur.path));
	else
		memcpy(c->cur.path, path, strlen(path) + 1);
	xmlFree(path);
	return ret;
}

int dx_chr_target(struct dx_ctx *c, xmlNode *n)
{
	char *type = attr(n, "type"), *port = attr(n, "port");
	bool console = !strcmp(c->cur.elem, "console");
	int ret = 0;

	if (type && strcmp(type, console ? "serial" : "isa-serial"))
		ret = dx_error(c, n, "type='%s' is not supported: ioshade's only console is "
			       "COM1 (%s)", type, console ? "target type='serial'" : "isa-serial");
	else if (port && strcmp(port, "0"))
		ret = dx_error(c, n, "port='%s' is not supported: ioshade has one serial port "
			       "(port 0, COM1)", port);
	xmlFree(type);
	xmlFree(port);
	return ret;
}

static bool chr_equal(const struct dx_chr *a, const struct dx_chr *b)
{
	return a->kind == b->kind && !strcmp(a->path, b->path);
}

/* <serial> and <console type='serial' port='0'> are the same COM1. */
int dx_chr_leave(struct dx_ctx *c, xmlNode *n)
{
	if (c->cur.kind == CONFIG_SERIAL_FILE && !c->cur.path[0])
		return dx_error(c, n, "type='file' needs <source path='...'/>");
	if (c->chr.set && !chr_equal(&c->chr, &c->cur))
		return dx_error(c, n, "conflicts with <%s> at line %ld: both are COM1, ioshade's "
				"only serial port", c->chr.elem, c->chr.line);
	if (c->chr.set)
		return 0;
	c->chr = c->cur;
	c->chr.set = true;
	c->cfg.serial = c->chr.kind;
	memcpy(c->cfg.serial_path, c->chr.path, sizeof(c->cfg.serial_path));
	return 0;
}

int dx_finish(struct dx_ctx *c, xmlNode *root)
{
	if (!c->has_memory)
		return dx_error(c, root, "no <memory>: libvirt requires it");
	if (c->current_memory && c->current_memory != c->cfg.memory)
		dx_note(c->opts, "%s:%ld: <currentMemory>: ignored: no balloon, the guest gets "
			"all of <memory> (%llu MiB)", c->file, c->current_line,
			(unsigned long long)(c->cfg.memory >> 20));
	if (c->first_hostdev_line && !c->has_iommu)
		dx_note(c->opts, "%s:%ld: <hostdev>: no <iommu model='virtio'/>: ioshade puts "
			"assigned devices behind its virtio-iommu anyway", c->file,
			c->first_hostdev_line);
	else if (c->first_iommu_on_line && !c->has_iommu)
		dx_note(c->opts, "%s:%ld: <%s>: iommu='on' but no <iommu model='virtio'/>: "
			"ioshade adds its virtio-iommu and puts the device behind it", c->file,
			c->first_iommu_on_line, c->first_iommu_on_elem);
	return 0;
}
