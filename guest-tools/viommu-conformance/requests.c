// SPDX-License-Identifier: GPL-2.0-only
/*
 * viommu-conformance, request side: ATTACH, DETACH, re-attach, bypass
 * domains, PROBE and its properties, reserved fields, unknown request types,
 * malformed chains and device reset. Each check names the rule it tests.
 */
#include "conformance.h"

#include "check.h"
#include "console.h"
#include "errno.h"
#include "lib.h"

#define MSI_START	0xfee00000ull
#define MSI_END		0xfeefffffull
#define RESV_MEM_LEN	20	/* struct virtio_iommu_probe_resv_mem minus header */
#define FRAMING_TIMEOUT_MS 1000

static bool tail_reserved_zero(const struct conf *c)
{
	const uint8_t *r = c->v.last_tail.reserved;

	return !r[0] && !r[1] && !r[2];
}

/* A MAP on domain d that must fail with NOENT (d does not exist). */
static bool domain_absent(struct conf *c, uint32_t d)
{
	return viommu_map(&c->v, d, conf_iova(c, 0), conf_iova(c, 1) - 1, conf_phys(c, 0),
			  VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_NOENT;
}

static void attach_basic(struct conf *c)
{
	uint32_t d = conf_new_domain(c);

	conf_status(c, "attach.ok", viommu_attach(&c->v, d, c->ep, 0), VIRTIO_IOMMU_S_OK);
	conf_check(c, "attach.tail_reserved_zero", tail_reserved_zero(c));
	conf_check(c, "attach.used_len_is_tail_size", c->v.last_used_len == 4);
	conf_status(c, "attach.unknown_endpoint_noent",
		    viommu_attach(&c->v, conf_new_domain(c), c->bad_ep, 0), VIRTIO_IOMMU_S_NOENT);
	if (c->have_bad_ep2)
		conf_status(c, "attach.absent_bdf_endpoint_noent",
			    viommu_attach(&c->v, conf_new_domain(c), c->bad_ep2, 0),
			    VIRTIO_IOMMU_S_NOENT);
	conf_check(c, "attach.detach_cleans_up", viommu_detach(&c->v, d, c->ep) == VIRTIO_IOMMU_S_OK);
}

static void attach_invalid(struct conf *c)
{
	struct virtio_iommu_req_attach r = { .head.type = VIRTIO_IOMMU_T_ATTACH, .endpoint = c->ep };
	uint32_t d;

	r.domain = d = conf_new_domain(c);
	r.reserved[0] = 1;
	r.reserved[3] = 0x80;
	conf_status(c, "attach.reserved_nonzero_inval", viommu_request(&c->v, &r, sizeof(r)),
		    VIRTIO_IOMMU_S_INVAL);
	conf_check(c, "attach.rejected_reserved_created_no_domain", domain_absent(c, d));
	memset(r.reserved, 0, sizeof(r.reserved));
	r.domain = d = conf_new_domain(c);
	r.flags = 1u << 1;
	conf_status(c, "attach.unknown_flag_bit1_inval", viommu_request(&c->v, &r, sizeof(r)),
		    VIRTIO_IOMMU_S_INVAL);
	r.flags = 1u << 31;
	conf_status(c, "attach.unknown_flag_bit31_inval", viommu_request(&c->v, &r, sizeof(r)),
		    VIRTIO_IOMMU_S_INVAL);
	conf_check(c, "attach.rejected_flags_created_no_domain", domain_absent(c, d));
}

static void head_reserved(struct conf *c)
{
	struct virtio_iommu_req_attach r = { .head.type = VIRTIO_IOMMU_T_ATTACH, .endpoint = c->ep };

	r.domain = conf_new_domain(c);
	r.head.reserved[0] = 0x5a;
	r.head.reserved[2] = 0xff;
	conf_status(c, "head.reserved_ignored", viommu_request(&c->v, &r, sizeof(r)),
		    VIRTIO_IOMMU_S_OK);
	viommu_detach(&c->v, r.domain, c->ep);
}

static void detach_checks(struct conf *c)
{
	struct virtio_iommu_req_detach r = { .head.type = VIRTIO_IOMMU_T_DETACH, .endpoint = c->ep };
	uint32_t d = conf_fresh_domain(c);

	conf_status(c, "detach.unknown_endpoint_noent", viommu_detach(&c->v, d, c->bad_ep),
		    VIRTIO_IOMMU_S_NOENT);
	r.domain = d;
	memset(r.reserved, 0xff, sizeof(r.reserved));
	conf_status(c, "detach.reserved_ignored", viommu_request(&c->v, &r, sizeof(r)),
		    VIRTIO_IOMMU_S_OK);
	conf_check(c, "detach.tail_reserved_zero", tail_reserved_zero(c));
	conf_check(c, "detach.last_endpoint_destroys_domain", domain_absent(c, d));
}

static void reattach_checks(struct conf *c)
{
	uint32_t d1 = conf_fresh_domain(c), d2 = conf_new_domain(c);

	viommu_map(&c->v, d1, conf_iova(c, 0), conf_iova(c, 1) - 1, conf_phys(c, 0),
		   VIOMMU_MAP_F_RW);
	conf_status(c, "attach.reattach_to_other_domain_ok", viommu_attach(&c->v, d2, c->ep, 0),
		    VIRTIO_IOMMU_S_OK);
	conf_check(c, "attach.reattach_left_old_domain_empty", domain_absent(c, d1));
	conf_status(c, "attach.reattach_endpoint_in_new_domain", viommu_detach(&c->v, d2, c->ep),
		    VIRTIO_IOMMU_S_OK);
}

static void bypass_domain_checks(struct conf *c)
{
	uint32_t db = conf_new_domain(c), d;

	if (!viommu_has(&c->v, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		check_skip("attach.bypass_domain", "BYPASS_CONFIG not negotiated");
		return;
	}
	conf_status(c, "attach.bypass_domain_ok",
		    viommu_attach(&c->v, db, c->ep, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	conf_status(c, "map.on_bypass_domain_inval",
		    viommu_map(&c->v, db, conf_iova(c, 0), conf_iova(c, 1) - 1, conf_phys(c, 0),
			       VIOMMU_MAP_F_RW), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "unmap.on_bypass_domain_inval",
		    viommu_unmap(&c->v, db, conf_iova(c, 0), conf_iova(c, 1) - 1), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "attach.bypass_domain_without_flag_inval",
		    viommu_attach(&c->v, db, c->ep, 0), VIRTIO_IOMMU_S_INVAL);
	d = conf_fresh_domain(c);
	conf_status(c, "attach.paging_domain_with_bypass_flag_inval",
		    viommu_attach(&c->v, d, c->ep, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
	viommu_detach(&c->v, d, c->ep);
}

struct probe_scan {
	unsigned n_msi;
	bool reserved_zero;
	bool lengths_ok;
	bool overlap;
	uint32_t end;		/* offset after the last property */
	uint64_t s[16], e[16];
	unsigned n_resv;
};

/* q points at the property header; len is the header's length field. */
static void scan_resv_mem(struct conf *c, struct probe_scan *p, const uint8_t *q, uint16_t len)
{
	struct virtio_iommu_probe_resv_mem m;
	unsigned i;

	if (len != RESV_MEM_LEN) {
		p->lengths_ok = false;
		return;
	}
	memcpy(&m, q, sizeof(m));
	printf("  RESV_MEM subtype %u [0x%lx, 0x%lx]\n", m.subtype, m.start, m.end);
	if (m.reserved[0] || m.reserved[1] || m.reserved[2])
		p->reserved_zero = false;
	for (i = 0; i < p->n_resv; i++)
		p->overlap |= m.start <= p->e[i] && p->s[i] <= m.end;
	if (p->n_resv < 16) {
		p->s[p->n_resv] = m.start;
		p->e[p->n_resv++] = m.end;
	}
	if (m.subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI) {
		p->n_msi++;
		c->have_msi = m.start == MSI_START && m.end == MSI_END;
		c->msi_start = m.start;
		c->msi_end = m.end;
	}
}

static void scan_props(struct conf *c, struct probe_scan *p, const uint8_t *b, uint32_t size)
{
	uint32_t off = 0;
	uint16_t type, len;

	*p = (struct probe_scan){ .reserved_zero = true, .lengths_ok = true };
	while (off + 4 <= size) {
		memcpy(&type, b + off, 2);
		memcpy(&len, b + off + 2, 2);
		if ((type & 0xfff) == 0)
			break;
		if (type >> 12)
			p->reserved_zero = false;
		if (off + 4 + len > size) {
			p->lengths_ok = false;
			break;
		}
		if ((type & 0xfff) == VIRTIO_IOMMU_PROBE_T_RESV_MEM)
			scan_resv_mem(c, p, b + off, len);
		off += 4 + (uint32_t)len;
	}
	p->end = off;
}

/* Every byte is still the 0xee fill or zero: no property was written. */
static bool no_property(const uint8_t *b, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != 0xee && b[i] != 0)
			return false;
	}
	return true;
}

static void probe_short_buffer(struct conf *c)
{
	static uint8_t in[VIOMMU_MAX_PROBE + 4];
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = c->ep };
	uint32_t half = c->v.cfg.probe_size / 2, used = 0;
	int rc;

	if (conf_skip_on_qemu(c, "probe.short_buffer_inval",
			      "QEMU 7.2 aborts on an assertion, docs/qemu-differences.md"))
		return;
	memset(in, 0xee, half + 4);
	rc = viommu_raw(&c->v, &r, sizeof(r), in, half + 4, &used);
	conf_status(c, "probe.short_buffer_inval", rc ? rc : (used ? in[half] : -EIO),
		    VIRTIO_IOMMU_S_INVAL);
	if (!rc && !no_property(in, half))
		printf("  short PROBE buffer starts %02x %02x %02x %02x %02x %02x %02x %02x\n",
		       in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]);
	conf_check(c, "probe.short_buffer_no_property_written", !rc && no_property(in, half));
}

/* PROBE with a caller-built request and a full-size buffer; status or -errno. */
static int probe_raw(struct conf *c, const struct virtio_iommu_req_probe *r)
{
	static uint8_t in[VIOMMU_MAX_PROBE + 4];
	uint32_t size = c->v.cfg.probe_size, used = 0;
	int rc;

	memset(in, 0xff, size + 4);
	rc = viommu_raw(&c->v, r, sizeof(*r), in, size + 4, &used);
	if (rc)
		return rc;
	return used ? in[size] : -EIO;
}

static void probe_checks(struct conf *c)
{
	static uint8_t props[VIOMMU_MAX_PROBE];
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = c->ep };
	uint32_t size = c->v.cfg.probe_size, used = 0;
	struct probe_scan p;

	if (!viommu_has(&c->v, VIRTIO_IOMMU_F_PROBE) || size > VIOMMU_MAX_PROBE) {
		check_skip("probe", "PROBE not negotiated or probe_size too large");
		return;
	}
	conf_status(c, "probe.ok", viommu_probe(&c->v, c->ep, props, &used), VIRTIO_IOMMU_S_OK);
	conf_check(c, "probe.used_len_covers_properties_and_tail", used == size + 4);
	conf_check(c, "probe.tail_reserved_zero", tail_reserved_zero(c));
	scan_props(c, &p, props, size);
	conf_check(c, "probe.property_lengths_exclude_header", p.lengths_ok);
	conf_check(c, "probe.property_reserved_zero", p.reserved_zero);
	conf_check(c, "probe.resv_mem_msi_window_fee00000", c->have_msi);
	conf_check(c, "probe.at_most_one_msi_property", p.n_msi <= 1);
	conf_check(c, "probe.resv_mem_regions_disjoint", !p.overlap);
	conf_check(c, "probe.rest_filled_with_zeroes",
		   p.end <= size && mem_find_not(props + p.end, 0, size - p.end) == size - p.end);
	conf_status(c, "probe.unknown_endpoint_noent", viommu_probe(&c->v, c->bad_ep, props, NULL),
		    VIRTIO_IOMMU_S_NOENT);
	memset(r.reserved, 0xa5, sizeof(r.reserved));
	conf_status(c, "probe.reserved_ignored", probe_raw(c, &r), VIRTIO_IOMMU_S_OK);
	probe_short_buffer(c);
}

static void unknown_types(struct conf *c)
{
	static const uint8_t types[] = { 0x00, 0x06, 0x7f, 0xff };
	uint8_t req[24] = { 0 }, tail[4];
	char name[64];
	uint32_t used;
	unsigned i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		req[0] = types[i];
		memset(tail, 0xaa, sizeof(tail));
		used = 0xdead;
		rc = viommu_raw(&c->v, req, sizeof(req), tail, sizeof(tail), &used);
		if (rc || used)
			printf("  type 0x%02x: rc %d used_len %u status byte 0x%02x\n", types[i], rc,
			       used, tail[0]);
		snprintf(name, sizeof(name), "request.type_0x%02x_used_len_0", types[i]);
		conf_check(c, name, !rc && used == 0);
		snprintf(name, sizeof(name), "request.type_0x%02x_buffer_untouched", types[i]);
		conf_check(c, name, !rc && mem_find_not(tail, 0xaa, 4) == 4);
	}
}

void conf_requests(struct conf *c)
{
	probe_checks(c);	/* SHOULD probe before attaching */
	attach_basic(c);
	attach_invalid(c);
	head_reserved(c);
	detach_checks(c);
	reattach_checks(c);
	bypass_domain_checks(c);
	unknown_types(c);
}

/* 5.13.4: bypass keeps the value the driver wrote across a device reset
 * (only a system reset restores the default). */
static void reset_keeps_bypass(struct conf *c)
{
	uint8_t orig = c->v.cfg.bypass, flipped = !orig;

	if (!viommu_has(&c->v, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		check_skip("reset.bypass_kept", "BYPASS_CONFIG not negotiated");
		return;
	}
	conf_check(c, "reset.bypass_written", viommu_set_bypass(&c->v, flipped) == flipped);
	conf_check(c, "reset.bypass_kept",
		   viommu_reinit(&c->v) == 0 && c->v.cfg.bypass == flipped);
	viommu_set_bypass(&c->v, orig);
}

static void reset_checks(struct conf *c)
{
	uint32_t d = conf_fresh_domain(c);

	conf_check(c, "reset.reinit_ok", viommu_reinit(&c->v) == 0);
	conf_check(c, "reset.endpoints_detached", domain_absent(c, d));
	reset_keeps_bypass(c);
}

/* Sends out + a writable part of in_len bytes; true if it came back unwritten. */
static bool unparsed(struct conf *c, const void *out, uint32_t out_len, uint32_t in_len)
{
	uint8_t in[4];
	uint32_t used = 0xdead;
	int rc;

	memset(in, 0xbb, sizeof(in));
	rc = viommu_raw(&c->v, out, out_len, in, in_len, &used);
	if (rc || used)
		printf("  rc %d used_len %u\n", rc, used);
	if (rc == -ETIMEDOUT && viommu_reinit(&c->v))
		printf("  reinit after timeout failed\n");
	return !rc && used == 0 && mem_find_not(in, 0xbb, sizeof(in)) == sizeof(in);
}

void conf_framing(struct conf *c)
{
	struct virtio_iommu_req_attach r = { .head.type = VIRTIO_IOMMU_T_ATTACH, .endpoint = c->ep };
	unsigned saved = c->v.timeout_ms;
	uint8_t tail[4];
	uint32_t used = 0;
	int rc;

	reset_checks(c);
	r.domain = conf_new_domain(c);
	memset(tail, 0xbb, sizeof(tail));
	rc = viommu_raw(&c->v, &r, 8, tail, sizeof(tail), &used);
	conf_check(c, "framing.truncated_attach_not_ok",
		   !rc && (used == 0 || tail[0] != VIRTIO_IOMMU_S_OK));
	conf_check(c, "framing.truncated_attach_created_no_domain", domain_absent(c, r.domain));
	c->v.timeout_ms = FRAMING_TIMEOUT_MS;
	conf_check(c, "framing.tail_too_small_returned_unwritten", unparsed(c, &r, sizeof(r), 2));
	conf_check(c, "framing.no_writable_part_returned_unwritten", unparsed(c, &r, sizeof(r), 0));
	c->v.timeout_ms = saved;
	conf_check(c, "framing.device_usable_after_reset", viommu_reinit(&c->v) == 0 &&
		   viommu_attach(&c->v, conf_new_domain(c), c->ep, 0) == VIRTIO_IOMMU_S_OK);
}
