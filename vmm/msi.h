/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where devices send MSI messages. The VM implements it with KVM_SIGNAL_MSI /
 * irqfd; unit tests implement it with a recorder.
 */
#ifndef IOSHADE_VMM_MSI_H
#define IOSHADE_VMM_MSI_H

#include <stdint.h>

struct msi_sink {
	int (*send)(void *opaque, uint64_t addr, uint32_t data, uint32_t devid);
	/*
	 * Optional: deliver (addr, data) whenever eventfd fd is signalled,
	 * without a trip through user space (KVM irqfd on an MSI route).
	 * Rebinding the same fd updates the route. NULL: callers fall back to
	 * watching fd on the event loop and calling send.
	 */
	int (*irqfd_bind)(void *opaque, int fd, uint64_t addr, uint32_t data, uint32_t devid);
	int (*irqfd_unbind)(void *opaque, int fd);
	void *opaque;
};

static inline int msi_send(const struct msi_sink *s, uint64_t addr, uint32_t data, uint32_t devid)
{
	return s && s->send ? s->send(s->opaque, addr, data, devid) : 0;
}

#endif
