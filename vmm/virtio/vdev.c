// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared plumbing of the emulated virtio devices: the bounded pop/handle/push
 * loop that maps vq_pop errors to len-0 used entries or DEVICE_NEEDS_RESET.
 */
#include <errno.h>
#include <unistd.h>

#include "vmm/virtio/vdev.h"

void vdev_queue_init(struct vdev_queue *s)
{
	s->broken = false;
}

void vdev_queue_fini(struct vdev_queue *s)
{
	(void)s;
}

void vdev_queue_reset(struct vdev_queue *s)
{
	s->broken = false;
}

/* Ask the event loop to call us again for the rest of the ring. */
static void rekick(struct virtio_pci *vp, uint16_t q)
{
	uint64_t one = 1;
	int fd = virtio_pci_notify_fd(vp, q);

	/* A failed write only delays the rest until the driver's next kick. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		return;
}

enum drain_result { DRAIN_EMPTY, DRAIN_MORE, DRAIN_BROKEN };

static enum drain_result drain_locked(struct vdev_queue *s, struct virtq *vq, bool bounded,
				      vdev_req_fn fn, void *opaque, bool *pushed)
{
	unsigned done = 0;

	for (;;) {
		int ret = vq_pop(vq, &s->elem);

		if (!ret)
			return DRAIN_EMPTY;
		/* No descriptor to give back: only a reset recovers. */
		if (ret == -EPIPE)
			return DRAIN_BROKEN;
		vq_push(vq, s->elem.head, fn(opaque, vq, &s->elem, ret < 0 ? ret : 0));
		*pushed = true;
		if (bounded && (++done == VDEV_BATCH || s->yield))
			return DRAIN_MORE;
	}
}

void vdev_queue_drain(struct vdev_queue *s, struct virtio_pci *vp, uint16_t q,
		      vdev_req_fn fn, void *opaque)
{
	struct virtq *vq = virtio_pci_vq(vp, q);
	bool pushed = false;
	enum drain_result r = DRAIN_BROKEN;

	if (!vq || s->broken)
		return;
	s->yield = false;
	/* Without a loop the notifying vCPU does the work: no need to yield. */
	if (!vq_begin(vq))
		r = drain_locked(s, vq, virtio_pci_notify_fd(vp, q) >= 0, fn, opaque, &pushed);
	/* Signal inside the window: it reads the driver's suppression flags. */
	if (pushed)
		virtio_pci_notify_locked(vp, q);
	vq_end(vq);
	if (r == DRAIN_BROKEN) {
		s->broken = true;
		virtio_pci_needs_reset_locked(vp);
	} else if (r == DRAIN_MORE) {
		rekick(vp, q);
	}
}
