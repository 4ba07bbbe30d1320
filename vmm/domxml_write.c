// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_config -> libvirt domain XML (`ioshade domxml --from-args run ...`).
 * Builds the tree with libxml2 so text and attributes are escaped, and
 * refuses configurations that libvirt's format cannot carry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

#include "vmm/domxml_internal.h"

void domxml_normalize(struct vm_config *cfg)
{
	bool on = config_viommu_enabled(cfg);

	cfg->viommu = on ? CONFIG_ON : CONFIG_AUTO;
	cfg->log_level = CONFIG_LOG_WARN;
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		struct config_device *d = &cfg->devices[i];

		if (d->iommu == CONFIG_ON)
			d->iommu = CONFIG_AUTO;
		char spec[sizeof(d->spec)] = "";

		snprintf(spec, sizeof(spec), "vfio=%s", d->host_bdf);
		memcpy(d->spec, spec, sizeof(spec));
	}
}

static int expressible(const struct vm_config *cfg, char *err, size_t errlen)
{
	bool on = config_viommu_enabled(cfg);

	if (cfg->iommu_backend == CONFIG_BACKEND_SIM) {
		snprintf(err, errlen, "domxml: --iommu-backend sim has no libvirt XML equivalent");
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		const struct config_device *d = &cfg->devices[i];

		if (d->kind != CONFIG_DEV_VFIO) {
			snprintf(err, errlen, "domxml: --device %s has no libvirt XML equivalent "
				 "(only vfio=BDF becomes a <hostdev>)", d->spec);
			return -EINVAL;
		}
		if (d->iommu == CONFIG_OFF || !on) {
			snprintf(err, errlen, "domxml: --device %s: a device outside the "
				 "virtio-iommu has no libvirt XML equivalent", d->spec);
			return -EINVAL;
		}
	}
	return 0;
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
		[CONFIG_SERIAL_FILE] = "file",
	};
	xmlNode *s = child(devs, "serial", NULL);

	prop(s, "type", "%s", types[cfg->serial]);
	if (cfg->serial == CONFIG_SERIAL_FILE)
		xmlNewProp(child(s, "source", NULL), BAD_CAST "path", BAD_CAST cfg->serial_path);
	prop(child(s, "target", NULL), "port", "0");
}

static void write_hostdev(xmlNode *devs, const struct config_device *d)
{
	unsigned dom, bus, slot, fn;
	xmlNode *h = child(devs, "hostdev", NULL), *a;

	sscanf(d->host_bdf, "%x:%x:%x.%u", &dom, &bus, &slot, &fn);
	prop(h, "mode", "subsystem");
	prop(h, "type", "pci");
	prop(h, "managed", "%s", d->managed ? "yes" : "no");
	a = child(child(h, "source", NULL), "address", NULL);
	prop(a, "domain", "0x%04x", dom);
	prop(a, "bus", "0x%02x", bus);
	prop(a, "slot", "0x%02x", slot);
	prop(a, "function", "0x%x", fn);
}

static void write_iommu(xmlNode *devs, const struct vm_config *cfg)
{
	xmlNode *iommu = child(devs, "iommu", NULL), *drv;

	prop(iommu, "model", "virtio");
	if (!cfg->viommu_aw_bits && !cfg->viommu_granule)
		return;
	drv = child(iommu, "driver", NULL);
	if (cfg->viommu_aw_bits)
		prop(drv, "aw_bits", "%u", cfg->viommu_aw_bits);
	if (cfg->viommu_granule) {
		xmlNode *g = child(drv, "granule", NULL);

		prop(g, "size", "%" PRIu64, cfg->viommu_granule >> 10);
		prop(g, "unit", "KiB");
	}
}

static xmlDoc *build(const struct vm_config *cfg)
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
	if (cfg->iommu_backend == CONFIG_BACKEND_IOMMUFD)
		prop(child(root, "iommufd", NULL), "enabled", "yes");
	devs = child(root, "devices", NULL);
	write_serial(devs, cfg);
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		write_hostdev(devs, &cfg->devices[i]);
	if (config_viommu_enabled(cfg))
		write_iommu(devs, cfg);
	return doc;
}

int domxml_write(FILE *out, const struct vm_config *cfg, char *err, size_t errlen)
{
	xmlDoc *doc;
	int ret = expressible(cfg, err, errlen);

	if (ret)
		return ret;
	doc = build(cfg);
	if (xmlDocFormatDump(out, doc, 1) < 0) {
		snprintf(err, errlen, "domxml: cannot write the XML: %s", strerror(errno));
		ret = -EIO;
	}
	xmlFreeDoc(doc);
	return ret;
}
