/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared between the domain XML parser (domxml.c), its element handlers
 * (domxml_elems.c, domxml_devices.c), schema validation (domxml_schema.c)
 * and the writer (domxml_write.c). Not for other modules: it exposes
 * libxml2 types.
 */
#ifndef IOSHADE_VMM_DOMXML_INTERNAL_H
#define IOSHADE_VMM_DOMXML_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

struct _xmlRelaxNG;

#include "app/domxml.h"

/* One character device (<serial> or <console>) as the XML describes it. */
struct dx_chr {
	bool set;
	enum config_serial kind;
	char path[CONFIG_PATH_MAX];
	long line;
	const char *elem;		/* "serial" / "console" */
};

/* One warning line, held until the walk ends so that repeats (virt-install's
 * four <controller>s) become one line. */
struct dx_warning {
	char path[128];			/* element path: warnings about one element kind merge */
	char elem[64];
	char text[512];			/* after "file:line: <elem>: " */
	long line;			/* the first one */
	unsigned count;
	char more_lines[64];		/* ", 33, 36": the other lines, as many as fit */
};

#define DX_WARNINGS_MAX	32

/* Parser state: the config being built plus what spans several elements. */
struct dx_ctx {
	const char *file;
	const struct domxml_opts *opts;
	char *err;
	size_t errlen;
	struct vm_config cfg;		/* copied out only when the whole doc is good */
	bool has_iommu;
	long first_hostdev_line;	/* 0: no hostdev */
	bool has_memory;
	uint64_t current_memory;	/* <currentMemory>, 0 when absent */
	long current_line;
	struct config_device *dev;	/* <hostdev>/<rng>/<disk> being parsed */
	long dev_line;
	bool dev_has_source;		/* <source><address>, <backend>, <source file> */
	bool dev_has_target;		/* <disk><target> */
	long first_iommu_on_line;	/* first <driver iommu='on'> device, 0: none */
	const char *first_iommu_on_elem;
	struct dx_chr chr;		/* the merged serial console */
	struct dx_chr cur;		/* <serial>/<console> being parsed */
	unsigned nr_warnings;
	struct dx_warning warnings[DX_WARNINGS_MAX];
};

enum dx_action {
	DX_HONOUR,	/* mapped into vm_config by enter/leave, children walked */
	DX_ACCEPT,	/* meaningless for ioshade, silently accepted */
	DX_IGNORE,	/* ignored with one warning line */
	DX_REJECT,	/* error before the VM starts */
};

typedef int (*dx_handler)(struct dx_ctx *c, xmlNode *n);

struct dx_rule {
	const char *path;	/* element path below <domain>, e.g. "devices/hostdev" */
	const char *when;	/* NULL or "attr=value[,attr=value]": all must hold */
	enum dx_action action;
	const char *attrs;	/* DX_HONOUR: allowed attributes, comma-separated */
	dx_handler enter;	/* before the children */
	dx_handler leave;	/* after the children */
	const char *reason;	/* for IGNORE/REJECT messages and docs/libvirt.md */
};

/* The table (domxml.c) and its length. */
extern const struct dx_rule dx_rules[];
extern const unsigned dx_nr_rules;

/* Messages: both prefix "file:line: <elem>: ". dx_error returns -EINVAL. */
int dx_error(struct dx_ctx *c, xmlNode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dx_warn(struct dx_ctx *c, xmlNode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print the held warnings, one line per element kind and text. */
void dx_flush_warnings(struct dx_ctx *c);
/* "devices/hostdev/driver" for n (below <domain>): "" for the root, or when
 * it does not fit in len. */
void dx_node_path(xmlNode *n, char *buf, size_t len);
/* Plain note without a location. */
void dx_note(const struct domxml_opts *opts, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "file:line: <name>" into buf: where a file path came from (cfg.origin). */
void dx_origin(struct dx_ctx *c, xmlNode *n, char *buf, size_t len);

/* Element handlers (domxml_elems.c). */
int dx_domain(struct dx_ctx *c, xmlNode *n);
int dx_name(struct dx_ctx *c, xmlNode *n);
int dx_uuid(struct dx_ctx *c, xmlNode *n);
int dx_memory(struct dx_ctx *c, xmlNode *n);
int dx_current_memory(struct dx_ctx *c, xmlNode *n);
int dx_vcpu(struct dx_ctx *c, xmlNode *n);
int dx_os_type(struct dx_ctx *c, xmlNode *n);
int dx_kernel(struct dx_ctx *c, xmlNode *n);
int dx_initrd(struct dx_ctx *c, xmlNode *n);
int dx_cmdline(struct dx_ctx *c, xmlNode *n);
int dx_iommufd(struct dx_ctx *c, xmlNode *n);
int dx_iommu(struct dx_ctx *c, xmlNode *n);
int dx_iommu_driver(struct dx_ctx *c, xmlNode *n);
int dx_iommu_granule(struct dx_ctx *c, xmlNode *n);
int dx_hostdev_enter(struct dx_ctx *c, xmlNode *n);
int dx_hostdev_leave(struct dx_ctx *c, xmlNode *n);
int dx_hostdev_address(struct dx_ctx *c, xmlNode *n);
int dx_hostdev_driver(struct dx_ctx *c, xmlNode *n);
int dx_chr_enter(struct dx_ctx *c, xmlNode *n);
int dx_chr_leave(struct dx_ctx *c, xmlNode *n);
int dx_chr_source(struct dx_ctx *c, xmlNode *n);
int dx_chr_target(struct dx_ctx *c, xmlNode *n);
/* After the walk: checks that span elements. */
int dx_finish(struct dx_ctx *c, xmlNode *root);
/* The text of n (trimmed when trim) into dst: 0, or -EINVAL naming n when
 * it does not fit in cap bytes. */
int dx_copy_text(struct dx_ctx *c, xmlNode *n, char *dst, size_t cap, bool trim);

/* Emulated device handlers (domxml_devices.c). */
int dx_rng_enter(struct dx_ctx *c, xmlNode *n);
int dx_rng_leave(struct dx_ctx *c, xmlNode *n);
int dx_rng_backend(struct dx_ctx *c, xmlNode *n);
int dx_rng_driver(struct dx_ctx *c, xmlNode *n);
int dx_disk_enter(struct dx_ctx *c, xmlNode *n);
int dx_disk_leave(struct dx_ctx *c, xmlNode *n);
int dx_disk_source(struct dx_ctx *c, xmlNode *n);
int dx_disk_driver(struct dx_ctx *c, xmlNode *n);
int dx_disk_target(struct dx_ctx *c, xmlNode *n);
int dx_disk_readonly(struct dx_ctx *c, xmlNode *n);

/* A new cfg.devices[] entry of that kind in c->dev (zeroed, iommu off as in
 * libvirt), or -EINVAL naming n when the device table is full. */
int dx_device_begin(struct dx_ctx *c, xmlNode *n, enum config_device_kind kind);
/* Append c->dev to cfg.devices[] with its --device spec. */
void dx_device_commit(struct dx_ctx *c);
/* Regenerate d->spec as the --device argument that gives d (whole buffer
 * rewritten, so configs compare with memcmp). */
void dx_device_spec(struct config_device *d);

/* libvirt's scaled integers: value * unit, unit as in libvirt (KB = 1000,
 * k/KiB = 1024, ...), def_scale when unit is absent. 0 or -EINVAL/-ERANGE. */
int dx_scale(const char *value, const char *unit, uint64_t def_scale, uint64_t *out);

#if LIBXML_VERSION >= 21200
typedef const xmlError *dx_xml_error;
#else
typedef xmlErrorPtr dx_xml_error;
#endif

/*
 * A construct ioshade honours that libvirt added after 9.0 (domxml_compat.c).
 * Bit i of a "known" mask says whether a schema (or a release) has
 * dx_constructs[i]; what it lacks is removed from the copy it validates.
 */
struct dx_construct {
	const char *name;		/* as docs/libvirt.md writes it */
	unsigned since;			/* DOMXML_VERSION of the release that added it */
	const char *path;		/* element below <domain>: "devices/iommu/driver/granule" */
	const char *attr;		/* that attribute of it, or NULL: the whole element */
	const char *probe_top;		/* a minimal domain using it: before <devices> */
	const char *probe_devices;	/* ... and inside <devices> */
	const char *check;		/* how ioshade checks it in code */
};

/* Indices into dx_constructs[], for the writer. */
enum {
	DX_C_IOMMUFD,		/* <iommufd enabled='yes'/> */
	DX_C_HOSTDEV_IOMMUFD,	/* <hostdev><driver iommufd='yes'/> */
	DX_C_GRANULE,		/* <iommu><driver><granule .../> */
};
#define DX_KNOWS(known, c)	(((known) >> (c)) & 1u)

extern const struct dx_construct dx_constructs[];
extern const unsigned dx_nr_constructs;

/* Every construct / those a release has / the oldest release among those
 * missing from known (0: none missing). */
unsigned dx_compat_all(void);
unsigned dx_compat_known_by(unsigned version);
unsigned dx_compat_older_than(unsigned known);
/* "12.1" */
const char *dx_version_str(unsigned version, char *buf, size_t len);
/* Which constructs the schema validates: 0, or -EINVAL when it refuses even
 * a minimal domain with a virtio-iommu (not a libvirt 9.0+ domain schema). */
int dx_compat_probe(struct _xmlRelaxNG *rng, unsigned *known);
/* Remove from doc every construct not in known, and a <driver> left empty. */
void dx_compat_strip(xmlDoc *doc, unsigned known);
/* The construct n is or directly holds, or NULL. */
const struct dx_construct *dx_compat_at(xmlNode *n);
/* A libxml2 structured error handler that drops the error. */
void dx_quiet_errors(void *opaque, dx_xml_error e);

/* libvirt's schema as loaded for one document (domxml_schema.c). */
struct dx_schema {
	char path[CONFIG_PATH_MAX];
	struct _xmlRelaxNG *rng;	/* NULL: no usable schema (a note said why) */
	unsigned known;			/* constructs it has (dx_compat_probe) */
};

/* Load the schema opts name: 0 with s->rng NULL when there is none to use
 * (said in a note when note is true). */
int dx_schema_open(const struct domxml_opts *opts, struct dx_schema *s, bool note);
void dx_schema_close(struct dx_schema *s);
/* Validate a copy of doc without the constructs s lacks: 0, or -EINVAL with
 * the element at fault and its line in c->err. */
int dx_schema_check(struct dx_ctx *c, const struct dx_schema *s, xmlDoc *doc);
/* Open, check, close; constructs newer than opts->libvirt_version (when set)
 * are removed too. A missing schema is a note, then 0. */
int dx_schema_validate(struct dx_ctx *c, xmlDoc *doc);

#endif
