/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt plumbing on top of KVM's in-kernel irqchip: level lines on the
 * IOAPIC/PIC, the GSI routing table (default legacy routes + one route per
 * distinct MSI message), irqfds bound to those GSIs, and an msi_sink that
 * delivers an MSI directly with KVM_SIGNAL_MSI. Thread-safe.
 */
#ifndef IOSHADE_VMM_IRQ_H
#define IOSHADE_VMM_IRQ_H

#include <stdint.h>

#include "vmm/msi.h"

struct irq;

#define IRQ_NR_LEGACY_GSI	24	/* IOAPIC pins; MSI routes start here */

int irq_create(int vm_fd, struct irq **out);
void irq_destroy(struct irq *irq);

/* Drive a legacy GSI (0..23) line: level 1 asserts, 0 deasserts. */
int irq_line(struct irq *irq, uint32_t gsi, int level);

/*
 * A GSI that delivers the MSI (addr, data). Routes are shared and reference
 * counted: the same message gets the same GSI. -ENOSPC when the table is full.
 */
int irq_msi_route_get(struct irq *irq, uint64_t addr, uint32_t data, uint32_t *gsi);
/* Drop one reference; the route is removed with its last reference. */
int irq_msi_route_put(struct irq *irq, uint32_t gsi);

/* Bind / unbind an eventfd to a GSI (KVM_IRQFD). */
int irq_irqfd_assign(struct irq *irq, int fd, uint32_t gsi);
int irq_irqfd_deassign(struct irq *irq, int fd, uint32_t gsi);

/* Inject one MSI now (KVM_SIGNAL_MSI). 0 delivered or blocked, -errno on error. */
int irq_signal_msi(struct irq *irq, uint64_t addr, uint32_t data, uint32_t devid);

/* An msi_sink backed by irq_signal_msi; valid as long as irq lives. */
struct msi_sink irq_msi_sink(struct irq *irq);

#endif
