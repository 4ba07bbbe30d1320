// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommufd hiopt backend. The ABI layout is checked at compile time (the
 * _Static_asserts in uapi/iommufd_abi.h and below); the open diagnostics and
 * VT-d decoding run anywhere; the IOAS sequence runs where /dev/iommu exists
 * (the lab) and mirrors the sim backend's tests so both give the same answers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "passthrough/iommufd.h"
#include "passthrough/uapi/iommufd_abi.h"

/* Layouts the backend relies on, whichever header provided them. */
_Static_assert(offsetof(struct iommu_ioas_map, iova) == 32, "ioas_map.iova");
_Static_assert(offsetof(struct iommu_hwpt_alloc, data_uptr) == 32, "hwpt_alloc.data_uptr");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, entry_num) == 24, "invalidate.entry_num");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, pt_id) == 8, "attach.pt_id");
_Static_assert(sizeof(struct iommu_hwpt_vtd_s1_invalidate) == 24, "vtd_s1_invalidate");

#define BUF_SIZE	(1u << 20)

/* ---- anywhere ---- */

static void test_open_missing(void **state)
{
	struct iommufd *ifd = NULL;
	char why[256] = "";

	assert_int_equal(iommufd_open("/nonexistent/iommu", &ifd, why, sizeof(why)), -ENOENT);
	assert_null(ifd);
	assert_non_null(strstr(why, "CONFIG_IOMMUFD"));
	assert_non_null(strstr(why, "/nonexistent/iommu missing"));
}

static void test_vtd_decode(void **state)
{
	struct hiopt_hw_info info;
	uint64_t cap = (1ull << 34) | (1ull << 35);	/* SLLPS: 2M and 1G */
	uint64_t ecap = 1ull << 26;			/* NEST */

	iommufd_vtd_decode(cap, ecap, &info);
	assert_int_equal(info.type, HIOPT_HW_INFO_VTD);
	assert_int_equal(info.pgsize_bitmap, (1ull << 12) | (1ull << 21) | (1ull << 30));
	assert_int_equal(info.addr_width, 48);
	assert_int_equal(info.flags, HIOPT_HW_F_NESTING);
	iommufd_vtd_decode(1ull << 60, 0, &info);	/* FL5LP, no nesting */
	assert_int_equal(info.addr_width, 57);
	assert_int_equal(info.pgsize_bitmap, 1ull << 12);
	assert_int_equal(info.flags, 0);
}

static void test_memlock_small(void **state)
{
	char why[512] = "";

	/* Whatever the limit, a single page always fits. */
	assert_int_equal(iommufd_check_memlock(4096, why, sizeof(why)), 0);
}

/* Child: drop CAP_IPC_LOCK, lower RLIMIT_MEMLOCK to 64 KiB, ask for 1 MiB. */
static int memlock_child(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	struct rlimit rl = { 64 << 10, 64 << 10 };
	char why[512] = "";

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return 10;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, data) || setrlimit(RLIMIT_MEMLOCK, &rl))
		return 11;
	if (iommufd_check_memlock(1 << 20, why, sizeof(why)) != -ENOMEM)
		return 12;
	/* The message names the limit, what is needed and the ulimit to set. */
	if (!strstr(why, "RLIMIT_MEMLOCK (65536 bytes)") || !strstr(why, "1048576 bytes") ||
	    !strstr(why, "ulimit -l 1024") || !strstr(why, "CAP_IPC_LOCK"))
		return 13;
	/* And what fits still passes. */
	return iommufd_check_memlock(32 << 10, why, sizeof(why)) ? 14 : 0;
}

static void test_memlock_message(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(memlock_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- with /dev/iommu ---- */

struct lab {
	struct iommufd *ifd;
	struct hiopt h;
	uint32_t ioas;
	void *buf;
};

static int lab_setup(void **state)
{
	static struct lab l;
	char why[256];

	memset(&l, 0, sizeof(l));
	assert_int_equal(iommufd_open(IOMMUFD_PATH, &l.ifd, why, sizeof(why)), 0);
	l.h = iommufd_hiopt(l.ifd);
	assert_int_equal(l.h.ops->ioas_alloc(l.h.be, &l.ioas), 0);
	l.buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(l.buf != MAP_FAILED);
	*state = &l;
	return 0;
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;

	iommufd_close(l->ifd);		/* destroys the IOAS */
	munmap(l->buf, BUF_SIZE);
	return 0;
}

static void test_map_unmap(void **state)
{
	struct lab *l = *state;
	const struct hiopt_ops *o = l->h.ops;
	unsigned rw = HIOPT_PROT_READ | HIOPT_PROT_WRITE;
	uint64_t un = 0;

	assert_int_equal(o->map(l->h.be, l->ioas, 0x100000, l->buf, 0x10000, rw), 0);
	/* Overlap, exact and partial. */
	assert_int_equal(o->map(l->h.be, l->ioas, 0x100000, l->buf, 0x10000, rw), -EEXIST);
	assert_int_equal(o->map(l->h.be, l->ioas, 0x108000, l->buf, 0x10000, rw), -EEXIST);
	/* Unmapping nothing. */
	assert_int_equal(o->unmap(l->h.be, l->ioas, 0x400000, 0x1000, &un), -ENOENT);
	assert_int_equal(un, 0);
	assert_int_equal(o->unmap(l->h.be, l->ioas, 0x100000, 0x10000, &un), 0);
	assert_int_equal(un, 0x10000);
	assert_int_equal(o->unmap(l->h.be, l->ioas, 0x100000, 0x10000, &un), -ENOENT);
}

static void test_unmap_superset(void **state)
{
	struct lab *l = *state;
	const struct hiopt_ops *o = l->h.ops;
	uint8_t *b = l->buf;
	uint64_t un = 0;

	assert_int_equal(o->map(l->h.be, l->ioas, 0x200000, b, 0x1000, HIOPT_PROT_READ), 0);
	assert_int_equal(o->map(l->h.be, l->ioas, 0x201000, b + 0x1000, 0x1000, HIOPT_PROT_READ), 0);
	/* Splitting a mapping is refused; a superset takes both whole. */
	assert_int_not_equal(o->unmap(l->h.be, l->ioas, 0x200000, 0x800, &un), 0);
	assert_int_equal(o->unmap(l->h.be, l->ioas, 0x1ff000, 0x4000, &un), 0);
	assert_int_equal(un, 0x2000);
}

static void test_iova_ranges(void **state)
{
	struct lab *l = *state;
	struct hiopt_iova_range r[8];
	size_t n = 0, n0 = 0;

	assert_int_equal(l->h.ops->iova_ranges(l->h.be, l->ioas, r, 8, &n), 0);
	assert_true(n >= 1);
	for (size_t i = 0; i < n && i < 8; i++) {
		assert_true(r[i].start <= r[i].last);
		if (i)
			assert_true(r[i].start > r[i - 1].last);
	}
	/* A too-small array still reports the total (the kernel's EMSGSIZE path). */
	assert_int_equal(l->h.ops->iova_ranges(l->h.be, l->ioas, r, 0, &n0), 0);
	assert_int_equal(n0, n);
}

static void test_destroy_unknown(void **state)
{
	struct lab *l = *state;
	uint64_t un;

	l->h.ops->ioas_destroy(l->h.be, l->ioas);
	assert_int_equal(l->h.ops->unmap(l->h.be, l->ioas, 0, UINT64_MAX, &un), -ENOENT);
	assert_int_equal(l->h.ops->ioas_alloc(l->h.be, &l->ioas), 0);
}

int main(void)
{
	const struct CMUnitTest anywhere[] = {
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_vtd_decode),
		cmocka_unit_test(test_memlock_small),
		cmocka_unit_test(test_memlock_message),
	};
	const struct CMUnitTest lab[] = {
		cmocka_unit_test_setup_teardown(test_map_unmap, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_superset, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_iova_ranges, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_unknown, lab_setup, lab_teardown),
	};
	int ret = cmocka_run_group_tests_name("iommufd_offline", anywhere, NULL, NULL);

	if (ret)
		return ret;
	if (access(IOMMUFD_PATH, F_OK)) {
		printf("skip: no /dev/iommu (runs in the lab)\n");
		return 77;
	}
	return cmocka_run_group_tests_name("iommufd_lab", lab, NULL, NULL);
}
