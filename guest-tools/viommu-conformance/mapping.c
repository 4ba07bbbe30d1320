// SPDX-License-Identifier: GPL-2.0-only
/*
 * viommu-conformance, mapping side: MAP validation (overlap, alignment,
 * flags, domain, input range, RESV_MEM) and UNMAP semantics, including every
 * example sequence of the spec's UNMAP section. Whether a range is still
 * mapped is observed by re-mapping it: INVAL means something is there.
 */
#include "conformance.h"

#include "check.h"
#include "console.h"
#include "lib.h"

#define RW	VIOMMU_MAP_F_RW

/* One step of an example: 'm' map, 'u' unmap (expecting want), or a state
 * probe: 'M' the range is (still) mapped, 'F' the range is free. */
struct step {
	char op;
	uint8_t s, e;		/* units, inclusive */
	int8_t want;
};

struct example {
	const char *name;
	struct step steps[8];
};

#define OK	VIRTIO_IOMMU_S_OK
#define RANGE	VIRTIO_IOMMU_S_RANGE

static const struct example examples[] = {
	{ "unmap.spec_example_1_unmap_blank_ok", {
		{ 'u', 0, 4, OK }, { 'F', 0, 4, 0 } } },
	{ "unmap.spec_example_2_exact_unmap", {
		{ 'm', 0, 9, OK }, { 'u', 0, 9, OK }, { 'F', 0, 9, 0 } } },
	{ "unmap.spec_example_3_unmap_two", {
		{ 'm', 0, 4, OK }, { 'm', 5, 9, OK }, { 'u', 0, 9, OK },
		{ 'F', 0, 4, 0 }, { 'F', 5, 9, 0 } } },
	{ "unmap.spec_example_4_split_fails", {
		{ 'm', 0, 9, OK }, { 'u', 0, 4, RANGE }, { 'M', 0, 9, 0 } } },
	{ "unmap.spec_example_5_unmap_first", {
		{ 'm', 0, 4, OK }, { 'm', 5, 9, OK }, { 'u', 0, 4, OK },
		{ 'F', 0, 4, 0 }, { 'M', 5, 9, 0 } } },
	{ "unmap.spec_example_6_spill_over", {
		{ 'm', 0, 4, OK }, { 'u', 0, 9, OK }, { 'F', 0, 4, 0 } } },
	{ "unmap.spec_example_7_gap_between", {
		{ 'm', 0, 4, OK }, { 'm', 10, 14, OK }, { 'u', 0, 14, OK },
		{ 'F', 0, 4, 0 }, { 'F', 10, 14, 0 } } },
	{ "unmap.split_at_end_range_nothing_removed", {
		{ 'm', 0, 9, OK }, { 'u', 5, 9, RANGE }, { 'M', 0, 9, 0 } } },
	{ "unmap.split_in_middle_range_nothing_removed", {
		{ 'm', 0, 9, OK }, { 'u', 3, 6, RANGE }, { 'M', 0, 9, 0 } } },
	{ "unmap.split_second_of_two_removes_neither", {
		{ 'm', 0, 4, OK }, { 'm', 5, 9, OK }, { 'u', 0, 7, RANGE },
		{ 'M', 0, 4, 0 }, { 'M', 5, 9, 0 } } },
	{ "unmap.partly_mapped_range_removes_covered", {
		{ 'm', 2, 3, OK }, { 'm', 6, 7, OK }, { 'm', 12, 13, OK }, { 'u', 0, 9, OK },
		{ 'F', 2, 3, 0 }, { 'F', 6, 7, 0 }, { 'M', 12, 13, 0 } } },
};

static int map_units(struct conf *c, uint32_t d, unsigned s, unsigned e)
{
	return viommu_map(&c->v, d, conf_iova(c, s), conf_iova(c, e + 1) - 1, conf_phys(c, s), RW);
}

static int unmap_units(struct conf *c, uint32_t d, unsigned s, unsigned e)
{
	return viommu_unmap(&c->v, d, conf_iova(c, s), conf_iova(c, e + 1) - 1);
}

/* Runs one step; returns the observed status and sets *want. */
static int run_step(struct conf *c, uint32_t d, const struct step *st, int *want)
{
	int got;

	*want = st->want;
	switch (st->op) {
	case 'm':
		return map_units(c, d, st->s, st->e);
	case 'u':
		return unmap_units(c, d, st->s, st->e);
	case 'M':
		*want = VIRTIO_IOMMU_S_INVAL;
		return map_units(c, d, st->s, st->e);
	default:
		got = map_units(c, d, st->s, st->e);
		if (got == VIRTIO_IOMMU_S_OK)
			unmap_units(c, d, st->s, st->e);
		return got;
	}
}

static void run_example(struct conf *c, const struct example *ex)
{
	uint32_t d = conf_fresh_domain(c);
	const struct step *st;
	bool ok = true;
	int got, want;

	for (st = ex->steps; st < ex->steps + ARRAY_SIZE(ex->steps) && st->op; st++) {
		got = run_step(c, d, st, &want);
		if (got != want) {
			printf("  %s: %c(%u, %u) -> %s, expected %s\n", ex->name, st->op, st->s,
			       st->e, viommu_status_name(got), viommu_status_name(want));
			ok = false;
		}
	}
	conf_check(c, ex->name, ok);
	viommu_detach(&c->v, d, c->ep);
}

static void overlap_checks(struct conf *c, uint32_t d)
{
	conf_status(c, "map.ok", map_units(c, d, 2, 5), OK);
	conf_check(c, "map.tail_reserved_zero", !c->v.last_tail.reserved[0] &&
		   !c->v.last_tail.reserved[1] && !c->v.last_tail.reserved[2]);
	conf_status(c, "map.overlap_identical_inval", map_units(c, d, 2, 5), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.overlap_head_inval", map_units(c, d, 0, 2), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.overlap_tail_inval", map_units(c, d, 5, 7), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.overlap_inside_inval", map_units(c, d, 3, 4), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.overlap_containing_inval", map_units(c, d, 1, 6), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.adjacent_ok", map_units(c, d, 6, 7), OK);
	conf_status(c, "unmap.covering_two_ok", unmap_units(c, d, 0, 9), OK);
	conf_status(c, "map.rejected_overlaps_added_nothing", map_units(c, d, 0, 9), OK);
	unmap_units(c, d, 0, 9);
}

/* MAP that must fail with want; a mapping created anyway is removed again. */
static void map_expect(struct conf *c, const char *name, uint32_t d, uint64_t s, uint64_t e,
		       uint64_t p, int want)
{
	int got = viommu_map(&c->v, d, s, e, p, RW);

	conf_status(c, name, got, want);
	if (got == OK)
		viommu_unmap(&c->v, d, s, e);
}

static void alignment_checks(struct conf *c, uint32_t d)
{
	uint64_t s = conf_iova(c, 12), e = conf_iova(c, 13) - 1, p = conf_phys(c, 12);

	if (c->gran < 2) {
		check_skip("map.misaligned", "byte granule: everything is aligned");
		return;
	}
	map_expect(c, "map.misaligned_virt_start_range", d, s + 1, e, p, RANGE);
	map_expect(c, "map.misaligned_virt_end_range", d, s, e - 1, p, RANGE);
	map_expect(c, "map.misaligned_phys_start_range", d, s, e, p + 1, RANGE);
	conf_status(c, "map.misaligned_created_nothing", viommu_map(&c->v, d, s, e, p, RW), OK);
	unmap_units(c, d, 12, 12);
}

static void flag_and_domain_checks(struct conf *c, uint32_t d)
{
	uint64_t s = conf_iova(c, 0), e = conf_iova(c, 1) - 1, p = conf_phys(c, 0);

	conf_status(c, "map.unknown_flag_bit3_inval",
		    viommu_map(&c->v, d, s, e, p, RW | 1u << 3), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.unknown_flag_bit31_inval",
		    viommu_map(&c->v, d, s, e, p, RW | 1u << 31), VIRTIO_IOMMU_S_INVAL);
	conf_status(c, "map.unknown_domain_noent",
		    viommu_map(&c->v, conf_new_domain(c), s, e, p, RW), VIRTIO_IOMMU_S_NOENT);
	conf_status(c, "unmap.unknown_domain_noent",
		    viommu_unmap(&c->v, conf_new_domain(c), s, e), VIRTIO_IOMMU_S_NOENT);
	if (!conf_skip_on_qemu(c, "map.end_before_start_rejected",
			       "QEMU 7.2 then hangs in UNMAP, docs/qemu-differences.md"))
		conf_rejected(c, "map.end_before_start_rejected", viommu_map(&c->v, d, e, s, p, RW));
	conf_status(c, "map.read_only_ok", viommu_map(&c->v, d, s, e, p, VIRTIO_IOMMU_MAP_F_READ), OK);
	unmap_units(c, d, 0, 0);
}

static void range_checks(struct conf *c, uint32_t d)
{
	const struct viommu_config *cfg = &c->v.cfg;
	uint64_t p = conf_phys(c, 0), g = c->gran;

	if (cfg->input_end != ~0ull)
		conf_rejected(c, "map.beyond_input_range_rejected",
			      viommu_map(&c->v, d, cfg->input_end + 1, cfg->input_end + g, p, RW));
	if (cfg->input_start)
		conf_rejected(c, "map.below_input_range_rejected",
			      viommu_map(&c->v, d, cfg->input_start - g, cfg->input_start - 1, p, RW));
	if (cfg->input_end == ~0ull && !cfg->input_start)
		check_skip("map.outside_input_range", "input range is the whole 64-bit space");
	if (c->have_msi)
		conf_rejected(c, "map.iova_in_resv_mem_msi_rejected",
			      viommu_map(&c->v, d, c->msi_start, c->msi_start + g - 1, p, RW));
	if (cfg->domain_end != ~0u)
		conf_status(c, "attach.domain_above_range_range",
			    viommu_attach(&c->v, cfg->domain_end + 1, c->ep, 0), RANGE);
	if (cfg->domain_start)
		conf_status(c, "attach.domain_below_range_range",
			    viommu_attach(&c->v, cfg->domain_start - 1, c->ep, 0), RANGE);
}

static void unmap_reserved(struct conf *c, uint32_t d)
{
	struct virtio_iommu_req_unmap r = { .head.type = VIRTIO_IOMMU_T_UNMAP, .domain = d };
	int st;

	map_units(c, d, 0, 0);
	r.virt_start = conf_iova(c, 0);
	r.virt_end = conf_iova(c, 1) - 1;
	r.reserved[1] = 0x77;
	st = viommu_request(&c->v, &r, sizeof(r));
	if (st != OK && st != VIRTIO_IOMMU_S_INVAL)
		printf("  unmap.reserved_nonzero: got %s\n", viommu_status_name(st));
	/* 5.13.6.6 lets a device reject it with S_INVAL (and do nothing) or
	 * ignore the field. ioshade rejects; a change of that choice must show. */
	conf_check(c, "unmap.reserved_nonzero_ok_or_inval", st == OK || st == VIRTIO_IOMMU_S_INVAL);
	if (!c->qemu_quirks) {
		conf_check(c, "unmap.reserved_nonzero_inval_as_ioshade_documents",
			   st == VIRTIO_IOMMU_S_INVAL);
		conf_check(c, "unmap.reserved_nonzero_removed_nothing",
			   st != VIRTIO_IOMMU_S_INVAL ||
			   viommu_map(&c->v, d, conf_iova(c, 0), conf_iova(c, 1) - 1,
				      conf_phys(c, 0), VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_INVAL);
	}
	unmap_units(c, d, 0, 0);
}

void conf_mapping(struct conf *c)
{
	uint32_t d = conf_fresh_domain(c);
	unsigned i;

	overlap_checks(c, d);
	alignment_checks(c, d);
	flag_and_domain_checks(c, d);
	range_checks(c, conf_fresh_domain(c));
	unmap_reserved(c, conf_fresh_domain(c));
	for (i = 0; i < ARRAY_SIZE(examples); i++)
		run_example(c, &examples[i]);
}
