/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One virtual CPU: its KVM fd, the shared kvm_run page, CPUID, and a thread
 * running KVM_RUN with a table of exit handlers. Any vCPU may stop the whole
 * VM (vm_request_stop); vcpu_kick pulls a vCPU out of KVM_RUN with SIGUSR1 and
 * kvm_run.immediate_exit so no kick is lost between checks.
 */
#ifndef IOSHADE_VMM_VCPU_H
#define IOSHADE_VMM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

struct vm;
struct kvm_run;
struct kvm_cpuid_entry2;

#define VCPU_MAX	8

/* What a vCPU reported when last asked (vcpu_request_report). */
enum vcpu_state {
	VCPU_STATE_UNKNOWN,	/* no report yet */
	VCPU_STATE_ACTIVE,	/* running, or halted with interrupts enabled */
	VCPU_STATE_HALTED,	/* HLT with RFLAGS.IF clear: only NMI/INIT wake it */
	VCPU_STATE_WAIT_SIPI,	/* an AP that was never started */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;		/* vm->run_size bytes shared with KVM */
	pthread_t thread;
	bool started;
	int report_req;			/* atomic: a report is wanted */
	int state;			/* atomic: enum vcpu_state */
};

/* Create vCPU id of nr_cpus with CPUID (APIC ID = id) and the boot MSRs
 * (fast strings, MTRRs on with write-back default). 0 or -errno. */
int vcpu_create(struct vm *vm, unsigned id, unsigned nr_cpus, struct vcpu **out);
/*
 * Adjust KVM_GET_SUPPORTED_CPUID entries for vCPU id of nr_cpus: APIC IDs in
 * leaves 1, 0xB, 0x1F and 0x8000001E, the hypervisor bit, and a flat topology
 * of nr_cpus single-thread cores (leaves 1, 4, 0xB, 0x1F, 0x80000008) that
 * agrees with the MADT. vcpu_create applies it; pure, for tests.
 */
void vcpu_cpuid_fixup(struct kvm_cpuid_entry2 *entries, unsigned n, unsigned id,
		      unsigned nr_cpus);
/* The thread must have been joined (or never started). */
void vcpu_destroy(struct vcpu *vcpu);

int vcpu_start(struct vcpu *vcpu);
/* Make the thread leave KVM_RUN and look at the stop flag / report request. */
void vcpu_kick(struct vcpu *vcpu);
/* Kick and wait for the thread; the VM must be stopping. */
void vcpu_join(struct vcpu *vcpu);

/* Ask for a fresh state report (delivered asynchronously). */
void vcpu_request_report(struct vcpu *vcpu);
enum vcpu_state vcpu_state(struct vcpu *vcpu);

/* Print general and segment registers (for emulation failures). */
void vcpu_dump_regs(struct vcpu *vcpu, FILE *out);

#endif
