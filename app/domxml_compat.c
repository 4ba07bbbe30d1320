// SPDX-License-Identifier: GPL-2.0-only
/*
 * The constructs ioshade honours that libvirt added after 9.0 (Debian 12's
 * release): which release brought each one, how to ask a schema whether it
 * knows it, and how to take it out of a copy of a document so that an older
 * schema can still judge the rest. The element handlers check these
 * constructs in code whatever schema is installed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "app/domxml_internal.h"

/* Bit i of a 'known' mask stands for dx_constructs[i]. */
const struct dx_construct dx_constructs[] = {
	{ "<iommufd>", DOMXML_VERSION(12, 2), "iommufd", NULL,
	  "<iommufd enabled='yes'/>", "",
	  "dx_iommufd: enabled='yes' only, no fdgroup" },
	{ "<hostdev><driver iommufd>", DOMXML_VERSION(12, 1), "devices/hostdev/driver", "iommufd",
	  "", "<hostdev mode='subsystem' type='pci'><driver iommufd='yes'/><source>"
	  "<address domain='0x0000' bus='0x00' slot='0x00' function='0x0'/></source></hostdev>",
	  "dx_hostdev_driver: iommufd='yes' only" },
	{ "<iommu><driver><granule>", DOMXML_VERSION(12, 1), "devices/iommu/driver/granule", NULL,
	  "", "<iommu model='virtio'><driver><granule mode='host'/></driver></iommu>",
	  "dx_iommu_granule: mode='host', or size/unit of 4, 8, 16 or 64 KiB" },
};

const unsigned dx_nr_constructs = sizeof(dx_constructs) / sizeof(dx_constructs[0]);
_Static_assert(sizeof(dx_constructs) / sizeof(dx_constructs[0]) <= 32, "one bit each");

unsigned dx_compat_all(void)
{
	return (1u << dx_nr_constructs) - 1;
}

unsigned dx_compat_known_by(unsigned version)
{
	unsigned known = 0;

	for (unsigned i = 0; i < dx_nr_constructs; i++)
		if (dx_constructs[i].since <= version)
			known |= 1u << i;
	return known;
}

unsigned dx_compat_older_than(unsigned known)
{
	unsigned v = 0;

	for (unsigned i = 0; i < dx_nr_constructs; i++)
		if (!(known & (1u << i)) && (!v || dx_constructs[i].since < v))
			v = dx_constructs[i].since;
	return v;
}

const char *dx_version_str(unsigned version, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", version / 1000, version % 1000);
	return buf;
}

void dx_quiet_errors(void *opaque, dx_xml_error e)
{
}

/* Does a minimal domain with top (before <devices>) and devs validate? */
static bool probe_valid(xmlRelaxNG *rng, const char *top, const char *devs)
{
	char xml[1024];
	int len = snprintf(xml, sizeof(xml), "<domain type='kvm'><name>probe</name>"
			   "<memory>65536</memory><os><type>hvm</type></os>%s<devices>%s"
			   "</devices></domain>", top, devs);
	xmlDoc *doc = xmlReadMemory(xml, len, "probe.xml", NULL, XML_PARSE_NONET |
				    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlRelaxNGValidCtxt *vc = doc ? xmlRelaxNGNewValidCtxt(rng) : NULL;
	bool ok = false;

	if (vc) {
		xmlRelaxNGSetValidStructuredErrors(vc, dx_quiet_errors, NULL);
		ok = xmlRelaxNGValidateDoc(vc, doc) == 0;
	}
	xmlRelaxNGFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	return ok;
}

/*
 * Ask the schema itself rather than guess its release from a package
 * database: exact on any distribution. -EINVAL when even the baseline (a
 * domain with a virtio-iommu, libvirt 8.3+) does not validate.
 */
int dx_compat_probe(xmlRelaxNG *rng, unsigned *known)
{
	if (!probe_valid(rng, "", "<iommu model='virtio'/>"))
		return -EINVAL;
	*known = 0;
	for (unsigned i = 0; i < dx_nr_constructs; i++)
		if (probe_valid(rng, dx_constructs[i].probe_top, dx_constructs[i].probe_devices))
			*known |= 1u << i;
	return 0;
}

static bool named_len(xmlNode *n, const char *name, size_t len)
{
	return n->type == XML_ELEMENT_NODE && !n->ns && strlen((const char *)n->name) == len &&
	       !strncmp((const char *)n->name, name, len);
}

/* Nothing left: no attribute, no child element, no text but blanks. */
static bool is_empty(xmlNode *n)
{
	if (n->properties)
		return false;
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE || (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c)))
			return false;
	return true;
}

static void unlink_free(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/*
 * Remove the construct at path (relative to parent) and, when that leaves
 * the element that held it empty (<driver iommufd='yes'/> -> <driver/>), that
 * element too: libvirt 9.0 refuses an empty hostdev <driver/>. The root is
 * never removed.
 */
static void strip_path(xmlNode *parent, const char *path, const char *attr)
{
	size_t len = strcspn(path, "/");
	bool removed = false;
	xmlNode *n, *next;

	for (n = parent->children; n; n = next) {
		next = n->next;
		if (!named_len(n, path, len))
			continue;
		if (path[len]) {
			strip_path(n, path + len + 1, attr);
		} else if (!attr) {
			unlink_free(n);
			removed = true;
		} else if (xmlHasNsProp(n, BAD_CAST attr, NULL)) {
			xmlUnsetNsProp(n, NULL, BAD_CAST attr);
			if (is_empty(n))
				unlink_free(n);
		}
	}
	if (removed && parent->parent && parent->parent->type == XML_ELEMENT_NODE &&
	    is_empty(parent))
		unlink_free(parent);
}

void dx_compat_strip(xmlDoc *doc, unsigned known)
{
	xmlNode *root = xmlDocGetRootElement(doc);

	for (unsigned i = 0; root && i < dx_nr_constructs; i++)
		if (!(known & (1u << i)))
			strip_path(root, dx_constructs[i].path, dx_constructs[i].attr);
}

void dx_node_path(xmlNode *n, char *buf, size_t len)
{
	char tmp[256] = "";

	buf[0] = '\0';
	for (; n && n->parent && n->parent->type == XML_ELEMENT_NODE; n = n->parent) {
		if (snprintf(tmp, sizeof(tmp), "%s%s%s", (const char *)n->name, buf[0] ? "/" : "",
			     buf) >= (int)sizeof(tmp) || strlen(tmp) >= len) {
			buf[0] = '\0';
			return;
		}
		memcpy(buf, tmp, strlen(tmp) + 1);
	}
}

/* The construct n is, holds, or sits in (<driver> for <granule>). */
const struct dx_construct *dx_compat_at(xmlNode *n)
{
	char path[256];
	size_t len;

	dx_node_path(n, path, sizeof(path));
	len = strlen(path);
	for (unsigned i = 0; len && i < dx_nr_constructs; i++) {
		const char *p = dx_constructs[i].path;

		if (!strcmp(p, path) || (!strncmp(p, path, len) && p[len] == '/' &&
					 !strchr(p + len + 1, '/')))
			return &dx_constructs[i];
	}
	return NULL;
}
