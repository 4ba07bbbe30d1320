// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU threads. Each runs KVM_RUN in a loop and hands the exit to a handler
 * picked from a table by exit reason: PIO and MMIO go to the buses, shutdown
 * and emulation failures stop the VM with a status, never the process. APs
 * are created and run like the BSP; KVM parks them until INIT/SIPI.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/bus.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define VCPU_KICK_SIGNAL	SIGUSR1
#define RFLAGS_IF		(1u << 9)

#define MSR_MISC_ENABLE			0x1a0
#define MISC_ENABLE_FAST_STRING		(1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL		(1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL	(1ull << 12)
#define MSR_MTRR_DEF_TYPE		0x2ff
#define MTRR_DEF_ENABLE			(1ull << 11)
#define MTRR_TYPE_WB			6ull

/* 0: keep running; < 0: leave the run loop (the VM is stopping). */
typedef int (*exit_handler)(struct vcpu *vcpu);

/* Bits needed to number nr APIC IDs: ceil(log2(nr)). */
static unsigned id_bits(unsigned nr)
{
	unsigned bits = 0;

	while ((1u << bits) < nr)
		bits++;
	return bits;
}

/* Leaf 0xB/0x1F subleaf: level 0 SMT (1 thread per core), level 1 cores
 * (nr_cpus per package), then the terminating invalid level. */
static void fix_topology_leaf(struct kvm_cpuid_entry2 *e, unsigned id, unsigned nr_cpus)
{
	if (e->index == 0) {
		e->eax = 0;
		e->ebx = 1;
		e->ecx = 1u << 8;
	} else if (e->index == 1) {
		e->eax = id_bits(nr_cpus);
		e->ebx = nr_cpus;
		e->ecx = (2u << 8) | 1;
	} else {
		e->eax = e->ebx = 0;
		e->ecx = e->index & 0xff;
	}
	e->edx = id;	/* x2APIC ID */
}

void vcpu_cpuid_fixup(struct kvm_cpuid_entry2 *entries, unsigned n, unsigned id,
		      unsigned nr_cpus)
{
	unsigned bits = id_bits(nr_cpus);

	for (unsigned i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffffu) | (id << 24) | ((nr_cpus & 0xff) << 16);
			e->ecx |= 1u << 31;	/* running under a hypervisor */
			e->edx = nr_cpus > 1 ? e->edx | (1u << 28) : e->edx & ~(1u << 28); /* HTT */
			break;
		case 4:		/* Intel: cores per package - 1 in EAX[31:26] */
			e->eax = (e->eax & 0x03ffffffu) | ((((1u << bits) - 1) & 0x3f) << 26);
			break;
		case 0xb:
		case 0x1f:
			fix_topology_leaf(e, id, nr_cpus);
			break;
		case 0x80000008:	/* AMD: ApicIdSize and NC */
			e->ecx = (e->ecx & ~0xf0ffu) | (bits << 12) | ((nr_cpus - 1) & 0xff);
			break;
		case 0x8000001e:	/* AMD: extended APIC ID, one thread per core */
			e->eax = id;
			e->ebx = id & 0xff;
			break;
		}
	}
}

static int set_cpuid(struct vcpu *vcpu, unsigned nr_cpus)
{
	struct kvm_cpuid2 *c = NULL;
	unsigned nent = 64;
	int ret;

	for (;;) {
		free(c);
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = nent;
		if (!ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			break;
		ret = -errno;
		if (ret != -E2BIG || nent >= 4096)
			goto out;
		nent *= 2;
	}
	vcpu_cpuid_fixup(c->entries, c->nent, vcpu->id, nr_cpus);
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
out:
	free(c);
	return ret;
}

/* MSRs firmware would have set: fast strings on, MTRRs enabled with
 * write-back as the default type (otherwise a Linux guest sees all memory
 * uncached and disables PAT). */
static int set_msrs(struct vcpu *vcpu)
{
	static const struct kvm_msr_entry init[] = {
		{ .index = MSR_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING |
			MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL },
		{ .index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_ENABLE | MTRR_TYPE_WB },
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(init) / sizeof(init[0])];
	} msrs = { .hdr.nmsrs = sizeof(init) / sizeof(init[0]) };
	int ret;

	memcpy(msrs.e, init, sizeof(init));
	ret = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (ret < 0)
		return -errno;
	return ret == (int)msrs.hdr.nmsrs ? 0 : -EINVAL;
}

int vcpu_create(struct vm *vm, unsigned id, unsigned nr_cpus, struct vcpu **out)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	void *run;
	int ret;

	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	vcpu->run = run;
	ret = set_cpuid(vcpu, nr_cpus);
	if (!ret)
		ret = set_msrs(vcpu);
	if (ret)
		goto err_unmap;
	*out = vcpu;
	return 0;
err_unmap:
	munmap(vcpu->run, (size_t)vm->run_size);
err_close:
	close(vcpu->fd);
err_free:
	free(vcpu);
	return ret;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	munmap(vcpu->run, (size_t)vcpu->vm->run_size);
	close(vcpu->fd);
	free(vcpu);
}

static void print_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "  %-3s sel=%04x base=%016llx limit=%08x type=%x p=%u db=%u l=%u\n", name,
		s->selector, (unsigned long long)s->base, s->limit, s->type, s->present, s->db, s->l);
}

void vcpu_dump_regs(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) || ioctl(vcpu->fd, KVM_GET_SREGS, &s)) {
		fprintf(out, "vcpu%u: cannot read registers: %s\n", vcpu->id, strerror(errno));
		return;
	}
	fprintf(out, "vcpu%u registers:\n"
		"  rip=%016llx rsp=%016llx rflags=%016llx\n"
		"  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
		"  rsi=%016llx rdi=%016llx rbp=%016llx\n"
		"  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
		vcpu->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	print_seg(out, "cs", &s.cs);
	print_seg(out, "ds", &s.ds);
	print_seg(out, "ss", &s.ss);
}

static int stop_with_error(struct vcpu *vcpu, const char *what)
{
	fprintf(stderr, "ioshade: vcpu%u: %s\n", vcpu->id, what);
	vcpu_dump_regs(vcpu, stderr);
	vm_request_stop(vcpu->vm, VM_STOP_ERROR, VM_STATUS_ERROR);
	return -1;
}

static int exit_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	if (run->io.data_offset + bytes > (uint64_t)vcpu->vm->run_size)
		return stop_with_error(vcpu, "KVM_EXIT_IO data outside the kvm_run page");
	/* String I/O (rep ins/outs) arrives as count elements of size bytes. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		int r = bus_access(vcpu->vm->pio, run->io.port, data + (size_t)i * run->io.size,
				   run->io.size, out);

		if (r && vcpu->vm->verbose)
			fprintf(stderr, "ioshade: vcpu%u: unhandled %s port 0x%x size %u\n",
				vcpu->id, out ? "out" : "in", run->io.port, run->io.size);
	}
	return 0;
}

static int exit_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len;
	int r;

	if (!len || len > sizeof(run->mmio.data))
		return stop_with_error(vcpu, "KVM_EXIT_MMIO with a bad length");
	r = bus_access(vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
		       run->mmio.is_write);
	if (r && vcpu->vm->verbose)
		fprintf(stderr, "ioshade: vcpu%u: unhandled mmio %s 0x%llx len %u\n", vcpu->id,
			run->mmio.is_write ? "write" : "read", run->mmio.phys_addr, len);
	return 0;
}

static int exit_hlt(struct vcpu *vcpu)
{
	/* Only seen without an in-kernel LAPIC: nothing can wake us. */
	vm_request_stop(vcpu->vm, VM_STOP_HALTED, VM_STATUS_OK);
	return -1;
}

static int exit_shutdown(struct vcpu *vcpu)
{
	vm_request_stop(vcpu->vm, VM_STOP_SHUTDOWN, VM_STATUS_OK);
	return -1;
}

static int exit_fail_entry(struct vcpu *vcpu)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx",
		 (unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
	return stop_with_error(vcpu, msg);
}

static int exit_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char msg[160];
	int n;

	n = snprintf(msg, sizeof(msg), "KVM_EXIT_INTERNAL_ERROR suberror %u",
		     run->internal.suberror);
	for (uint32_t i = 0; i < run->internal.ndata && i < 4 && n > 0 && n < (int)sizeof(msg); i++)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " data[%u]=0x%llx", i,
			      (unsigned long long)run->internal.data[i]);
	return stop_with_error(vcpu, msg);
}

static int exit_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
	case KVM_SYSTEM_EVENT_RESET:
		return exit_shutdown(vcpu);
	case KVM_SYSTEM_EVENT_CRASH:
		return stop_with_error(vcpu, "guest crash (KVM_SYSTEM_EVENT_CRASH)");
	default:
		return 0;
	}
}

static int exit_ignore(struct vcpu *vcpu)
{
	return 0;
}

static const exit_handler exit_handlers[] = {
	[KVM_EXIT_IO] = exit_io,
	[KVM_EXIT_MMIO] = exit_mmio,
	[KVM_EXIT_HLT] = exit_hlt,
	[KVM_EXIT_SHUTDOWN] = exit_shutdown,
	[KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
	[KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
	[KVM_EXIT_SYSTEM_EVENT] = exit_system_event,
	[KVM_EXIT_INTR] = exit_ignore,
	[KVM_EXIT_IRQ_WINDOW_OPEN] = exit_ignore,
};

static int dispatch(struct vcpu *vcpu)
{
	uint32_t reason = vcpu->run->exit_reason;
	char msg[64];

	if (reason < sizeof(exit_handlers) / sizeof(exit_handlers[0]) && exit_handlers[reason])
		return exit_handlers[reason](vcpu);
	snprintf(msg, sizeof(msg), "unhandled exit reason %u", reason);
	return stop_with_error(vcpu, msg);
}

static enum vcpu_state read_state(struct vcpu *vcpu)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp))
		return VCPU_STATE_UNKNOWN;
	if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED || mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return VCPU_STATE_WAIT_SIPI;
	if (mp.mp_state != KVM_MP_STATE_HALTED || ioctl(vcpu->fd, KVM_GET_REGS, &regs))
		return VCPU_STATE_ACTIVE;
	return regs.rflags & RFLAGS_IF ? VCPU_STATE_ACTIVE : VCPU_STATE_HALTED;
}

/* KVM_RUN returned EINTR/EAGAIN: a kick, a signal or an AP wakeup. */
static void on_interrupted(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&vcpu->report_req, 0, __ATOMIC_SEQ_CST))
		__atomic_store_n(&vcpu->state, read_state(vcpu), __ATOMIC_SEQ_CST);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!vm_is_stopping(vcpu->vm)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				on_interrupted(vcpu);
				continue;
			}
			stop_with_error(vcpu, strerror(errno));
			break;
		}
		if (dispatch(vcpu) < 0)
			break;
	}
	return NULL;
}

static void kick_handler(int sig)
{
	/* Nothing to do: the signal only makes KVM_RUN return -EINTR. */
}

int vcpu_start(struct vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	int ret;

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL))
		return -errno;
	ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (ret)
		return -ret;
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	vcpu_kick(vcpu);
	pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

void vcpu_request_report(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->state, VCPU_STATE_UNKNOWN, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vcpu->report_req, 1, __ATOMIC_SEQ_CST);
	vcpu_kick(vcpu);
}

enum vcpu_state vcpu_state(struct vcpu *vcpu)
{
	return (enum vcpu_state)__atomic_load_n(&vcpu->state, __ATOMIC_SEQ_CST);
}
