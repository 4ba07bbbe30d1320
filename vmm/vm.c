// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM object: /dev/kvm, the VM fd with its in-kernel irqchip and PIT, and
 * guest RAM in one memfd (so iommufd can later map the same pages by host
 * address) registered as KVM slots below and above the 32-bit hole. Also the
 * VM-wide stop state: the first stop reason wins and wakes machine_run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm/bus.h"
#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "vmm/vm.h"

#define KVM_DEVICE "/dev/kvm"

struct cap_req {
	long cap;
	const char *name;
};

static const struct cap_req required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

uint64_t vm_low_ram_size(uint64_t ram_size)
{
	return ram_size < LAYOUT_RAM_32_END ? ram_size : LAYOUT_RAM_32_END;
}

struct fixed_region {
	uint64_t start, len;
	enum memmap_kind kind;
	uint32_t flags;
	bool backed;			/* hva = ram + start */
	const char *name;
};

static const struct fixed_region fixed_regions[] = {
	{ LAYOUT_BOOT_BASE, LAYOUT_BOOT_SIZE, MEMMAP_RESERVED, 0, true, "boot" },
	{ LAYOUT_LOW_RAM_BASE, LAYOUT_LOW_RAM_END - LAYOUT_LOW_RAM_BASE, MEMMAP_RAM, 0, true,
	  "lowram" },
	{ LAYOUT_LEGACY_BASE, LAYOUT_LEGACY_SIZE, MEMMAP_RESERVED, 0, true, "legacy" },
	{ LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, MEMMAP_ROM, 0, true, "acpi" },
	{ LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, MEMMAP_MMIO, 0, false, "ecam" },
	{ LAYOUT_IOAPIC_BASE, LAYOUT_IOAPIC_SIZE, MEMMAP_MMIO, 0, false, "ioapic" },
	{ LAYOUT_MSI_BASE, LAYOUT_MSI_LAST - LAYOUT_MSI_BASE + 1, MEMMAP_MMIO, MEMMAP_F_MSI, false,
	  "msi" },
};

int vm_memmap_fill(struct memmap *map, void *ram, uint64_t ram_size)
{
	uint64_t low = vm_low_ram_size(ram_size);
	uint8_t *base = ram;
	int ret;

	if (ram_size <= 2 * LAYOUT_HIGH_RAM_BASE)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(fixed_regions) / sizeof(fixed_regions[0]); i++) {
		const struct fixed_region *f = &fixed_regions[i];

		ret = memmap_add(map, f->start, f->len, f->kind, f->flags,
				 f->backed ? base + f->start : NULL, f->name);
		if (ret)
			return ret;
	}
	ret = memmap_add(map, LAYOUT_HIGH_RAM_BASE, low - LAYOUT_HIGH_RAM_BASE, MEMMAP_RAM, 0,
			 base + LAYOUT_HIGH_RAM_BASE, "ram");
	if (ret || low == ram_size)
		return ret;
	return memmap_add(map, LAYOUT_RAM_64_BASE, ram_size - low, MEMMAP_RAM, 0, base + low,
			  "highram");
}

static int open_kvm(struct vm *vm, char *err, size_t errlen)
{
	int e, version;

	vm->kvm_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open %s: %s (%s)", KVM_DEVICE, strerror(e),
			 e == ENOENT ? "load the kvm_intel or kvm_amd module" :
			 e == EACCES || e == EPERM ? "add your user to the 'kvm' group or fix the device permissions" :
			 "is KVM available on this host?");
		return -e;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, need %d", KVM_DEVICE, version,
			 KVM_API_VERSION);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(err, errlen, "%s: missing capability %s", KVM_DEVICE,
				 required_caps[i].name);
			return -ENOTSUP;
		}
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "%s: bad KVM_GET_VCPU_MMAP_SIZE %d", KVM_DEVICE, vm->run_size);
		return -ENOTSUP;
	}
	return 0;
}

/* Log an ioctl failure with its name and return -errno. */
static int ioctl_fail(const char *what, char *err, size_t errlen)
{
	int e = errno;

	snprintf(err, errlen, "%s failed: %s", what, strerror(e));
	return -e;
}

static int create_vm_fd(struct vm *vm, char *err, size_t errlen)
{
	uint64_t idmap = LAYOUT_KVM_IDMAP;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return ioctl_fail("KVM_CREATE_VM", err, errlen);
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return ioctl_fail("KVM_SET_IDENTITY_MAP_ADDR", err, errlen);
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return ioctl_fail("KVM_SET_TSS_ADDR", err, errlen);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return ioctl_fail("KVM_CREATE_IRQCHIP", err, errlen);
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return ioctl_fail("KVM_CREATE_PIT2", err, errlen);
	return 0;
}

static int set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
		    char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return ioctl_fail("KVM_SET_USER_MEMORY_REGION", err, errlen);
	return 0;
}

static int create_ram(struct vm *vm, uint64_t ram_size, char *err, size_t errlen)
{
	uint8_t *ram;
	int ret;

	vm->mem_fd = memfd_create("ioshade-ram", MFD_CLOEXEC);
	if (vm->mem_fd < 0)
		return ioctl_fail("memfd_create", err, errlen);
	if (ftruncate(vm->mem_fd, (off_t)ram_size) < 0)
		return ioctl_fail("ftruncate of the guest RAM memfd", err, errlen);
	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		   vm->mem_fd, 0);
	if (ram == MAP_FAILED)
		return ioctl_fail("mmap of guest RAM", err, errlen);
	vm->ram = ram;
	vm->ram_size = ram_size;
	vm->low_size = vm_low_ram_size(ram_size);
	ret = set_slot(vm, 0, 0, vm->low_size, ram, err, errlen);
	if (!ret && vm->low_size < ram_size)
		ret = set_slot(vm, 1, LAYOUT_RAM_64_BASE, ram_size - vm->low_size,
			       ram + vm->low_size, err, errlen);
	return ret;
}

static int create_maps(struct vm *vm, char *err, size_t errlen)
{
	int ret;

	vm->mem = memmap_create();
	vm->pio = bus_create("pio");
	vm->mmio = bus_create("mmio");
	if (!vm->mem || !vm->pio || !vm->mmio) {
		snprintf(err, errlen, "out of memory creating the memory map and buses");
		return -ENOMEM;
	}
	ret = vm_memmap_fill(vm->mem, vm->ram, vm->ram_size);
	if (ret)
		snprintf(err, errlen, "cannot build the memory map: %s", strerror(-ret));
	return ret;
}

int vm_create(uint64_t ram_size, struct vm **out, char *err, size_t errlen)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int ret;

	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = -1;
	pthread_mutex_init(&vm->slot_lock, NULL);
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->stop_cond, NULL);
	ret = open_kvm(vm, err, errlen);
	if (!ret)
		ret = create_vm_fd(vm, err, errlen);
	if (!ret)
		ret = create_ram(vm, ram_size, err, errlen);
	if (!ret)
		ret = create_maps(vm, err, errlen);
	if (ret) {
		vm_destroy(vm);
		return ret;
	}
	*out = vm;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	bus_destroy(vm->mmio);
	bus_destroy(vm->pio);
	memmap_destroy(vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->mem_fd >= 0)
		close(vm->mem_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_cond_destroy(&vm->stop_cond);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->slot_lock);
	free(vm);
}

int vm_check_cap(const struct vm *vm, long cap)
{
	int r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap);

	return r >= 0 ? r : ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap);
}

int vm_map_host(struct vm *vm, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)hva,
	};
	int ret = -ENOSPC;

	if (!size || ((gpa | size | (uintptr_t)hva) & 0xfff))
		return -EINVAL;
	pthread_mutex_lock(&vm->slot_lock);
	for (unsigned i = 0; i < VM_EXTRA_SLOTS; i++) {
		if (vm->slots[i].size)
			continue;
		r.slot = VM_RAM_SLOTS + i;
		ret = ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
		if (!ret)
			vm->slots[i] = (struct vm_slot){ gpa, size };
		break;
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return ret;
}

int vm_unmap_host(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct kvm_userspace_memory_region r = { .guest_phys_addr = gpa };
	int ret = -ENOENT;

	pthread_mutex_lock(&vm->slot_lock);
	for (unsigned i = 0; i < VM_EXTRA_SLOTS; i++) {
		if (vm->slots[i].gpa != gpa || vm->slots[i].size != size || !size)
			continue;
		r.slot = VM_RAM_SLOTS + i;	/* memory_size 0 deletes the slot */
		ret = ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
		if (!ret)
			vm->slots[i].size = 0;
		break;
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return ret;
}

static int sink_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	return vm_map_host(opaque, gpa, size, hva);
}

static int sink_unmap(void *opaque, uint64_t gpa, uint64_t size)
{
	return vm_unmap_host(opaque, gpa, size);
}

static const struct memslot_ops vm_memslot_ops = {
	.map = sink_map,
	.unmap = sink_unmap,
};

struct memslot_sink vm_memslot_sink(struct vm *vm)
{
	return (struct memslot_sink){ .ops = &vm_memslot_ops, .opaque = vm };
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == VM_RUNNING) {
		vm->stop_reason = reason;
		vm->stop_status = status;
	}
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_is_stopping(struct vm *vm)
{
	bool stopping;

	pthread_mutex_lock(&vm->stop_lock);
	stopping = vm->stop_reason != VM_RUNNING;
	pthread_mutex_unlock(&vm->stop_lock);
	return stopping;
}

enum vm_stop_reason vm_wait_stop(struct vm *vm, unsigned timeout_ms, int *status)
{
	enum vm_stop_reason reason;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&vm->stop_lock);
	while (vm->stop_reason == VM_RUNNING)
		if (pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock, &ts))
			break;
	reason = vm->stop_reason;
	if (status)
		*status = vm->stop_status;
	pthread_mutex_unlock(&vm->stop_lock);
	return reason;
}
