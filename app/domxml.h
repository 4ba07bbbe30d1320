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

#include "app/config.h"

/* libvirt's schema (Debian: package libvirt0 up to 9.0, libvirt-common since). */
#define DOMXML_SCHEMA_DEFAULT	"/usr/share/libvirt/schemas/domain.rng"
/* Environment override: a domain.rng or the directory that holds it; "" skips
 * validation. */
#define DOMXML_SCHEMA_ENV	"IOSHADE_LIBVIRT_SCHEMA"

/* A libvirt release as one number: DOMXML_VERSION(12, 2) is 12002. */
#define DOMXML_VERSION(major, minor)	((major) * 1000u + (minor))

struct domxml_opts {
	/* RelaxNG schema, a file or its directory: NULL means
	 * $IOSHADE_LIBVIRT_SCHEMA or the default, "" skips validation. A
	 * missing file is a one-line note, not an error. */
	const char *schema;
	/* The libvirt release the XML is for; 0: the one the schema is from
	 * (asked of the schema itself), or the newest when there is none.
	 * Constructs newer than it are left out of what is validated (parse)
	 * or written (domxml_write_opts). */
	unsigned libvirt_version;
	/* One call per warning line (no trailing newline); NULL: stderr. */
	void (*warn)(void *opaque, const char *msg);
	void *opaque;
};

/*
 * Parse a domain XML file into cfg: cfg = config_init() defaults + the XML.
 * path "-" reads standard input (named "stdin" in messages). cfg.origin
 * says which element gave the kernel, initrd and disk image paths.
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
 * The same for the libvirt release opts (or else cfg->libvirt_version) names,
 * or the installed schema's: a construct that release lacks is left out, or
 * said another way it has, with one note line each through opts->warn. The
 * output is validated against the schema when there is one.
 */
int domxml_write_opts(FILE *out, const struct vm_config *cfg, const struct domxml_opts *opts,
		      char *err, size_t errlen);

/* "12", "12.2", "9.0" -> DOMXML_VERSION: 0 or -EINVAL. */
int domxml_parse_version(const char *s, unsigned *version);

/*
 * The config that domxml_write(cfg) parses back to: the vIOMMU switch
 * resolved the way main.c resolves it, per-device iommu=on folded into the
 * global switch, virtio devices' iommu set explicitly on or off, relative
 * paths made absolute (libvirt's schema wants absolute ones), --device spec
 * strings regenerated, log level and target release reset, cfg.origin
 * cleared (a parsed-back config has the written file's lines there).
 */
void domxml_normalize(struct vm_config *cfg);

#endif
