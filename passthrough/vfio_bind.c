// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driver rebinding for managed host devices, as libvirt does it: remember the
 * driver, driver_override = vfio-pci, unbind, drivers_probe, wait for the
 * VFIO cdev directory; release reverses it. Only sysfs writes: the kernel
 * does the binding, we check that it happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "passthrough/vfio_bind.h"

#define POLL_MS	10

/* Write s to root/rel (an existing sysfs attribute). 0 or -errno. */
static int sysfs_write(const char *root, const char *rel, const char *s)
{
	char path[PATH_MAX + 128];
	ssize_t n;
	int fd, ret = 0;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(s))
		ret = -EIO;
	close(fd);
	return ret;
}

/* Driver name of the device (basename of its "driver" link), "" if none. */
static void current_driver(const struct vfio_bind_state *st, char *drv, size_t len)
{
	char path[PATH_MAX + 64], link[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", st->root, st->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	drv[0] = '\0';
	if (n <= 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strlen(base) < len)
		memcpy(drv, base, strlen(base) + 1);
}

static bool exists(const char *root, const char *fmt, const char *a)
{
	char path[PATH_MAX + 128];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/", root);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), fmt, a);
	return !stat(path, &sb);
}

static int dev_write(const struct vfio_bind_state *st, const char *attr, const char *s)
{
	char rel[96];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", st->bdf, attr);
	return sysfs_write(st->root, rel, s);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bounded wait for the kernel to create <dev>/vfio-dev/ (vfio-pci bound). */
static int wait_vfio_dev(const struct vfio_bind_state *st, unsigned timeout_ms)
{
	char rel[64];
	long long end = now_ms() + timeout_ms;
	const struct timespec tick = { 0, POLL_MS * 1000000L };

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vfio-dev", st->bdf);
	for (;;) {
		if (exists(st->root, "%s", rel))
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

/* Unbind from whatever driver holds it now, clear the override, reprobe. */
static int give_back(struct vfio_bind_state *st)
{
	char drv[64];
	int ret = 0, r;

	current_driver(st, drv, sizeof(drv));
	if (drv[0])
		ret = dev_write(st, "driver/unbind", st->bdf);
	r = dev_write(st, "driver_override", "\n");
	ret = ret ? ret : r;
	r = sysfs_write(st->root, "bus/pci/drivers_probe", st->bdf);
	return ret ? ret : r;
}

static int precheck(struct vfio_bind_state *st, char *err, size_t errlen)
{
	if (!exists(st->root, "bus/pci/devices/%s", st->bdf)) {
		snprintf(err, errlen, "managed hostdev %s: no such PCI device (%s/bus/pci/devices/%s)",
			 st->bdf, st->root, st->bdf);
		return -ENOENT;
	}
	if (!exists(st->root, "%s", "bus/pci/drivers/vfio-pci")) {
		snprintf(err, errlen, "managed hostdev %s: the vfio-pci driver is not loaded "
			 "(modprobe vfio-pci)", st->bdf);
		return -ENODEV;
	}
	if (!exists(st->root, "bus/pci/devices/%s/driver_override", st->bdf)) {
		snprintf(err, errlen, "managed hostdev %s: kernel without driver_override", st->bdf);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int rebind(struct vfio_bind_state *st, unsigned timeout_ms, char *err, size_t errlen)
{
	const char *step = "driver_override";
	int ret;

	ret = dev_write(st, "driver_override", "vfio-pci");
	if (!ret && st->orig_driver[0]) {
		step = "driver/unbind";
		ret = dev_write(st, "driver/unbind", st->bdf);
	}
	if (!ret) {
		step = "drivers_probe";
		ret = sysfs_write(st->root, "bus/pci/drivers_probe", st->bdf);
	}
	if (!ret) {
		step = "waiting for vfio-dev/";
		ret = wait_vfio_dev(st, timeout_ms);
	}
	if (ret)
		snprintf(err, errlen, "managed hostdev %s: rebinding from %s to vfio-pci failed at "
			 "%s: %s", st->bdf, st->orig_driver[0] ? st->orig_driver : "no driver",
			 step, strerror(-ret));
	return ret;
}

int vfio_bind_acquire_wait(const char *root, const char *bdf, unsigned timeout_ms,
			   struct vfio_bind_state *st, char *err, size_t errlen)
{
	int ret;

	memset(st, 0, sizeof(*st));
	if (snprintf(st->root, sizeof(st->root), "%s", root) >= (int)sizeof(st->root) ||
	    snprintf(st->bdf, sizeof(st->bdf), "%s", bdf) >= (int)sizeof(st->bdf)) {
		snprintf(err, errlen, "managed hostdev: path or address too long");
		return -ENAMETOOLONG;
	}
	ret = precheck(st, err, errlen);
	if (ret)
		return ret;
	current_driver(st, st->orig_driver, sizeof(st->orig_driver));
	if (!strcmp(st->orig_driver, "vfio-pci"))
		return 0;	/* the user bound it: not ours to give back */
	ret = rebind(st, timeout_ms, err, errlen);
	if (ret) {
		give_back(st);
		return ret;
	}
	st->changed = true;
	return 0;
}

int vfio_bind_acquire(const char *root, const char *bdf, struct vfio_bind_state *st,
		      char *err, size_t errlen)
{
	return vfio_bind_acquire_wait(root, bdf, VFIO_BIND_TIMEOUT_MS, st, err, errlen);
}

int vfio_bind_release(struct vfio_bind_state *st)
{
	if (!st->changed)
		return 0;
	st->changed = false;
	return give_back(st);
}
