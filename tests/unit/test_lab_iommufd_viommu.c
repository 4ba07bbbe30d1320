// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lab test: the viommu shadowing into the real iommufd backend, with QEMU's
 * edu device bound to vfio-pci behind an emulated VT-d. The backend suite's
 * table (unit/viommu_suite.h) runs on the "iommufd" variant: its request
 * sequences through viommu_handle_request, IOAS_MAP probes checking the host
 * IOAS after each step. edu's DMA engine proves real DMA follows
 * MAP/UNMAP/DETACH. Skips (77) outside the lab.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "passthrough/iommufd.h"
#include "passthrough/uapi/iommufd_abi.h"
#include "passthrough/vfio_dev.h"
#include "unit/viommu_helpers.h"
#include "unit/lab_helpers.h"
#include "unit/viommu_suite.h"
#include "vmm/edu_regs.h"

#define EP_EMU		0x99		/* an emulated endpoint that keeps domains alive */
#define PG		0x1000ULL
/* IOVAs stay below edu's 28-bit DMA mask; the probe window covers them all. */
#define WIN		0x100000ULL
#define WIN_PAGES	96
#define GPA_A		0x200000ULL	/* source page */
#define GPA_B		0x300000ULL	/* destination page */
#define GPA_RO		0x400000ULL	/* mapped read-only */

struct lab {
	struct iommufd *ifd;
	struct hiopt h;
	struct vfio_dev *vd;
	struct pdev pd;
	struct hiopt_dev *hdev;
	uint32_t ep;			/* edu's BDF as the endpoint id */
	char bdf[300];
	uint8_t *probe;			/* one page, the IOAS_MAP probe source */
	struct lab_ram ram;
	struct viommu *v;
};

/* ---- finding edu, programming it ---- */

static bool sysfs_hex(const char *dir, const char *file, unsigned *out)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%x", out) == 1;
	fclose(f);
	return ok;
}

static bool find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	unsigned ven, dev;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		found = e->d_name[0] != '.' && sysfs_hex(e->d_name, "vendor", &ven) &&
			sysfs_hex(e->d_name, "device", &dev) && ven == 0x1234 && dev == 0x11e8;
		if (found)
			snprintf(bdf, len, "%s", e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

static void edu_w32(struct lab *l, uint64_t off, uint32_t val)
{
	assert_int_equal(l->pd.ops->region_write(l->pd.d, PDEV_REGION_BAR0, off, &val, 4), 4);
}

static uint32_t edu_r32(struct lab *l, uint64_t off)
{
	uint32_t val = 0;

	assert_int_equal(l->pd.ops->region_read(l->pd.d, PDEV_REGION_BAR0, off, &val, 4), 4);
	return val;
}

/* Memory decoding and bus mastering on (vfio-pci leaves bus master off). */
static void edu_enable(struct lab *l)
{
	uint16_t cmd = 0;

	assert_int_equal(l->pd.ops->region_read(l->pd.d, PDEV_REGION_CONFIG, 4, &cmd, 2), 2);
	cmd |= 0x6;
	assert_int_equal(l->pd.ops->region_write(l->pd.d, PDEV_REGION_CONFIG, 4, &cmd, 2), 2);
	assert_int_equal(edu_r32(l, EDU_REG_IDENT) & 0xff, 0xed);
}

/* One edu DMA transfer; waits for the engine (QEMU runs it off a 100 ms timer). */
static void edu_dma(struct lab *l, uint64_t src, uint64_t dst, uint32_t cnt, uint32_t cmd)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	edu_w32(l, EDU_REG_DMA_SRC, (uint32_t)src);
	edu_w32(l, EDU_REG_DMA_DST, (uint32_t)dst);
	edu_w32(l, EDU_REG_DMA_COUNT, cnt);
	edu_w32(l, EDU_REG_DMA_CMD, cmd | EDU_DMA_CMD_RUN);
	for (int i = 0; i < 2000 && (edu_r32(l, EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN); i++)
		nanosleep(&ts, NULL);
	assert_false(edu_r32(l, EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN);
}

/* RAM (iova) -> edu buffer, and edu buffer -> RAM (iova). */
static void edu_read(struct lab *l, uint64_t iova)
{
	edu_dma(l, iova, EDU_DMA_BUF_ADDR, PG, 0);
}

static void edu_write(struct lab *l, uint64_t iova)
{
	edu_dma(l, EDU_DMA_BUF_ADDR, iova, PG, EDU_DMA_CMD_TO_RAM);
}

/* ---- host IOAS probes ---- */

/* Is iova mapped in ioas? IOAS_MAP of one page must say EEXIST when it is
 * and succeed when it is free (then the probe page is unmapped again). */
static bool ioas_has(struct lab *l, uint32_t ioas, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .iova = iova, .length = PG,
		.user_va = (uintptr_t)l->probe,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
	};
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = PG };
	int rc = ioctl(iommufd_fd(l->ifd), IOMMU_IOAS_MAP, &m) ? -errno : 0;

	if (rc == -EEXIST)
		return true;
	assert_int_equal(rc, 0);
	assert_int_equal(ioctl(iommufd_fd(l->ifd), IOMMU_IOAS_UNMAP, &u), 0);
	assert_int_equal(u.length, PG);
	return false;
}

/* The guest's domain and the host IOAS agree on every page of the window,
 * and every host endpoint is attached where the guest state says. */
static void check_host(struct lab *l, uint32_t dom)
{
	uint32_t ioas = lab_domain_ioas(l->v, dom);
	struct viommu_debug_ep e[T_MAX_OBJS];
	struct viommu_debug_dom ed;
	size_t ne = viommu_debug_endpoints(l->v, e, T_MAX_OBJS);

	for (size_t i = 0; i < ne; i++)
		if (e[i].dev && e[i].attached && !viommu_debug_domain(l->v, e[i].dom, &ed) &&
		    !ed.bypass)
			assert_true(e[i].host_pt && e[i].host_pt == ed.host_pt);
	if (!ioas)
		return;
	for (uint64_t p = 0; p < WIN_PAGES; p++) {
		uint64_t iova = WIN + p * PG;
		bool want;

		struct iova_map m;

		want = !viommu_debug_find_map(l->v, dom, iova, &m);
		if (ioas_has(l, ioas, iova) != want)
			fail_msg("IOAS %u page 0x%llx: host %s, guest %s", ioas,
				 (unsigned long long)iova, want ? "free" : "mapped",
				 want ? "mapped" : "free");
	}
}

#define STEP(l, dom, expr, st) do {				\
		assert_int_equal((expr), (st));			\
		check_host((l), (dom));				\
	} while (0)

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	static struct lab l;
	char why[512] = "";
	unsigned b, dv, fn, dom;

	memset(&l, 0, sizeof(l));
	l.ram.fd = -1;
	assert_true(find_edu(l.bdf, sizeof(l.bdf)));
	assert_int_equal(sscanf(l.bdf, "%x:%x:%x.%x", &dom, &b, &dv, &fn), 4);
	l.ep = b << 8 | dv << 3 | fn;
	if (iommufd_open(IOMMUFD_PATH, &l.ifd, why, sizeof(why)))
		fail_msg("iommufd_open: %s", why);
	l.h = iommufd_hiopt(l.ifd);
	if (vfio_dev_open(l.ifd, l.bdf, &l.vd, why, sizeof(why)))
		fail_msg("vfio_dev_open(%s): %s", l.bdf, why);
	l.pd = vfio_dev_pdev(l.vd);
	l.hdev = vfio_dev_hiopt(l.vd);
	edu_enable(&l);
	l.probe = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(l.probe != MAP_FAILED);
	assert_int_equal(lab_ram_create(&l.ram, LAB_RAM_SIZE), 0);
	printf("lab: edu %s (endpoint 0x%x) on iommufd, guest RAM %llu MiB in a memfd\n",
	       l.bdf, l.ep, (unsigned long long)(LAB_RAM_SIZE >> 20));
	*state = &l;
	return 0;
}

static int group_teardown(void **state)
{
	struct lab *l = *state;

	vfio_dev_close(l->vd);
	iommufd_close(l->ifd);
	lab_ram_destroy(&l->ram);
	munmap(l->probe, PG);
	return 0;
}

static struct viommu *viommu_new(struct lab *l, bool bypass)
{
	struct viommu_config cfg = {
		.mem = l->ram.mem, .bypass = bypass, .hiopt = &l->h,
		.input_end = (1ULL << 48) - 1,
	};

	l->v = viommu_create(&cfg);
	assert_non_null(l->v);
	assert_int_equal(viommu_add_endpoint(l->v, EP_EMU), 0);
	assert_int_equal(viommu_add_host_endpoint(l->v, l->ep, &l->h, l->hdev), 0);
	return l->v;
}

static int test_teardown(void **state)
{
	struct lab *l = *state;
	uint32_t hwpt;

	viommu_destroy(l->v);
	l->v = NULL;
	/* The viommu leaves the device attached to nothing. */
	assert_int_equal(iommufd_dev_hwpt(l->hdev, &hwpt), -ENOENT);
	return 0;
}

/* ---- the suite's iommufd variant (one device: edu) ---- */

static void lab_var_setup(struct vs_fx *fx)
{
	struct lab *l = fx->ctx;

	fx->hw = &l->h;
	fx->dev[0] = l->hdev;
	fx->be = l;
}

static void lab_var_teardown(struct vs_fx *fx)
{
	struct lab *l = fx->be;
	uint32_t hwpt;

	/* The viommu leaves the device attached to nothing. */
	assert_int_equal(iommufd_dev_hwpt(l->hdev, &hwpt), -ENOENT);
}

static uint32_t lab_var_dev_pt(struct vs_fx *fx, unsigned i)
{
	uint32_t pt = 0;

	return iommufd_dev_hwpt(fx->dev[i], &pt) ? 0 : pt;
}

static bool lab_var_page_mapped(struct vs_fx *fx, uint32_t ioas, uint64_t iova)
{
	return ioas_has(fx->be, ioas, iova);
}

static const struct vs_variant lab_variant = {
	.name = "iommufd", .nr_devs = 1,
	.setup = lab_var_setup, .teardown = lab_var_teardown,
	.dev_pt = lab_var_dev_pt, .dev_pt_not_ioas = true, .page_mapped = lab_var_page_mapped,
};

/* ---- tests ---- */

/* The suite's table, checked page by page against the host IOAS. */
static void test_table(void **state)
{
	vs_run_variant(&lab_variant, *state);
}

/* Detach the old IOAS from the kernel too: after the host endpoint leaves a
 * domain kept alive by an emulated one, iommufd no longer knows its IOAS,
 * and a re-attach replays the mappings into a fresh one. */
static void test_ioas_gone_and_replayed(void **state)
{
	struct lab *l = *state;
	struct viommu *v = viommu_new(l, false);
	uint32_t ioas;
	uint64_t un;

	assert_int_equal(t_attach(v, 1, l->ep, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(v, 1, WIN + 0x20000, WIN + 0x20fff, GPA_RO, VIRTIO_IOMMU_MAP_F_READ),
			 VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(v, 1, EP_EMU, 0), VIRTIO_IOMMU_S_OK);
	ioas = lab_domain_ioas(v, 1);
	assert_int_not_equal(ioas, 0);
	STEP(l, 2, t_attach(v, 2, l->ep, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	assert_int_equal(lab_domain_ioas(v, 1), 0);
	assert_int_equal(l->h.ops->unmap(l->h.be, ioas, 0, UINT64_MAX, &un), -ENOENT);
	STEP(l, 1, t_attach(v, 1, l->ep, 0), VIRTIO_IOMMU_S_OK);
	assert_true(ioas_has(l, lab_domain_ioas(v, 1), WIN + 0x20000));
	viommu_device_reset(v);
}

/* Real DMA: edu copies a page through two mappings ioshade put in the IOAS;
 * bad-address, invalid-use and bad-device DMAs are blocked by the VT-d. */
static void test_edu_dma_isolation(void **state)
{
	struct lab *l = *state;
	struct viommu *v = viommu_new(l, false);
	uint8_t *a = l->ram.base + GPA_A, *b = l->ram.base + GPA_B, *ro = l->ram.base + GPA_RO;
	uint64_t h;

	assert_int_equal(t_attach(v, 1, l->ep, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(v, 1, WIN, WIN + 0xfff, GPA_A, T_RW), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(v, 1, WIN + 0x10000, WIN + 0x10fff, GPA_B, T_RW), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(v, 1, WIN + 0x20000, WIN + 0x20fff, GPA_RO, VIRTIO_IOMMU_MAP_F_READ),
			 VIRTIO_IOMMU_S_OK);
	lab_fill(a, PG, 0x1234);
	memset(b, 0, PG);
	edu_read(l, WIN);
	edu_write(l, WIN + 0x10000);
	assert_memory_equal(a, b, PG);
	printf("lab: edu DMA via IOAS %u: IOVA 0x%llx (GPA 0x%llx) -> edu buffer -> "
	       "IOVA 0x%llx (GPA 0x%llx): %llu bytes landed and match\n", lab_domain_ioas(v, 1),
	       WIN, GPA_A, WIN + 0x10000, GPA_B, PG);

	/* bad-address: an IOVA the guest never mapped, and a read-only one. */
	memset(ro, 0x5a, PG);
	h = lab_ram_hash(&l->ram);
	edu_write(l, WIN + 0x40000);
	edu_write(l, WIN + 0x20000);
	assert_true(lab_ram_hash(&l->ram) == h);
	printf("lab: bad-address: edu writes to unmapped IOVA 0x%llx and read-only IOVA 0x%llx "
	       "blocked, guest RAM unchanged\n", WIN + 0x40000, WIN + 0x20000);

	/* invalid-use: the moment UNMAP returns, the IOVA is dead. */
	memset(b, 0, PG);
	assert_int_equal(t_unmap(v, 1, WIN + 0x10000, WIN + 0x10fff), VIRTIO_IOMMU_S_OK);
	h = lab_ram_hash(&l->ram);
	edu_write(l, WIN + 0x10000);
	assert_true(lab_ram_hash(&l->ram) == h);
	printf("lab: invalid-use: edu write to IOVA 0x%llx after UNMAP blocked\n", WIN + 0x10000);

	/* The device is not wedged: the buffer (still A's bytes) lands at WIN. */
	memset(a, 0, PG);
	edu_write(l, WIN);
	lab_fill(b, PG, 0x1234);
	assert_memory_equal(a, b, PG);

	/* bad-device: after DETACH nothing is reachable, not even WIN. */
	memset(a, 0, PG);
	assert_int_equal(t_detach(v, 1, l->ep), VIRTIO_IOMMU_S_OK);
	h = lab_ram_hash(&l->ram);
	edu_write(l, WIN);
	assert_true(lab_ram_hash(&l->ram) == h);
	printf("lab: bad-device: edu write after DETACH blocked\n");
}

/* Bypass: IOVA = GPA over guest RAM only; bypass off blocks again; a
 * re-attach replays the domain's mappings into a fresh IOAS. */
static void test_bypass_and_replay(void **state)
{
	struct lab *l = *state;
	struct viommu *v = viommu_new(l, true);
	uint8_t *b = l->ram.base + GPA_B;
	uint32_t ioas;
	uint64_t h;

	lab_fill(l->ram.base + GPA_A, PG, 77);
	memset(b, 0, PG);
	ioas = viommu_debug_s2_ioas(v);
	assert_int_not_equal(ioas, 0);
	assert_true(ioas_has(l, ioas, GPA_A));
	assert_false(ioas_has(l, ioas, 0));			/* boot data */
	assert_false(ioas_has(l, ioas, LAYOUT_ACPI_BASE));	/* ROM */
	assert_false(ioas_has(l, ioas, LAB_RAM_SIZE));		/* past RAM */
	edu_read(l, GPA_A);
	edu_write(l, GPA_B);
	assert_memory_equal(l->ram.base + GPA_A, b, PG);
	printf("lab: bypass: edu DMA at IOVA = GPA 0x%llx landed\n", GPA_B);
	viommu_config_write(v, VIRTIO_IOMMU_CFG_BYPASS_OFF, "\0", 1);
	memset(b, 0, PG);
	h = lab_ram_hash(&l->ram);
	edu_write(l, GPA_B);
	assert_true(lab_ram_hash(&l->ram) == h);

	/* Replay: map while only the emulated endpoint is attached. */
	assert_int_equal(t_attach(v, 1, EP_EMU, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(v, 1, WIN + 0x50000, WIN + 0x50fff, GPA_B, T_RW), VIRTIO_IOMMU_S_OK);
	assert_int_equal(lab_domain_ioas(v, 1), 0);
	STEP(l, 1, t_attach(v, 1, l->ep, 0), VIRTIO_IOMMU_S_OK);
	edu_write(l, WIN + 0x50000);
	assert_memory_equal(l->ram.base + GPA_A, b, PG);
	printf("lab: replay: edu DMA through a mapping replayed on attach landed\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test_teardown(test_ioas_gone_and_replayed, test_teardown),
		cmocka_unit_test_teardown(test_edu_dma_isolation, test_teardown),
		cmocka_unit_test_teardown(test_bypass_and_replay, test_teardown),
	};
	char bdf[300];

	if (access(IOMMUFD_PATH, F_OK)) {
		printf("skip: no %s (runs in the lab: tests/lab/run)\n", IOMMUFD_PATH);
		return 77;
	}
	if (!find_edu(bdf, sizeof(bdf))) {
		printf("skip: no edu device (1234:11e8) in /sys/bus/pci/devices\n");
		return 77;
	}
	return cmocka_run_group_tests_name("lab_iommufd_viommu", tests, group_setup,
					   group_teardown);
}
