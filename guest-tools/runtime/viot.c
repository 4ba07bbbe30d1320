// SPDX-License-Identifier: GPL-2.0-only
/*
 * VIOT parser. Layout (ACPI 6.4 VIOT): 36-byte SDT header, node_count (u16),
 * node_offset (u16), 8 reserved bytes; nodes start with type (u8), reserved
 * (u8), length (u16). We keep the PCI ranges whose output node is the first
 * virtio-iommu-pci node; every node is bounds-checked against the table.
 */
#include "viot.h"

#include "acpi.h"
#include "errno.h"
#include "lib.h"

#define VIOT_NODE_PCI_RANGE	1
#define VIOT_NODE_VIOMMU_PCI	3
#define VIOT_HDR_LEN		48
#define PCI_RANGE_LEN		24
#define VIOMMU_PCI_LEN		16

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

/* Offset of the first virtio-iommu-pci node, or 0. */
static uint32_t find_viommu_node(const uint8_t *t, uint32_t len, uint32_t first, unsigned count,
				 struct viot_info *out)
{
	uint32_t off = first;
	unsigned i;

	for (i = 0; i < count && off + 4 <= len; i++) {
		uint16_t nlen = rd16(t + off + 2);

		if (nlen < 4 || off + nlen > len)
			break;
		if (t[off] == VIOT_NODE_VIOMMU_PCI && nlen >= VIOMMU_PCI_LEN) {
			out->has_viommu_pci = true;
			out->viommu_segment = rd16(t + off + 4);
			out->viommu_bdf = rd16(t + off + 6);
			return off;
		}
		off += nlen;
	}
	return 0;
}

static void add_range(struct viot_info *out, const uint8_t *n)
{
	struct viot_range *r;

	if (out->n_ranges == VIOT_MAX_RANGES)
		return;
	r = &out->ranges[out->n_ranges++];
	r->endpoint_start = rd32(n + 4);
	r->segment_start = rd16(n + 8);
	r->segment_end = rd16(n + 10);
	r->bdf_start = rd16(n + 12);
	r->bdf_end = rd16(n + 14);
}

void viot_parse(struct viot_info *out)
{
	const struct acpi_sdt_header *h = acpi_find_table("VIOT", 0);
	const uint8_t *t = (const uint8_t *)h;
	uint32_t off, iommu;
	unsigned i, count;

	memset(out, 0, sizeof(*out));
	if (!h || h->length < VIOT_HDR_LEN)
		return;
	out->present = true;
	count = rd16(t + 36);
	off = rd16(t + 38);
	iommu = find_viommu_node(t, h->length, off, count, out);
	for (i = 0; iommu && i < count && off + 4 <= h->length; i++) {
		uint16_t nlen = rd16(t + off + 2);

		if (nlen < 4 || off + nlen > h->length)
			break;
		if (t[off] == VIOT_NODE_PCI_RANGE && nlen >= PCI_RANGE_LEN &&
		    rd16(t + off + 16) == iommu)
			add_range(out, t + off);
		off += nlen;
	}
}

int viot_endpoint(const struct viot_info *v, uint16_t segment, uint16_t bdf, uint32_t *ep)
{
	unsigned i;

	if (!v->present) {
		*ep = bdf;
		return 0;
	}
	for (i = 0; i < v->n_ranges; i++) {
		const struct viot_range *r = &v->ranges[i];

		if (segment < r->segment_start || segment > r->segment_end ||
		    bdf < r->bdf_start || bdf > r->bdf_end)
			continue;
		*ep = r->endpoint_start + ((uint32_t)(segment - r->segment_start) << 16) +
		      (uint32_t)(bdf - r->bdf_start);
		return 0;
	}
	return -ENOENT;
}
