/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A whole ioshade x86 machine built from a vm_config: the KVM VM and its RAM,
 * buses, irqchip routing, serial console, debug-exit port, PCI host bridge,
 * event loop, ACPI tables, the loaded kernel and the vCPUs. app/main.c adds
 * further devices (virtio-iommu, edu, assigned devices) through the accessors
 * between machine_create and machine_run.
 */
#ifndef IOSHADE_VMM_MACHINE_H
#define IOSHADE_VMM_MACHINE_H

#include <stddef.h>

#include "vmm/memslot.h"
#include "vmm/msi.h"

struct acpi_config;
struct bus;
struct evloop;
struct irq;
struct machine;
struct memmap;
struct pci_host;
struct vm;
struct vm_config;

/* Builds everything and loads the kernel; the vCPUs do not run yet.
 * 0 or -errno with a message for the user in err. */
int machine_create(const struct vm_config *cfg, struct machine **out, char *err, size_t errlen);

/*
 * Build the ACPI tables, start the event loop and the vCPUs, and wait for
 * the VM to stop. Returns the process exit status: the debug-exit status
 * ((value << 1) | 1), 0 for a guest shutdown/reset or when every vCPU halted
 * with interrupts off, VM_STATUS_ERROR (4) for emulation or VMM errors.
 * Runs once per machine.
 */
int machine_run(struct machine *m);

void machine_destroy(struct machine *m);

/* Accessors for wiring devices in between create and run. */
struct vm *machine_vm(struct machine *m);
struct memmap *machine_memmap(struct machine *m);
struct bus *machine_pio_bus(struct machine *m);
struct bus *machine_mmio_bus(struct machine *m);
struct pci_host *machine_pci_host(struct machine *m);
struct evloop *machine_evloop(struct machine *m);
struct irq *machine_irq(struct machine *m);
const struct msi_sink *machine_msi_sink(struct machine *m);
/* KVM memory slots for host memory mapped into guest space (assigned BARs). */
struct memslot_sink machine_memslot_sink(struct machine *m);
/* The ACPI configuration used by machine_run: fill the VIOT fields here. */
struct acpi_config *machine_acpi_config(struct machine *m);

#endif
