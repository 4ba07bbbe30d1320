// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handlers for the emulated devices of a domain: <rng> becomes a virtio-rng,
 * <disk> a virtio-blk on a raw host file, each one cfg.devices[] entry like
 * the --device it stands for. As in libvirt, a virtio device bypasses the
 * IOMMU unless its <driver iommu='on'/> puts it behind the virtio-iommu.
 */
#include <stdio.h>
#include <string.h>

#include "app/domxml_internal.h"

static char *attr(xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, BAD_CAST name);
}

int dx_device_begin(struct dx_ctx *c, xmlNode *n, enum config_device_kind kind)
{
	if (c->cfg.nr_devices == CONFIG_MAX_DEVICES)
		return dx_error(c, n, "too many devices (at most %d)", CONFIG_MAX_DEVICES);
	c->dev = &c->cfg.devices[c->cfg.nr_devices];
	memset(c->dev, 0, sizeof(*c->dev));
	c->dev->kind = kind;
	c->dev->iommu = CONFIG_OFF;
	c->dev_line = xmlGetLineNo(n);
	c->dev_has_source = false;
	c->dev_has_target = false;
	return 0;
}

void dx_device_commit(struct dx_ctx *c)
{
	dx_device_spec(c->dev);
	c->cfg.nr_devices++;
	c->dev = NULL;
}

void dx_device_spec(struct config_device *d)
{
	const char *iommu = d->iommu == CONFIG_ON ? ",iommu=on" :
			    d->iommu == CONFIG_OFF ? ",iommu=off" : "";
	char spec[sizeof(d->spec)] = "";
	int n;

	/* An assigned device always sits behind the viommu: no iommu= to show. */
	if (d->kind == CONFIG_DEV_VFIO)
		n = snprintf(spec, sizeof(spec), "vfio=%s", d->host_bdf);
	else if (d->kind == CONFIG_DEV_VIRTIO_BLK)
		n = snprintf(spec, sizeof(spec), "virtio-blk,file=%s%s%s", d->path,
			     d->read_only ? ",readonly=on" : "", iommu);
	else
		n = snprintf(spec, sizeof(spec), "%s%s", config_device_kind_name(d->kind), iommu);
	/* A path near its own limit leaves no room for the options: show the cut. */
	if (n >= (int)sizeof(spec))
		memcpy(spec + sizeof(spec) - 4, "...", 4);
	memcpy(d->spec, spec, sizeof(spec));
}

/* libvirt's virtio option (virtioOptions in its schema); absent means off. */
static int virtio_iommu(struct dx_ctx *c, xmlNode *n)
{
	char *v = attr(n, "iommu");
	int ret = 0;

	if (v && strcmp(v, "on") && strcmp(v, "off"))
		ret = dx_error(c, n, "iommu='%s' must be 'on' or 'off'", v);
	else if (v)
		c->dev->iommu = strcmp(v, "on") ? CONFIG_OFF : CONFIG_ON;
	if (!ret && c->dev->iommu == CONFIG_ON && !c->first_iommu_on_line) {
		c->first_iommu_on_line = c->dev_line;
		c->first_iommu_on_elem = c->dev->kind == CONFIG_DEV_VIRTIO_BLK ? "disk" : "rng";
	}
	xmlFree(v);
	return ret;
}

/* virtio 1.x only: 'virtio-transitional' would promise a legacy interface. */
static bool is_modern_virtio(const char *model)
{
	return !strcmp(model, "virtio") || !strcmp(model, "virtio-non-transitional");
}

int dx_rng_enter(struct dx_ctx *c, xmlNode *n)
{
	return dx_device_begin(c, n, CONFIG_DEV_VIRTIO_RNG);
}

/*
 * ioshade fills requests from getrandom(2): the pool /dev/urandom reads, as
 * does /dev/random since Linux 5.6 and QEMU's model='builtin'. Any other
 * file (a hardware RNG, a named pipe) would not be read.
 */
int dx_rng_backend(struct dx_ctx *c, xmlNode *n)
{
	char path[256];
	int ret = dx_copy_text(c, n, path, sizeof(path), true);

	if (ret)
		return ret;
	if (path[0] && strcmp(path, "/dev/urandom") && strcmp(path, "/dev/random"))
		return dx_error(c, n, "'%s' is not supported: ioshade's entropy comes from "
				"getrandom(2), as /dev/urandom (give /dev/urandom, /dev/random or "
				"no path)", path);
	c->dev_has_source = true;
	return 0;
}

int dx_rng_driver(struct dx_ctx *c, xmlNode *n)
{
	return virtio_iommu(c, n);
}

int dx_rng_leave(struct dx_ctx *c, xmlNode *n)
{
	if (!c->dev_has_source)
		return dx_error(c, n, "no <backend model='random'>/dev/urandom</backend>: "
				"libvirt requires one");
	dx_device_commit(c);
	return 0;
}

int dx_disk_enter(struct dx_ctx *c, xmlNode *n)
{
	char *type = attr(n, "type"), *device = attr(n, "device"), *model = attr(n, "model");
	int ret;

	if (type && strcmp(type, "file"))
		ret = dx_error(c, n, "type='%s' is not supported: ioshade's virtio-blk reads a "
			       "host file (type='file')", type);
	else if (device && strcmp(device, "disk"))
		ret = dx_error(c, n, "device='%s' is not supported: ioshade's only disk is a "
			       "virtio-blk hard disk (device='disk')", device);
	else if (model && !is_modern_virtio(model))
		ret = dx_error(c, n, "model='%s' is not supported: ioshade's virtio-blk is a "
			       "virtio 1.x device (model='virtio' or 'virtio-non-transitional')",
			       model);
	else
		ret = dx_device_begin(c, n, CONFIG_DEV_VIRTIO_BLK);
	xmlFree(type);
	xmlFree(device);
	xmlFree(model);
	return ret;
}

int dx_disk_source(struct dx_ctx *c, xmlNode *n)
{
	char *file = attr(n, "file");
	size_t len = file ? strlen(file) : 0;
	int ret = 0;

	if (!len)
		ret = dx_error(c, n, "no file='...': ioshade needs the image file");
	else if (len >= sizeof(c->dev->path))
		ret = dx_error(c, n, "file='%s' is longer than %zu bytes", file,
			       sizeof(c->dev->path) - 1);
	else
		memcpy(c->dev->path, file, len + 1);
	dx_origin(c, n, c->cfg.origin.device[c->cfg.nr_devices],
		  sizeof(c->cfg.origin.device[0]));
	c->dev_has_source = !ret;
	xmlFree(file);
	return ret;
}

static int disk_format(struct dx_ctx *c, xmlNode *n)
{
	char *name = attr(n, "name"), *type = attr(n, "type");
	int ret = 0;

	if (name && strcmp(name, "qemu"))
		ret = dx_error(c, n, "name='%s' is not supported (only 'qemu', libvirt's name "
			       "for the KVM driver)", name);
	else if (type && strcmp(type, "raw"))
		ret = dx_error(c, n, "type='%s' is not supported: ioshade reads the image as "
			       "raw (convert it: qemu-img convert -O raw)", type);
	xmlFree(name);
	xmlFree(type);
	return ret;
}

/*
 * How QEMU would do the I/O. ioshade has one way: preadv/pwritev through the
 * host page cache and fdatasync on the guest's flush, which keeps what the
 * guest flushed; another value changes speed, not what the guest sees, so it
 * gets a warning.
 */
static const struct disk_tunable {
	const char *attr;
	const char *same[2];	/* values that describe ioshade's way */
	const char *why;
} disk_tunables[] = {
	{ "cache", { "default", "writeback" }, "ioshade writes through the host page cache "
	  "and syncs on the guest's flushes (as cache='writeback')" },
	{ "io", { NULL, NULL }, "ioshade does its own I/O (preadv/pwritev)" },
	{ "discard", { "ignore", NULL }, "ioshade's virtio-blk offers no discard" },
	{ "detect_zeroes", { "off", NULL }, "zeroes are written as data" },
};

static void disk_tuning(struct dx_ctx *c, xmlNode *n)
{
	for (size_t i = 0; i < sizeof(disk_tunables) / sizeof(disk_tunables[0]); i++) {
		const struct disk_tunable *t = &disk_tunables[i];
		char *v = attr(n, t->attr);
		bool same = v && ((t->same[0] && !strcmp(v, t->same[0])) ||
				  (t->same[1] && !strcmp(v, t->same[1])));

		if (v && !same)
			dx_warn(c, n, "%s='%s' ignored: %s", t->attr, v, t->why);
		xmlFree(v);
	}
}

int dx_disk_driver(struct dx_ctx *c, xmlNode *n)
{
	int ret = disk_format(c, n);

	if (!ret)
		ret = virtio_iommu(c, n);
	if (!ret)
		disk_tuning(c, n);
	return ret;
}

/* The guest names its disks in probe order: dev= only tells the bus. */
int dx_disk_target(struct dx_ctx *c, xmlNode *n)
{
	char *dev = attr(n, "dev"), *bus = attr(n, "bus");
	int ret = 0;

	if (bus && strcmp(bus, "virtio"))
		ret = dx_error(c, n, "bus='%s' is not supported: ioshade's disks are virtio-blk "
			       "(bus='virtio')", bus);
	/* Without bus=, libvirt takes it from the name: vd* is virtio. */
	else if (!bus && (!dev || strncmp(dev, "vd", 2)))
		ret = dx_error(c, n, "dev='%s' without bus= is not a virtio disk to libvirt: "
			       "ioshade's disks are virtio-blk (give bus='virtio')", dev ? dev : "");
	c->dev_has_target = !ret;
	xmlFree(dev);
	xmlFree(bus);
	return ret;
}

int dx_disk_readonly(struct dx_ctx *c, xmlNode *n)
{
	c->dev->read_only = true;
	return 0;
}

int dx_disk_leave(struct dx_ctx *c, xmlNode *n)
{
	if (!c->dev_has_source)
		return dx_error(c, n, "no <source file='...'/>: ioshade needs the image file");
	if (!c->dev_has_target)
		return dx_error(c, n, "no <target dev='vda' bus='virtio'/>: libvirt requires one");
	dx_device_commit(c);
	return 0;
}
