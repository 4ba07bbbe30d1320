/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvirt's managed='yes' for PCI host devices: bind a device to vfio-pci for
 * the VM's lifetime and give it back to its original driver afterwards, all
 * through sysfs (driver_override, unbind, drivers_probe). Every path is below
 * a root ("/sys" normally) so tests can run against a fake tree.
 */
#ifndef IOSHADE_PASSTHROUGH_VFIO_BIND_H
#define IOSHADE_PASSTHROUGH_VFIO_BIND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define VFIO_BIND_TIMEOUT_MS	5000	/* for vfio-dev/ to appear after the probe */

struct vfio_bind_state {
	char root[PATH_MAX];		/* sysfs root */
	char bdf[16];			/* dddd:bb:dd.f */
	char orig_driver[64];		/* "" when the device had no driver */
	bool changed;			/* we rebound it: release must restore */
};

/*
 * Make bdf (a normalised dddd:bb:dd.f) usable through VFIO: when it is not
 * bound to vfio-pci, remember its driver, set driver_override to vfio-pci,
 * unbind, reprobe and wait (bounded) for <dev>/vfio-dev/ to appear. On
 * failure the original binding is restored as far as possible and err says
 * what went wrong. 0 or -errno.
 */
int vfio_bind_acquire(const char *root, const char *bdf, struct vfio_bind_state *st,
		      char *err, size_t errlen);
/* The same with an explicit wait for vfio-dev/ (tests). */
int vfio_bind_acquire_wait(const char *root, const char *bdf, unsigned timeout_ms,
			   struct vfio_bind_state *st, char *err, size_t errlen);

/*
 * Undo acquire: unbind from vfio-pci, clear driver_override, reprobe so the
 * original driver takes the device back. Idempotent; a no-op when acquire
 * found the device already on vfio-pci. 0 or the first -errno.
 */
int vfio_bind_release(struct vfio_bind_state *st);

#endif
