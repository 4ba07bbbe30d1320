// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-iommu requests through viommu_handle_request (no PCI): every request
 * type x status path, the spec's UNMAP examples (5.13.6.6), bypass domains,
 * re-attach moves, detach, the bypass config across resets, byte-exact PROBE,
 * and for each rejection a digest proving the state did not change.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit/viommu_helpers.h"

#define EP1	0x08		/* 00:01.0 */
#define EP2	0x10		/* 00:02.0 */
#define EP_NONE	0x18		/* not registered */

struct fixture {
	struct memmap *mem;
	struct viommu *v;
};

static const struct viommu_range extra_resv[] = {
	{ 0x8000000, 0x80fffff },
	{ 0xfed00000, 0xfeffffff },	/* overlaps the MSI window: split around it */
};

static int setup_with(void **state, uint64_t page_mask)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct viommu_config cfg = {
		.page_size_mask = page_mask,
		.input_start = 0, .input_end = (1ULL << 48) - 1,
		.domain_start = 1, .domain_end = 1000,
		.resv = extra_resv, .nr_resv = 2,
	};

	if (!f)
		return -1;
	f->mem = t_memmap();
	cfg.mem = f->mem;
	f->v = f->mem ? viommu_create(&cfg) : NULL;
	if (!f->v || viommu_add_endpoint(f->v, EP1) || viommu_add_endpoint(f->v, EP2))
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0x1000 | 0x200000);
}

static int setup_byte(void **state)
{
	return setup_with(state, 1);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	viommu_destroy(f->v);
	memmap_destroy(f->mem);
	free(f);
	return 0;
}

#define V (((struct fixture *)*state)->v)

static bool translates(struct viommu *v, uint32_t ep, uint64_t iova, uint64_t *gpa)
{
	uint64_t g = 0, contig = 0;
	bool ok = viommu_translate(v, ep, iova, 1, DMA_ACCESS_READ, &g, &contig) == 0;

	if (gpa)
		*gpa = g;
	return ok;
}

static void test_config_and_features(void **state)
{
	struct virtio_iommu_config c;
	uint64_t f = viommu_device_features(V);
	uint8_t b;

	viommu_config_read(V, 0, &c, sizeof(c));
	assert_int_equal(le64toh(c.page_size_mask), 0x201000);
	assert_int_equal(le64toh(c.input_start), 0);
	assert_int_equal(le64toh(c.input_end), (1ULL << 48) - 1);
	assert_int_equal(le32toh(c.domain_start), 1);
	assert_int_equal(le32toh(c.domain_end), 1000);
	assert_int_equal(le32toh(c.probe_size), VIOMMU_PROBE_SIZE);
	assert_int_equal(c.bypass, 0);
	viommu_config_read(V, 24, &b, 1);	/* domain_range.start low byte */
	assert_int_equal(b, 1);
	viommu_config_read(V, VIRTIO_IOMMU_CFG_BYPASS_OFF, &b, 1);
	assert_int_equal(b, 0);
	assert_true(f & (1ULL << 32));
	assert_true(f & (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE));
	assert_true(f & (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE));
	assert_true(f & (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP));
	assert_true(f & (1ULL << VIRTIO_IOMMU_F_PROBE));
	assert_true(f & (1ULL << VIRTIO_IOMMU_F_MMIO));
	assert_true(f & (1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG));
	assert_false(f & (1ULL << VIRTIO_IOMMU_F_BYPASS));
	/* Read-only fields ignore writes. */
	b = 0x55;
	viommu_config_write(V, 0, &b, 1);
	viommu_config_read(V, 0, &c, sizeof(c));
	assert_int_equal(le64toh(c.page_size_mask), 0x201000);
}

static void test_unknown_and_malformed(void **state)
{
	uint8_t req[80] = { 0 }, resp[8];
	size_t written = 7;
	struct viommu_stats s;
	static const uint8_t bad_types[] = { 0, 6, 0x7f, 0xff };

	for (size_t i = 0; i < sizeof(bad_types); i++) {
		req[0] = bad_types[i];
		memset(resp, 0xaa, sizeof(resp));
		T_REJECT(V, t_req(V, req, sizeof(req)), -1);
		assert_int_equal(resp[0], 0xaa);
	}
	/* Nothing readable at all, or no room for the tail: used length 0. */
	assert_int_equal(viommu_handle_request(V, req, 0, resp, 4, &written), 0);
	assert_int_equal(written, 0);
	req[0] = VIRTIO_IOMMU_T_ATTACH;
	assert_int_equal(viommu_handle_request(V, req, 20, resp, 3, &written), 0);
	assert_int_equal(written, 0);
	/* Too short for its type but the tail fits: S_INVAL, nothing done. */
	T_REJECT(V, t_req(V, req, sizeof(struct virtio_iommu_req_attach) - 1), VIRTIO_IOMMU_S_INVAL);
	req[0] = VIRTIO_IOMMU_T_DETACH;
	T_REJECT(V, t_req(V, req, 4), VIRTIO_IOMMU_S_INVAL);
	req[0] = VIRTIO_IOMMU_T_MAP;
	T_REJECT(V, t_req(V, req, sizeof(struct virtio_iommu_req_map) - 1), VIRTIO_IOMMU_S_INVAL);
	req[0] = VIRTIO_IOMMU_T_UNMAP;
	T_REJECT(V, t_req(V, req, sizeof(struct virtio_iommu_req_unmap) - 1), VIRTIO_IOMMU_S_INVAL);
	viommu_stats(V, &s);
	assert_int_equal(s.requests[0], 5);	/* 4 bad types + the empty one */
	assert_int_equal(s.discarded, 6);
	assert_int_equal(s.status[VIRTIO_IOMMU_S_INVAL], 4);
}

static void test_attach_statuses(void **state)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(1), .endpoint = htole32(EP1),
	};

	r.reserved[3] = 1;
	T_REJECT(V, t_req(V, &r, sizeof(r)), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_attach(V, 1, EP1, 1u << 1), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_attach(V, 1, EP1, 1u << 31), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_attach(V, 1, EP_NONE, 0), VIRTIO_IOMMU_S_NOENT);
	T_REJECT(V, t_attach(V, 0, EP1, 0), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_attach(V, 1001, EP1, 0), VIRTIO_IOMMU_S_RANGE);
	/* The head's reserved bytes are ignored (MUST). */
	r.reserved[3] = 0;
	r.head.reserved[0] = 0xff;
	assert_int_equal(t_req(V, &r, sizeof(r)), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);	/* same domain again */
	/* Bypass flag inconsistent with an existing domain, both ways. */
	T_REJECT(V, t_attach(V, 1, EP2, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
	assert_int_equal(t_attach(V, 2, EP2, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	T_REJECT(V, t_attach(V, 2, EP1, 0), VIRTIO_IOMMU_S_INVAL);
	/* Without BYPASS_CONFIG negotiated, the bypass flag is unknown. */
	assert_true(viommu_set_driver_features(V, viommu_device_features(V) &
					       ~(1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG)));
	T_REJECT(V, t_attach(V, 3, EP1, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
}

static void test_reattach_moves_and_frees(void **state)
{
	uint64_t gpa;

	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(V, 1, 0x10000, 0x10fff, T_RAM, T_RW), VIRTIO_IOMMU_S_OK);
	assert_true(translates(V, EP1, 0x10000, &gpa));
	assert_int_equal(gpa, T_RAM);
	/* Move EP1 to domain 5: domain 1 had no other endpoint, so it and its
	 * mapping are gone; MAP on it is S_NOENT. */
	assert_int_equal(t_attach(V, 5, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_false(translates(V, EP1, 0x10000, NULL));
	T_REJECT(V, t_map(V, 1, 0x20000, 0x20fff, T_RAM, T_RW), VIRTIO_IOMMU_S_NOENT);
	/* A new domain 1 starts empty. */
	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_false(translates(V, EP1, 0x10000, NULL));
	/* Two endpoints share a domain; moving one keeps it alive. */
	assert_int_equal(t_attach(V, 1, EP2, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(V, 1, 0x10000, 0x10fff, T_RAM, T_RW), VIRTIO_IOMMU_S_OK);
	assert_true(translates(V, EP2, 0x10000, NULL));
	assert_int_equal(t_attach(V, 7, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_true(translates(V, EP2, 0x10000, NULL));
	assert_false(translates(V, EP1, 0x10000, NULL));
}

static void test_detach_statuses(void **state)
{
	struct virtio_iommu_req_detach r = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = htole32(1), .endpoint = htole32(EP1),
	};

	T_REJECT(V, t_detach(V, 1, EP1), VIRTIO_IOMMU_S_INVAL);		/* not attached */
	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(V, 1, 0x10000, 0x10fff, T_RAM, T_RW), VIRTIO_IOMMU_S_OK);
	T_REJECT(V, t_detach(V, 1, EP_NONE), VIRTIO_IOMMU_S_NOENT);
	T_REJECT(V, t_detach(V, 1001, EP1), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_detach(V, 2, EP1), VIRTIO_IOMMU_S_INVAL);		/* other domain */
	assert_true(translates(V, EP1, 0x10000, NULL));
	/* reserved is ignored on DETACH (MUST). */
	memset(r.reserved, 0xff, sizeof(r.reserved));
	assert_int_equal(t_req(V, &r, sizeof(r)), VIRTIO_IOMMU_S_OK);
	assert_false(translates(V, EP1, 0x10000, NULL));
	/* The domain ceased to exist with its last endpoint. */
	T_REJECT(V, t_map(V, 1, 0x20000, 0x20fff, T_RAM, T_RW), VIRTIO_IOMMU_S_NOENT);
}

static void test_map_statuses(void **state)
{
	struct viommu_stats s;

	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(V, 2, EP2, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(V, 1, 0x10000, 0x1ffff, T_RAM, T_RW), VIRTIO_IOMMU_S_OK);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, T_RAM, 1u << 3), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_map(V, 1001, 0x40000, 0x40fff, T_RAM, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 9, 0x40000, 0x40fff, T_RAM, T_RW), VIRTIO_IOMMU_S_NOENT);
	T_REJECT(V, t_map(V, 2, 0x40000, 0x40fff, T_RAM, T_RW), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_map(V, 1, 0x40fff, 0x40000, T_RAM, T_RW), VIRTIO_IOMMU_S_INVAL);
	/* Misaligned virt_start, phys_start, virt_end + 1. */
	T_REJECT(V, t_map(V, 1, 0x40800, 0x40fff, T_RAM, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, T_RAM + 0x800, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40ffe, T_RAM, T_RW), VIRTIO_IOMMU_S_RANGE);
	/* Outside input_range; the whole 64-bit space. */
	T_REJECT(V, t_map(V, 1, 1ULL << 48, (1ULL << 48) + 0xfff, T_RAM, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0, UINT64_MAX, 0, T_RW), VIRTIO_IOMMU_S_RANGE);
	/* IOVA on RESV_MEM regions (MSI window, configured reserved). */
	T_REJECT(V, t_map(V, 1, LAYOUT_MSI_BASE, LAYOUT_MSI_BASE + 0xfff, T_RAM, T_RW),
		 VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x80ff000, 0x8100fff, T_RAM, T_RW), VIRTIO_IOMMU_S_RANGE);
	/* Overlap with the existing mapping. */
	T_REJECT(V, t_map(V, 1, 0x1f000, 0x20fff, T_RAM + 0x100000, T_RW), VIRTIO_IOMMU_S_INVAL);
	/* Ownership: BAR, ECAM, ROM, reserved, MSI window as GPA, beyond RAM. */
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, T_BAR, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, LAYOUT_ECAM_BASE, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, LAYOUT_ACPI_BASE, VIRTIO_IOMMU_MAP_F_READ),
		 VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, 0, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, LAYOUT_MSI_BASE, T_RW), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x41fff, LAYOUT_RAM_32_END - T_PAGE, T_RW),
		 VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, 1ULL << 40, T_RW), VIRTIO_IOMMU_S_RANGE);
	/* MMIO: only inside the assigned BAR. */
	T_REJECT(V, t_map(V, 1, 0x40000, 0x40fff, T_BAR, T_RW | VIRTIO_IOMMU_MAP_F_MMIO),
		 VIRTIO_IOMMU_S_RANGE);
	assert_int_equal(t_map(V, 1, 0x40000, 0x40fff, T_BAR_VFIO, T_RW | VIRTIO_IOMMU_MAP_F_MMIO),
			 VIRTIO_IOMMU_S_OK);
	viommu_stats(V, &s);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_BAR)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_MMIO)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_ROM)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_RESERVED)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_MSI)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_STRADDLE)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_UNMAPPED)], 1);
	assert_int_equal(s.own_rejects[ownership_reason(OWN_E_MMIO_TARGET)], 1);
	assert_int_equal(s.requests[VIRTIO_IOMMU_T_MAP], 23);
	/* Without VIRTIO_IOMMU_F_MMIO the MMIO flag is an unknown flag. */
	assert_true(viommu_set_driver_features(V, viommu_device_features(V) &
					       ~(1ULL << VIRTIO_IOMMU_F_MMIO)));
	T_REJECT(V, t_map(V, 1, 0x50000, 0x50fff, T_BAR_VFIO, T_RW | VIRTIO_IOMMU_MAP_F_MMIO),
		 VIRTIO_IOMMU_S_INVAL);
}

static void test_map_permissions(void **state)
{
	uint64_t gpa, contig;

	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(V, 1, 0x10000, 0x10fff, T_RAM + 0x5000, VIRTIO_IOMMU_MAP_F_READ),
			 VIRTIO_IOMMU_S_OK);
	assert_int_equal(viommu_translate(V, EP1, 0x10010, 0x100, DMA_ACCESS_READ, &gpa, &contig), 0);
	assert_int_equal(gpa, T_RAM + 0x5010);
	assert_int_equal(contig, 0x100);
	assert_int_equal(viommu_translate(V, EP1, 0x10f00, 0x1000, DMA_ACCESS_READ, &gpa, &contig), 0);
	assert_int_equal(contig, 0x100);
	assert_int_equal(viommu_translate(V, EP1, 0x10000, 4, DMA_ACCESS_WRITE, &gpa, &contig),
			 -EPERM);
}

/* The seven examples of 5.13.6.6, byte granularity, each from a blank space. */
static void unmap_example_fresh(void **state)
{
	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_detach(V, 1, EP1), VIRTIO_IOMMU_S_OK);	/* drops all maps */
	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
}

static void m(void **state, uint64_t s, uint64_t e)
{
	assert_int_equal(t_map(V, 1, s, e, T_RAM + s, T_RW), VIRTIO_IOMMU_S_OK);
}

static bool mapped(void **state, uint64_t iova)
{
	return translates(V, EP1, iova, NULL);
}

static void test_unmap_spec_examples(void **state)
{
	unmap_example_fresh(state);			/* (1) */
	assert_int_equal(t_unmap(V, 1, 0, 4), VIRTIO_IOMMU_S_OK);
	unmap_example_fresh(state);			/* (2) */
	m(state, 0, 9);
	assert_int_equal(t_unmap(V, 1, 0, 9), VIRTIO_IOMMU_S_OK);
	assert_false(mapped(state, 0) || mapped(state, 9));
	unmap_example_fresh(state);			/* (3) */
	m(state, 0, 4);
	m(state, 5, 9);
	assert_int_equal(t_unmap(V, 1, 0, 9), VIRTIO_IOMMU_S_OK);
	assert_false(mapped(state, 0) || mapped(state, 5));
	unmap_example_fresh(state);			/* (4) */
	m(state, 0, 9);
	T_REJECT(V, t_unmap(V, 1, 0, 4), VIRTIO_IOMMU_S_RANGE);
	assert_true(mapped(state, 0) && mapped(state, 9));
	unmap_example_fresh(state);			/* (5) */
	m(state, 0, 4);
	m(state, 5, 9);
	assert_int_equal(t_unmap(V, 1, 0, 4), VIRTIO_IOMMU_S_OK);
	assert_false(mapped(state, 0));
	assert_true(mapped(state, 5));
	unmap_example_fresh(state);			/* (6) */
	m(state, 0, 4);
	assert_int_equal(t_unmap(V, 1, 0, 9), VIRTIO_IOMMU_S_OK);
	assert_false(mapped(state, 0));
	unmap_example_fresh(state);			/* (7) */
	m(state, 0, 4);
	m(state, 10, 14);
	assert_int_equal(t_unmap(V, 1, 0, 14), VIRTIO_IOMMU_S_OK);
	assert_false(mapped(state, 0) || mapped(state, 10));
}

static void test_unmap_statuses(void **state)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = htole32(1),
		.virt_start = 0, .virt_end = htole64(UINT64_MAX),
	};

	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(V, 2, EP2, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	m(state, 0x10000, 0x1ffff);
	m(state, 0x30000, 0x3ffff);
	/* Split at the far edge, split at the near edge, both. */
	T_REJECT(V, t_unmap(V, 1, 0x0, 0x17fff), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_unmap(V, 1, 0x18000, 0x2ffff), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_unmap(V, 1, 0x18000, 0x38000), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_unmap(V, 1001, 0, 0xfff), VIRTIO_IOMMU_S_RANGE);
	T_REJECT(V, t_unmap(V, 9, 0, 0xfff), VIRTIO_IOMMU_S_NOENT);
	T_REJECT(V, t_unmap(V, 2, 0, 0xfff), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_unmap(V, 1, 0x1ffff, 0x10000), VIRTIO_IOMMU_S_INVAL);
	r.reserved[0] = 1;
	T_REJECT(V, t_req(V, &r, sizeof(r)), VIRTIO_IOMMU_S_INVAL);
	assert_true(mapped(state, 0x10000) && mapped(state, 0x30000));
	r.reserved[0] = 0;
	assert_int_equal(t_req(V, &r, sizeof(r)), VIRTIO_IOMMU_S_OK);	/* everything */
	assert_false(mapped(state, 0x10000) || mapped(state, 0x30000));
}

static void test_bypass_domain(void **state)
{
	uint64_t gpa;

	assert_int_equal(t_attach(V, 4, EP1, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	assert_true(translates(V, EP1, 0x123456, &gpa));
	assert_int_equal(gpa, 0x123456);
	T_REJECT(V, t_map(V, 4, 0x10000, 0x10fff, T_RAM, T_RW), VIRTIO_IOMMU_S_INVAL);
	T_REJECT(V, t_unmap(V, 4, 0, 0xfff), VIRTIO_IOMMU_S_INVAL);
	assert_int_equal(t_attach(V, 4, EP2, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_detach(V, 4, EP1), VIRTIO_IOMMU_S_OK);
	assert_false(translates(V, EP1, 0x123456, NULL));	/* bypass config is 0 */
	assert_true(translates(V, EP2, 0x123456, NULL));
}

static uint8_t read_bypass(struct viommu *v)
{
	uint8_t b = 0xee;

	viommu_config_read(v, VIRTIO_IOMMU_CFG_BYPASS_OFF, &b, 1);
	return b;
}

static void write_bypass(struct viommu *v, uint8_t val)
{
	viommu_config_write(v, VIRTIO_IOMMU_CFG_BYPASS_OFF, &val, 1);
}

static void test_bypass_config_resets(void **state)
{
	uint64_t gpa;
	uint32_t word;

	assert_false(translates(V, EP1, 0x5000, NULL));		/* blocked */
	write_bypass(V, 1);
	assert_int_equal(read_bypass(V), 1);
	assert_true(translates(V, EP1, 0x5000, &gpa));
	assert_int_equal(gpa, 0x5000);
	/* An attached endpoint is translated, not bypassed. */
	assert_int_equal(t_attach(V, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_false(translates(V, EP1, 0x5000, NULL));
	/* Device reset: endpoints detached, bypass kept. */
	viommu_device_reset(V);
	assert_int_equal(read_bypass(V), 1);
	assert_true(translates(V, EP1, 0x5000, NULL));
	T_REJECT(V, t_map(V, 1, 0x10000, 0x10fff, T_RAM, T_RW), VIRTIO_IOMMU_S_NOENT);
	/* System reset: back to the default 0. */
	viommu_system_reset(V);
	assert_int_equal(read_bypass(V), 0);
	assert_false(translates(V, EP1, 0x5000, NULL));
	/* Only bit 0 is kept; a 4-byte write covering the field works too. */
	write_bypass(V, 0xff);
	assert_int_equal(read_bypass(V), 1);
	word = htole32(0);
	viommu_config_write(V, 36, &word, 4);
	assert_int_equal(read_bypass(V), 0);
	/* Without BYPASS_CONFIG negotiated the field is read-only. */
	assert_true(viommu_set_driver_features(V, viommu_device_features(V) &
					       ~(1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG)));
	write_bypass(V, 1);
	assert_int_equal(read_bypass(V), 0);
}

static int bypass_default_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct viommu_config cfg = { .bypass = true };

	if (!f)
		return -1;
	f->mem = t_memmap();
	cfg.mem = f->mem;
	f->v = f->mem ? viommu_create(&cfg) : NULL;
	*state = f;
	return f->v && !viommu_add_endpoint(f->v, EP1) ? 0 : -1;
}

static void test_bypass_default_one(void **state)
{
	assert_int_equal(read_bypass(V), 1);
	assert_true(translates(V, EP1, 0x5000, NULL));
	write_bypass(V, 0);
	viommu_device_reset(V);
	assert_int_equal(read_bypass(V), 0);
	viommu_system_reset(V);
	assert_int_equal(read_bypass(V), 1);
}

static void probe(struct viommu *v, uint32_t ep, uint8_t *resp, size_t cap, size_t *written)
{
	struct virtio_iommu_req_probe r = {
		.head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = htole32(ep),
	};

	memset(r.reserved, 0xff, sizeof(r.reserved));	/* ignored (MUST) */
	memset(resp, 0xaa, cap);
	assert_int_equal(viommu_handle_request(v, &r, sizeof(r), resp, cap, written), 0);
}

static void expect_resv(const uint8_t *p, uint8_t subtype, uint64_t start, uint64_t end)
{
	const uint8_t want_head[8] = { 1, 0, 20, 0, subtype, 0, 0, 0 };
	uint64_t s, e;

	assert_memory_equal(p, want_head, 8);
	memcpy(&s, p + 8, 8);
	memcpy(&e, p + 16, 8);
	assert_int_equal(le64toh(s), start);
	assert_int_equal(le64toh(e), end);
}

static void test_probe_layout(void **state)
{
	uint8_t resp[VIOMMU_PROBE_SIZE + 64];
	size_t written, i;

	probe(V, EP1, resp, sizeof(resp), &written);
	assert_int_equal(written, VIOMMU_PROBE_SIZE + 4);
	expect_resv(resp, VIRTIO_IOMMU_RESV_MEM_T_MSI, 0xfee00000, 0xfeefffff);
	expect_resv(resp + 24, VIRTIO_IOMMU_RESV_MEM_T_RESERVED, 0x8000000, 0x80fffff);
	expect_resv(resp + 48, VIRTIO_IOMMU_RESV_MEM_T_RESERVED, 0xfed00000, 0xfedfffff);
	expect_resv(resp + 72, VIRTIO_IOMMU_RESV_MEM_T_RESERVED, 0xfef00000, 0xfeffffff);
	for (i = 96; i < VIOMMU_PROBE_SIZE; i++)	/* NONE property, then zeroes */
		assert_int_equal(resp[i], 0);
	assert_memory_equal(resp + VIOMMU_PROBE_SIZE, "\0\0\0\0", 4);
	assert_int_equal(resp[VIOMMU_PROBE_SIZE + 4], 0xaa);	/* nothing beyond */

	probe(V, EP_NONE, resp, sizeof(resp), &written);
	assert_int_equal(written, VIOMMU_PROBE_SIZE + 4);
	assert_int_equal(resp[VIOMMU_PROBE_SIZE], VIRTIO_IOMMU_S_NOENT);

	/* Properties list shorter than probe_size: no property, S_INVAL in the
	 * tail that ends the buffer. */
	probe(V, EP1, resp, 100, &written);
	assert_int_equal(written, 100);
	for (i = 0; i < 96; i++)
		assert_int_equal(resp[i], 0xaa);
	assert_int_equal(resp[96], VIRTIO_IOMMU_S_INVAL);
	probe(V, EP1, resp, 3, &written);
	assert_int_equal(written, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_config_and_features), T(test_unknown_and_malformed),
		T(test_attach_statuses), T(test_reattach_moves_and_frees),
		T(test_detach_statuses), T(test_map_statuses), T(test_map_permissions),
		cmocka_unit_test_setup_teardown(test_unmap_spec_examples, setup_byte, teardown),
		T(test_unmap_statuses), T(test_bypass_domain), T(test_bypass_config_resets),
		cmocka_unit_test_setup_teardown(test_bypass_default_one, bypass_default_setup,
						teardown),
		T(test_probe_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
