/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvirt domain XML <-> struct vm_config. The parser honours the subset of
 * the format that ioshade implements, ignores (with one warning each) what
 * changes nothing the user relies on, and rejects the rest before the VM
 * starts with the element's name and line. docs/libvirt.md has the table.
 */
#ifndef IOSHADE_VMM_DOMXML_H
#define IOSHADE_VMM_DOMXML_H

#include <stddef.h>
#include <stdio.h>

#include "vmm/config.h"

/* libvirt's schema (Debian package libvirt-common). */
#define DOMXML_SCHEMA_DEFAULT	"/usr/share/libvirt/schemas/domain.rng"
/* Environment override of the schema path; set to "" to skip validation. */
#define DOMXML_SCHEMA_ENV	"IOSHADE_LIBVIRT_SCHEMA"

struct domxml_opts {
	/* RelaxNG schema: NULL means $IOSHADE_LIBVIRT_SCHEMA or the default,
	 * "" skips validation. A missing file is a one-line note, not an error. */
	const char *schema;
	/* One call per warning line (no trailing newline); NULL: stderr. */
	void (*warn)(void *opaque, const char *msg);
	void *opaque;
};

/*
 * Parse a domain XML file into cfg: cfg = config_init() defaults + the XML.
 * On error returns -EINVAL (or -errno for I/O), leaves cfg untouched and puts
 * one message in err naming the file, line and element.
 */
int domxml_parse_file(const char *path, const struct domxml_opts *opts,
		      struct vm_config *cfg, char *err, size_t errlen);
/* The same from memory; name is used in messages. */
int domxml_parse_buffer(const char *buf, size_t len, const char *name,
			const struct domxml_opts *opts, struct vm_config *cfg,
			char *err, size_t errlen);

/*
 * Write cfg as libvirt domain XML. -EINVAL with a message when cfg uses
 * something libvirt XML cannot express (edu devices, the sim backend,
 * iommu=off on an assigned device).
 */
int domxml_write(FILE *out, const struct vm_config *cfg, char *err, size_t errlen);

/*
 * The config that domxml_write(cfg) parses back to: the vIOMMU switch
 * resolved the way main.c resolves it, per-device iommu=on folded into the
 * global switch, virtio devices' iommu set explicitly on or off, relative
 * paths made absolute (libvirt's schema wants absolute ones), --device spec
 * strings regenerated, log level reset.
 */
void domxml_normalize(struct vm_config *cfg);

#endif
