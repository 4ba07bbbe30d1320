/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Port I/O, MMIO accessors, barriers and a TSC-based timeout. Guests run with
 * interrupts off and identity-mapped memory, so an MMIO address is a pointer.
 * Only plain mov/in/out are used: some hosts run guests in an emulator.
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdbool.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define MMIO_PTR(t, a)	((volatile t *)(uintptr_t)(a))

static inline uint8_t mmio_read8(uint64_t a) { return *MMIO_PTR(uint8_t, a); }
static inline uint16_t mmio_read16(uint64_t a) { return *MMIO_PTR(uint16_t, a); }
static inline uint32_t mmio_read32(uint64_t a) { return *MMIO_PTR(uint32_t, a); }
static inline uint64_t mmio_read64(uint64_t a) { return *MMIO_PTR(uint64_t, a); }
static inline void mmio_write8(uint64_t a, uint8_t v) { *MMIO_PTR(uint8_t, a) = v; }
static inline void mmio_write16(uint64_t a, uint16_t v) { *MMIO_PTR(uint16_t, a) = v; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *MMIO_PTR(uint32_t, a) = v; }
static inline void mmio_write64(uint64_t a, uint64_t v) { *MMIO_PTR(uint64_t, a) = v; }

/* Compiler barrier. x86 keeps stores in order and loads in order, which is all
 * the split-ring protocol needs when nobody negotiates EVENT_IDX. */
static inline void barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * Timeouts. The TSC rate is unknown; we assume at most TSC_ASSUMED_KHZ, so a
 * timeout of N ms lasts at least N ms on any slower TSC. A spin cap guards
 * against a TSC that does not advance.
 */
#define TSC_ASSUMED_KHZ		3000000ull
#define TIMEOUT_SPIN_CAP	4000000000ull

struct timeout {
	uint64_t deadline;
	uint64_t spins;
};

static inline void timeout_start(struct timeout *t, unsigned ms)
{
	t->deadline = rdtsc() + (uint64_t)ms * TSC_ASSUMED_KHZ;
	t->spins = 0;
}

/* true once the timeout has expired; also relaxes the CPU */
static inline bool timeout_expired(struct timeout *t)
{
	cpu_relax();
	return rdtsc() >= t->deadline || ++t->spins >= TIMEOUT_SPIN_CAP;
}

#endif
