// SPDX-License-Identifier: GPL-2.0-only
/*
 * GSI routing for the in-kernel irqchip. KVM replaces the whole table on each
 * KVM_SET_GSI_ROUTING, so we keep the legacy PIC/IOAPIC routes plus a table of
 * MSI routes (GSI 24 and up, reference counted by message) and resubmit the
 * lot on every change. Direct MSIs go through KVM_SIGNAL_MSI.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/irq.h"

#define IRQ_NR_MSI	1000		/* MSI GSIs: 24 .. 24 + IRQ_NR_MSI - 1 */
#define IRQ_NR_PIC	15		/* PIC inputs 0..15 except the cascade (2) */
#define IRQ_NR_IOAPIC	23		/* IOAPIC pins except pin 0 (ExtINT) */

struct msi_route {
	uint64_t addr;
	uint32_t data;
	uint32_t refs;			/* 0: slot free */
};

struct irq {
	int vm_fd;
	pthread_mutex_t lock;		/* protects msi[] and the kernel's routing table */
	struct msi_route msi[IRQ_NR_MSI];
};

/* Legacy routes as on a PC: GSI 0 (the PIT) reaches IOAPIC pin 2, matching the
 * MADT interrupt source override; PIC inputs keep their own numbers. */
static unsigned legacy_routes(struct kvm_irq_routing_entry *e)
{
	unsigned n = 0;

	for (uint32_t gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		e[n].u.irqchip.pin = gsi % 8;
		n++;
	}
	for (uint32_t gsi = 0; gsi < IRQ_NR_LEGACY_GSI; gsi++) {
		if (gsi == 2)
			continue;
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n].u.irqchip.pin = gsi ? gsi : 2;
		n++;
	}
	return n;
}

static int commit_locked(struct irq *irq)
{
	size_t max = IRQ_NR_PIC + IRQ_NR_IOAPIC + IRQ_NR_MSI;
	struct kvm_irq_routing *tab;
	unsigned n;
	int ret = 0;

	tab = calloc(1, sizeof(*tab) + max * sizeof(tab->entries[0]));
	if (!tab)
		return -ENOMEM;
	n = legacy_routes(tab->entries);
	for (uint32_t i = 0; i < IRQ_NR_MSI; i++) {
		if (!irq->msi[i].refs)
			continue;
		tab->entries[n].gsi = IRQ_NR_LEGACY_GSI + i;
		tab->entries[n].type = KVM_IRQ_ROUTING_MSI;
		tab->entries[n].u.msi.address_lo = (uint32_t)irq->msi[i].addr;
		tab->entries[n].u.msi.address_hi = (uint32_t)(irq->msi[i].addr >> 32);
		tab->entries[n].u.msi.data = irq->msi[i].data;
		n++;
	}
	tab->nr = n;
	if (ioctl(irq->vm_fd, KVM_SET_GSI_ROUTING, tab) < 0)
		ret = -errno;
	free(tab);
	return ret;
}

int irq_create(int vm_fd, struct irq **out)
{
	struct irq *irq = calloc(1, sizeof(*irq));
	int ret;

	if (!irq)
		return -ENOMEM;
	irq->vm_fd = vm_fd;
	pthread_mutex_init(&irq->lock, NULL);
	ret = commit_locked(irq);
	if (ret) {
		irq_destroy(irq);
		return ret;
	}
	*out = irq;
	return 0;
}

void irq_destroy(struct irq *irq)
{
	if (!irq)
		return;
	pthread_mutex_destroy(&irq->lock);
	free(irq);
}

int irq_line(struct irq *irq, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };

	if (gsi >= IRQ_NR_LEGACY_GSI)
		return -EINVAL;
	return ioctl(irq->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

/* Slot holding (addr, data), else a free slot, else -ENOSPC. */
static int find_msi_locked(const struct irq *irq, uint64_t addr, uint32_t data)
{
	int free_slot = -ENOSPC;

	for (int i = 0; i < IRQ_NR_MSI; i++) {
		if (irq->msi[i].refs && irq->msi[i].addr == addr && irq->msi[i].data == data)
			return i;
		if (!irq->msi[i].refs && free_slot < 0)
			free_slot = i;
	}
	return free_slot;
}

int irq_msi_route_get(struct irq *irq, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	struct msi_route *r;
	int i, ret = 0;

	pthread_mutex_lock(&irq->lock);
	i = find_msi_locked(irq, addr, data);
	if (i < 0) {
		ret = i;
		goto out;
	}
	r = &irq->msi[i];
	if (!r->refs++) {
		r->addr = addr;
		r->data = data;
		ret = commit_locked(irq);
		if (ret)
			r->refs = 0;
	}
	if (!ret)
		*gsi = IRQ_NR_LEGACY_GSI + (uint32_t)i;
out:
	pthread_mutex_unlock(&irq->lock);
	return ret;
}

int irq_msi_route_put(struct irq *irq, uint32_t gsi)
{
	uint32_t i = gsi - IRQ_NR_LEGACY_GSI;
	int ret = 0;

	if (gsi < IRQ_NR_LEGACY_GSI || i >= IRQ_NR_MSI)
		return -EINVAL;
	pthread_mutex_lock(&irq->lock);
	if (!irq->msi[i].refs)
		ret = -ENOENT;
	else if (!--irq->msi[i].refs)
		ret = commit_locked(irq);
	pthread_mutex_unlock(&irq->lock);
	return ret;
}

static int irqfd(struct irq *irq, int fd, uint32_t gsi, uint32_t flags)
{
	struct kvm_irqfd req = { .fd = (uint32_t)fd, .gsi = gsi, .flags = flags };

	if (fd < 0)
		return -EBADF;
	return ioctl(irq->vm_fd, KVM_IRQFD, &req) < 0 ? -errno : 0;
}

int irq_irqfd_assign(struct irq *irq, int fd, uint32_t gsi)
{
	return irqfd(irq, fd, gsi, 0);
}

int irq_irqfd_deassign(struct irq *irq, int fd, uint32_t gsi)
{
	return irqfd(irq, fd, gsi, KVM_IRQFD_FLAG_DEASSIGN);
}

int irq_signal_msi(struct irq *irq, uint64_t addr, uint32_t data, uint32_t devid)
{
	/* x86 has no MSI device IDs (KVM_MSI_VALID_DEVID is for ARM ITS). */
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data,
	};

	return ioctl(irq->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static int sink_send(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	return irq_signal_msi(opaque, addr, data, devid);
}

struct msi_sink irq_msi_sink(struct irq *irq)
{
	return (struct msi_sink){ .send = sink_send, .opaque = irq };
}
