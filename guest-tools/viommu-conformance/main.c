// SPDX-License-Identifier: GPL-2.0-only
/*
 * viommu-conformance: checks the device-side requirements of the virtio 1.3
 * "IOMMU device" section one by one, each reported as a named CHECK. Exits
 * PASS only if every check passes. With "quirks=qemu" on the command line the
 * deviations documented in docs/qemu-differences.md are reported as XFAIL.
 */
#include "conformance.h"

#include "acpi.h"
#include "check.h"
#include "cmdline.h"
#include "console.h"
#include "edu.h"
#include "guest.h"
#include "lib.h"
#include "viot.h"

/* Checks known to fail on QEMU 7.2's or 10.0's virtio-iommu (see docs/qemu-differences.md). */
static const char *const qemu_deviations[] = {
	"attach.reserved_nonzero_inval",
	"attach.rejected_reserved_created_no_domain",
	"attach.bypass_domain_without_flag_inval",
	"attach.paging_domain_with_bypass_flag_inval",
	"request.type_0x00_used_len_0",
	"request.type_0x00_buffer_untouched",
	"request.type_0x06_used_len_0",
	"request.type_0x06_buffer_untouched",
	"request.type_0x7f_used_len_0",
	"request.type_0x7f_buffer_untouched",
	"request.type_0xff_used_len_0",
	"request.type_0xff_buffer_untouched",
	"map.misaligned_virt_start_range",
	"map.misaligned_virt_end_range",
	"map.misaligned_phys_start_range",
	"map.iova_in_resv_mem_msi_rejected",
	"unmap.split_second_of_two_removes_neither",
	"framing.tail_too_small_returned_unwritten",
	"framing.no_writable_part_returned_unwritten",
	/* QEMU 10.0 (bookworm-backports): a 39-bit input_range it does not enforce,
	 * and domains that outlive a device reset. */
	"map.beyond_input_range_rejected",
	"reset.endpoints_detached",
};

/* Backing RAM for test mappings: 16 granules of up to 64 KiB. */
static uint8_t map_ram[16 * 0x10000] __attribute__((aligned(0x10000)));

static bool is_qemu_deviation(const char *name)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(qemu_deviations); i++) {
		if (!strncmp(name, qemu_deviations[i], 160))
			return true;
	}
	return false;
}

bool conf_skip_on_qemu(struct conf *c, const char *name, const char *why)
{
	if (!c->qemu_quirks)
		return false;
	check_skip(name, why);
	return true;
}

bool conf_check(struct conf *c, const char *name, bool ok)
{
	return check_dev(name, ok, c->qemu_quirks && is_qemu_deviation(name),
			 "known QEMU deviation, docs/qemu-differences.md");
}

bool conf_status(struct conf *c, const char *name, int got, int want)
{
	if (got != want)
		printf("  %s: got %s (%d), expected %s\n", name, viommu_status_name(got), got,
		       viommu_status_name(want));
	return conf_check(c, name, got == want);
}

bool conf_rejected(struct conf *c, const char *name, int got)
{
	if (got == VIRTIO_IOMMU_S_OK || got < 0)
		printf("  %s: got %s (%d), expected an error status\n", name,
		       viommu_status_name(got), got);
	return conf_check(c, name, got > VIRTIO_IOMMU_S_OK);
}

uint32_t conf_new_domain(struct conf *c)
{
	const struct viommu_config *cfg = &c->v.cfg;
	uint64_t span = (uint64_t)cfg->domain_end - cfg->domain_start + 1;

	return cfg->domain_start + (uint32_t)((1 + c->next_domain++) % span);
}

uint32_t conf_fresh_domain(struct conf *c)
{
	uint32_t d = conf_new_domain(c);
	int st = viommu_attach(&c->v, d, c->ep, 0);

	if (st != VIRTIO_IOMMU_S_OK)
		printf("  setup: ATTACH(domain %u, endpoint 0x%x) -> %s\n", d, c->ep,
		       viommu_status_name(st));
	return d;
}

uint64_t conf_iova(const struct conf *c, unsigned u)
{
	return c->iova_base + u * c->gran;
}

uint64_t conf_phys(const struct conf *c, unsigned u)
{
	return c->phys + u * c->gran;
}

static void check_features(struct conf *c)
{
	struct viommu *v = &c->v;

	printf("viommu: offered 0x%lx negotiated 0x%lx\n", v->vdev.offered, v->vdev.features);
	conf_check(c, "feature.version_1_offered", v->vdev.offered & (1ull << VIRTIO_F_VERSION_1));
	conf_check(c, "feature.map_unmap_offered", viommu_offered(v, VIRTIO_IOMMU_F_MAP_UNMAP));
	conf_check(c, "feature.legacy_bypass_not_offered", !viommu_offered(v, VIRTIO_IOMMU_F_BYPASS));
	conf_check(c, "feature.not_both_bypass_kinds",
		   !(viommu_offered(v, VIRTIO_IOMMU_F_BYPASS) &&
		     viommu_offered(v, VIRTIO_IOMMU_F_BYPASS_CONFIG)));
	conf_check(c, "device.has_request_and_event_queues", virtio_num_queues(&v->vdev) >= 2);
}

static void check_bypass_field(struct conf *c)
{
	struct viommu *v = &c->v;
	uint8_t orig = v->cfg.bypass;

	if (!viommu_has(v, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		check_skip("config.bypass_0_or_1", "BYPASS_CONFIG not offered");
		return;
	}
	conf_check(c, "config.bypass_0_or_1", orig <= 1);
	conf_check(c, "config.bypass_write_0_reads_0", viommu_set_bypass(v, 0) == 0);
	conf_check(c, "config.bypass_write_1_reads_1", viommu_set_bypass(v, 1) == 1);
	viommu_set_bypass(v, orig);
}

static void check_config(struct conf *c)
{
	const struct viommu_config *cfg = &c->v.cfg;

	printf("viommu: page_size_mask 0x%lx input [0x%lx, 0x%lx] domains [%u, %u] "
	       "probe_size %u bypass %u\n", cfg->page_size_mask, cfg->input_start,
	       cfg->input_end, cfg->domain_start, cfg->domain_end, cfg->probe_size,
	       cfg->bypass);
	conf_check(c, "config.page_size_mask_nonzero", cfg->page_size_mask != 0);
	conf_check(c, "config.input_range_ordered", cfg->input_start <= cfg->input_end);
	conf_check(c, "config.domain_range_ordered", cfg->domain_start <= cfg->domain_end);
	if (viommu_offered(&c->v, VIRTIO_IOMMU_F_PROBE))
		conf_check(c, "config.probe_size_nonzero", cfg->probe_size != 0);
	check_bypass_field(c);
}

/* First devfn on bus 0 with no function, as an endpoint (if translated). */
static void pick_absent_endpoint(struct conf *c, const struct viot_info *viot)
{
	unsigned devfn;

	for (devfn = 8; devfn < 256; devfn += 8) {
		if (pci_cfg_read16((uint16_t)devfn, PCI_VENDOR_ID) != 0xffff)
			continue;
		c->have_bad_ep2 = !viot_endpoint(viot, 0, (uint16_t)devfn, &c->bad_ep2);
		return;
	}
}

/* The endpoint to test with: the edu if present, else any translated function. */
static int pick_endpoint(struct conf *c, const struct viot_info *viot, uint16_t iommu_bdf)
{
	static struct pci_func funcs[PCI_MAX_FUNCS];
	struct pci_func f;
	unsigned i, n;

	if (!edu_find(0, &f) && !viot_endpoint(viot, 0, f.bdf, &c->ep))
		return 0;
	n = pci_scan(funcs, PCI_MAX_FUNCS);
	for (i = 0; i < n; i++) {
		if (funcs[i].bdf != iommu_bdf && funcs[i].bdf != 0 &&
		    !viot_endpoint(viot, 0, funcs[i].bdf, &c->ep))
			return 0;
	}
	return -1;
}

static int setup(struct conf *c, const struct hvm_start_info *si)
{
	struct viot_info viot;
	struct pci_func f;

	acpi_init(si);
	pci_init();
	viot_parse(&viot);
	if (!check("setup.virtio_iommu_present", !viommu_find(&f)))
		return -1;
	if (viot.present)
		conf_check(c, "viot.names_this_viommu",
			   viot.has_viommu_pci && viot.viommu_bdf == f.bdf);
	if (!check("setup.endpoint_found", !pick_endpoint(c, &viot, f.bdf)))
		return -1;
	pick_absent_endpoint(c, &viot);
	c->bad_ep = 0xfffffff0u;
	printf("endpoints: test 0x%x, nonexistent 0x%x, absent-bdf %s0x%x (VIOT %s)\n", c->ep,
	       c->bad_ep, c->have_bad_ep2 ? "" : "none ", c->bad_ep2,
	       viot.present ? "present" : "absent: endpoint = BDF");
	if (!conf_check(c, "device.init", !viommu_open(&c->v, &f, VIOMMU_WANT_DEFAULT)))
		return -1;
	c->gran = viommu_granule(&c->v);
	c->phys = (uint64_t)(uintptr_t)map_ram;
	c->iova_base = ALIGN_UP(c->v.cfg.input_start > 0x4000000 ? c->v.cfg.input_start
				: 0x4000000, 0x10000);
	return 0;
}

int guest_main(const struct hvm_start_info *si)
{
	static struct conf c;

	printf("viommu-conformance: virtio 1.3 IOMMU device requirements\n");
	c.qemu_quirks = cmdline_is("quirks", "qemu");
	if (setup(&c, si))
		return check_summary();
	check_features(&c);
	check_config(&c);
	if (!conf_check(&c, "config.granule_supported", c.gran && c.gran <= 0x10000))
		return check_summary();
	conf_requests(&c);
	conf_mapping(&c);
	conf_framing(&c);
	return check_summary();
}
