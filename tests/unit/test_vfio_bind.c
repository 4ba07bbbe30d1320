// SPDX-License-Identifier: GPL-2.0-only
/*
 * managed='yes' rebinding against a fake sysfs tree in a temp dir. What is
 * simulated: a "fake kernel" thread polls the attribute files and does what
 * the PCI core would (unbind drops the driver link, drivers_probe binds the
 * override or the device's default driver, vfio-pci creates vfio-dev/vfio0).
 * What is real: every path, write and check that vfio_bind.c makes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "passthrough/vfio_bind.h"

#define BDF "0000:01:00.0"

struct fake {
	char root[256];
	char dev[320];
	const char *default_driver;	/* what the device binds to without override;
					 * atomic: tests change it while the fake runs */
	bool react;			/* run the fake kernel thread */
	bool stop;
	pthread_t thread;
	unsigned probes;		/* drivers_probe writes seen (atomic) */
};

static void path_of(const struct fake *f, char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", f->root, rel);
}

static void put(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
}

static void get(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void dev_file(const struct fake *f, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", f->dev, name);
}

static void bind_to(struct fake *f, const char *drv)
{
	char link[600], target[600];

	dev_file(f, "driver", link, sizeof(link));
	unlink(link);
	if (!drv)
		return;
	snprintf(target, sizeof(target), "%s/bus/pci/drivers/%s", f->root, drv);
	assert_int_equal(symlink(target, link), 0);
	if (!strcmp(drv, "vfio-pci")) {
		dev_file(f, "vfio-dev", link, sizeof(link));
		mkdir(link, 0755);
		strcat(link, "/vfio0");
		mkdir(link, 0755);
	}
}

static void driver_of(struct fake *f, char *drv, size_t len)
{
	char link[600], target[600];
	ssize_t n;

	dev_file(f, "driver", link, sizeof(link));
	n = readlink(link, target, sizeof(target) - 1);
	drv[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(drv, len, "%s", strrchr(target, '/') + 1);
	}
}

/* The PCI core's reaction to an unbind write to drivers/<drv>/unbind. */
static void react_unbinds(struct fake *f)
{
	static const char *const drivers[] = { "e1000e", "vfio-pci" };
	char path[600], val[64], cur[64], vdir[600];

	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/unbind", f->root, drivers[i]);
		get(path, val, sizeof(val));
		if (!val[0])
			continue;
		put(path, "");
		driver_of(f, cur, sizeof(cur));
		if (strcmp(val, BDF) || strcmp(cur, drivers[i]))
			continue;
		bind_to(f, NULL);
		dev_file(f, "vfio-dev/vfio0", vdir, sizeof(vdir));
		rmdir(vdir);
		dev_file(f, "vfio-dev", vdir, sizeof(vdir));
		rmdir(vdir);
	}
}

static void react_probe(struct fake *f)
{
	char path[600], val[64], ovr[64], cur[64];

	path_of(f, path, sizeof(path), "bus/pci/drivers_probe");
	get(path, val, sizeof(val));
	if (!val[0])
		return;
	react_unbinds(f);	/* an unbind write completes before the probe write */
	put(path, "");
	__atomic_add_fetch(&f->probes, 1, __ATOMIC_SEQ_CST);
	driver_of(f, cur, sizeof(cur));
	if (strcmp(val, BDF) || cur[0])
		return;
	dev_file(f, "driver_override", path, sizeof(path));
	get(path, ovr, sizeof(ovr));
	bind_to(f, ovr[0] ? ovr : __atomic_load_n(&f->default_driver, __ATOMIC_SEQ_CST));
}

static void *fake_kernel(void *arg)
{
	struct fake *f = arg;
	const struct timespec tick = { 0, 1000000 };

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		react_unbinds(f);
		react_probe(f);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

static void mkdirs(struct fake *f, const char *rel)
{
	char path[600];

	path_of(f, path, sizeof(path), rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* sysfs with one device bound to drv (NULL: unbound), vfio-pci loaded if asked. */
static struct fake *fake_create(const char *drv, bool vfio_loaded, bool react)
{
	struct fake *f = calloc(1, sizeof(*f));
	char path[600];

	snprintf(f->root, sizeof(f->root), "/tmp/ioshade-vfio-bind-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	mkdirs(f, "bus");
	mkdirs(f, "bus/pci");
	mkdirs(f, "bus/pci/devices");
	mkdirs(f, "bus/pci/drivers");
	mkdirs(f, "bus/pci/drivers/e1000e");
	if (vfio_loaded)
		mkdirs(f, "bus/pci/drivers/vfio-pci");
	snprintf(f->dev, sizeof(f->dev), "%s/bus/pci/devices/" BDF, f->root);
	assert_int_equal(mkdir(f->dev, 0755), 0);
	dev_file(f, "driver_override", path, sizeof(path));
	put(path, "(null)\n");
	path_of(f, path, sizeof(path), "bus/pci/drivers_probe");
	put(path, "");
	path_of(f, path, sizeof(path), "bus/pci/drivers/e1000e/unbind");
	put(path, "");
	if (vfio_loaded) {
		path_of(f, path, sizeof(path), "bus/pci/drivers/vfio-pci/unbind");
		put(path, "");
	}
	f->default_driver = "e1000e";
	if (drv)
		bind_to(f, drv);
	f->react = react;
	if (react)
		assert_int_equal(pthread_create(&f->thread, NULL, fake_kernel, f), 0);
	return f;
}

static void fake_destroy(struct fake *f)
{
	char cmd[300];

	if (f->react) {
		__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
		pthread_join(f->thread, NULL);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
}

static void assert_override(struct fake *f, const char *want)
{
	char path[600], val[64];

	dev_file(f, "driver_override", path, sizeof(path));
	get(path, val, sizeof(val));
	assert_string_equal(val, want);
}

static void assert_driver(struct fake *f, const char *want)
{
	char drv[64];

	driver_of(f, drv, sizeof(drv));
	assert_string_equal(drv, want);
}

static void test_acquire_release_restores_driver(void **state)
{
	struct fake *f = fake_create("e1000e", true, true);
	struct vfio_bind_state st;
	char err[256] = "";

	assert_int_equal(vfio_bind_acquire(f->root, BDF, &st, err, sizeof(err)), 0);
	assert_true(st.changed);
	assert_string_equal(st.orig_driver, "e1000e");
	assert_driver(f, "vfio-pci");
	assert_override(f, "vfio-pci");
	assert_int_equal(vfio_bind_release(&st), 0);
	/* the fake kernel reacts asynchronously to the last probe */
	for (int i = 0; i < 500 && __atomic_load_n(&f->probes, __ATOMIC_SEQ_CST) < 2; i++)
		usleep(2000);
	usleep(20000);
	assert_driver(f, "e1000e");
	assert_override(f, "");
	assert_false(st.changed);
	assert_int_equal(vfio_bind_release(&st), 0);	/* idempotent */
	fake_destroy(f);
}

static void test_unbound_device_stays_unbound_after(void **state)
{
	struct fake *f = fake_create(NULL, true, true);
	struct vfio_bind_state st;
	char err[256] = "";

	__atomic_store_n(&f->default_driver, NULL, __ATOMIC_SEQ_CST);
	assert_int_equal(vfio_bind_acquire(f->root, BDF, &st, err, sizeof(err)), 0);
	assert_string_equal(st.orig_driver, "");
	assert_driver(f, "vfio-pci");
	assert_int_equal(vfio_bind_release(&st), 0);
	usleep(50000);
	assert_driver(f, "");
	assert_override(f, "");
	fake_destroy(f);
}

static void test_already_vfio_is_left_alone(void **state)
{
	struct fake *f = fake_create("vfio-pci", true, true);
	struct vfio_bind_state st;
	char err[256] = "";

	assert_int_equal(vfio_bind_acquire(f->root, BDF, &st, err, sizeof(err)), 0);
	assert_false(st.changed);
	assert_override(f, "(null)");
	assert_int_equal(vfio_bind_release(&st), 0);
	usleep(20000);
	assert_driver(f, "vfio-pci");
	fake_destroy(f);
}

static void test_no_vfio_driver_touches_nothing(void **state)
{
	struct fake *f = fake_create("e1000e", false, true);
	struct vfio_bind_state st;
	char err[256] = "";

	assert_int_equal(vfio_bind_acquire(f->root, BDF, &st, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "modprobe vfio-pci"));
	assert_driver(f, "e1000e");
	assert_override(f, "(null)");
	fake_destroy(f);
}

static void test_missing_device(void **state)
{
	struct fake *f = fake_create("e1000e", true, false);
	struct vfio_bind_state st;
	char err[256] = "";

	assert_int_equal(vfio_bind_acquire(f->root, "0000:02:00.0", &st, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "0000:02:00.0"));
	fake_destroy(f);
}

/* No kernel reaction: the wait times out and the override is cleared again. */
static void test_timeout_rolls_back(void **state)
{
	struct fake *f = fake_create("e1000e", true, false);
	struct vfio_bind_state st;
	char err[256] = "", path[600], val[64];

	assert_int_equal(vfio_bind_acquire_wait(f->root, BDF, 100, &st, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(err, "vfio-dev"));
	assert_false(st.changed);
	assert_override(f, "");
	path_of(f, path, sizeof(path), "bus/pci/drivers_probe");
	get(path, val, sizeof(val));
	assert_string_equal(val, BDF);	/* reprobed so the original driver can return */
	fake_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_release_restores_driver),
		cmocka_unit_test(test_unbound_device_stays_unbound_after),
		cmocka_unit_test(test_already_vfio_is_left_alone),
		cmocka_unit_test(test_no_vfio_driver_touches_nothing),
		cmocka_unit_test(test_missing_device),
		cmocka_unit_test(test_timeout_rolls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
