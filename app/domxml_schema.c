// SPDX-License-Identifier: GPL-2.0-only
/*
 * Validation of a domain document against libvirt's own RelaxNG schema, of
 * whatever release is installed (9.0 on). A copy of the document without the
 * constructs that schema predates (domxml_compat.c) is validated; the first
 * error is reported with the line and name of the element at fault, found
 * from libxml2's structured errors and, where those name only an enclosing
 * interleave, by narrowing down to the element whose removal makes it valid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "app/domxml_internal.h"

/* The first schema error, and the first that names an element. */
struct schema_err {
	unsigned count;
	char msg[256];
	xmlNode *node;
	char node_msg[256];
};

static void copy_msg(char *dst, size_t len, const char *msg)
{
	msg = msg ? msg : "invalid";
	snprintf(dst, len, "%.*s", (int)strcspn(msg, "\n"), msg);
}

static void collect(void *opaque, dx_xml_error e)
{
	struct schema_err *se = opaque;
	xmlNode *n = e ? (xmlNode *)e->node : NULL;

	if (!e || e->level < XML_ERR_ERROR)
		return;
	if (!se->count++)
		copy_msg(se->msg, sizeof(se->msg), e->message);
	if (n && n->type != XML_ELEMENT_NODE)	/* text/attribute: report its element */
		n = n->parent;
	if (!se->node && n && n->type == XML_ELEMENT_NODE) {
		se->node = n;
		copy_msg(se->node_msg, sizeof(se->node_msg), e->message);
	}
}

/* opts->schema, else $IOSHADE_LIBVIRT_SCHEMA, else the default; a directory
 * stands for its domain.rng. */
static void schema_path(const struct domxml_opts *opts, char *buf, size_t len)
{
	const char *p = opts && opts->schema ? opts->schema : getenv(DOMXML_SCHEMA_ENV);
	struct stat st;

	if (!p)
		p = DOMXML_SCHEMA_DEFAULT;
	if (p[0] && !stat(p, &st) && S_ISDIR(st.st_mode))
		snprintf(buf, len, "%s/domain.rng", p);
	else
		snprintf(buf, len, "%s", p);
}

static xmlRelaxNG *load(const char *path, struct schema_err *se)
{
	xmlRelaxNGParserCtxt *pc = xmlRelaxNGNewParserCtxt(path);
	xmlRelaxNG *rng;

	if (!pc)
		return NULL;
	xmlRelaxNGSetParserStructuredErrors(pc, collect, se);
	rng = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	return rng;
}

int dx_schema_open(const struct domxml_opts *opts, struct dx_schema *s, bool note)
{
	struct schema_err se = { 0 };

	memset(s, 0, sizeof(*s));
	schema_path(opts, s->path, sizeof(s->path));
	if (!s->path[0])
		return 0;
	if (access(s->path, R_OK)) {
		if (note)
			dx_note(opts, "libvirt schema %s not installed (Debian: libvirt0 up to 9.0, "
			"libvirt-common from 10.x): checking the XML without it", s->path);
		return 0;
	}
	s->rng = load(s->path, &se);
	if (!s->rng) {
		dx_note(opts, "libvirt schema %s unusable (%s): checking the XML without it",
			s->path, se.count ? se.msg : "parse error");
		return 0;
	}
	if (dx_compat_probe(s->rng, &s->known)) {
		dx_note(opts, "libvirt schema %s refuses a minimal domain with a virtio-iommu "
			"(libvirt before 8.3?): checking the XML without it", s->path);
		dx_schema_close(s);
	}
	return 0;
}

void dx_schema_close(struct dx_schema *s)
{
	xmlRelaxNGFree(s->rng);
	s->rng = NULL;
}

/* 1 valid, 0 invalid (se filled when given), -ENOMEM. */
static int validate(xmlRelaxNG *rng, xmlDoc *doc, struct schema_err *se)
{
	xmlRelaxNGValidCtxt *vc = xmlRelaxNGNewValidCtxt(rng);
	int ret;

	if (!vc)
		return -ENOMEM;
	if (se)
		xmlRelaxNGSetValidStructuredErrors(vc, collect, se);
	else
		xmlRelaxNGSetValidStructuredErrors(vc, dx_quiet_errors, NULL);
	ret = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	return ret == 0 ? 1 : ret > 0 ? 0 : -ENOMEM;
}

/* Is doc valid without n? n goes back where it was. */
static bool valid_without(xmlRelaxNG *rng, xmlDoc *doc, xmlNode *n)
{
	xmlNode *parent = n->parent, *next = n->next;
	bool ok;

	xmlUnlinkNode(n);
	ok = validate(rng, doc, NULL) == 1;
	if (next)
		xmlAddPrevSibling(next, n);
	else
		xmlAddChild(parent, n);
	return ok;
}

/*
 * From n (or the root) down: while removing one child element makes the
 * document valid, that child is closer to the fault. Stops at the element
 * whose own attributes or children are wrong, or at n when there are several
 * faults (no single removal helps).
 */
static xmlNode *narrow(xmlRelaxNG *rng, xmlDoc *doc, xmlNode *n)
{
	bool deeper = true;

	if (!n)
		n = xmlDocGetRootElement(doc);
	while (deeper) {
		deeper = false;
		for (xmlNode *c = n->children; c && !deeper; c = c->next) {
			if (c->type == XML_ELEMENT_NODE && valid_without(rng, doc, c)) {
				n = c;
				deeper = true;
			}
		}
	}
	return n;
}

/* The attribute of n without which the document is valid, or NULL. */
static xmlAttr *bad_attr(xmlRelaxNG *rng, xmlDoc *doc, xmlNode *n)
{
	for (xmlAttr *a = n->properties; a; a = a->next) {
		xmlAttr *next = a->next;
		bool ok;

		xmlUnlinkNode((xmlNode *)a);
		ok = validate(rng, doc, NULL) == 1;
		/* back in its place, so the message lists attributes as written */
		if (next)
			xmlAddPrevSibling((xmlNode *)next, (xmlNode *)a);
		else
			xmlAddChild(n, (xmlNode *)a);
		if (ok)
			return a;
	}
	return NULL;
}

/* "; <granule> came with libvirt 12.1 and this schema has it" and the like. */
static void hint(const struct dx_schema *s, xmlNode *n, char *buf, size_t len)
{
	const struct dx_construct *k = dx_compat_at(n);
	char v[16];
	unsigned i;

	buf[0] = '\0';
	if (!k)
		return;
	i = (unsigned)(k - dx_constructs);
	snprintf(buf, len, " (hint: %s came with libvirt %s; this schema %s)", k->name,
		 dx_version_str(k->since, v, sizeof(v)),
		 s->known & (1u << i) ? "has it: check its spelling and values against "
		 "docs/libvirt.md" : "predates it, so ioshade checks it in code only");
}

static void report(struct dx_ctx *c, const struct dx_schema *s, xmlDoc *copy,
		   const struct schema_err *se)
{
	xmlNode *n = narrow(s->rng, copy, se->node);
	xmlAttr *a = bad_attr(s->rng, copy, n);
	xmlChar *val = a ? xmlNodeGetContent((xmlNode *)a) : NULL;
	char more[256];

	hint(s, n, more, sizeof(more));
	if (a)
		snprintf(c->err, c->errlen, "%s:%ld: <%s>: %s='%s' does not match libvirt's domain "
			 "schema (%s): a value it does not allow here, or an attribute it does not know%s", c->file,
			 xmlGetLineNo(n), (const char *)n->name, (const char *)a->name,
			 val ? (const char *)val : "", s->path, more);
	else if (n == se->node)
		snprintf(c->err, c->errlen, "%s:%ld: <%s>: does not match libvirt's domain schema "
			 "(%s): %s%s", c->file, xmlGetLineNo(n), (const char *)n->name, s->path,
			 se->node_msg, more);
	else
		snprintf(c->err, c->errlen, "%s:%ld: <%s>: libvirt's domain schema (%s) does not "
			 "allow it as written here (its attributes, children or place); libxml2 "
			 "says: %s%s", c->file, xmlGetLineNo(n), (const char *)n->name, s->path,
			 se->msg, more);
	xmlFree(val);
}

int dx_schema_check(struct dx_ctx *c, const struct dx_schema *s, xmlDoc *doc)
{
	struct schema_err se = { 0 };
	xmlDoc *copy = xmlCopyDoc(doc, 1);
	int ret = copy ? 0 : -ENOMEM;

	if (copy) {
		dx_compat_strip(copy, s->known);
		ret = validate(s->rng, copy, &se);
	}
	if (ret == 0) {
		report(c, s, copy, &se);
		ret = -EINVAL;
	} else if (ret == -ENOMEM) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->file);
	} else {
		ret = 0;
	}
	xmlFreeDoc(copy);
	return ret;
}

int dx_schema_validate(struct dx_ctx *c, xmlDoc *doc)
{
	struct dx_schema s;
	int ret = dx_schema_open(c->opts, &s, true);

	if (ret || !s.rng)
		return ret;
	if (c->opts && c->opts->libvirt_version)
		s.known &= dx_compat_known_by(c->opts->libvirt_version);
	ret = dx_schema_check(c, &s, doc);
	dx_schema_close(&s);
	return ret;
}
