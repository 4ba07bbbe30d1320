// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lab test: the kernel's iommufd selftest mock device (CONFIG_IOMMUFD_TEST)
 * as a second host target. 10,000 random guest MAP/UNMAPs are shadowed into
 * a mock domain and read back with IOMMU_TEST_OP_MD_CHECK_MAP; the nesting
 * control path (hw_info, nest parent, nested HWPT, invalidate) runs against
 * the mock's IOTLB model. Skips (77) without /dev/iommu or IOMMUFD_TEST.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "passthrough/iommufd.h"
#include "passthrough/uapi/iommufd_abi.h"
#include "unit/viommu_helpers.h"
#include "unit/lab_helpers.h"

/* The selftest ABI as drivers/iommu/iommufd/iommufd_test.h has it. */
_Static_assert(IOSHADE_IOMMU_TEST_CMD == _IO(';', 0xa0), "IOMMU_TEST_CMD");
_Static_assert(offsetof(struct ioshade_iommu_test_cmd, mock_domain.out_idev_id) == 24,
	       "mock_domain.out_idev_id");
_Static_assert(offsetof(struct ioshade_iommu_test_cmd, check_map.length) == 24,
	       "check_map.length");
_Static_assert(offsetof(struct ioshade_iommu_test_cmd, check_iotlb.iotlb) == 20,
	       "check_iotlb.iotlb");
_Static_assert(sizeof(struct ioshade_iommu_test_hw_info) == 8, "iommu_test_hw_info");

#define EP		0x20
#define EP_EMU		0x99
#define PG		0x1000ULL
#define MOCK_PG		0x800ULL		/* the mock IOMMU's page size */
#define MOCK_APERTURE	0x1000000ULL		/* its aperture starts at 16 MiB */
#define WIN		0x4000000ULL		/* random IOVAs: [64 MiB, +2 MiB) */
#define WIN_PAGES	512
#define STEPS		10000
#define CHECK_EVERY	1000
#define SEED		0x10c5ade5eedULL

struct lab {
	struct iommufd *ifd;
	struct hiopt h;
	struct hiopt_dev *dev;
	uint32_t stdev;
	uint8_t *probe;			/* an unmapped page for negative MD_CHECK_MAPs */
	struct lab_ram ram;
	struct viommu *v;
};

static int test_cmd(struct lab *l, struct ioshade_iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(iommufd_fd(l->ifd), IOSHADE_IOMMU_TEST_CMD, c) ? -errno : 0;
}

/* MD_CHECK_MAP: every mock page of [iova, iova+len) translates to uptr's pages. */
static int md_check_map(struct lab *l, uint32_t hwpt, uint64_t iova, uint64_t len,
			const void *uptr)
{
	struct ioshade_iommu_test_cmd c = {
		.op = IOSHADE_IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)uptr },
	};

	return test_cmd(l, &c);
}

static int md_check_iotlb(struct lab *l, uint32_t hwpt, uint32_t id, uint32_t iotlb)
{
	struct ioshade_iommu_test_cmd c = {
		.op = IOSHADE_IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = hwpt,
		.check_iotlb = { .id = id, .iotlb = iotlb },
	};

	return test_cmd(l, &c);
}

static int raw_destroy(struct lab *l, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(iommufd_fd(l->ifd), IOMMU_DESTROY, &d) ? -errno : 0;
}

/* ---- the guest model: which mapping owns each window page ---- */

struct model {
	int32_t owner[WIN_PAGES];	/* start page of the owning mapping, -1 free */
	uint64_t gpa[WIN_PAGES];	/* GPA behind each mapped page */
	unsigned nr_maps;
	unsigned ops[2][VIRTIO_IOMMU_S_COUNT];	/* MAP/UNMAP results by status */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint8_t expect_map(const struct model *m, unsigned p, unsigned n)
{
	for (unsigned i = p; i < p + n; i++)
		if (m->owner[i] >= 0)
			return VIRTIO_IOMMU_S_INVAL;
	return VIRTIO_IOMMU_S_OK;
}

static void model_map(struct model *m, unsigned p, unsigned n, uint64_t gpa)
{
	for (unsigned i = 0; i < n; i++) {
		m->owner[p + i] = (int32_t)p;
		m->gpa[p + i] = gpa + i * PG;
	}
	m->nr_maps++;
}

/* UNMAP [p, p+n): S_RANGE when it would split a mapping, else every mapping
 * inside goes (S_OK even when there is none). */
static uint8_t model_unmap(struct model *m, unsigned p, unsigned n, bool apply)
{
	unsigned end = p + n;

	if ((p && m->owner[p] >= 0 && m->owner[p - 1] == m->owner[p]) ||
	    (end < WIN_PAGES && m->owner[end] >= 0 && m->owner[end - 1] == m->owner[end]))
		return VIRTIO_IOMMU_S_RANGE;
	for (unsigned i = p; apply && i < end; i++) {
		if (m->owner[i] == (int32_t)i)
			m->nr_maps--;
		m->owner[i] = -1;
	}
	return VIRTIO_IOMMU_S_OK;
}

/* ---- host vs guest ---- */

static int tree_vs_model(const struct iova_map *im, void *opaque)
{
	const struct model *m = opaque;
	uint64_t p = (im->start - WIN) / PG;

	if (im->start < WIN || p >= WIN_PAGES || m->owner[p] != (int32_t)p || m->gpa[p] != im->gpa)
		return 1;
	for (uint64_t i = p; i <= (im->last - WIN) / PG; i++)
		if (i >= WIN_PAGES || m->owner[i] != (int32_t)p)
			return 1;
	return 0;
}

/* The viommu's tree is the model, and the mock domain maps exactly it. */
static void check_all(struct lab *l, const struct model *m)
{
	struct viommu_debug_dom d;
	uint32_t hwpt;

	assert_int_equal(viommu_debug_domain(l->v, 1, &d), 0);
	assert_int_equal(viommu_debug_foreach_map(l->v, 1, tree_vs_model, (void *)m), 0);
	assert_int_equal(d.nr_mappings, m->nr_maps);
	assert_int_equal(iommufd_dev_hwpt(l->dev, &hwpt), 0);
	for (unsigned p = 0; p < WIN_PAGES; p++) {
		uint64_t iova = WIN + p * PG;
		int rc;

		if (m->owner[p] >= 0)
			rc = md_check_map(l, hwpt, iova, PG, l->ram.base + m->gpa[p]);
		else
			rc = md_check_map(l, hwpt, iova + MOCK_PG, MOCK_PG, l->probe);
		if (rc != (m->owner[p] >= 0 ? 0 : -EINVAL))
			fail_msg("page 0x%llx: MD_CHECK_MAP %d, guest %s",
				 (unsigned long long)iova, rc, m->owner[p] >= 0 ? "mapped" : "free");
	}
	/* Outside the window nothing is mapped. */
	assert_int_equal(md_check_map(l, hwpt, WIN - MOCK_PG, MOCK_PG, l->probe), -EINVAL);
	assert_int_equal(md_check_map(l, hwpt, WIN + WIN_PAGES * PG, MOCK_PG, l->probe), -EINVAL);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	static struct lab l;
	char why[256] = "";

	memset(&l, 0, sizeof(l));
	l.ram.fd = -1;
	if (iommufd_open(IOMMUFD_PATH, &l.ifd, why, sizeof(why)))
		fail_msg("iommufd_open: %s", why);
	l.h = iommufd_hiopt(l.ifd);
	assert_int_equal(iommufd_selftest_dev_create(l.ifd, &l.dev, &l.stdev), 0);
	l.probe = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);
	assert_true(l.probe != MAP_FAILED);
	assert_int_equal(lab_ram_create(&l.ram, LAB_RAM_SIZE), 0);
	memset(l.ram.base, 0, l.ram.size);	/* populate: MD_CHECK_MAP reads the pages */
	printf("lab: mock device %s (selftest object %u, device %u)\n", iommufd_dev_name(l.dev),
	       l.stdev, iommufd_dev_id(l.dev));
	*state = &l;
	return 0;
}

static int group_teardown(void **state)
{
	struct lab *l = *state;

	iommufd_dev_unbind(l->dev);
	iommufd_close(l->ifd);
	lab_ram_destroy(&l->ram);
	munmap(l->probe, PG);
	return 0;
}

/* ---- tests ---- */

static void random_op(struct lab *l, struct model *m, uint64_t *s)
{
	unsigned kind = rnd(s) % 100, p = rnd(s) % WIN_PAGES, n = 1 + rnd(s) % 8;
	uint64_t gpa, iova = WIN + (uint64_t)p * PG;
	uint8_t want, got;

	if (rnd(s) % 8 == 0)
		n += rnd(s) % 24;
	if (p + n > WIN_PAGES)
		n = WIN_PAGES - p;
	if (kind < 2) {
		/* Below the mock's aperture: the host hole, refused as RESV_MEM. */
		got = (uint8_t)t_map(l->v, 1, MOCK_APERTURE - n * PG, MOCK_APERTURE - 1,
				     LAYOUT_HIGH_RAM_BASE, T_RW);
		assert_int_equal(got, VIRTIO_IOMMU_S_RANGE);
		m->ops[0][got]++;
	} else if (kind < 57) {
		gpa = LAYOUT_HIGH_RAM_BASE + (rnd(s) % ((LAB_RAM_SIZE - LAYOUT_HIGH_RAM_BASE) / PG - n)) * PG;
		want = expect_map(m, p, n);
		got = (uint8_t)t_map(l->v, 1, iova, iova + n * PG - 1, gpa,
				     rnd(s) % 4 ? T_RW : VIRTIO_IOMMU_MAP_F_READ);
		if (got != want)
			printf("lab: MAP iova 0x%llx pages %u gpa 0x%llx: status %u, want %u\n",
			       (unsigned long long)iova, n, (unsigned long long)gpa, got, want);
		assert_int_equal(got, want);
		if (got == VIRTIO_IOMMU_S_OK)
			model_map(m, p, n, gpa);
		m->ops[0][got]++;
	} else {
		want = model_unmap(m, p, n, false);
		got = (uint8_t)t_unmap(l->v, 1, iova, iova + n * PG - 1);
		assert_int_equal(got, want);
		if (got == VIRTIO_IOMMU_S_OK)
			model_unmap(m, p, n, true);
		m->ops[1][got]++;
	}
}

/* What the host says the mock device can reach (PROBE reports the rest). */
static void print_host_ranges(struct lab *l)
{
	struct hiopt_iova_range r[16];
	size_t n = 0;
	uint32_t ioas;

	assert_int_equal(l->h.ops->ioas_alloc(l->h.be, &ioas), 0);
	assert_int_equal(l->h.ops->device_attach(l->h.be, l->dev, ioas), 0);
	assert_int_equal(l->h.ops->iova_ranges(l->h.be, ioas, r, 16, &n), 0);
	for (size_t i = 0; i < n && i < 16; i++)
		printf("lab: host usable IOVA [0x%llx, 0x%llx]\n", (unsigned long long)r[i].start,
		       (unsigned long long)r[i].last);
	assert_int_equal(l->h.ops->device_detach(l->h.be, l->dev), 0);
	l->h.ops->ioas_destroy(l->h.be, ioas);
}

static void test_random_map_unmap(void **state)
{
	struct lab *l = *state;
	struct viommu_config cfg = { .mem = l->ram.mem, .hiopt = &l->h,
				     .input_end = (1ULL << 48) - 1 };
	static struct model m;
	uint64_t seed = SEED, s = seed;
	uint32_t hwpt;

	memset(&m, 0xff, sizeof(m.owner));
	m.nr_maps = 0;
	memset(m.ops, 0, sizeof(m.ops));
	printf("lab: random MAP/UNMAP, %d steps, seed 0x%llx\n", STEPS, (unsigned long long)seed);
	print_host_ranges(l);
	l->v = viommu_create(&cfg);
	assert_non_null(l->v);
	assert_int_equal(viommu_add_endpoint(l->v, EP_EMU), 0);
	assert_int_equal(viommu_add_host_endpoint(l->v, EP, &l->h, l->dev), 0);
	assert_int_equal(t_attach(l->v, 1, EP_EMU, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_attach(l->v, 1, EP, 0), VIRTIO_IOMMU_S_OK);
	for (int i = 1; i <= STEPS; i++) {
		random_op(l, &m, &s);
		if (i == STEPS / 2) {
			/* Leave and come back: the new IOAS gets every mapping replayed. */
			assert_int_equal(t_detach(l->v, 1, EP), VIRTIO_IOMMU_S_OK);
			assert_int_equal(t_attach(l->v, 1, EP, 0), VIRTIO_IOMMU_S_OK);
			printf("lab: step %d: re-attached, %u mappings replayed\n", i, m.nr_maps);
		}
		if (i % CHECK_EVERY == 0) {
			check_all(l, &m);
			printf("lab: step %5d: %3u mappings, host == guest (MD_CHECK_MAP)\n", i,
			       m.nr_maps);
		}
	}
	printf("lab: MAP ok %u inval %u range %u; UNMAP ok %u range %u\n",
	       m.ops[0][VIRTIO_IOMMU_S_OK], m.ops[0][VIRTIO_IOMMU_S_INVAL],
	       m.ops[0][VIRTIO_IOMMU_S_RANGE], m.ops[1][VIRTIO_IOMMU_S_OK],
	       m.ops[1][VIRTIO_IOMMU_S_RANGE]);
	/* The mix must exercise both outcomes of each request many times (the
	 * fixed seed gives MAP ok ~800 / inval ~4600, UNMAP ok ~1200 / range ~3200). */
	assert_true(m.ops[0][VIRTIO_IOMMU_S_OK] > 500 && m.ops[0][VIRTIO_IOMMU_S_INVAL] > 100);
	assert_true(m.ops[1][VIRTIO_IOMMU_S_OK] > 500 && m.ops[1][VIRTIO_IOMMU_S_RANGE] > 100);
	viommu_destroy(l->v);
	l->v = NULL;
	assert_int_equal(iommufd_dev_hwpt(l->dev, &hwpt), -ENOENT);
}

/* The nesting control path in order, then its error cases. */
static void test_nesting_control_path(void **state)
{
	struct lab *l = *state;
	const struct hiopt_ops *o = l->h.ops;
	struct hiopt_s1_table t = { .root_gpa = 0x200000, .addr_width = 48 };
	struct hiopt_s1_inv inv = { .addr = 0x1000, .npages = 1 };
	struct ioshade_iommu_test_hw_info raw_info = { 0 };
	struct iommu_hw_info hi = {
		.size = sizeof(hi), .dev_id = iommufd_dev_id(l->dev),
		.data_len = sizeof(raw_info), .data_uptr = (uintptr_t)&raw_info,
	};
	struct hiopt_hw_info info;
	uint32_t ioas, parent, nested, nested2, hwpt, n;

	/* hw_info: the selftest type, decoded into the mock's properties. */
	assert_int_equal(ioctl(iommufd_fd(l->ifd), IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.out_data_type, IOSHADE_IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(raw_info.test_reg, 0xdeadbeef);
	assert_int_equal(o->hw_info(l->h.be, l->dev, &info), 0);
	assert_int_equal(info.type, HIOPT_HW_INFO_SELFTEST);
	assert_int_equal(info.flags & HIOPT_HW_F_NESTING, HIOPT_HW_F_NESTING);
	assert_int_equal(info.pgsize_bitmap & -info.pgsize_bitmap, MOCK_PG);

	assert_int_equal(o->ioas_alloc(l->h.be, &ioas), 0);
	assert_int_equal(o->hwpt_alloc_nest_parent(l->h.be, l->dev, ioas, &parent), 0);
	/* The neutral x86 stage 1 becomes IOMMU_HWPT_DATA_SELFTEST: a mock
	 * nested domain whose IOTLB entries start at the default value. */
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, parent, HIOPT_HWPT_DATA_X86_S1,
					      &t, sizeof(t), &nested), 0);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(md_check_iotlb(l, nested, i, IOSHADE_IOMMU_TEST_IOTLB_DEFAULT), 0);
	assert_int_equal(md_check_iotlb(l, parent, 0, IOSHADE_IOMMU_TEST_IOTLB_DEFAULT), -ENOENT);
	assert_int_equal(o->device_attach(l->h.be, l->dev, nested), 0);
	assert_int_equal(iommufd_dev_hwpt(l->dev, &hwpt), 0);
	assert_int_equal(hwpt, nested);
	n = 1;
	assert_int_equal(o->hwpt_invalidate(l->h.be, nested, HIOPT_HWPT_DATA_X86_S1, &inv,
					    sizeof(inv), &n), 0);
	assert_int_equal(n, 1);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(md_check_iotlb(l, nested, i, 0), 0);	/* flushed */

	/* The parent cannot go while a nested HWPT sits on it. */
	assert_int_equal(raw_destroy(l, parent), -EBUSY);
	o->hwpt_destroy(l->h.be, parent);
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, parent, HIOPT_HWPT_DATA_X86_S1,
					      &t, sizeof(t), &nested2), 0);
	o->hwpt_destroy(l->h.be, nested2);
	assert_int_equal(raw_destroy(l, nested2), -ENOENT);

	assert_int_equal(o->device_detach(l->h.be, l->dev), 0);
	assert_int_equal(iommufd_dev_hwpt(l->dev, &hwpt), -ENOENT);
	o->hwpt_destroy(l->h.be, nested);
	assert_int_equal(raw_destroy(l, nested), -ENOENT);
	o->hwpt_destroy(l->h.be, parent);
	assert_int_equal(raw_destroy(l, parent), -ENOENT);
	o->ioas_destroy(l->h.be, ioas);
	assert_int_equal(raw_destroy(l, ioas), -ENOENT);
}

static void test_nesting_errors(void **state)
{
	struct lab *l = *state;
	const struct hiopt_ops *o = l->h.ops;
	struct hiopt_s1_table t = { .root_gpa = 0x200000, .addr_width = 48 };
	struct hiopt_s1_table bad = t;
	struct ioshade_iommu_hwpt_invalidate_selftest st_inv = { .iotlb_id = 7 };
	struct iommu_hwpt_vtd_s1 vtd = { .pgtbl_addr = 0x200000, .addr_width = 48 };
	struct iommu_hwpt_alloc plain = { .size = sizeof(plain), .dev_id = iommufd_dev_id(l->dev) };
	uint32_t ioas, parent, nested, x, n;

	assert_int_equal(o->ioas_alloc(l->h.be, &ioas), 0);
	/* Nested on a paging HWPT that is not a nest parent: EINVAL. */
	plain.pt_id = ioas;
	assert_int_equal(ioctl(iommufd_fd(l->ifd), IOMMU_HWPT_ALLOC, &plain), 0);
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, plain.out_hwpt_id,
					      HIOPT_HWPT_DATA_X86_S1, &t, sizeof(t), &x), -EINVAL);
	assert_int_equal(raw_destroy(l, plain.out_hwpt_id), 0);

	assert_int_equal(o->hwpt_alloc_nest_parent(l->h.be, l->dev, ioas, &parent), 0);
	/* Invalid data: unknown flags, a short table, a VT-d table on the mock. */
	bad.flags = 1;
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, parent, HIOPT_HWPT_DATA_X86_S1,
					      &bad, sizeof(bad), &x), -EINVAL);
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, parent, HIOPT_HWPT_DATA_X86_S1,
					      &t, sizeof(t) - 4, &x), -EINVAL);
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, parent, HIOPT_HWPT_DATA_VTD_S1,
					      &vtd, sizeof(vtd), &x), -EOPNOTSUPP);
	/* A nested HWPT is no parent either. */
	assert_int_equal(o->hwpt_alloc_nested(l->h.be, l->dev, parent, HIOPT_HWPT_DATA_X86_S1,
					      &t, sizeof(t), &nested), 0);
	assert_int_not_equal(o->hwpt_alloc_nested(l->h.be, l->dev, nested, HIOPT_HWPT_DATA_X86_S1,
						  &t, sizeof(t), &x), 0);
	/* An invalidation entry the mock rejects: none handled. */
	n = 1;
	assert_int_equal(o->hwpt_invalidate(l->h.be, nested, HIOPT_HWPT_DATA_SELFTEST, &st_inv,
					    sizeof(st_inv), &n), -EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(md_check_iotlb(l, nested, 0, IOSHADE_IOMMU_TEST_IOTLB_DEFAULT), 0);
	/* Destroying the parent first is refused; in order it works. */
	assert_int_equal(raw_destroy(l, parent), -EBUSY);
	assert_int_equal(raw_destroy(l, ioas), -EBUSY);
	o->hwpt_destroy(l->h.be, nested);
	o->hwpt_destroy(l->h.be, parent);
	o->ioas_destroy(l->h.be, ioas);
	assert_int_equal(raw_destroy(l, ioas), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_map_unmap),
		cmocka_unit_test(test_nesting_control_path),
		cmocka_unit_test(test_nesting_errors),
	};
	struct iommufd *ifd;
	struct hiopt_dev *dev;
	char why[256];
	int rc;

	if (iommufd_open(IOMMUFD_PATH, &ifd, why, sizeof(why))) {
		printf("skip: %s (runs in the lab: tests/lab/run)\n", why);
		return 77;
	}
	rc = iommufd_selftest_dev_create(ifd, &dev, NULL);
	if (rc) {
		printf("skip: no iommufd selftest device (IOMMU_TEST_OP_MOCK_DOMAIN: %s; "
		       "needs CONFIG_IOMMUFD_TEST)\n", strerror(-rc));
		iommufd_close(ifd);
		return 77;
	}
	iommufd_dev_unbind(dev);
	iommufd_close(ifd);
	return cmocka_run_group_tests_name("lab_selftest", tests, group_setup, group_teardown);
}
