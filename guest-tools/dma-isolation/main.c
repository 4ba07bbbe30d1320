// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-isolation: an edu DMA device behind the virtio-iommu must only reach
 * what the driver mapped. Covers the three violations of the design doc:
 * bad-address (unmapped IOVA), bad-device (unattached endpoint) and
 * invalid-use (DMA after UNMAP completed), plus a positive control, write
 * permission, bypass semantics and GPA-ownership refusals (ownership.c).
 * Command line: ownership=lax, faults=optional, quirks=qemu (all default off).
 */
#include "isolation.h"

#include "acpi.h"
#include "check.h"
#include "cmdline.h"
#include "console.h"
#include "errno.h"
#include "guest.h"
#include "lib.h"
#include "setup.h"

#define LEN		256u		/* positive transfers */
#define NLEN		64u		/* transfers expected to fail */
#define IOVA_SRC	0x08000000ull	/* below edu's 28-bit DMA mask */
#define IOVA_DST	0x08001000ull
#define IOVA_RO		0x08002000ull
#define IOVA_REUSE	0x08003000ull
#define SCRATCH_OFF	2048u		/* edu buffer half used by failing reads */
#define SENTINEL	0x5a
#define SECRET		0xc3

enum { PG_SRC, PG_DST, PG_SENT, PG_SECRET, PG_RO, PG_REUSE, PG_BYP, PG_COUNT };
static uint8_t pages[PG_COUNT][PAGE] __attribute__((aligned(PAGE)));

/* Known QEMU 7.2 and 10.0 deviations (docs/qemu-differences.md). */
static const char *const qemu_deviations[] = {
	"bad_device.unattached_fault_reason_domain",
	/* QEMU 10.0: R_UNKNOWN after a DETACH too, not only for never-attached. */
	"bad_device.detached_old_iova_fault_reason_domain",
	"bad_device.detached_identity_fault_reason_domain",
	"bypass.off_blocks_unattached_fault_reason_domain",
};

#define GPA(pg)	((uint64_t)(uintptr_t)pages[pg])

uint32_t iso_new_domain(struct iso *t)
{
	const struct viommu_config *cfg = &t->v.cfg;
	uint64_t span = (uint64_t)cfg->domain_end - cfg->domain_start + 1;

	return cfg->domain_start + (uint32_t)((1 + t->next_domain++) % span);
}

bool iso_check(struct iso *t, const char *name, bool ok)
{
	bool known = false;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(qemu_deviations); i++)
		known |= !strncmp(name, qemu_deviations[i], 128);
	return check_dev(name, ok, t->qemu_quirks && known,
			 "known QEMU deviation, docs/qemu-differences.md");
}

static void fill(unsigned pg, int c)
{
	memset(pages[pg], c, PAGE);
}

static void fill_pattern(unsigned pg)
{
	unsigned i;

	for (i = 0; i < PAGE; i++)
		pages[pg][i] = (uint8_t)(i * 7 + 1);
}

static bool untouched(unsigned pg, int c)
{
	return mem_find_not(pages[pg], c, PAGE) == PAGE;
}

/* Waits for one fault and checks it names ep, the reason and the address. */
static void expect_fault(struct iso *t, const char *what, uint8_t reason, uint64_t iova,
			 uint32_t len)
{
	struct virtio_iommu_fault f;
	char name[96];
	bool ok;

	ok = viommu_poll_fault(&t->v, &f, FAULT_TIMEOUT_MS) == 0;
	snprintf(name, sizeof(name), "%s_fault_reported", what);
	if (!ok && t->faults_optional) {
		check_dev(name, false, true, "faults=optional: no fault event");
		return;
	}
	if (!iso_check(t, name, ok))
		return;
	printf("  fault: reason %u flags 0x%x endpoint 0x%x address 0x%lx\n", f.reason, f.flags,
	       f.endpoint, f.address);
	snprintf(name, sizeof(name), "%s_fault_endpoint", what);
	iso_check(t, name, f.endpoint == t->ep);
	snprintf(name, sizeof(name), "%s_fault_reason_%s", what,
		 reason == VIRTIO_IOMMU_FAULT_R_DOMAIN ? "domain" : "mapping");
	iso_check(t, name, f.reason == reason);
	snprintf(name, sizeof(name), "%s_fault_address", what);
	iso_check(t, name, !(f.flags & VIRTIO_IOMMU_FAULT_F_ADDRESS) ||
		  (f.address >= iova && f.address - iova < len));
	snprintf(name, sizeof(name), "%s_fault_reserved_zero", what);
	iso_check(t, name, !f.reserved[0] && !f.reserved[1] && !f.reserved[2] && !f.reserved1 &&
		  !(f.flags & ~(VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_WRITE | 4u |
				VIRTIO_IOMMU_FAULT_F_ADDRESS)));
	viommu_drain_faults(&t->v);
}

/* A device-to-RAM DMA that must not land; the target page holds SENTINEL. */
static void blocked_write(struct iso *t, const char *what, uint64_t iova, unsigned pg,
			  uint8_t reason)
{
	char name[96];
	int rc;

	fill(pg, SENTINEL);
	viommu_drain_faults(&t->v);
	rc = edu_dma_to_ram(&t->edu, 0, iova, NLEN);
	snprintf(name, sizeof(name), "%s_dma_completes", what);
	iso_check(t, name, rc == 0);
	snprintf(name, sizeof(name), "%s_memory_untouched", what);
	iso_check(t, name, untouched(pg, SENTINEL));
	expect_fault(t, what, reason, iova, NLEN);
}

static void test_unattached(struct iso *t)
{
	printf("-- bad-device: endpoint never attached\n");
	blocked_write(t, "bad_device.unattached", GPA(PG_SENT), PG_SENT, VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

static void test_positive(struct iso *t, uint32_t dom)
{
	bool ok;

	printf("-- positive control: mapped DMA, RAM -> edu -> RAM\n");
	fill_pattern(PG_SRC);
	fill(PG_DST, 0);
	viommu_drain_faults(&t->v);
	check("positive.map_src", viommu_map(&t->v, dom, IOVA_SRC, IOVA_SRC + PAGE - 1,
					     GPA(PG_SRC), VIRTIO_IOMMU_MAP_F_READ) == VIRTIO_IOMMU_S_OK);
	check("positive.map_dst", viommu_map(&t->v, dom, IOVA_DST, IOVA_DST + PAGE - 1,
					     GPA(PG_DST), VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_OK);
	ok = edu_dma_to_dev(&t->edu, IOVA_SRC, 0, LEN) == 0 &&
	     edu_dma_to_ram(&t->edu, 0, IOVA_DST, LEN) == 0;
	check("positive.dma_completes", ok);
	check("positive.bytes_arrive", !memcmp(pages[PG_DST], pages[PG_SRC], LEN));
	check("positive.rest_of_page_untouched", mem_find_not(pages[PG_DST] + LEN, 0,
							      PAGE - LEN) == PAGE - LEN);
	check("positive.no_fault_event", viommu_drain_faults(&t->v) == 0);
}

static void test_bad_address(struct iso *t)
{
	printf("-- bad-address: DMA to and from IOVAs that are not mapped\n");
	blocked_write(t, "bad_address.write", GPA(PG_SENT), PG_SENT, VIRTIO_IOMMU_FAULT_R_MAPPING);
	fill(PG_SECRET, SECRET);
	fill(PG_DST, 0);
	viommu_drain_faults(&t->v);
	iso_check(t, "bad_address.read_dma_completes",
		  edu_dma_to_dev(&t->edu, GPA(PG_SECRET), SCRATCH_OFF, NLEN) == 0);
	expect_fault(t, "bad_address.read", VIRTIO_IOMMU_FAULT_R_MAPPING, GPA(PG_SECRET), NLEN);
	edu_dma_to_ram(&t->edu, SCRATCH_OFF, IOVA_DST, NLEN);
	iso_check(t, "bad_address.read_secret_not_leaked",
		  memcmp(pages[PG_DST], pages[PG_SECRET], NLEN) != 0);
}

static void test_read_only(struct iso *t, uint32_t dom)
{
	printf("-- permissions: device write to a READ-only mapping\n");
	check("perm.map_read_only", viommu_map(&t->v, dom, IOVA_RO, IOVA_RO + PAGE - 1,
					       GPA(PG_RO), VIRTIO_IOMMU_MAP_F_READ) == VIRTIO_IOMMU_S_OK);
	blocked_write(t, "perm.write_to_read_only", IOVA_RO, PG_RO, VIRTIO_IOMMU_FAULT_R_MAPPING);
	viommu_unmap(&t->v, dom, IOVA_RO, IOVA_RO + PAGE - 1);
}

static void test_invalid_use(struct iso *t, uint32_t dom)
{
	printf("-- invalid-use: DMA after UNMAP completed\n");
	fill(PG_REUSE, 0);
	check("invalid_use.map", viommu_map(&t->v, dom, IOVA_REUSE, IOVA_REUSE + PAGE - 1,
					    GPA(PG_REUSE), VIOMMU_MAP_F_RW) == VIRTIO_IOMMU_S_OK);
	check("invalid_use.dma_before_unmap_lands",
	      edu_dma_to_ram(&t->edu, 0, IOVA_REUSE, LEN) == 0 &&
	      !memcmp(pages[PG_REUSE], pages[PG_SRC], LEN));
	check("invalid_use.unmap_ok", viommu_unmap(&t->v, dom, IOVA_REUSE,
						   IOVA_REUSE + PAGE - 1) == VIRTIO_IOMMU_S_OK);
	blocked_write(t, "invalid_use.after_unmap", IOVA_REUSE, PG_REUSE, VIRTIO_IOMMU_FAULT_R_MAPPING);
}

static void test_detached(struct iso *t, uint32_t dom)
{
	printf("-- bad-device: endpoint detached from its domain\n");
	check("bad_device.detach_ok", viommu_detach(&t->v, dom, t->ep) == VIRTIO_IOMMU_S_OK);
	blocked_write(t, "bad_device.detached_old_iova", IOVA_DST, PG_DST, VIRTIO_IOMMU_FAULT_R_DOMAIN);
	blocked_write(t, "bad_device.detached_identity", GPA(PG_SENT), PG_SENT,
		      VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

/* Bypass semantics (BYPASS_CONFIG): the identity applies, nothing is blocked. */
static void test_bypass(struct iso *t)
{
	uint32_t d = iso_new_domain(t);

	if (!viommu_has(&t->v, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		check_skip("bypass", "BYPASS_CONFIG not negotiated");
		return;
	}
	printf("-- bypass: ATTACH_F_BYPASS domain and config.bypass\n");
	check("bypass.attach_bypass_domain",
	      viommu_attach(&t->v, d, t->ep, VIRTIO_IOMMU_ATTACH_F_BYPASS) == VIRTIO_IOMMU_S_OK);
	fill(PG_BYP, SENTINEL);
	check("bypass.domain_dma_is_identity",
	      edu_dma_to_dev(&t->edu, GPA(PG_SRC), 0, LEN) == 0 &&
	      edu_dma_to_ram(&t->edu, 0, GPA(PG_BYP), LEN) == 0 &&
	      !memcmp(pages[PG_BYP], pages[PG_SRC], LEN));
	check("bypass.detach", viommu_detach(&t->v, d, t->ep) == VIRTIO_IOMMU_S_OK);
	fill(PG_BYP, SENTINEL);
	viommu_set_bypass(&t->v, 1);
	check("bypass.config_bypass_passes_unattached",
	      edu_dma_to_ram(&t->edu, 0, GPA(PG_BYP), LEN) == 0 &&
	      !memcmp(pages[PG_BYP], pages[PG_SRC], LEN));
	check("bypass.config_bypass_off_again", viommu_set_bypass(&t->v, 0) == 0);
	blocked_write(t, "bypass.off_blocks_unattached", GPA(PG_SENT), PG_SENT,
		      VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

static int setup_devices(struct iso *t, const struct hvm_start_info *si)
{
	uint32_t fact = 0;
	uint16_t bdf;

	if (setup_viommu_edu(si, VIOMMU_WANT_DEFAULT, &t->v, &t->edu, &t->ep, &bdf))
		return -1;
	printf("edu %02x:%02x.%x endpoint 0x%x BAR0 0x%lx, ram_top 0x%lx, ownership %s\n",
	       bdf >> 8, (bdf >> 3) & 31, bdf & 7, t->ep, t->edu.mmio, t->ram_top,
	       t->lax_ownership ? "lax" : "strict");
	check("edu.id", (edu_id(&t->edu) & 0xff) == 0xed);
	check("edu.liveness_inverts", edu_alive(&t->edu));
	check("edu.factorial_5", !edu_factorial(&t->edu, 5, &fact) && fact == 120);
	if (viommu_has(&t->v, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		check("setup.bypass_config_off", viommu_set_bypass(&t->v, 0) == 0);
	return 0;
}

static void run_tests(struct iso *t, const struct hvm_start_info *si)
{
	static uint8_t probe_buf[VIOMMU_MAX_PROBE];
	uint32_t dom = iso_new_domain(t);

	test_unattached(t);
	if (viommu_has(&t->v, VIRTIO_IOMMU_F_PROBE))
		viommu_probe(&t->v, t->ep, probe_buf, NULL);	/* SHOULD precede ATTACH */
	if (!check("setup.attach_edu", viommu_attach(&t->v, dom, t->ep, 0) == VIRTIO_IOMMU_S_OK))
		return;
	test_positive(t, dom);
	test_bad_address(t);
	test_read_only(t, dom);
	test_invalid_use(t, dom);
	test_detached(t, dom);
	test_bypass(t);
	iso_ownership(t, si);
}

int guest_main(const struct hvm_start_info *si)
{
	static struct iso t;

	printf("dma-isolation: edu DMA behind virtio-iommu\n");
	t.qemu_quirks = cmdline_is("quirks", "qemu");
	t.lax_ownership = cmdline_is("ownership", "lax");
	t.faults_optional = cmdline_is("faults", "optional");
	t.ram_top = setup_ram_top(si);
	if (!setup_devices(&t, si))
		run_tests(&t, si);
	return check_summary();
}
