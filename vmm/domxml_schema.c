// SPDX-License-Identifier: GPL-2.0-only
/*
 * Validation of a domain document against libvirt's own RelaxNG schema when
 * it is installed. The schema shipped in Debian (libvirt 11.3) predates a few
 * constructs ioshade honours, so a copy of the document without exactly those
 * is validated; the code checks them instead (domxml_elems.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "vmm/domxml_internal.h"

#if LIBXML_VERSION >= 21200
typedef const xmlError *dx_xml_error;
#else
typedef xmlErrorPtr dx_xml_error;
#endif

/* The first schema error, with where it happened. */
struct schema_err {
	bool set;
	int line;
	char elem[64];
	char msg[256];
};

static void collect(void *opaque, dx_xml_error e)
{
	struct schema_err *se = opaque;
	xmlNode *n = e ? (xmlNode *)e->node : NULL;

	if (se->set || !e || e->level < XML_ERR_ERROR)
		return;
	if (n && n->type != XML_ELEMENT_NODE)	/* text/attribute: report its element */
		n = n->parent;
	se->set = true;
	se->line = n && n->type == XML_ELEMENT_NODE ? (int)xmlGetLineNo(n) : e->line;
	snprintf(se->elem, sizeof(se->elem), "%s",
		 n && n->type == XML_ELEMENT_NODE ? (const char *)n->name : "?");
	snprintf(se->msg, sizeof(se->msg), "%.*s", (int)strcspn(e->message ? e->message : "", "\n"),
		 e->message ? e->message : "invalid");
}

static bool named(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns && !strcmp((const char *)n->name, name);
}

static void unlink_free(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Remove <iommufd> (12.2), <hostdev><driver iommufd> (12.1), <iommu><driver><granule> (12.x). */
static void strip_newer(xmlNode *root)
{
	xmlNode *n, *next, *devices = NULL;

	for (n = root->children; n; n = next) {
		next = n->next;
		if (named(n, "iommufd"))
			unlink_free(n);
		else if (named(n, "devices"))
			devices = n;
	}
	for (xmlNode *d = devices ? devices->children : NULL; d; d = d->next) {
		bool hostdev = named(d, "hostdev"), iommu = named(d, "iommu");

		for (xmlNode *drv = d->children; (hostdev || iommu) && drv; drv = drv->next) {
			if (!named(drv, "driver"))
				continue;
			if (hostdev)
				xmlUnsetNsProp(drv, NULL, BAD_CAST "iommufd");
			for (n = drv->children; iommu && n; n = next) {
				next = n->next;
				if (named(n, "granule"))
					unlink_free(n);
			}
		}
	}
}

static const char *schema_path(const struct domxml_opts *opts)
{
	const char *env = getenv(DOMXML_SCHEMA_ENV);

	if (opts && opts->schema)
		return opts->schema;
	return env ? env : DOMXML_SCHEMA_DEFAULT;
}

static xmlRelaxNG *load_schema(const char *path, struct schema_err *se)
{
	xmlRelaxNGParserCtxt *pc = xmlRelaxNGNewParserCtxt(path);
	xmlRelaxNG *schema;

	if (!pc)
		return NULL;
	xmlRelaxNGSetParserStructuredErrors(pc, collect, se);
	schema = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	return schema;
}

static int validate_copy(struct dx_ctx *c, xmlRelaxNG *schema, xmlDoc *doc)
{
	struct schema_err se = { 0 };
	xmlRelaxNGValidCtxt *vc = xmlRelaxNGNewValidCtxt(schema);
	xmlDoc *copy = xmlCopyDoc(doc, 1);
	int ret = -ENOMEM;

	if (!vc || !copy)
		goto out;
	xmlRelaxNGSetValidStructuredErrors(vc, collect, &se);
	strip_newer(xmlDocGetRootElement(copy));
	ret = xmlRelaxNGValidateDoc(vc, copy);
	if (ret > 0 || (ret == 0 && se.set)) {
		snprintf(c->err, c->errlen, "%s:%d: <%s>: does not match libvirt's domain schema: %s",
			 c->file, se.line, se.elem, se.set ? se.msg : "invalid");
		ret = -EINVAL;
	} else if (ret < 0) {
		snprintf(c->err, c->errlen, "%s: schema validation failed internally", c->file);
		ret = -EINVAL;
	}
out:
	if (ret == -ENOMEM)
		snprintf(c->err, c->errlen, "%s: out of memory", c->file);
	xmlFreeDoc(copy);
	xmlRelaxNGFreeValidCtxt(vc);
	return ret;
}

int dx_schema_validate(struct dx_ctx *c, xmlDoc *doc)
{
	const char *path = schema_path(c->opts);
	struct schema_err se = { 0 };
	xmlRelaxNG *schema;
	int ret;

	if (!path[0])
		return 0;
	if (access(path, R_OK)) {
		dx_note(c->opts, "libvirt schema %s not installed (Debian: libvirt-common): "
			"checking the XML without it", path);
		return 0;
	}
	schema = load_schema(path, &se);
	if (!schema) {
		dx_note(c->opts, "libvirt schema %s unusable (%s): checking the XML without it",
			path, se.set ? se.msg : "parse error");
		return 0;
	}
	ret = validate_copy(c, schema, doc);
	xmlRelaxNGFree(schema);
	return ret;
}
