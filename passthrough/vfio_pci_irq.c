// SPDX-License-Identifier: GPL-2.0-only
/*
 * Emulated MSI and MSI-X of an assigned device. Enabling either binds one
 * eventfd per vector with pdev set_irqs; each open vector is routed with the
 * sink's irqfd_bind (KVM delivers without us), and a masked vector or a sink
 * without irqfd is watched on the event loop and delivered from user space
 * (MSI-X through pci_msix_notify, which keeps mask and pending bits right).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "passthrough/vfio_pci_internal.h"

#define MSI_CTRL_ENABLE		0x0001
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_ENTRY		16

static uint32_t cfg_le(const struct pci_dev *dev, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

static uint32_t devid(const struct vfio_pci *v)
{
	return pci_dev_bdf(&v->pci);
}

/* One message taken from a vector, to deliver without irq_lock. */
struct vec_msg {
	int type;
	uint16_t idx;
	uint64_t addr;
	uint32_t data;
};

/*
 * Consume vec's pending event. A callback may have been dispatched just
 * before the guest switched the vector off: then the vector is dead and its
 * fd closed (maybe reused), so it is not touched; its memory is still there.
 */
static bool vec_take_locked(struct vfio_pci *v, struct vfio_vec *vec, struct vec_msg *m)
{
	uint64_t cnt;

	if (vec->dead || read(vec->fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return false;
	*m = (struct vec_msg){ v->irqs.type, vec->idx, vec->addr, vec->data };
	return true;
}

static void vec_deliver(struct vfio_pci *v, const struct vec_msg *m)
{
	if (m->type == PDEV_IRQ_MSIX)
		pci_msix_notify(&v->pci, m->idx);
	else if (m->type == PDEV_IRQ_MSI)
		msi_send(&v->msi, m->addr, m->data, devid(v));
}

/* Event loop: drain the eventfd and deliver one message. */
static void vec_cb(void *opaque)
{
	struct vfio_vec *vec = opaque;
	struct vfio_pci *v = vec->v;
	struct vec_msg m;
	bool got;

	pthread_mutex_lock(&v->irq_lock);
	got = vec_take_locked(v, vec, &m);
	pthread_mutex_unlock(&v->irq_lock);
	if (got)
		vec_deliver(v, &m);
}

static void vec_unwatch_locked(struct vfio_pci *v, struct vfio_vec *vec)
{
	if (vec->watched && v->loop)
		evloop_del(v->loop, vec->fd);
	vec->watched = false;
}

static void vec_unroute_locked(struct vfio_pci *v, struct vfio_vec *vec)
{
	if (vec->routed && v->msi.irqfd_unbind)
		v->msi.irqfd_unbind(v->msi.opaque, vec->fd);
	vec->routed = false;
}

/* Point vector at (addr, data): a KVM route when open, user space otherwise. */
static void vec_apply_locked(struct vfio_pci *v, struct vfio_vec *vec, uint64_t addr,
			     uint32_t data, bool open)
{
	vec->addr = addr;
	vec->data = data;
	if (open && v->msi.irqfd_bind &&
	    v->msi.irqfd_bind(v->msi.opaque, vec->fd, addr, data, devid(v)) == 0) {
		vec_unwatch_locked(v, vec);
		vec->routed = true;
		return;
	}
	vec_unroute_locked(v, vec);
	if (vec->watched)
		return;
	if (v->loop && evloop_add(v->loop, vec->fd, vec_cb, vec)) {
		fprintf(stderr, "vfio-pci: %s: cannot watch vector %u\n",
			v->pdev.ops->name(v->pdev.d), vec->idx);
		return;
	}
	vec->watched = true;
}

/*
 * The guest can switch vectors off while the event loop is running vec_cb
 * for one of them (evloop_del does not wait, and vec_cb takes irq_lock,
 * which we hold). So: mark every vector dead and close its fd now, and free
 * the array on the loop thread after that callback (evloop_defer). Without
 * the memory for the deferral the array is leaked, never freed early.
 */
static void vecs_free_locked(struct vfio_pci *v)
{
	for (unsigned i = 0; i < v->irqs.n; i++) {
		struct vfio_vec *vec = &v->irqs.vec[i];

		vec_unwatch_locked(v, vec);
		vec_unroute_locked(v, vec);
		if (vec->fd >= 0)
			close(vec->fd);
		vec->fd = -1;
		vec->dead = true;
	}
	if (!v->loop)
		free(v->irqs.vec);
	else if (v->irqs.vec && evloop_defer(v->loop, free, v->irqs.vec))
		fprintf(stderr, "vfio-pci: out of memory: leaking %u MSI vector(s)\n", v->irqs.n);
	v->irqs = (struct vfio_irqs){ .type = -1 };
}

static void irqs_off_locked(struct vfio_pci *v)
{
	if (v->irqs.type >= 0)
		v->pdev.ops->set_irqs(v->pdev.d, v->irqs.type, 0, 0, NULL);
	vecs_free_locked(v);
}

/* Allocate n eventfds and hand them to the device as vectors of type. */
static int irqs_on_locked(struct vfio_pci *v, int type, unsigned n)
{
	int *fds;
	int ret = -ENOMEM;

	v->irqs.vec = calloc(n, sizeof(*v->irqs.vec));
	fds = calloc(n, sizeof(*fds));
	if (!v->irqs.vec || !fds)
		goto err_free;
	for (unsigned i = 0; i < n; i++) {
		struct vfio_vec *vec = &v->irqs.vec[i];

		*vec = (struct vfio_vec){ .v = v, .idx = i };
		vec->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		v->irqs.n = i + 1;
		if (vec->fd < 0) {
			ret = -errno;
			goto err_free;
		}
		fds[i] = vec->fd;
	}
	v->irqs.type = type;
	ret = v->pdev.ops->set_irqs(v->pdev.d, type, 0, n, fds);
	if (ret)
		goto err_free;
	free(fds);
	return 0;
err_free:
	free(fds);
	vecs_free_locked(v);
	fprintf(stderr, "vfio-pci: %s: enabling %u %s vectors failed: %s\n",
		v->pdev.ops->name(v->pdev.d), n, type == PDEV_IRQ_MSI ? "MSI" : "MSI-X",
		strerror(-ret));
	return ret;
}

void vfio_pci_irqs_off(struct vfio_pci *v)
{
	pthread_mutex_lock(&v->irq_lock);
	irqs_off_locked(v);
	pthread_mutex_unlock(&v->irq_lock);
}

/* ---- MSI ---- */

struct msi_state {
	bool enabled;
	unsigned nvec;
	uint64_t addr;
	uint32_t data;
};

static struct msi_state msi_snapshot(struct vfio_pci *v)
{
	struct pci_dev *dev = &v->pci;
	uint8_t c = v->msi_cap;
	struct msi_state s;
	uint16_t ctrl;
	unsigned mme;

	pthread_mutex_lock(&dev->lock);
	ctrl = cfg_le(dev, c + 2, 2);
	s.addr = cfg_le(dev, c + 4, 4);
	if (v->msi_64)
		s.addr |= (uint64_t)cfg_le(dev, c + 8, 4) << 32;
	s.data = cfg_le(dev, c + (v->msi_64 ? 12 : 8), 2);
	pthread_mutex_unlock(&dev->lock);
	s.enabled = ctrl & MSI_CTRL_ENABLE;
	mme = (ctrl >> 4) & 7;
	s.nvec = mme > 5 ? 32 : 1u << mme;
	if (s.nvec > v->msi_max)
		s.nvec = v->msi_max;
	return s;
}

void vfio_pci_msi_update(struct vfio_pci *v)
{
	struct msi_state s;

	if (!v->msi_cap)
		return;
	s = msi_snapshot(v);
	pthread_mutex_lock(&v->irq_lock);
	if (v->irqs.type == PDEV_IRQ_MSI && (!s.enabled || v->irqs.n != s.nvec))
		irqs_off_locked(v);
	if (s.enabled && v->irqs.type < 0 && irqs_on_locked(v, PDEV_IRQ_MSI, s.nvec))
		goto out;
	if (v->irqs.type != PDEV_IRQ_MSI)
		goto out;
	/* Multiple-message MSI: the vector number replaces the low data bits. */
	for (unsigned i = 0; i < v->irqs.n; i++)
		vec_apply_locked(v, &v->irqs.vec[i], s.addr,
				 (s.data & ~(v->irqs.n - 1)) | i, true);
out:
	pthread_mutex_unlock(&v->irq_lock);
}

/* ---- MSI-X ---- */

struct msix_entry {
	uint64_t addr;
	uint32_t data;
	bool open;
};

static bool msix_snapshot(struct vfio_pci *v, uint16_t vector, struct msix_entry *e)
{
	struct pci_dev *dev = &v->pci;
	uint16_t ctrl;
	uint8_t *t;
	bool on;

	pthread_mutex_lock(&dev->lock);
	ctrl = cfg_le(dev, v->msix_cap + 2, 2);
	on = ctrl & MSIX_CTRL_ENABLE;
	if (vector < dev->msix.nvec) {
		t = &dev->msix.table[vector * MSIX_ENTRY];
		memcpy(&e->addr, t, 8);
		memcpy(&e->data, t + 8, 4);
		e->open = on && !(ctrl & MSIX_CTRL_MASKALL) && !(t[12] & 1);
	}
	pthread_mutex_unlock(&dev->lock);
	return on;
}

static void msix_entry_apply_locked(struct vfio_pci *v, uint16_t vector)
{
	struct msix_entry e = { 0 };

	if (vector >= v->irqs.n)
		return;
	msix_snapshot(v, vector, &e);
	vec_apply_locked(v, &v->irqs.vec[vector], e.addr, e.data, e.open);
}

void vfio_pci_msix_entry_update(struct vfio_pci *v, uint16_t vector)
{
	pthread_mutex_lock(&v->irq_lock);
	if (v->irqs.type == PDEV_IRQ_MSIX)
		msix_entry_apply_locked(v, vector);
	pthread_mutex_unlock(&v->irq_lock);
}

void vfio_pci_msix_update(struct vfio_pci *v)
{
	struct msix_entry e;
	bool on;

	if (!v->msix_cap)
		return;
	on = msix_snapshot(v, UINT16_MAX, &e);
	pthread_mutex_lock(&v->irq_lock);
	if (v->irqs.type == PDEV_IRQ_MSIX && !on)
		irqs_off_locked(v);
	if (on && v->irqs.type < 0 && irqs_on_locked(v, PDEV_IRQ_MSIX, v->pci.msix.nvec))
		goto out;
	if (v->irqs.type != PDEV_IRQ_MSIX)
		goto out;
	for (uint16_t i = 0; i < v->irqs.n; i++)
		msix_entry_apply_locked(v, i);
out:
	pthread_mutex_unlock(&v->irq_lock);
}

int vfio_pci_poll(struct vfio_pci *v)
{
	struct vec_msg m[64];
	unsigned n = 0;

	/* Take the messages under the lock (no vector pointer outlives it),
	 * deliver without it (MSI-X delivery takes the device lock). */
	pthread_mutex_lock(&v->irq_lock);
	for (unsigned i = 0; i < v->irqs.n && n < 64; i++)
		if (v->irqs.vec[i].watched && vec_take_locked(v, &v->irqs.vec[i], &m[n]))
			n++;
	pthread_mutex_unlock(&v->irq_lock);
	for (unsigned i = 0; i < n; i++)
		vec_deliver(v, &m[i]);
	return (int)n;
}
