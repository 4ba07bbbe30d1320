// SPDX-License-Identifier: GPL-2.0-only
/*
 * Assembles an ioshade machine from a vm_config and runs it: creates the VM,
 * legacy devices, PCI host, event loop and vCPUs, loads the kernel (PVH ELF or bzImage),
 * then waits for the first stop reason while watching for a guest that halted
 * every vCPU with interrupts off. Teardown runs in reverse creation order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/acpi.h"
#include "vmm/boot.h"
#include "vmm/boot_linux.h"
#include "app/config.h"
#include "vmm/evloop.h"
#include "vmm/irq.h"
#include "vmm/layout.h"
#include "app/machine.h"
#include "vmm/pci.h"
#include "vmm/serial.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MACHINE_KERNEL_MAX	(512ULL << 20)
#define MACHINE_TICK_MS		500	/* halt-detection period */

struct machine {
	struct vm_config cfg;
	struct vm *vm;
	struct irq *irq;
	struct msi_sink msi;		/* delivers through irq; pci keeps a pointer */
	struct evloop *loop;
	int serial_fd;
	bool own_serial_fd;
	struct serial *serial;
	struct debug_exit *debug_exit;
	struct pci_host *pci;
	struct acpi_config acpi;
	struct boot_pvh_info boot;
	bool is_linux;			/* bzImage: linux_boot is used instead of boot */
	struct boot_linux_info linux_boot;
	unsigned nr_vcpus;
	struct vcpu *vcpu[VCPU_MAX];
	bool ran;
};

/*
 * COM1 on a new pseudo-terminal, as libvirt's <serial type='pty'>: the slave's
 * path goes to stderr for the user to attach to (screen, minicom, virsh-like
 * tools). The master is non-blocking: with nobody reading, output is dropped
 * once the pty buffer is full rather than stalling the vCPU.
 */
static int open_serial_pty(struct machine *m, char *err, size_t errlen)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), e;
	const char *name;

	if (fd < 0 || grantpt(fd) || unlockpt(fd) || !(name = ptsname(fd)) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		e = errno ? errno : ENOTTY;
		snprintf(err, errlen, "--serial pty: cannot create a pseudo-terminal: %s",
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	fprintf(stderr, "ioshade: serial console (COM1) on %s: attach with `screen %s` or "
		"`socat -,rawer %s`\n", name, name, name);
	m->serial_fd = fd;
	m->own_serial_fd = true;
	return 0;
}

static int open_serial(struct machine *m, char *err, size_t errlen)
{
	int e;

	m->serial_fd = -1;
	if (m->cfg.serial == CONFIG_SERIAL_STDOUT)
		m->serial_fd = STDOUT_FILENO;
	if (m->cfg.serial == CONFIG_SERIAL_PTY)
		return open_serial_pty(m, err, errlen);
	if (m->cfg.serial != CONFIG_SERIAL_FILE)
		return 0;
	m->serial_fd = open(m->cfg.serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (m->serial_fd < 0) {
		e = errno;
		snprintf(err, errlen, "--serial '%s': %s", m->cfg.serial_path, strerror(e));
		return -e;
	}
	m->own_serial_fd = true;
	return 0;
}

static int create_devices(struct machine *m, char *err, size_t errlen)
{
	struct vm *vm = m->vm;
	int ret;

	ret = irq_create(vm->vm_fd, &m->irq);
	if (ret) {
		snprintf(err, errlen, "cannot set up GSI routing: %s", strerror(-ret));
		return ret;
	}
	m->msi = irq_msi_sink(m->irq);
	m->loop = evloop_create();
	if (!m->loop) {
		snprintf(err, errlen, "cannot create the event loop");
		return -ENOMEM;
	}
	ret = open_serial(m, err, errlen);
	if (ret)
		return ret;
	ret = serial_create(vm->pio, LAYOUT_PORT_SERIAL, m->irq, m->serial_fd, &m->serial);
	if (!ret)
		ret = debug_exit_create(vm->pio, LAYOUT_PORT_DEBUG_EXIT, vm, &m->debug_exit);
	if (ret) {
		snprintf(err, errlen, "cannot create the legacy devices: %s", strerror(-ret));
		return ret;
	}
	m->pci = pci_host_create(vm->pio, vm->mmio, vm->mem, &m->msi);
	if (!m->pci) {
		snprintf(err, errlen, "cannot create the PCI host bridge");
		return -ENOMEM;
	}
	return 0;
}

static int read_initrd(struct machine *m, struct boot_pvh_args *args, char *err, size_t errlen)
{
	void *buf;
	size_t size;
	int ret;

	if (!m->cfg.initrd[0])
		return 0;
	ret = boot_read_file(m->cfg.initrd, m->cfg.memory, &buf, &size, err, errlen);
	if (ret)
		return ret;
	args->initrd = buf;
	args->initrd_size = size;
	return 0;
}

static int load_kernel(struct machine *m, char *err, size_t errlen)
{
	struct boot_pvh_args args = { .cmdline = m->cfg.cmdline, .rsdp = LAYOUT_ACPI_BASE };
	char msg[256] = "";
	void *image;
	int ret;

	ret = boot_read_file(m->cfg.kernel, MACHINE_KERNEL_MAX, &image, &args.image_size,
			     msg, sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "--kernel %s", msg);
		return ret;
	}
	args.image = image;
	m->is_linux = boot_is_bzimage(image, args.image_size);
	if (m->is_linux && !args.cmdline[0])
		args.cmdline = BOOT_LINUX_DEFAULT_CMDLINE;
	ret = read_initrd(m, &args, err, errlen);
	if (ret)
		goto out;
	if (m->is_linux)
		ret = boot_linux_load(m->vm->mem, &args, &m->linux_boot, msg, sizeof(msg));
	else
		ret = boot_pvh_load(m->vm->mem, &args, &m->boot, msg, sizeof(msg));
	if (ret)
		snprintf(err, errlen, "--kernel '%s': %s", m->cfg.kernel, msg);
	free((void *)args.initrd);
out:
	free(image);
	return ret;
}

static int create_vcpus(struct machine *m, char *err, size_t errlen)
{
	int ret;

	for (unsigned i = 0; i < m->cfg.cpus; i++) {
		ret = vcpu_create(m->vm, i, m->cfg.cpus, &m->vcpu[i]);
		if (ret) {
			snprintf(err, errlen, "cannot create vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
		m->nr_vcpus++;
	}
	/* Only the BSP enters the kernel; APs wait for INIT/SIPI. */
	if (m->is_linux)
		ret = boot_linux_set_regs(m->vcpu[0]->fd, &m->linux_boot);
	else
		ret = boot_pvh_set_regs(m->vcpu[0]->fd, &m->boot);
	if (ret)
		snprintf(err, errlen, "cannot set the boot registers: %s", strerror(-ret));
	return ret;
}

static void init_acpi_config(struct machine *m)
{
	m->acpi = (struct acpi_config){
		.nr_cpus = m->cfg.cpus,
		.ecam_base = LAYOUT_ECAM_BASE,
		.bus_start = 0,
		.bus_end = LAYOUT_ECAM_BUSES - 1,
		.mmio32_base = LAYOUT_MMIO32_BASE,
		.mmio32_size = LAYOUT_MMIO32_SIZE,
		.mmio64_base = LAYOUT_MMIO64_BASE,
		.mmio64_size = LAYOUT_MMIO64_SIZE,
		.ioapic_base = LAYOUT_IOAPIC_BASE,
	};
}

int machine_create(const struct vm_config *cfg, struct machine **out, char *err, size_t errlen)
{
	struct machine *m = calloc(1, sizeof(*m));
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->cfg = *cfg;
	m->serial_fd = -1;
	if (cfg->cpus < 1 || cfg->cpus > VCPU_MAX) {
		snprintf(err, errlen, "--cpus %u: must be 1..%d", cfg->cpus, VCPU_MAX);
		ret = -EINVAL;
		goto err_destroy;
	}
	ret = vm_create(cfg->memory, &m->vm, err, errlen);
	if (ret)
		goto err_destroy;
	m->vm->verbose = cfg->log_level >= CONFIG_LOG_DEBUG;
	init_acpi_config(m);
	ret = create_devices(m, err, errlen);
	if (!ret)
		ret = load_kernel(m, err, errlen);
	if (!ret)
		ret = create_vcpus(m, err, errlen);
	if (ret)
		goto err_destroy;
	*out = m;
	return 0;
err_destroy:
	machine_destroy(m);
	return ret;
}

/* True when every vCPU reported HLT with IF clear (APs never started count
 * as idle) and at least one really halted. */
static bool all_halted(struct machine *m)
{
	bool halted = false;

	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		enum vcpu_state s = vcpu_state(m->vcpu[i]);

		if (s == VCPU_STATE_HALTED)
			halted = true;
		else if (s != VCPU_STATE_WAIT_SIPI)
			return false;
	}
	return halted;
}

static int start(struct machine *m)
{
	long used;
	int ret;

	used = acpi_build(&m->acpi, (uint8_t *)m->vm->ram + LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE,
			  LAYOUT_ACPI_BASE);
	if (used < 0) {
		fprintf(stderr, "ioshade: cannot build ACPI tables: %s\n", strerror((int)-used));
		return (int)used;
	}
	ret = evloop_start(m->loop);
	if (ret) {
		fprintf(stderr, "ioshade: cannot start the event loop: %s\n", strerror(-ret));
		return ret;
	}
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		ret = vcpu_start(m->vcpu[i]);
		if (ret) {
			fprintf(stderr, "ioshade: cannot start vCPU %u: %s\n", i, strerror(-ret));
			vm_request_stop(m->vm, VM_STOP_ERROR, VM_STATUS_ERROR);
			return 0;	/* the started ones are stopped by machine_run */
		}
	}
	return 0;
}

static int exit_status(enum vm_stop_reason reason, int status)
{
	switch (reason) {
	case VM_STOP_SHUTDOWN:
		fprintf(stderr, "ioshade: guest reset/shutdown\n");
		return VM_STATUS_OK;
	case VM_STOP_HALTED:
		fprintf(stderr, "ioshade: warning: all vCPUs halted with interrupts disabled; "
			"treating the guest as finished\n");
		return VM_STATUS_OK;
	case VM_STOP_ERROR:
		fprintf(stderr, "ioshade: VM stopped on an error\n");
		return status ? status : VM_STATUS_ERROR;
	default:
		return status;
	}
}

int machine_run(struct machine *m)
{
	enum vm_stop_reason reason;
	int status = 0;

	if (m->ran)
		return VM_STATUS_ERROR;
	m->ran = true;
	if (start(m))
		return VM_STATUS_ERROR;
	for (;;) {
		reason = vm_wait_stop(m->vm, MACHINE_TICK_MS, &status);
		if (reason != VM_RUNNING)
			break;
		if (all_halted(m))
			vm_request_stop(m->vm, VM_STOP_HALTED, VM_STATUS_OK);
		for (unsigned i = 0; i < m->nr_vcpus; i++)
			vcpu_request_report(m->vcpu[i]);
	}
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		vcpu_join(m->vcpu[i]);
	evloop_stop(m->loop);
	return exit_status(reason, status);
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	if (m->vm)
		vm_request_stop(m->vm, VM_STOP_REQUEST, VM_STATUS_OK);
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		vcpu_join(m->vcpu[i]);
		vcpu_destroy(m->vcpu[i]);
	}
	evloop_destroy(m->loop);
	pci_host_destroy(m->pci);
	debug_exit_destroy(m->debug_exit);
	serial_destroy(m->serial);
	if (m->own_serial_fd)
		close(m->serial_fd);
	irq_destroy(m->irq);
	vm_destroy(m->vm);
	free(m);
}

struct vm *machine_vm(struct machine *m) { return m->vm; }
struct memmap *machine_memmap(struct machine *m) { return m->vm->mem; }
struct bus *machine_pio_bus(struct machine *m) { return m->vm->pio; }
struct bus *machine_mmio_bus(struct machine *m) { return m->vm->mmio; }
struct pci_host *machine_pci_host(struct machine *m) { return m->pci; }
struct evloop *machine_evloop(struct machine *m) { return m->loop; }
struct irq *machine_irq(struct machine *m) { return m->irq; }
const struct msi_sink *machine_msi_sink(struct machine *m) { return &m->msi; }
struct memslot_sink machine_memslot_sink(struct machine *m) { return vm_memslot_sink(m->vm); }
struct acpi_config *machine_acpi_config(struct machine *m) { return &m->acpi; }
