/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Application processors for the test guests: smp_init finds the Local APIC
 * IDs in the MADT and wakes every AP with INIT-SIPI-SIPI through a real-mode
 * trampoline (smp_tramp.S) that enters long mode on the BSP's page tables.
 * APs then idle until smp_start hands them a function. Plus a spinlock, a
 * reusable barrier and the few atomics the race guests need.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#define SMP_MAX_CPUS		8
/* The trampoline page: low RAM, free under ioshade (layout.h) and QEMU. */
#define SMP_TRAMP_BASE		0x70000
#define SMP_AP_STACK_SIZE	16384u

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

/*
 * Wakes the APs listed in the MADT (at most SMP_MAX_CPUS CPUs in all, and at
 * most max_cpus if non-zero). Returns the number of CPUs online, BSP included
 * (>= 1: a missing MADT or a dead AP only lowers it; each AP that does not
 * answer is reported on the console).
 */
unsigned smp_init(unsigned max_cpus);
unsigned smp_cpus(void);		/* CPUs online, BSP included */
unsigned smp_cpu_id(void);		/* 0 on the BSP, 1.. on the APs, in MADT order */
uint32_t smp_apic_id(void);		/* this CPU's Local APIC ID */

/* Runs fn(arg) on AP cpu (1 <= cpu < smp_cpus()); -EINVAL or -EBUSY (still running). */
int smp_start(unsigned cpu, void (*fn)(void *), void *arg);
/* Waits until every started function returned; 0 or -ETIMEDOUT. */
int smp_wait_all(unsigned timeout_ms);

struct spinlock {
	volatile uint32_t locked;
};

void spin_lock(struct spinlock *l);
bool spin_trylock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* A reusable barrier for n CPUs (n fixed for its lifetime). */
struct smp_barrier {
	volatile uint32_t count;
	volatile uint32_t generation;
};

/* Returns once n CPUs arrived; false if that took longer than timeout_ms. */
bool smp_barrier_wait(struct smp_barrier *b, unsigned n, unsigned timeout_ms);

static inline uint32_t atomic_load32(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline void atomic_store32(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Returns the new value. */
static inline uint32_t atomic_add32(volatile uint32_t *p, uint32_t v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline bool atomic_cas32(volatile uint32_t *p, uint32_t old, uint32_t new_val)
{
	return __atomic_compare_exchange_n(p, &old, new_val, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

#endif /* __ASSEMBLER__ */
#endif
