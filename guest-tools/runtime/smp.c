// SPDX-License-Identifier: GPL-2.0-only
/*
 * AP bring-up (smp.h): MADT walk for the Local APIC IDs, INIT-SIPI-SIPI
 * through the xAPIC ICR, one AP at a time so they can share one parameter
 * block in the trampoline page. Each AP loads the IDT, says it is online and
 * then polls its slot for work; interrupts stay off everywhere.
 */
#include "smp.h"

#include "acpi.h"
#include "console.h"
#include "errno.h"
#include "guest.h"
#include "io.h"
#include "lib.h"

#define LAPIC_DEFAULT_BASE	0xfee00000ull
#define LAPIC_ID		0x20
#define LAPIC_SVR		0xf0
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define SVR_ENABLE		0x100
#define SVR_SPURIOUS		0xff
#define ICR_INIT_ASSERT		0x00004500u	/* INIT, level assert, physical */
#define ICR_STARTUP		0x00004600u	/* SIPI; | vector */
#define ICR_BUSY		0x00001000u	/* delivery status */

#define MADT_ENTRIES		44
#define MADT_T_LAPIC		0
#define MADT_T_LAPIC_OVERRIDE	5
#define MADT_LAPIC_ENABLED	0x1
#define MADT_LAPIC_ONLINE_CAP	0x2

#define AP_ONLINE_TIMEOUT_MS	5000

struct smp_tramp_params {
	uint64_t cr3;
	uint64_t stack;
	uint64_t entry;
};

struct smp_cpu {
	uint32_t apic_id;
	volatile uint32_t online;
	volatile uint32_t busy;		/* fn/arg valid until the AP clears it */
	void (*fn)(void *);
	void *arg;
};

extern char smp_tramp_start[], smp_tramp_end[], smp_tramp_params[];

static struct smp_cpu cpus[SMP_MAX_CPUS];
static unsigned n_cpus = 1;		/* online, BSP included */
static unsigned n_listed;		/* entries of cpus[] filled from the MADT */
static volatile uint32_t booting;	/* index of the AP being woken */
static uint64_t lapic = LAPIC_DEFAULT_BASE;
static uint8_t ap_stacks[SMP_MAX_CPUS][SMP_AP_STACK_SIZE] __attribute__((aligned(16)));

uint32_t smp_apic_id(void)
{
	return mmio_read32(lapic + LAPIC_ID) >> 24;
}

unsigned smp_cpus(void)
{
	return n_cpus;
}

unsigned smp_cpu_id(void)
{
	uint32_t id = smp_apic_id();
	unsigned i;

	for (i = 1; i < n_listed; i++) {
		if (cpus[i].apic_id == id)
			return i;
	}
	return 0;
}

/* Fills cpus[] from the MADT: the BSP first, then enabled Local APICs. */
static void madt_parse(unsigned max)
{
	const struct acpi_sdt_header *t = acpi_find_table("APIC", 0);
	const uint8_t *p = (const uint8_t *)t;
	uint32_t off, bsp = smp_apic_id(), base32;

	cpus[0].apic_id = bsp;
	n_listed = 1;
	if (!t)
		return;
	memcpy(&base32, p + 36, 4);
	lapic = base32;
	for (off = MADT_ENTRIES; off + 2 <= t->length && p[off + 1] >= 2; off += p[off + 1]) {
		uint32_t flags;

		if (off + p[off + 1] > t->length)
			break;
		if (p[off] == MADT_T_LAPIC_OVERRIDE && p[off + 1] >= 12)
			memcpy(&lapic, p + off + 4, 8);
		if (p[off] != MADT_T_LAPIC || p[off + 1] < 8)
			continue;
		memcpy(&flags, p + off + 4, 4);
		if (!(flags & MADT_LAPIC_ENABLED) || p[off + 3] == bsp || n_listed >= max)
			continue;
		cpus[n_listed++].apic_id = p[off + 3];
	}
}

static void icr_send(uint32_t apic_id, uint32_t lo)
{
	struct timeout t;

	mmio_write32(lapic + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(lapic + LAPIC_ICR_LO, lo);
	timeout_start(&t, 100);
	while ((mmio_read32(lapic + LAPIC_ICR_LO) & ICR_BUSY) && !timeout_expired(&t))
		;
}

static void delay_ms(unsigned ms)
{
	struct timeout t;

	timeout_start(&t, ms);
	while (!timeout_expired(&t))
		;
}

void smp_ap_entry(void);

/* First C code on an AP (called by the trampoline on its own stack). */
void smp_ap_entry(void)
{
	struct smp_cpu *c = &cpus[atomic_load32(&booting)];

	trap_load();
	atomic_store32(&c->online, 1);
	for (;;) {
		while (!atomic_load32(&c->busy))
			cpu_relax();
		c->fn(c->arg);
		atomic_store32(&c->busy, 0);
	}
}

static bool wake_ap(unsigned i)
{
	struct smp_tramp_params *p = (void *)(uintptr_t)(SMP_TRAMP_BASE +
		(uint32_t)(smp_tramp_params - smp_tramp_start));
	struct timeout t;
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	p->cr3 = cr3;
	p->stack = (uint64_t)(uintptr_t)(ap_stacks[i] + SMP_AP_STACK_SIZE);
	p->entry = (uint64_t)(uintptr_t)smp_ap_entry;
	atomic_store32(&booting, i);
	icr_send(cpus[i].apic_id, ICR_INIT_ASSERT);
	delay_ms(10);
	icr_send(cpus[i].apic_id, ICR_STARTUP | (SMP_TRAMP_BASE >> 12));
	delay_ms(1);
	if (!atomic_load32(&cpus[i].online))
		icr_send(cpus[i].apic_id, ICR_STARTUP | (SMP_TRAMP_BASE >> 12));
	timeout_start(&t, AP_ONLINE_TIMEOUT_MS);
	while (!atomic_load32(&cpus[i].online)) {
		if (timeout_expired(&t))
			return false;
	}
	return true;
}

/* The trampoline page must be RAM in the PVH memory map (when there is one). */
static bool tramp_page_is_ram(void)
{
	const struct hvm_start_info *si = runtime_start_info();
	const struct hvm_memmap_table_entry *e;
	uint32_t i;

	if (!si || si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
		return true;
	e = (const void *)(uintptr_t)si->memmap_paddr;
	for (i = 0; i < si->memmap_entries; i++) {
		if (e[i].type == HVM_MEMMAP_TYPE_RAM && e[i].addr <= SMP_TRAMP_BASE &&
		    e[i].addr + e[i].size >= SMP_TRAMP_BASE + 4096ull)
			return true;
	}
	return false;
}

unsigned smp_init(unsigned max_cpus)
{
	unsigned i, max = max_cpus && max_cpus < SMP_MAX_CPUS ? max_cpus : SMP_MAX_CPUS;

	if (n_listed)
		return n_cpus;
	cpus[0].online = 1;
	madt_parse(max);
	if (n_listed < 2)
		return n_cpus;
	if (!tramp_page_is_ram()) {
		printf("smp: trampoline page 0x%x is not RAM: no APs\n", SMP_TRAMP_BASE);
		return n_cpus;
	}
	memcpy((void *)(uintptr_t)SMP_TRAMP_BASE, smp_tramp_start,
	       (size_t)(smp_tramp_end - smp_tramp_start));
	mmio_write32(lapic + LAPIC_SVR, SVR_ENABLE | SVR_SPURIOUS);
	for (i = 1; i < n_listed; i++) {
		if (!wake_ap(i)) {
			printf("smp: AP with APIC ID %u did not come online\n", cpus[i].apic_id);
			break;	/* later APs would share its trampoline parameters */
		}
		n_cpus++;
	}
	n_listed = n_cpus;
	return n_cpus;
}

int smp_start(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct smp_cpu *c = &cpus[cpu];

	if (cpu == 0 || cpu >= n_cpus || !fn)
		return -EINVAL;
	if (atomic_load32(&c->busy))
		return -EBUSY;
	c->fn = fn;
	c->arg = arg;
	atomic_store32(&c->busy, 1);
	return 0;
}

int smp_wait_all(unsigned timeout_ms)
{
	struct timeout t;
	unsigned i;

	timeout_start(&t, timeout_ms);
	for (i = 1; i < n_cpus; i++) {
		while (atomic_load32(&cpus[i].busy)) {
			if (timeout_expired(&t))
				return -ETIMEDOUT;
		}
	}
	return 0;
}

void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		while (atomic_load32(&l->locked))
			cpu_relax();
	}
}

bool spin_trylock(struct spinlock *l)
{
	return atomic_cas32(&l->locked, 0, 1);
}

void spin_unlock(struct spinlock *l)
{
	atomic_store32(&l->locked, 0);
}

bool smp_barrier_wait(struct smp_barrier *b, unsigned n, unsigned timeout_ms)
{
	uint32_t gen = atomic_load32(&b->generation);
	struct timeout t;

	if (atomic_add32(&b->count, 1) == n) {
		atomic_store32(&b->count, 0);
		atomic_add32(&b->generation, 1);
		return true;
	}
	timeout_start(&t, timeout_ms);
	while (atomic_load32(&b->generation) == gen) {
		if (timeout_expired(&t))
			return false;
	}
	return true;
}
