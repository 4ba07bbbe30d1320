/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A KVM virtual machine: the /dev/kvm and VM fds, the in-kernel irqchip and
 * PIT, memfd-backed guest RAM with its KVM memory slots, the guest physical
 * memory map and the PIO/MMIO buses, plus the VM-wide stop state that every
 * vCPU and device may trigger and machine_run waits on.
 */
#ifndef IOSHADE_VMM_VM_H
#define IOSHADE_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/memslot.h"

struct memmap;
struct bus;

#define VM_RAM_SLOTS		2	/* KVM slots 0 (below 4G) and 1 (above) */
#define VM_EXTRA_SLOTS		32	/* for host memory mapped by devices */

struct vm_slot {
	uint64_t gpa, size;		/* size 0: free */
};

enum vm_stop_reason {
	VM_RUNNING,
	VM_STOP_DEBUG_EXIT,	/* guest wrote the debug-exit port */
	VM_STOP_SHUTDOWN,	/* triple fault / reset / power off */
	VM_STOP_HALTED,		/* every vCPU halted with interrupts off */
	VM_STOP_ERROR,		/* emulation failure or VMM error */
	VM_STOP_REQUEST,	/* the VMM asked (signal, test) */
};

/* Exit statuses machine_run returns for stops that carry no guest value. */
#define VM_STATUS_OK	0
#define VM_STATUS_ERROR	4

struct vm {
	int kvm_fd;
	int vm_fd;
	int mem_fd;			/* memfd backing all guest RAM */
	void *ram;			/* mmap of mem_fd, ram_size bytes */
	uint64_t ram_size;
	uint64_t low_size;		/* bytes at GPA 0; the rest is at LAYOUT_RAM_64_BASE */
	int run_size;			/* KVM_GET_VCPU_MMAP_SIZE */
	bool verbose;			/* log unhandled PIO/MMIO */
	struct memmap *mem;
	struct bus *pio;
	struct bus *mmio;

	pthread_mutex_t slot_lock;	/* protects slots[] */
	struct vm_slot slots[VM_EXTRA_SLOTS];	/* KVM slot VM_RAM_SLOTS + i */

	pthread_mutex_t stop_lock;	/* protects the three fields below */
	pthread_cond_t stop_cond;
	enum vm_stop_reason stop_reason;	/* first stop wins */
	int stop_status;
};

/*
 * Open /dev/kvm, create the VM with irqchip, PIT, TSS/identity map and
 * ram_size bytes of RAM (4 KiB multiple, >= 16 MiB). On failure returns
 * -errno and writes a message for the user into err.
 */
int vm_create(uint64_t ram_size, struct vm **out, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/*
 * Fill map with the fixed ioshade layout (layout.h) for ram_size bytes of RAM
 * at host address ram: boot, lowram, legacy, acpi, ram, highram, ecam,
 * ioapic, msi. Pure: unit tests use it with a malloc'd buffer.
 */
int vm_memmap_fill(struct memmap *map, void *ram, uint64_t ram_size);
/* Bytes of RAM placed below 4 GiB for ram_size bytes in total. */
uint64_t vm_low_ram_size(uint64_t ram_size);

/* Map host memory at [gpa, gpa+size) as an extra KVM slot (page aligned, not
 * overlapping RAM or another slot: KVM checks). -ENOSPC when slots run out. */
int vm_map_host(struct vm *vm, uint64_t gpa, uint64_t size, void *hva);
/* Remove the slot mapped at exactly [gpa, gpa+size). -ENOENT if none. */
int vm_unmap_host(struct vm *vm, uint64_t gpa, uint64_t size);
/* A memslot_sink backed by vm_map_host/vm_unmap_host. */
struct memslot_sink vm_memslot_sink(struct vm *vm);

/* Record a stop (only the first one counts) and wake vm_wait_stop. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);
bool vm_is_stopping(struct vm *vm);
/* Wait up to timeout_ms for a stop; returns the reason (VM_RUNNING on timeout). */
enum vm_stop_reason vm_wait_stop(struct vm *vm, unsigned timeout_ms, int *status);

/* KVM_CHECK_EXTENSION on the VM fd (falls back to /dev/kvm). */
int vm_check_cap(const struct vm *vm, long cap);

#endif
