// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvirt domain XML front end: reads the document with libxml2, validates it
 * against libvirt's schema when installed, then walks every element through
 * one table (dx_rules) that says whether ioshade honours, silently accepts,
 * ignores with a warning or rejects it. docs/libvirt.md carries the same table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "app/domxml_internal.h"

#define H DX_HONOUR
#define A DX_ACCEPT
#define I DX_IGNORE
#define R DX_REJECT

/* First match wins: put conditional (when) rows before the fallback row. */
const struct dx_rule dx_rules[] = {
	/* Honoured: mapped into struct vm_config. */
	{ "name", NULL, H, "", dx_name, NULL, NULL },
	{ "uuid", NULL, H, "", dx_uuid, NULL, NULL },
	{ "memory", NULL, H, "unit,dumpCore", dx_memory, NULL, NULL },
	{ "currentMemory", NULL, H, "unit", dx_current_memory, NULL, NULL },
	{ "vcpu", NULL, H, "placement,current,cpuset", dx_vcpu, NULL, NULL },
	{ "os", NULL, H, "", NULL, NULL, NULL },
	{ "os/type", NULL, H, "arch,machine", dx_os_type, NULL, NULL },
	{ "os/kernel", NULL, H, "", dx_kernel, NULL, NULL },
	{ "os/initrd", NULL, H, "", dx_initrd, NULL, NULL },
	{ "os/cmdline", NULL, H, "", dx_cmdline, NULL, NULL },
	{ "iommufd", NULL, H, "enabled,fdgroup", dx_iommufd, NULL, NULL },
	{ "features", NULL, H, "", NULL, NULL, NULL },
	{ "devices", NULL, H, "", NULL, NULL, NULL },
	{ "devices/iommu", "model=virtio", H, "model", dx_iommu, NULL, NULL },
	{ "devices/iommu/driver", NULL, H, "aw_bits", dx_iommu_driver, NULL, NULL },
	{ "devices/iommu/driver/granule", NULL, H, "size,unit,mode", dx_iommu_granule, NULL, NULL },
	{ "devices/hostdev", "mode=subsystem,type=pci", H, "mode,type,managed",
	  dx_hostdev_enter, dx_hostdev_leave, NULL },
	{ "devices/hostdev/source", NULL, H, "", NULL, NULL, NULL },
	{ "devices/hostdev/source/address", NULL, H, "domain,bus,slot,function",
	  dx_hostdev_address, NULL, NULL },
	{ "devices/hostdev/driver", NULL, H, "name,iommufd", dx_hostdev_driver, NULL, NULL },
	{ "devices/serial", NULL, H, "type", dx_chr_enter, dx_chr_leave, NULL },
	{ "devices/console", NULL, H, "type,tty", dx_chr_enter, dx_chr_leave, NULL },
	{ "devices/serial/source", NULL, H, "path", dx_chr_source, NULL, NULL },
	{ "devices/console/source", NULL, H, "path", dx_chr_source, NULL, NULL },
	{ "devices/serial/target", NULL, H, "type,port", dx_chr_target, NULL, NULL },
	{ "devices/console/target", NULL, H, "type,port", dx_chr_target, NULL, NULL },
	{ "devices/rng", "model=virtio", H, "model", dx_rng_enter, dx_rng_leave, NULL },
	{ "devices/rng", "model=virtio-non-transitional", H, "model", dx_rng_enter,
	  dx_rng_leave, NULL },
	{ "devices/rng/backend", "model=random", H, "model", dx_rng_backend, NULL, NULL },
	{ "devices/rng/backend", "model=builtin", H, "model", dx_rng_backend, NULL, NULL },
	{ "devices/rng/driver", NULL, H, "iommu", dx_rng_driver, NULL, NULL },
	{ "devices/disk", NULL, H, "type,device,model", dx_disk_enter, dx_disk_leave, NULL },
	{ "devices/disk/source", NULL, H, "file,index", dx_disk_source, NULL, NULL },
	{ "devices/disk/driver", NULL, H, "name,type,cache,io,discard,detect_zeroes,iommu",
	  dx_disk_driver, NULL, NULL },
	{ "devices/disk/target", NULL, H, "dev,bus", dx_disk_target, NULL, NULL },
	{ "devices/disk/readonly", NULL, H, "", dx_disk_readonly, NULL, NULL },

	/* Accepted silently: they describe what ioshade does anyway. */
	{ "devices/controller", "type=pci,model=pcie-root", A, NULL, NULL, NULL,
	  "ioshade's PCI host bridge is the PCIe root" },
	{ "devices/controller", "type=usb,model=none", A, NULL, NULL, NULL, "no USB: as ioshade" },
	{ "devices/serial/target/model", "name=isa-serial", A, NULL, NULL, NULL,
	  "ioshade's COM1 is an ISA 16550" },
	{ "devices/console/target/model", "name=isa-serial", A, NULL, NULL, NULL,
	  "ioshade's COM1 is an ISA 16550" },
	{ "devices/serial/alias", NULL, A, NULL, NULL, NULL, "names only" },
	{ "devices/console/alias", NULL, A, NULL, NULL, NULL, "names only" },
	{ "devices/hostdev/alias", NULL, A, NULL, NULL, NULL, "names only" },
	{ "devices/iommu/alias", NULL, A, NULL, NULL, NULL, "names only" },
	{ "devices/rng/alias", NULL, A, NULL, NULL, NULL, "names only" },
	{ "devices/disk/alias", NULL, A, NULL, NULL, NULL, "names only" },
	{ "devices/disk/shareable", NULL, A, NULL, NULL, NULL,
	  "ioshade takes no lock on the image either way" },
	{ "devices/disk/backingStore", NULL, A, NULL, NULL, NULL,
	  "a raw image has no backing chain (libvirt's live XML says so with an empty one)" },

	/* Ignored with one warning: running without them changes nothing relied on. */
	{ "title", NULL, I, NULL, NULL, NULL, "a label for management tools" },
	{ "description", NULL, I, NULL, NULL, NULL, "a label for management tools" },
	{ "metadata", NULL, I, NULL, NULL, NULL, "data for management tools" },
	{ "genid", NULL, I, NULL, NULL, NULL, "no VM generation ID device (ioshade has no snapshots)" },
	{ "clock", NULL, I, NULL, NULL, NULL, "the guest clock is KVM's kvmclock/TSC, UTC-based" },
	{ "on_poweroff", NULL, I, NULL, NULL, NULL, "ioshade always exits when the guest powers off" },
	{ "on_reboot", NULL, I, NULL, NULL, NULL, "ioshade exits when the guest resets" },
	{ "on_crash", NULL, I, NULL, NULL, NULL, "ioshade exits when the guest crashes" },
	{ "cpu", NULL, I, NULL, NULL, NULL, "vCPUs get KVM's supported CPUID as is" },
	{ "pm", NULL, I, NULL, NULL, NULL, "no S3/S4 support; the guest sees none" },
	{ "perf", NULL, I, NULL, NULL, NULL, "no perf event accounting" },
	{ "resource", NULL, I, NULL, NULL, NULL, "no cgroup placement; run ioshade in the cgroup you want" },
	{ "seclabel", NULL, I, NULL, NULL, NULL, "no SELinux/AppArmor labelling; confine the ioshade process yourself" },
	{ "sysinfo", NULL, I, NULL, NULL, NULL, "no SMBIOS tables" },
	{ "blkiotune", NULL, I, NULL, NULL, NULL,
	  "no cgroup I/O weights; run ioshade in the cgroup you want" },
	{ "features/acpi", NULL, I, NULL, NULL, NULL, "ioshade always builds ACPI tables" },
	{ "features/apic", NULL, I, NULL, NULL, NULL, "ioshade always has an in-kernel LAPIC/IOAPIC" },
	{ "features/pae", NULL, I, NULL, NULL, NULL, "64-bit guests: PAE is always there" },
	{ "features/vmport", NULL, I, NULL, NULL, NULL, "no VMware port: as vmport='off'" },
	{ "features/ioapic", NULL, I, NULL, NULL, NULL, "the IOAPIC is KVM's in-kernel one" },
	{ "features/smm", NULL, I, NULL, NULL, NULL, "no firmware that would use SMM" },
	{ "features/kvm", NULL, I, NULL, NULL, NULL, "KVM is always visible to the guest" },
	{ "features/pmu", NULL, I, NULL, NULL, NULL, "the PMU is as KVM exposes it" },
	{ "os/boot", NULL, I, NULL, NULL, NULL, "direct kernel boot: no boot device order" },
	{ "os/bootmenu", NULL, I, NULL, NULL, NULL, "direct kernel boot: no firmware menu" },
	{ "os/bios", NULL, I, NULL, NULL, NULL, "direct kernel boot: no BIOS" },
	{ "os/smbios", NULL, I, NULL, NULL, NULL, "no SMBIOS tables" },
	{ "devices/emulator", NULL, I, NULL, NULL, NULL, "ioshade is the emulator" },
	{ "devices/memballoon", "model=none", I, NULL, NULL, NULL, "no balloon: as asked" },
	{ "devices/controller", NULL, I, NULL, NULL, NULL,
	  "devices sit on ioshade's root bus; the devices that would need this controller "
	  "(SATA/SCSI disks, USB, serial ports beyond COM1) are rejected on their own" },
	{ "devices/input", "type=passthrough", R, NULL, NULL, NULL, "would grab a host input device" },
	{ "devices/input", "type=evdev", R, NULL, NULL, NULL, "would grab a host input device" },
	{ "devices/input", NULL, I, NULL, NULL, NULL, "no graphics console: nothing to drive input" },
	{ "devices/audio", NULL, I, NULL, NULL, NULL, "no sound devices, so no audio backend" },
	{ "devices/hostdev/address", NULL, I, NULL, NULL, NULL, "ioshade picks the guest PCI slot" },
	{ "devices/hostdev/boot", NULL, I, NULL, NULL, NULL, "direct kernel boot: no boot order" },
	{ "devices/hostdev/acpi", NULL, I, NULL, NULL, NULL, "no ACPI index for assigned devices" },
	{ "devices/iommu/address", NULL, I, NULL, NULL, NULL, "ioshade picks the guest PCI slot" },
	{ "devices/iommu/acpi", NULL, I, NULL, NULL, NULL, "no ACPI index for the virtio-iommu" },
	{ "devices/serial/address", NULL, I, NULL, NULL, NULL, "COM1 is at I/O port 0x3f8" },
	{ "devices/rng/address", NULL, I, NULL, NULL, NULL, "ioshade picks the guest PCI slot" },
	{ "devices/rng/acpi", NULL, I, NULL, NULL, NULL, "no ACPI index for the virtio-rng" },
	{ "devices/rng/rate", NULL, I, NULL, NULL, NULL,
	  "no rate limit: the getrandom(2) pool ioshade reads does not run dry" },
	{ "devices/disk/address", NULL, I, NULL, NULL, NULL, "ioshade picks the guest PCI slot" },
	{ "devices/disk/acpi", NULL, I, NULL, NULL, NULL, "no ACPI index for the virtio-blk" },
	{ "devices/disk/boot", NULL, I, NULL, NULL, NULL, "direct kernel boot: no boot order" },
	{ "devices/disk/serial", NULL, I, NULL, NULL, NULL,
	  "the disk's serial is 'ioshade-' and the image's inode number (hex)" },

	/* Rejected: running without them would surprise the user. */
	{ "devices/iommu", NULL, R, NULL, NULL, NULL,
	  "ioshade emulates only model='virtio' (virtio-iommu)" },
	{ "devices/hostdev", NULL, R, NULL, NULL, NULL,
	  "ioshade assigns only mode='subsystem' type='pci' host devices" },
	{ "devices/hostdev/rom", NULL, R, NULL, NULL, NULL, "no option ROM support" },
	{ "devices/hostdev/teaming", NULL, R, NULL, NULL, NULL, "no failover NIC teaming" },
	{ "devices/memballoon", NULL, R, NULL, NULL, NULL,
	  "no virtio-balloon device (use <memballoon model='none'/>)" },
	{ "devices/disk/transient", NULL, R, NULL, NULL, NULL,
	  "no transient disks: the guest's writes would reach the image" },
	{ "devices/disk/iotune", NULL, R, NULL, NULL, NULL, "no I/O limits: they would not be enforced" },
	{ "devices/disk/throttlefilters", NULL, R, NULL, NULL, NULL,
	  "no I/O limits: they would not be enforced" },
	{ "devices/disk/encryption", NULL, R, NULL, NULL, NULL,
	  "no encrypted images: the guest would read ciphertext" },
	{ "devices/interface", NULL, R, NULL, NULL, NULL, "no network devices: assign a host NIC with <hostdev>" },
	{ "devices/filesystem", NULL, R, NULL, NULL, NULL, "no shared file systems" },
	{ "devices/graphics", NULL, R, NULL, NULL, NULL, "no graphics: the console is the serial port" },
	{ "devices/video", NULL, R, NULL, NULL, NULL, "no display device" },
	{ "devices/sound", NULL, R, NULL, NULL, NULL, "no sound device" },
	{ "devices/channel", NULL, R, NULL, NULL, NULL, "no virtio-serial channels (guest agent)" },
	{ "devices/parallel", NULL, R, NULL, NULL, NULL, "no parallel port" },
	{ "devices/watchdog", NULL, R, NULL, NULL, NULL, "no watchdog: a hung guest would not be reset" },
	{ "devices/rng", NULL, R, NULL, NULL, NULL,
	  "ioshade's virtio-rng is a virtio 1.x device: model='virtio' or 'virtio-non-transitional'" },
	{ "devices/rng/backend", NULL, R, NULL, NULL, NULL,
	  "no EGD (entropy gathering daemon) backend: ioshade's entropy is getrandom(2) "
	  "(model='random' or 'builtin')" },
	{ "devices/tpm", NULL, R, NULL, NULL, NULL, "no TPM" },
	{ "devices/panic", NULL, R, NULL, NULL, NULL, "no pvpanic device: crashes would not be reported" },
	{ "devices/smartcard", NULL, R, NULL, NULL, NULL, "no smartcard device" },
	{ "devices/redirdev", NULL, R, NULL, NULL, NULL, "no USB redirection" },
	{ "devices/hub", NULL, R, NULL, NULL, NULL, "no USB" },
	{ "devices/shmem", NULL, R, NULL, NULL, NULL, "no shared memory device" },
	{ "devices/vsock", NULL, R, NULL, NULL, NULL, "no vsock device" },
	{ "devices/crypto", NULL, R, NULL, NULL, NULL, "no crypto device" },
	{ "devices/nvram", NULL, R, NULL, NULL, NULL, "no NVRAM device" },
	{ "devices/lease", NULL, R, NULL, NULL, NULL, "no lock manager leases" },
	{ "devices/pstore", NULL, R, NULL, NULL, NULL, "no pstore device" },
	{ "devices/serial/log", NULL, R, NULL, NULL, NULL, "no console log file besides type='file'" },
	{ "devices/console/log", NULL, R, NULL, NULL, NULL, "no console log file besides type='file'" },
	{ "devices/serial/protocol", NULL, R, NULL, NULL, NULL, "no network serial ports" },
	{ "devices/serial/target/model", NULL, R, NULL, NULL, NULL, "COM1 is an ISA 16550 only" },
	{ "devices/console/target/model", NULL, R, NULL, NULL, NULL, "COM1 is an ISA 16550 only" },
	{ "os/loader", NULL, R, NULL, NULL, NULL, "no firmware: ioshade boots <kernel> directly" },
	{ "os/nvram", NULL, R, NULL, NULL, NULL, "no firmware: ioshade boots <kernel> directly" },
	{ "os/firmware", NULL, R, NULL, NULL, NULL, "no firmware: ioshade boots <kernel> directly" },
	{ "os/dtb", NULL, R, NULL, NULL, NULL, "x86 guests take no device tree" },
	{ "os/acpi", NULL, R, NULL, NULL, NULL, "no extra ACPI tables" },
	{ "os/init", NULL, R, NULL, NULL, NULL, "containers are not VMs" },
	{ "bootloader", NULL, R, NULL, NULL, NULL, "no host bootloader: use <os><kernel>" },
	{ "bootloader_args", NULL, R, NULL, NULL, NULL, "no host bootloader: use <os><kernel>" },
	{ "maxMemory", NULL, R, NULL, NULL, NULL, "no memory hotplug" },
	{ "memoryBacking", NULL, R, NULL, NULL, NULL, "guest RAM is a plain memfd (no hugepages/locking/sharing)" },
	{ "memtune", NULL, R, NULL, NULL, NULL, "no memory limits: they would not be enforced" },
	{ "cputune", NULL, R, NULL, NULL, NULL, "no vCPU pinning or quotas: they would not be enforced" },
	{ "numatune", NULL, R, NULL, NULL, NULL, "no NUMA placement: it would not be enforced" },
	{ "vcpus", NULL, R, NULL, NULL, NULL, "no per-vCPU hotplug state" },
	{ "iothreads", NULL, R, NULL, NULL, NULL, "no I/O threads" },
	{ "iothreadids", NULL, R, NULL, NULL, NULL, "no I/O threads" },
	{ "idmap", NULL, R, NULL, NULL, NULL, "containers are not VMs" },
	{ "keywrap", NULL, R, NULL, NULL, NULL, "s390 only" },
	{ "launchSecurity", NULL, R, NULL, NULL, NULL, "no SEV/TDX: the guest would run unencrypted" },
	{ "features/hyperv", NULL, R, NULL, NULL, NULL, "no Hyper-V enlightenments" },
	{ "features/gic", NULL, R, NULL, NULL, NULL, "x86 only" },
};

const unsigned dx_nr_rules = sizeof(dx_rules) / sizeof(dx_rules[0]);

#undef H
#undef A
#undef I
#undef R

static void print_line(const struct domxml_opts *opts, const char *msg)
{
	if (opts && opts->warn)
		opts->warn(opts->opaque, msg);
	else
		fprintf(stderr, "ioshade: warning: %s\n", msg);
}

void dx_note(const struct domxml_opts *opts, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_line(opts, msg);
}

/* "file:line: <name>: " */
static int locate(const struct dx_ctx *c, xmlNode *n, char *buf, size_t len)
{
	if (!n)
		return snprintf(buf, len, "%s: ", c->file);
	return snprintf(buf, len, "%s:%ld: <%s>: ", c->file, xmlGetLineNo(n), (const char *)n->name);
}

int dx_error(struct dx_ctx *c, xmlNode *n, const char *fmt, ...)
{
	int used = locate(c, n, c->err, c->errlen);
	va_list ap;

	if (used >= 0 && (size_t)used < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + used, c->errlen - used, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static struct dx_warning *find_warning(struct dx_ctx *c, const char *path, const char *text)
{
	for (unsigned i = 0; i < c->nr_warnings; i++)
		if (!strcmp(c->warnings[i].path, path) && !strcmp(c->warnings[i].text, text))
			return &c->warnings[i];
	return NULL;
}

/* Held in c->warnings; printed at once without a node or when that is full. */
static void hold_warning(struct dx_ctx *c, xmlNode *n, const char *text)
{
	struct dx_warning *w;
	char path[128];

	dx_node_path(n, path, sizeof(path));
	w = find_warning(c, path, text);
	if (w) {
		size_t used = strlen(w->more_lines);

		w->count++;
		snprintf(w->more_lines + used, sizeof(w->more_lines) - used, ", %ld",
			 xmlGetLineNo(n));
		return;
	}
	if (c->nr_warnings == DX_WARNINGS_MAX) {
		dx_note(c->opts, "%s:%ld: <%s>: %s", c->file, xmlGetLineNo(n),
			(const char *)n->name, text);
		return;
	}
	w = &c->warnings[c->nr_warnings++];
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->elem, sizeof(w->elem), "%s", (const char *)n->name);
	snprintf(w->text, sizeof(w->text), "%s", text);
	w->line = xmlGetLineNo(n);
	w->count = 1;
	w->more_lines[0] = '\0';
}

void dx_flush_warnings(struct dx_ctx *c)
{
	for (unsigned i = 0; i < c->nr_warnings; i++) {
		const struct dx_warning *w = &c->warnings[i];

		if (w->count == 1)
			dx_note(c->opts, "%s:%ld: <%s>: %s", c->file, w->line, w->elem, w->text);
		else	/* a line list cut short at 63 bytes still names the count */
			dx_note(c->opts, "%s:%ld: <%s>: %s (%u times: lines %ld%s)", c->file, w->line,
				w->elem, w->text, w->count, w->line, w->more_lines);
	}
	c->nr_warnings = 0;
}

void dx_warn(struct dx_ctx *c, xmlNode *n, const char *fmt, ...)
{
	char msg[sizeof(c->warnings[0].text)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		hold_warning(c, n, msg);
	else
		dx_note(c->opts, "%s: %s", c->file, msg);
}

/* Does n satisfy "attr=value[,attr=value]"? */
static bool when_holds(xmlNode *n, const char *when)
{
	char buf[128], *save = NULL;

	if (!when)
		return true;
	snprintf(buf, sizeof(buf), "%s", when);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		xmlChar *v;
		bool ok;

		*eq = '\0';
		v = xmlGetNoNsProp(n, BAD_CAST tok);
		ok = v && !strcmp((const char *)v, eq + 1);
		xmlFree(v);
		if (!ok)
			return false;
	}
	return true;
}

static const struct dx_rule *find_rule(const char *path, xmlNode *n)
{
	for (unsigned i = 0; i < dx_nr_rules; i++)
		if (!strcmp(dx_rules[i].path, path) && when_holds(n, dx_rules[i].when))
			return &dx_rules[i];
	return NULL;
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return true;
	}
	return false;
}

static int check_attrs(struct dx_ctx *c, xmlNode *n, const char *allowed)
{
	for (xmlAttr *a = n->properties; a; a = a->next) {
		if (a->ns || !in_list(allowed, (const char *)a->name))
			return dx_error(c, n, "attribute '%s' is not supported by ioshade "
					"(supported here: %s)", (const char *)a->name,
					allowed[0] ? allowed : "none");
	}
	return 0;
}

static int walk(struct dx_ctx *c, xmlNode *parent, char *path, size_t cap);

/* Is n the second <x> among its siblings? Device lists (children of
 * <devices>) repeat; every other element ioshade honours appears once, and a
 * second one would silently override the first when no schema is installed. */
static bool is_repeated(const char *path, xmlNode *n)
{
	if (!strncmp(path, "devices/", 8) && !strchr(path + 8, '/'))
		return false;
	for (xmlNode *p = n->prev; p; p = p->prev)
		if (p->type == XML_ELEMENT_NODE && !p->ns && xmlStrEqual(p->name, n->name))
			return true;
	return false;
}

static int visit(struct dx_ctx *c, xmlNode *n, const char *path, char *buf, size_t cap)
{
	const struct dx_rule *r = find_rule(path, n);
	int ret;

	if (!r)
		return dx_error(c, n, "unknown to ioshade (%s); remove it or see docs/libvirt.md",
				path);
	switch (r->action) {
	case DX_ACCEPT:
		return 0;
	case DX_IGNORE:
		dx_warn(c, n, "ignored: %s", r->reason);
		return 0;
	case DX_REJECT:
		return dx_error(c, n, "not supported: %s", r->reason);
	case DX_HONOUR:
		break;
	}
	if (is_repeated(path, n))
		return dx_error(c, n, "appears more than once; give it once");
	ret = check_attrs(c, n, r->attrs);
	if (!ret && r->enter)
		ret = r->enter(c, n);
	if (!ret)
		ret = walk(c, n, buf, cap);
	if (!ret && r->leave)
		ret = r->leave(c, n);
	return ret;
}

/* path holds the parent's path ("" for <domain>); children are appended. */
static int walk(struct dx_ctx *c, xmlNode *parent, char *path, size_t cap)
{
	size_t len = strlen(path);
	int ret = 0;

	for (xmlNode *n = parent->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns)
			return dx_error(c, n, "element from namespace '%s' is not supported",
					(const char *)n->ns->href);
		if (len + 1 + strlen((const char *)n->name) >= cap)
			return dx_error(c, n, "nested too deeply");
		snprintf(path + len, cap - len, "%s%s", len ? "/" : "", (const char *)n->name);
		ret = visit(c, n, path, path, cap);
		path[len] = '\0';
	}
	return ret;
}

static int check_doc(struct dx_ctx *c, xmlNode *root)
{
	char path[256] = "";
	int ret = check_attrs(c, root, "type,id");

	if (!ret)
		ret = dx_domain(c, root);
	if (!ret)
		ret = walk(c, root, path, sizeof(path));
	dx_flush_warnings(c);
	if (!ret)
		ret = dx_finish(c, root);
	return ret;
}

/*
 * Both the schema and the code must accept the document. When both object,
 * the code's message wins: it always names the element and its line, and
 * RelaxNG's sometimes does not.
 */
static int parse_doc(struct dx_ctx *c, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	char *schema_err;
	int ret;

	if (!root || strcmp((const char *)root->name, "domain") || root->ns)
		return dx_error(c, root, "not a libvirt domain: the root element must be <domain>");
	if (!dx_schema_validate(c, doc))
		return check_doc(c, root);
	schema_err = strdup(c->err);
	ret = check_doc(c, root);
	if (!ret && schema_err)
		snprintf(c->err, c->errlen, "%s", schema_err);
	free(schema_err);
	return -EINVAL;
}

/* Parse with libxml2's own reporting off; report its first error ourselves. */
static xmlDoc *read_doc(struct dx_ctx *c, const char *buf, size_t len, const char *path)
{
	const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			  XML_PARSE_BIG_LINES;
	xmlParserCtxt *p = xmlNewParserCtxt();
	xmlDoc *doc = NULL;
	const xmlError *e;

	if (!p) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->file);
		return NULL;
	}
	if (buf)
		doc = xmlCtxtReadMemory(p, buf, (int)len, c->file, NULL, flags);
	else
		doc = xmlCtxtReadFile(p, path, NULL, flags);
	e = xmlCtxtGetLastError(p);
	if (!doc && e && e->message)
		snprintf(c->err, c->errlen, "%s:%d: not well-formed XML: %.*s", c->file, e->line,
			 (int)strcspn(e->message, "\n"), e->message);
	else if (!doc)
		snprintf(c->err, c->errlen, "%s: cannot read the XML document", c->file);
	/* libvirt's domain XML has no DTD. One here could only declare entities,
	 * and xmlNodeGetContent would expand those (a "billion laughs" from a
	 * few lines): refuse it before reading any element. libxml2 already
	 * loads no external entity or DTD (no XML_PARSE_NOENT/DTDLOAD, and
	 * NONET), and caps nesting depth unless XML_PARSE_HUGE. */
	if (doc && (doc->intSubset || doc->extSubset)) {
		/* libxml2 keeps no line for the DTD node: name the construct. */
		snprintf(c->err, c->errlen, "%s: <!DOCTYPE %s> is not accepted: libvirt domain "
			 "XML has no DTD, and ioshade expands no entities; remove it", c->file,
			 doc->intSubset && doc->intSubset->name ?
			 (const char *)doc->intSubset->name : "");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(p);
	return doc;
}

static int parse_common(const char *buf, size_t len, const char *name,
			const struct domxml_opts *opts, struct vm_config *cfg,
			char *err, size_t errlen)
{
	struct dx_ctx *c = calloc(1, sizeof(*c));
	xmlDoc *doc;
	int ret = -EINVAL;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	c->file = name;
	c->opts = opts;
	c->err = err;
	c->errlen = errlen;
	config_init(&c->cfg);
	c->cfg.viommu = CONFIG_AUTO;
	doc = read_doc(c, buf, len, name);
	if (doc) {
		ret = parse_doc(c, doc);
		xmlFreeDoc(doc);
	}
	if (!ret)
		*cfg = c->cfg;
	free(c);
	return ret;
}

int domxml_parse_buffer(const char *buf, size_t len, const char *name,
			const struct domxml_opts *opts, struct vm_config *cfg,
			char *err, size_t errlen)
{
	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "%s: document too large", name);
		return -EFBIG;
	}
	return parse_common(buf, len, name, opts, cfg, err, errlen);
}

/* As `virsh create /dev/stdin`: the whole of stdin, at most DX_STDIN_MAX bytes. */
#define DX_STDIN_MAX	(16u << 20)

static int parse_stdin(const struct domxml_opts *opts, struct vm_config *cfg, char *err,
		       size_t errlen)
{
	size_t len = 0, cap = 64 << 10, n;
	char *buf = malloc(cap), *bigger;
	int ret = 0;

	while (buf && (n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len < cap)
			continue;
		bigger = cap < DX_STDIN_MAX ? realloc(buf, cap * 2) : NULL;
		if (!bigger) {
			snprintf(err, errlen, "--domain -: the XML on stdin is larger than %u MiB",
				 DX_STDIN_MAX >> 20);
			ret = -EFBIG;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	if (!buf) {
		snprintf(err, errlen, "--domain -: out of memory");
		ret = -ENOMEM;
	} else if (!ret && ferror(stdin)) {
		snprintf(err, errlen, "--domain -: cannot read stdin");
		ret = -EIO;
	}
	if (!ret)
		ret = parse_common(buf, len, "stdin", opts, cfg, err, errlen);
	free(buf);
	return ret;
}

int domxml_parse_file(const char *path, const struct domxml_opts *opts,
		      struct vm_config *cfg, char *err, size_t errlen)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return parse_stdin(opts, cfg, err, errlen);
	f = fopen(path, "r");

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "--domain '%s': %s", path, strerror(e));
		return -e;
	}
	fclose(f);
	return parse_common(NULL, 0, path, opts, cfg, err, errlen);
}
