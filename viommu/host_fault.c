// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host fault forwarding: an assigned device's DMA is translated by the host
 * IOMMU, so its faults arrive from the hiopt backend, not from
 * viommu_translate. Each backend's fault fd is watched on the event loop and
 * drained into fault events on the guest's eventq, with the endpoint found by
 * the faulting device handle.
 */
#include <errno.h>
#include <unistd.h>

#include "viommu/viommu_int.h"
#include "vmm/evloop.h"

#define PUMP_BATCH	16

/* Endpoint ID of a host device, or -ENOENT. Caller holds v->lock. */
static long host_ep_id_locked(struct viommu *v, const struct hiopt *hw,
			      const struct hiopt_dev *dev)
{
	for (size_t i = 0; i < v->nr_eps; i++)
		if (v->eps[i].hw == hw && v->eps[i].dev == dev)
			return v->eps[i].id;
	return -ENOENT;
}

static void forward(struct viommu *v, const struct hiopt *hw, const struct hiopt_fault *f)
{
	uint8_t reason = f->reason == HIOPT_FAULT_BLOCKED ? VIRTIO_IOMMU_FAULT_R_DOMAIN :
						       VIRTIO_IOMMU_FAULT_R_MAPPING;
	uint32_t flags = VIRTIO_IOMMU_FAULT_F_ADDRESS;
	long ep;

	if (f->perm & HIOPT_PROT_READ)
		flags |= VIRTIO_IOMMU_FAULT_F_READ;
	if (f->perm & HIOPT_PROT_WRITE)
		flags |= VIRTIO_IOMMU_FAULT_F_WRITE;
	pthread_mutex_lock(&v->lock);
	ep = host_ep_id_locked(v, hw, f->dev);
	pthread_mutex_unlock(&v->lock);
	if (ep >= 0)
		viommu_report_fault(v, (uint32_t)ep, reason, flags, f->addr);
}

static void pump(struct viommu_fault_src *src)
{
	struct hiopt_fault f[PUMP_BATCH];
	uint64_t cnt;
	int n;

	/* Re-arm first: a fault queued after this read wakes us again. */
	if (read(src->fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	do {
		n = src->hw->ops->fault_read(src->hw->be, f, PUMP_BATCH);
		for (int i = 0; i < n; i++)
			forward(src->v, src->hw, &f[i]);
	} while (n == PUMP_BATCH);
}

static void pump_cb(void *opaque)
{
	pump(opaque);
}

int viommu_watch_host_faults_locked(struct viommu *v, const struct hiopt *hw)
{
	struct viommu_fault_src *src;
	int fd;

	if (!hw->ops->fault_fd || !hw->ops->fault_read)
		return 0;
	for (size_t i = 0; i < v->nr_fault_src; i++)
		if (v->fault_src[i].hw == hw)
			return 0;
	if (v->nr_fault_src == VIOMMU_MAX_FAULT_SRC)
		return -ENOSPC;
	fd = hw->ops->fault_fd(hw->be);
	if (fd < 0)
		return 0;	/* this backend reports no faults */
	src = &v->fault_src[v->nr_fault_src];
	*src = (struct viommu_fault_src){ .v = v, .hw = hw, .fd = fd };
	if (v->cfg.loop && evloop_add(v->cfg.loop, fd, pump_cb, src) < 0)
		return -EIO;
	v->nr_fault_src++;
	return 0;
}

void viommu_unwatch_host_faults(struct viommu *v)
{
	for (size_t i = 0; i < v->nr_fault_src; i++)
		if (v->cfg.loop)
			evloop_del(v->cfg.loop, v->fault_src[i].fd);
	v->nr_fault_src = 0;
}

void viommu_poll_host_faults(struct viommu *v)
{
	for (size_t i = 0; i < v->nr_fault_src; i++)
		pump(&v->fault_src[i]);
}
